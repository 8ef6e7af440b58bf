"""场所管理: edit with a recorded change, 合并重复场所, 歇业/注销, and the 一企一档 basics."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import select, update

from hazardloop.accounts.models import RoleGrant, User
from hazardloop.accounts.services import normalize_mobile
from hazardloop.errors import RuleViolation, ValidationFailed
from hazardloop.evidence.models import PhotoLink, SubjectType
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.inspections.models import Inspection
from hazardloop.policy import Action
from hazardloop.public.models import PublicReport
from hazardloop.sites import services
from hazardloop.sites.audit import record_site_event
from hazardloop.sites.models import Site, SiteLicence, SiteResponsiblePerson


class Closure(enum.StrEnum):
    SUSPENDED = "suspended"  # 歇业
    DEREGISTERED = "deregistered"  # 注销


CLOSURE_LABELS = {Closure.SUSPENDED: "歇业", Closure.DEREGISTERED: "注销"}
_TRACKED = ("name", "address", "grid_id", "lng", "lat", "category", "risk_level", "contact_name",
            "contact_mobile", "notes", "credit_code", "domains", "active")


def _snapshot(site: Site) -> dict[str, Any]:
    return {key: getattr(site, key) for key in _TRACKED}


def update_site(site: Site, data: dict[str, Any], *, actor: User) -> Site:
    """Change a site's details and record what changed (before and after) in the audit chain."""
    before = _snapshot(site)
    services.update_site(site, data, actor=actor)
    after = _snapshot(site)
    changed = {key: [before[key], after[key]] for key in _TRACKED if before[key] != after[key]}
    if changed:
        record_site_event("site_updated", site, actor, Action.SITE_UPDATE, site,
                          note=f"修改场所信息：{site.name}", payload={"changes": changed})
    return site


def merge(source: Site, target: Site, *, actor: User, reason: str | None = None) -> Site:
    """合并重复场所: ``source``'s inspections, hazards, photos, reports and enterprise accounts move to ``target``.

    Each moved hazard gets an event in its own chain; the merge itself one event naming what moved.
    ``source`` stays as an inactive record pointing at ``target`` (its id keeps resolving).
    """
    if source.id == target.id:
        raise ValidationFailed.field("target_id", "不能把场所合并到它自己。", "same_site")
    # A phone's record reads the site it names under a key-share lock (services.site_for_record), which this
    # lock excludes: such a record is written either before the move below (and moved) or after the merge
    # (and lands on the target), never on the retired site.
    db.session.execute(select(Site.id).where(Site.id == source.id).with_for_update())
    db.session.refresh(source)
    if source.merged_into_id is not None:
        raise RuleViolation("该场所已合并到其他场所。", code="already_merged")
    if target.merged_into_id is not None or not target.active:
        raise ValidationFailed.field("target_id", "目标场所已合并或已歇业/注销，请选择在册的场所。", "target_inactive")
    hazards = db.session.scalars(select(Hazard).where(Hazard.site_id == source.id).order_by(Hazard.id)).all()
    inspection_ids = list(db.session.scalars(select(Inspection.id).where(Inspection.site_id == source.id)))
    for hazard in hazards:
        hazard.site_id = target.id
        append_event(kind="hazard_site_merged", actor=actor, actor_role=None, hazard=hazard,
                     from_status=hazard.status, to_status=hazard.status,
                     note=f"所属场所由「{source.name}」合并为「{target.name}」",
                     payload={"from_site_id": source.id, "to_site_id": target.id})
    db.session.execute(update(Inspection).where(Inspection.site_id == source.id).values(site_id=target.id))
    db.session.execute(update(PublicReport).where(PublicReport.site_id == source.id).values(site_id=target.id))
    db.session.execute(update(PhotoLink).where(PhotoLink.subject_type == SubjectType.SITE.value,
                                               PhotoLink.subject_id == source.id).values(subject_id=target.id))
    for grant in db.session.scalars(select(RoleGrant).where(RoleGrant.site_id == source.id)):
        duplicate = db.session.scalar(select(RoleGrant.id).where(
            RoleGrant.user_id == grant.user_id, RoleGrant.role == grant.role, RoleGrant.site_id == target.id))
        if duplicate is None:
            grant.site_id = target.id
        else:
            db.session.delete(grant)
    if not target.credit_code and source.credit_code:
        code, source.credit_code = source.credit_code, None
        db.session.flush()
        target.credit_code = code
    was_provisional = source.provisional
    source.merged_into_id, source.active, source.provisional = target.id, False, False
    record_site_event("site_merged", source, actor, Action.SITE_MERGE, target,
                      note=f"「{source.name}」合并到「{target.name}」" + (f"：{reason}" if reason else ""),
                      payload={"into_site_id": target.id, "hazard_ids": [h.id for h in hazards],
                               "inspection_ids": inspection_ids, "was_provisional": was_provisional,
                               "reason": reason})
    db.session.flush()
    db.session.expire_all()
    return db.session.get(Site, target.id)  # type: ignore[return-value]


