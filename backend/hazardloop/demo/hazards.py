"""The demo district's hazards: enough of the closed loop for the supervisor console to show something live.

Overdue hazards at each rung of the escalation ladder, one due this week, an extension request
waiting for approval, a 挂牌督办 重大 hazard with its 治理方案, closed ones (on time and late) for the
rates, and a 黑名单 candidate — all made through the workflow (``transition``), the deadline sweep and
the blacklist's own intake, exactly as the app would have made them. Each demo hazard has a fixed
client UUID: a hazard that exists is left as it is, so seeding again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from hazardloop.accounts.models import RoleGrant, User
from hazardloop.database import local_zone, utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.services import create_hazard, transition
from hazardloop.hazards.states import GOVERNANCE_PLAN_PARTS, HazardLevel, HazardSource
from hazardloop.regions.models import Department
from hazardloop.sites.models import Site
from hazardloop.taxonomy import Role

_NAMESPACE = uuid.UUID("6f1c2d9e-1b53-4d1e-9a55-2f1d5e0c8a11")


@dataclass(frozen=True)
class DemoHazard:
    key: str
    site: int  # index into the plan's sites
    description: str
    level: HazardLevel = HazardLevel.GENERAL
    # What happens to it: "found", "overdue:<working days>", "due_soon", "extension", "supervised",
    # "closed_on_time", "closed_late".
    story: str = "found"


HAZARDS = (
    DemoHazard("overdue-1", 3, "疏散通道堆放杂物，安全出口被货架遮挡", story="overdue:1"),
    DemoHazard("overdue-5", 17, "厨房燃气管道使用橡胶软管且长度超过2米", story="overdue:5"),
    DemoHazard("overdue-12", 42, "电动自行车在楼道内停放充电", story="overdue:12"),
    DemoHazard("overdue-2", 58, "灭火器压力不足，未定期检查", story="overdue:2"),
    DemoHazard("due-soon", 76, "配电箱前堆放可燃物", story="due_soon"),
    DemoHazard("extension", 95, "喷淋系统末端试水装置损坏", story="extension"),
    DemoHazard("supervised", 120, "液氨制冷车间氨气泄漏报警装置失效", HazardLevel.MAJOR, story="supervised"),
    DemoHazard("closed-on-time", 140, "应急照明灯不亮", story="closed_on_time"),
    DemoHazard("closed-late", 160, "消防控制室值班人员无证上岗", story="closed_late"),
    DemoHazard("found", 180, "员工宿舍私拉电线", story="found"),
)


# The printed 企业用户's own site (杭州嘉诚纺织有限公司): a hazard in every state of the loop, so each printed
# login finds its part of one story — the printed 网格员 patrols it and does its 复查, the enterprise rectifies,
# the 区安委办 decides its extension. ``site`` is unused here: they are placed at the enterprise's site.
ENTERPRISE_HAZARDS = (
    DemoHazard("ent-found", -1, "仓库通道堆放坯布，通道宽度不足1米", story="found"),
    DemoHazard("ent-assigned", -1, "车间配电箱箱门缺失，线头裸露", story="assigned"),
    DemoHazard("ent-rectifying", -1, "染整车间灭火器过期未更换", story="rectifying"),
    DemoHazard("ent-extension", -1, "烘干机排风管道积尘未清理", story="extension_approved"),
    DemoHazard("ent-awaiting", -1, "员工更衣室插线板串接使用", story="awaiting"),
    DemoHazard("ent-closed", -1, "成品仓库应急照明灯损坏", story="closed_on_time"),
)
# Found over the past three months and closed through the workflow: the trend charts' history.
HISTORY_DAYS = (92, 84, 76, 68, 60, 52, 44, 36, 29, 22, 15, 8)


def _client_uuid(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"demo-hazard:{key}"))


def _end_of_local_day(day: dt.date) -> dt.datetime:
    zone = local_zone()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone).astimezone(dt.UTC)


def _demo_photo(uploader: User, colour: tuple[int, int, int] = (70, 140, 90)) -> str:
    """One small generated JPEG for the rectification evidence of the closed demo hazards."""
    from PIL import Image

    from hazardloop.evidence.services import receive_photo

    image = Image.new("RGB", (320, 240), colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    photo, _ = receive_photo(buffer.getvalue(), uploader=uploader)
    return photo.id


def seed_demo_hazards(site_ids: list[int], enterprise_site: int | None = None,
                      enterprise_mobile: str = "13800002001") -> tuple[int, int]:
    """Create the demo hazards that are missing; returns (created, existing). Only flushes.

    ``enterprise_site`` (an index into site_ids) gets ENTERPRISE_HAZARDS, stepped by its 企业用户.
    Then runs the deadline sweep (the rungs due for the overdue ones, with their 挂牌督办 and 黑名单
    cases), takes the 黑名单 candidates in, writes today's metrics snapshot and back-fills the
    snapshots of the 90 days before (from the hazards' own dates).
    """
    from hazardloop.blacklist.services import sync_candidates
    from hazardloop.console.snapshots import snapshot_metrics
    from hazardloop.escalation.services import previous_working_day, sweep_deadlines

    admin = db.session.scalar(select(User).join(RoleGrant).where(RoleGrant.role == Role.ADMIN.value)
                              .order_by(User.id))
    office = db.session.scalar(select(User).where(User.mobile == "13800000002"))
    if admin is None or office is None:
        return 0, 0
    every_key = [_client_uuid(h.key) for h in (*HAZARDS, *ENTERPRISE_HAZARDS)]
    every_key += [_client_uuid(f"history-{days}") for days in HISTORY_DAYS]
    existing = set(db.session.scalars(select(Hazard.client_uuid).where(Hazard.client_uuid.in_(every_key))))
    created = 0
    photo_id: str | None = None
    today = utcnow().astimezone(local_zone()).date()
    for plan in HAZARDS:
        if _client_uuid(plan.key) in existing or plan.site >= len(site_ids):
            continue
        site = db.session.get(Site, site_ids[plan.site])
        assert site is not None
        finder = db.session.scalar(select(User).join(RoleGrant).where(
            RoleGrant.role == Role.GRID_WORKER.value, RoleGrant.region_id == site.grid_id).order_by(User.id)) or admin
        department = _department_for(site)
        hazard = create_hazard(site=site, source=HazardSource.GRID_PATROL, description=plan.description,
                               level=plan.level, domain=site.domains[0], actor=finder,
                               actor_role=Role.GRID_WORKER if finder is not admin else Role.ADMIN,
                               found_at=utcnow() - dt.timedelta(days=20), client_uuid=_client_uuid(plan.key))
        created += 1
        if plan.story == "found":
            continue
        transition(hazard, "assign", actor=admin,
                   payload={"department_id": department.id} if department else {})
        story, _, days = plan.story.partition(":")
        if story == "overdue":
            hazard.deadline_at = _end_of_local_day(previous_working_day(today, int(days)))
        elif story == "due_soon":
            hazard.deadline_at = _end_of_local_day(today + dt.timedelta(days=2))
        elif story == "extension":
            transition(hazard, "acknowledge", actor=admin)
            transition(hazard, "request_extension", actor=admin, payload={
                "reason": "需更换整套末端试水装置，配件到货需三周",
                "requested_deadline": (today + dt.timedelta(days=30)).isoformat()})
        elif story == "supervised":
            transition(hazard, "list_supervision", actor=office, payload={
                "authority": "区安全生产委员会办公室", "deadline": (today + dt.timedelta(days=30)).isoformat(),
                "requirements": "30日内完成治理，每周报告进度"})
            transition(hazard, "submit_governance_plan", actor=admin, payload={"plan": {
                key: f"{label}：已明确（演示数据）" for key, label in GOVERNANCE_PLAN_PARTS.items()}})
        elif story.startswith("closed"):
            photo_id = photo_id or _demo_photo(admin)
            transition(hazard, "acknowledge", actor=admin)
            transition(hazard, "submit_rectification", actor=admin,
                       payload={"measures": "已整改并拍照留证", "photo_ids": [photo_id]})
            if story == "closed_late":
                hazard.deadline_at = utcnow() - dt.timedelta(days=1)
            transition(hazard, "verify_pass", actor=office, payload={"note": "复查合格"})
    db.session.flush()
    owner = db.session.scalar(select(User).where(User.mobile == enterprise_mobile))
    if enterprise_site is not None and enterprise_site < len(site_ids) and owner is not None:
        created += _seed_enterprise_story(db.session.get(Site, site_ids[enterprise_site]), owner, admin, office)
        created += _seed_history(site_ids, admin, office)
    db.session.flush()
    if created:
        sweep_deadlines()
        sync_candidates()
        snapshot_metrics()
        backfill_snapshots(90)
    return created, len(existing)


def _finder(site: Site, admin: User) -> User:
    return db.session.scalar(select(User).join(RoleGrant).where(
        RoleGrant.role == Role.GRID_WORKER.value, RoleGrant.region_id == site.grid_id).order_by(User.id)) or admin


def _seed_enterprise_story(site: Site | None, owner: User, admin: User, office: User) -> int:
    """The printed enterprise's hazards, one per state; the enterprise acknowledges, rectifies and asks itself."""
    if site is None:
        return 0
    keys = [_client_uuid(h.key) for h in ENTERPRISE_HAZARDS]
    present = set(db.session.scalars(select(Hazard.client_uuid).where(Hazard.client_uuid.in_(keys))))
    today = utcnow().astimezone(local_zone()).date()
    department = _department_for(site)
    finder = _finder(site, admin)
    photo: str | None = None
    created = 0
    for days, plan in enumerate(ENTERPRISE_HAZARDS, start=3):
        if _client_uuid(plan.key) in present:
            continue
        hazard = create_hazard(site=site, source=HazardSource.GRID_PATROL, description=plan.description,
                               level=plan.level, domain=site.domains[0], actor=finder,
                               actor_role=Role.GRID_WORKER if finder is not admin else Role.ADMIN,
                               found_at=utcnow() - dt.timedelta(days=days), client_uuid=_client_uuid(plan.key))
        created += 1
        if plan.story == "found":
            continue
        transition(hazard, "assign", actor=admin, payload={"department_id": department.id} if department else {})
        if plan.story == "assigned":
            continue
        transition(hazard, "acknowledge", actor=owner)
        if plan.story == "extension_approved":
            transition(hazard, "request_extension", actor=owner, payload={
                "reason": "需停产清理整条排风管道，安排在月底检修日进行",
                "requested_deadline": (today + dt.timedelta(days=21)).isoformat()})
            transition(hazard, "approve_extension", actor=office, payload={"note": "同意延期，检修日须完成清理"})
        if plan.story in ("awaiting", "closed_on_time"):
            # One picture reported for both on purpose: the 复查 page flags the awaiting one's after-photo as
            # evidence of another hazard (hazards.presence), the doubt a verifier must see before 销号.
            photo = photo or _demo_photo(owner, (200, 120, 40))
            measures = "已拆除串接插线板，按需加装固定插座" if plan.story == "awaiting" else "已更换应急照明灯并试亮"
            transition(hazard, "submit_rectification", actor=owner, payload={
                "measures": measures, "photo_ids": [photo], "responsible_person": owner.display_name})
        if plan.story == "closed_on_time":
            transition(hazard, "verify_pass", actor=office, payload={"note": "复查合格"})
    return created


def _seed_history(site_ids: list[int], admin: User, office: User) -> int:
    """Twelve hazards found over the past three months across the district, rectified and closed."""
    keys = {_client_uuid(f"history-{days}"): days for days in HISTORY_DAYS}
    present = set(db.session.scalars(select(Hazard.client_uuid).where(Hazard.client_uuid.in_(list(keys)))))
    photo: str | None = None
    created = 0
    for number, days in enumerate(HISTORY_DAYS):
        key = _client_uuid(f"history-{days}")
        if key in present:
            continue
        site = db.session.get(Site, site_ids[(number * 23 + 5) % len(site_ids)])
        assert site is not None
        department = _department_for(site)
        finder = _finder(site, admin)
        hazard = create_hazard(site=site, source=HazardSource.GRID_PATROL,
                               description=("灭火器压力不足", "疏散指示标志损坏", "电动自行车室内充电",
                                            "燃气报警器未通电")[number % 4],
                               level=HazardLevel.GENERAL, domain=site.domains[0], actor=finder,
                               actor_role=Role.GRID_WORKER if finder is not admin else Role.ADMIN,
                               found_at=utcnow() - dt.timedelta(days=days), client_uuid=key)
        created += 1
        photo = photo or _demo_photo(admin)
        transition(hazard, "assign", actor=admin, payload={"department_id": department.id} if department else {})
        transition(hazard, "acknowledge", actor=admin)
        transition(hazard, "submit_rectification", actor=admin,
                   payload={"measures": "已整改并拍照留证", "photo_ids": [photo]})
        transition(hazard, "verify_pass", actor=office, payload={"note": "复查合格"})
    return created


def backfill_snapshots(days: int) -> int:
    """The daily snapshots of the ``days`` days before today that are missing, from the hazards' own dates.

    A snapshot of day D holds the counts at D's local midnight: a hazard counts once found before then,
    as closed once closed before then, as overdue when its deadline had passed unclosed. Days that have a
    snapshot are left alone. Returns the rows written.
    """
    from hazardloop.console.models import MetricsSnapshot

    zone = local_zone()
    today = utcnow().astimezone(zone).date()
    taken = set(db.session.scalars(select(MetricsSnapshot.day).where(
        MetricsSnapshot.day >= today - dt.timedelta(days=days)).distinct()))
    hazards = db.session.execute(select(Site.grid_id, Hazard.department_id, Hazard.status, Hazard.level,
                                        Hazard.found_at, Hazard.closed_at, Hazard.deadline_at)
                                 .join(Site, Site.id == Hazard.site_id)).all()
    written = 0
    for back in range(days, 0, -1):
        day = today - dt.timedelta(days=back)
        if day in taken:
            continue
        at = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        buckets: dict[tuple[int, int | None], dict[str, int]] = {}
        for grid_id, department_id, status, level, found_at, closed_at, deadline_at in hazards:
            if found_at >= at:
                continue
            closed = closed_at is not None and closed_at < at
            bucket = buckets.setdefault((grid_id, department_id), {"open": 0, "overdue": 0})
            state = "closed" if closed else (status if status != "closed" else "rectifying")
            bucket[f"status.{state}"] = bucket.get(f"status.{state}", 0) + 1
            bucket[f"level.{level}"] = bucket.get(f"level.{level}", 0) + 1
            bucket["open"] += 0 if closed else 1
            bucket["overdue"] += 1 if not closed and deadline_at is not None and deadline_at < at else 0
        db.session.add_all(MetricsSnapshot(day=day, region_id=grid_id, department_id=department_id,
                                           counts=bucket, open_count=bucket["open"])
                           for (grid_id, department_id), bucket in buckets.items())
        written += len(buckets)
    db.session.flush()
    return written


def _department_for(site: Site) -> Department | None:
    """The department supervising the site's first domain (the demo's 责任部门)."""
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    return next((d for d in departments if site.domains and site.domains[0] in d.domains), None)

