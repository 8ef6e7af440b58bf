"""现场新增场所: a 网格员 registers a site found on patrol (provisional until 审核), and nearby duplicates."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.errors import Conflict, RuleViolation, ValidationFailed
from hazardloop.evidence.models import LinkRole, SubjectType
from hazardloop.evidence.services import get_photo, link_photo
from hazardloop.extensions import db
from hazardloop.geo import distance_m
from hazardloop.policy import Action
from hazardloop.sites import services
from hazardloop.sites.audit import record_site_event
from hazardloop.sites.models import Site
from hazardloop.taxonomy import CATEGORY_DOMAINS

# Within this distance a registered site is suggested as the same place whatever its name.
NEAR_M = 80.0
# Names at least this similar (after removing common words) are suggested within the wider radius.
SIMILAR_NAME_RATIO = 0.6
WIDE_M = 1500.0
MAX_SUGGESTIONS = 8
_NOISE = re.compile(r"[\s()（）·\-—_.,，。]|有限公司|有限责任公司|公司|店铺|分店")


def name_key(name: str) -> str:
    """A name without spaces, brackets and legal-form words, for comparing shop names."""
    return _NOISE.sub("", name or "").lower()


def name_similarity(a: str, b: str) -> float:
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return 0.0
    if ka in kb or kb in ka:
        return 1.0
    return difflib.SequenceMatcher(None, ka, kb).ratio()


@dataclass(frozen=True)
class Suggestion:
    site: Site
    distance_m: float | None
    same_name: bool
    reason: str


def _reason(distance: float | None, similar: bool) -> str:
    parts = []
    if similar:
        parts.append("名称相同或相近")
    if distance is not None:
        parts.append(f"相距约 {round(distance)} 米")
    return "，".join(parts)


def possible_duplicates(user: User, *, name: str, lat: float | None, lng: float | None,
                        exclude_id: int | None = None) -> list[Suggestion]:
    """Registered sites I can see that may be the one being registered: near it, or with a similar name nearby."""
    query = select(Site).where(policy.visible(user, Site), Site.active.is_(True), Site.merged_into_id.is_(None))
    if exclude_id is not None:
        query = query.where(Site.id != exclude_id)
    key = name_key(name)
    if lat is not None and lng is not None:
        box = WIDE_M / 111_000
        near = (Site.lat.between(lat - box, lat + box)) & (Site.lng.between(lng - box * 1.3, lng + box * 1.3))
        named = Site.name.contains(key[:4]) if len(key) >= 2 else None
        query = query.where(or_(near, named) if named is not None else near)
    elif len(key) >= 2:
        query = query.where(Site.name.contains(key[:4]))
    else:
        return []
    found: list[Suggestion] = []
    for site in db.session.scalars(query.limit(500)):
        distance = (distance_m(lat, lng, site.lat, site.lng)
                    if None not in (lat, lng, site.lat, site.lng) else None)
        similar = name_similarity(name, site.name) >= SIMILAR_NAME_RATIO
        close = distance is not None and distance <= NEAR_M
        if close or (similar and (distance is None or distance <= WIDE_M)):
            found.append(Suggestion(site, distance, similar, _reason(distance if close or similar else None,
                                                                      similar)))
    found.sort(key=lambda s: (not s.same_name, s.distance_m if s.distance_m is not None else 1e9))
    return found[:MAX_SUGGESTIONS]


def _same_registration(site: Site, data: dict[str, Any], user: User) -> bool:
    return (site.registered_by_id == user.id and site.name == data["name"] and site.grid_id == data["grid_id"]
            and site.category == data["category"])


def register_from_field(data: dict[str, Any], *, actor: User) -> tuple[Site, bool]:
    """Create a provisional site, keyed by the phone's client UUID; returns (site, created).

    Sending the same UUID again answers the site already created (the outbox retries); a different
    registration under a used UUID is a conflict. The photos become the site's 现场照片.
    """
    data = dict(data)
    client_uuid = str(data.pop("client_uuid"))
    photo_ids = list(dict.fromkeys(data.pop("photo_ids", []) or []))
    existing = db.session.scalar(select(Site).where(Site.client_uuid == client_uuid))
    if existing is not None:
        if not _same_registration(existing, data, actor):
            raise Conflict("该新增场所记录已用不同内容提交过。", code="client_uuid_reused")
        return existing, False
    policy.authorize_photo_citation(actor, {"photo_ids": photo_ids})
    if not data.get("domains"):
        data["domains"] = sorted(CATEGORY_DOMAINS.get(data["category"], ()))
    if not data.get("address"):
        raise ValidationFailed.field("address", "请填写场所地址。")
    site = services.create_site(data, actor=actor)
    site.provisional = True
    site.client_uuid = client_uuid
    site.registered_by_id = actor.id
    for photo_id in photo_ids:
        link_photo(get_photo(photo_id), subject_type=SubjectType.SITE.value, subject_id=site.id,
                   role=LinkRole.OVERVIEW.value, actor=actor)
    record_site_event("site_registered_in_field", site, actor, Action.SITE_CREATE, site.grid,
                      note=f"现场新增场所：{site.name}",
                      payload={"client_uuid": client_uuid, "photo_ids": photo_ids,
                               "lat": site.lat, "lng": site.lng})
    db.session.flush()
    return site, True


def approve(site: Site, *, actor: User) -> Site:
    """新增场所审核 — 通过: the provisional site becomes a permanent one."""
    if not site.provisional:
        raise RuleViolation("该场所不是待审核的现场新增场所。", code="not_provisional")
    site.provisional = False
    record_site_event("site_registration_approved", site, actor, Action.SITE_REVIEW, site,
                      note=f"现场新增场所审核通过：{site.name}")
    db.session.flush()
    return site


def pending_query(user: User) -> Any:
    """The field-registered sites awaiting 审核 that ``user`` may review, oldest first."""
    return (select(Site).where(policy.visible(user, Site, Action.SITE_REVIEW), Site.provisional.is_(True),
                               Site.merged_into_id.is_(None)).order_by(Site.created_at, Site.id))