def close(site: Site, *, closure: str, closed_on: dt.date, reason: str, actor: User) -> Site:
    """歇业 or 注销 with its date and reason: the site leaves the patrol plan (inactive)."""
    if closure not in {c.value for c in Closure}:
        raise ValidationFailed.field("closure", "请选择歇业或注销。")
    if site.merged_into_id is not None:
        raise RuleViolation("该场所已合并到其他场所。", code="already_merged")
    if site.closure == Closure.DEREGISTERED:
        raise RuleViolation("该场所已注销。", code="already_deregistered")
    if not reason.strip():
        raise ValidationFailed.field("reason", "请填写原因。")
    site.closure, site.closed_on, site.closure_reason, site.active = closure, closed_on, reason.strip(), False
    label = CLOSURE_LABELS[Closure(closure)]
    record_site_event("site_closed", site, actor, Action.SITE_CLOSE, site,
                      note=f"{label}：{reason.strip()}",
                      payload={"closure": closure, "closed_on": closed_on.isoformat()})
    db.session.flush()
    return site


def reopen(site: Site, *, actor: User, reason: str) -> Site:
    """恢复营业 of a site that was 歇业 (a 注销 is final)."""
    if site.closure != Closure.SUSPENDED:
        raise RuleViolation("只有歇业的场所可以恢复营业。", code="not_suspended")
    site.closure, site.closed_on, site.closure_reason, site.active = None, None, None, True
    record_site_event("site_reopened", site, actor, Action.SITE_CLOSE, site, note=f"恢复营业：{reason}")
    db.session.flush()
    return site


def _date(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def update_dossier(site: Site, data: dict[str, Any], *, actor: User) -> Site:
    """一企一档: replace the licences and responsible persons given, set the 重大危险源/危化品 flags."""
    changes: dict[str, Any] = {}
    for flag in ("major_hazard_source", "hazardous_chemicals"):
        if flag in data and bool(data[flag]) != getattr(site, flag):
            changes[flag] = [getattr(site, flag), bool(data[flag])]
            setattr(site, flag, bool(data[flag]))
    if "licences" in data:
        rows = []
        for i, item in enumerate(data["licences"]):
            if item.get("valid_from") and item.get("valid_until") and item["valid_until"] < item["valid_from"]:
                raise ValidationFailed.field(f"licences.{i}.valid_until", "有效期止不能早于有效期起。")
            rows.append(SiteLicence(name=item["name"].strip(), number=item["number"].strip(),
                                    valid_from=item.get("valid_from"), valid_until=item.get("valid_until")))
        changes["licences"] = [{"name": r.name, "number": r.number, "valid_from": _date(r.valid_from),
                                "valid_until": _date(r.valid_until)} for r in rows]
        site.licences = rows
    if "responsible_persons" in data:
        people = []
        for i, item in enumerate(data["responsible_persons"]):
            mobile = item.get("mobile") or None
            if mobile:
                try:
                    mobile = normalize_mobile(mobile)
                except ValidationFailed as exc:
                    raise ValidationFailed.field(f"responsible_persons.{i}.mobile",
                                                 "手机号应为 11 位中国大陆手机号码。") from exc
            people.append(SiteResponsiblePerson(duty=item["duty"].strip(), name=item["name"].strip(), mobile=mobile))
        changes["responsible_persons"] = [{"duty": p.duty, "name": p.name, "mobile": p.mobile} for p in people]
        site.responsible_persons = people
    if changes:
        record_site_event("site_dossier_updated", site, actor, Action.SITE_DOSSIER, site,
                          note=f"更新一企一档：{site.name}", payload={"changes": changes})
    db.session.flush()
    if "major_hazard_source" in changes:  # 重大危险源 makes the site a 重大风险 (config/risk.yaml)
        from hazardloop.risk.levels import recompute_site

        recompute_site(site, actor=actor)
    return site
