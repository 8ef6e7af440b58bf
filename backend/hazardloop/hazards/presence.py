"""复查 presence: how far the verifier stands from the site, and what is doubtful about the after-photos.

Read before 销号: an after-photo taken before the 整改通知书 was issued, one identical to a photo of the
hazard as found, or one that is also evidence of another hazard is flagged, each with a sentence the
verifier reads. Nothing here changes state; the hazard page and the 复查 step show it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from hazardloop.evidence.models import LinkRole, Photo, PhotoLink, SubjectType
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard, RectificationOrder


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


def after_photo_checks(hazard: Hazard) -> list[AfterPhotoCheck]:
    """Each after-photo of the hazard with its flags: taken_before_order, same_as_found, other_hazard."""
    links = db.session.scalars(select(PhotoLink).where(
        PhotoLink.subject_type == SubjectType.HAZARD.value, PhotoLink.subject_id == hazard.id)).all()
    found = {link.photo_id for link in links if link.role in (LinkRole.FINDING.value, LinkRole.BEFORE.value)}
    after = [link.photo_id for link in links if link.role == LinkRole.AFTER.value]
    if not after:
        return []
    photos = {p.id: p for p in db.session.scalars(select(Photo).where(Photo.id.in_(after)))}
    ordered_at = db.session.scalar(select(RectificationOrder.issued_at).where(
        RectificationOrder.hazard_id == hazard.id, RectificationOrder.kind == "order")
        .order_by(RectificationOrder.issued_at))
    elsewhere: dict[str, list[int]] = {}
    for photo_id, subject_id in db.session.execute(select(PhotoLink.photo_id, PhotoLink.subject_id).where(
            PhotoLink.photo_id.in_(after), PhotoLink.subject_type == SubjectType.HAZARD.value,
            PhotoLink.subject_id != hazard.id)):
        elsewhere.setdefault(photo_id, []).append(subject_id)
    numbers = dict(db.session.execute(select(Hazard.id, Hazard.number).where(
        Hazard.id.in_({i for ids in elsewhere.values() for i in ids}))).all()) if elsewhere else {}

    checks: list[AfterPhotoCheck] = []
    for photo_id in dict.fromkeys(after):
        photo = photos.get(photo_id)
        # The camera's own time where the file has one; else when the phone recorded taking it.
        taken = (photo.exif_taken_at or photo.recorded_at) if photo else None
        flags: list[dict[str, str]] = []
        if taken is not None and ordered_at is not None and taken < ordered_at:
            flags.append({"code": "taken_before_order",
                          "message": "这张整改后照片的拍摄时间早于整改通知书下达的时间。"})
        if photo_id in found:
            flags.append({"code": "same_as_found", "message": "这张整改后照片与发现隐患时的照片完全相同。"})
        if photo_id in elsewhere:
            others = "、".join(sorted(numbers.get(i, str(i)) for i in elsewhere[photo_id]))
            flags.append({"code": "other_hazard", "message": f"这张整改后照片也是隐患 {others} 的证据照片。"})
        checks.append(AfterPhotoCheck(photo_id, taken, flags))
    return checks
