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


def _client_uuid(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"demo-hazard:{key}"))


def _end_of_local_day(day: dt.date) -> dt.datetime:
    zone = local_zone()
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone).astimezone(dt.UTC)


def _demo_photo(uploader: User) -> str:
    """One small generated JPEG for the rectification evidence of the closed demo hazards."""
    from PIL import Image

    from hazardloop.evidence.services import receive_photo

    image = Image.new("RGB", (320, 240), (70, 140, 90))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    photo, _ = receive_photo(buffer.getvalue(), uploader=uploader)
    return photo.id


def seed_demo_hazards(site_ids: list[int]) -> tuple[int, int]:
    """Create the demo hazards that are missing; returns (created, existing). Only flushes.

    Then runs the deadline sweep (the rungs due for the overdue ones, with their 挂牌督办 and 黑名单
    cases), takes the 黑名单 candidates in and writes today's metrics snapshot.
    """
    from hazardloop.blacklist.services import sync_candidates
    from hazardloop.escalation.services import previous_working_day, sweep_deadlines
    from hazardloop.reports.metrics import snapshot_metrics

    admin = db.session.scalar(select(User).join(RoleGrant).where(RoleGrant.role == Role.ADMIN.value)
                              .order_by(User.id))
    office = db.session.scalar(select(User).where(User.mobile == "13800000002"))
    if admin is None or office is None:
        return 0, 0
    existing = set(db.session.scalars(select(Hazard.client_uuid).where(
        Hazard.client_uuid.in_([_client_uuid(h.key) for h in HAZARDS]))))
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
            transition(hazard, "list_supervision", actor=office, payload={"authority": "区安全生产委员会办公室"})
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
    if created:
        sweep_deadlines()
        sync_candidates()
        snapshot_metrics()
    return created, len(existing)


def _department_for(site: Site) -> Department | None:
    """The department supervising the site's first domain (the demo's 责任部门)."""
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    return next((d for d in departments if site.domains and site.domains[0] in d.domains), None)

