"""复查 presence: how far the verifier stands from the site, and what is doubtful about the after-photos.

Read before 销号: an after-photo taken before the 整改通知书 was issued, one identical to a photo of the
hazard as found, or one that is also evidence of another hazard is flagged, each with a sentence the
verifier reads. Nothing here changes state: the hazard page shows ``page_presence``, and the 复查 step
(``verify_pass`` / ``verify_fail``) stores ``visit_record`` — where and when, and the flags seen — in its event.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import aliased

from hazardloop.evidence.models import LinkRole, Photo, PhotoLink, SubjectType
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard, RectificationOrder
from hazardloop.hazards.states import FINDING_KINDS


@dataclass(frozen=True)
class VisitPresence:
    """Where the verifier stood: metres from the site, and whether that is too far to have been there."""

    distance_m: float | None
    far_from_site: bool


def visit_presence(hazard: Hazard, lat: float | None, lng: float | None,
                   accuracy_m: float | None = None) -> VisitPresence:
    """The verifier's distance to the hazard's site (None without a position or a mapped site)."""
    from hazardloop.inspections.services import presence  # the inspections' own rule (imported late: no cycle)

    position = {"lat": lat, "lng": lng, "accuracy_m": accuracy_m} if lat is not None and lng is not None else None
    distance, far = presence(hazard.site, position)
    return VisitPresence(distance, far)


@dataclass(frozen=True)
class AfterPhotoCheck:
    """One after-photo and what is doubtful about it (``flags`` empty: nothing found)."""

    photo_id: str
    taken_at: dt.datetime | None
    flags: list[dict[str, str]] = field(default_factory=list)


_UNSET: Any = object()
# Built once: an alias made per call re-adapts its columns on every request (~1 ms of CPU each).
_OTHER_LINK = aliased(PhotoLink, name="other_link")
_OTHER_HAZARD = aliased(Hazard, name="other_hazard")


@functools.cache
def _photo_links_query() -> Select[Any]:
    """One statement: the hazard's photo links, each photo's times, and (for after-photos) the other hazards
    that cite the same picture. Built once: the page runs it on every read."""
    other, other_hazard, hazard_id = _OTHER_LINK, _OTHER_HAZARD, bindparam("hazard_id")
    return (select(PhotoLink.photo_id, PhotoLink.role, Photo.exif_taken_at, Photo.recorded_at, other_hazard.number)
            .outerjoin(Photo, Photo.id == PhotoLink.photo_id)
            .outerjoin(other, and_(PhotoLink.role == LinkRole.AFTER.value, other.photo_id == PhotoLink.photo_id,
                                   other.subject_type == SubjectType.HAZARD.value, other.subject_id != hazard_id))
            .outerjoin(other_hazard, other_hazard.id == other.subject_id)
            .where(PhotoLink.subject_type == SubjectType.HAZARD.value, PhotoLink.subject_id == hazard_id))


def after_photo_checks(hazard: Hazard, ordered_at: dt.datetime | None = _UNSET) -> list[AfterPhotoCheck]:
    """Each after-photo of the hazard with its flags: taken_before_order, same_as_found, other_hazard.

    ``ordered_at``: when the first 整改通知书 was issued, if the caller already holds the documents (the
    hazard page does); read here otherwise. One statement for the photos.
    """
    rows = db.session.execute(_photo_links_query(), {"hazard_id": hazard.id}).all()
    found = {row.photo_id for row in rows if row.role in (LinkRole.FINDING.value, LinkRole.BEFORE.value)}
    after = [row.photo_id for row in rows if row.role == LinkRole.AFTER.value]
    # The photos of the rectification reported now (not a verifier's own 复查照片, nor an earlier round's).
    reported = (hazard.rectification or {}).get("photo_ids")
    if reported:
        after = [photo_id for photo_id in after if photo_id in reported]
    if not after:
        return []
    # The camera's own time where the file has one; else when the phone recorded taking it.
    taken_at = {row.photo_id: row.exif_taken_at or row.recorded_at for row in rows}
    elsewhere: dict[str, set[str]] = {}
    for row in rows:
        if row.number is not None:
            elsewhere.setdefault(row.photo_id, set()).add(row.number)
    if ordered_at is _UNSET:
        ordered_at = db.session.scalar(select(RectificationOrder.issued_at).where(
            RectificationOrder.hazard_id == hazard.id, RectificationOrder.kind == "order")
            .order_by(RectificationOrder.issued_at))

    checks: list[AfterPhotoCheck] = []
    for photo_id in dict.fromkeys(after):
        taken = taken_at.get(photo_id)
        flags: list[dict[str, str]] = []
        if taken is not None and ordered_at is not None and taken < ordered_at:
            flags.append({"code": "taken_before_order",
                          "message": "这张整改后照片的拍摄时间早于整改通知书下达的时间。"})
        if photo_id in found:
            flags.append({"code": "same_as_found", "message": "这张整改后照片与发现隐患时的照片完全相同。"})
        if photo_id in elsewhere:
            others = "、".join(sorted(elsewhere[photo_id]))
            flags.append({"code": "other_hazard", "message": f"这张整改后照片也是隐患 {others} 的证据照片。"})
        checks.append(AfterPhotoCheck(photo_id, taken, flags))
    return checks


VISIT_KINDS = ("verify_pass", "verify_fail")


def far_message(distance_m: float) -> str:
    """The far-from-site flag as the verifier reads it."""
    shown = f"{distance_m / 1000:.1f} 公里" if distance_m >= 1000 else f"{round(distance_m)} 米"
    return f"复查时所在位置距场所约 {shown}，超出现场范围，可能不在现场。"


def visit_record(hazard: Hazard, position: dict[str, Any] | None) -> dict[str, Any]:
    """What a 复查 event stores: the phone's position, the distance to the site and its flag, and the
    after-photo flags the verifier was shown (codes per photo)."""
    lat, lng = (position["lat"], position["lng"]) if position else (None, None)
    visit = visit_presence(hazard, lat, lng, position.get("accuracy_m") if position else None)
    return {
        "position": ({"lat": lat, "lng": lng, "accuracy_m": position.get("accuracy_m")} if position else None),
        "distance_m": visit.distance_m, "far_from_site": visit.far_from_site,
        "after_photo_flags": {c.photo_id: [f["code"] for f in c.flags] for c in after_photo_checks(hazard)
                              if c.flags},
    }


def may_have_after_photos(timeline: list[Any]) -> bool:
    """Whether an after-photo (整改后照片) can be linked to the hazard whose ``timeline`` this is: only when a
    step other than the finding recorded photos. Before a rectification is reported the page needs no
    statement for after-photo flags.

    Every step other than the finding (``FINDING_KINDS``) that links photos to a hazard is a transition, which
    records the photos it links in its event's photo_hashes (hazards.services.transition), so a timeline is
    also the list of steps that may have linked after-photos.
    """
    return any(event.photo_hashes for event in timeline if event.kind not in FINDING_KINDS)


def page_presence(hazard: Hazard, timeline: list[Any], ordered_at: dt.datetime | None) -> dict[str, Any]:
    """The hazard page's 复查 block: the site's point and the allowance (the phone shows its own distance
    before 销号), each after-photo's flags, and the last 复查 visit as recorded (distance, flag sentence)."""
    site = hazard.site
    visits = [e for e in timeline if e.kind in VISIT_KINDS and "distance_m" in (e.payload or {})]
    last = visits[-1] if visits else None
    last_visit = None
    if last is not None:
        distance, far = last.payload.get("distance_m"), bool(last.payload.get("far_from_site"))
        last_visit = {"kind": last.kind, "occurred_at": last.occurred_at, "distance_m": distance,
                      "far_from_site": far, "located": last.payload.get("position") is not None,
                      "message": far_message(distance) if far and distance is not None else None}
    return {
        "site_lat": site.lat if site is not None else None, "site_lng": site.lng if site is not None else None,
        "max_distance_m": float(current_app.config["PRESENCE_MAX_DISTANCE_M"]),
        "after_photos": [{"photo_id": c.photo_id, "taken_at": c.taken_at, "flags": c.flags}
                         for c in (after_photo_checks(hazard, ordered_at) if may_have_after_photos(timeline)
                                   else [])],
        "last_visit": last_visit,
    }
