"""Factories that bring 隐患 (hazards) into any workflow state through the real services, never by setting columns.

``make_hazard(state=…, level=…, source=…, site=…, overdue=…, extension=…, plan=…, supervised=…)`` finds a
hazard with ``hazards.services.create_hazard`` and then fires the workflow's own transitions, each by the
role that takes that step, so the hazard carries the same events, documents and deadlines as in real use.
The one thing the services cannot do is let time pass: ``overdue=True`` (or ``deadline=``) moves the running
deadline after 交办, as the clock would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hazardloop.database import utcnow
from hazardloop.hazards.states import HazardLevel, HazardSource, HazardStatus
from hazardloop.taxonomy import Role

GOVERNANCE_PLAN = {"goals": "消除隐患", "methods": "更换设备", "funding": "5万元", "organization": "安全科 张三",
                   "schedule": "30日内", "safety_measures": "设置警戒区"}

# The steps from 发现 to each state, in order.
PATH = {
    HazardStatus.FOUND: [],
    HazardStatus.EXPOSED: ["expose"],
    HazardStatus.ASSIGNED: ["assign"],
    HazardStatus.RECTIFYING: ["assign", "acknowledge"],
    HazardStatus.AWAITING_VERIFICATION: ["assign", "acknowledge", "submit_rectification"],
    HazardStatus.CLOSED: ["assign", "acknowledge", "submit_rectification", "verify_pass"],
}


@dataclass(frozen=True)
class Cast:
    """The people around one site, each able to take their own steps of the loop."""

    site: Any
    worker: Any  # 网格员 of the site's grid
    owner: Any  # the site's enterprise user
    inspector: Any  # 执法 of the fire department in the street
    supervisor: Any  # 街道监管


class HazardFactory:
    """``make_hazard(...)``: a committed hazard in the asked state, reached by firing the real transitions."""

    def __init__(self, district: Any, make_site: Any, make_user: Any, make_photo: Any) -> None:
        self.district, self._make_site, self._make_user, self._make_photo = district, make_site, make_user, make_photo
        self._casts: dict[int, Cast] = {}
        self._default_site: Any = None

    def cast(self, site: Any = None) -> Cast:
        """The people around ``site`` (default: one shop in grid A1), created once per site."""
        d = self.district
        if site is None:
            if self._default_site is None:
                self._default_site = self._make_site(d.grid_a1, domains=["fire", "nine_small"])
            site = self._default_site
        if site.id not in self._casts:
            self._casts[site.id] = Cast(
                site=site,
                worker=self._make_user("grid_worker", region=d.grid_a1),
                owner=self._make_user("enterprise_user", site=site),
                inspector=self._make_user("inspector", region=d.street_a, department=d.fire_dept),
                supervisor=self._make_user("supervisor", region=d.street_a),
            )
        return self._casts[site.id]

    def __call__(self, state: HazardStatus | str = HazardStatus.FOUND, *, level: HazardLevel | str = "general",
                 source: HazardSource | str = "grid_patrol", site: Any = None, description: str = "疏散通道堵塞",
                 domain: str = "fire", overdue: bool = False, deadline: dt.datetime | None = None,
                 extension: str | None = None, plan: str | None = None, supervised: bool = False,
                 found_at: dt.datetime | None = None) -> Any:
        """A hazard in ``state``.

        ``extension``: "requested" or "approved" (while the deadline runs); ``plan`` (重大 only):
        "submitted", "approved" or "returned" — a 重大 hazard past 整改中 always has an approved plan;
        ``supervised``: 挂牌督办 (重大 only); ``overdue``/``deadline``: the running deadline has passed / is this.
        """
        from hazardloop.extensions import db
        from hazardloop.hazards.services import create_hazard

        state, level, source = HazardStatus(state), HazardLevel(level), HazardSource(source)
        cast = self.cast(site)
        finder, finder_role = {
            HazardSource.SELF_CHECK: (cast.owner, Role.ENTERPRISE_USER),
            HazardSource.COVERT: (cast.inspector, Role.INSPECTOR),
        }.get(source, (cast.worker, Role.GRID_WORKER))
        hazard = create_hazard(site=cast.site, source=source, description=description, level=level, domain=domain,
                               actor=finder, actor_role=finder_role, found_at=found_at or utcnow(),
                               covert=source == HazardSource.COVERT)
        fire = _Firing(hazard, cast, self._make_photo, self.district.fire_dept.id)
        for action in PATH[state]:
            if action == "submit_rectification" and level == HazardLevel.MAJOR:
                fire.plan("approved")
            if action == "submit_rectification" and extension:
                fire.extension(extension)  # asked while the deadline ran
                extension = None
            fire(action)
        if extension:
            fire.extension(extension)
        if plan and state in (HazardStatus.ASSIGNED, HazardStatus.RECTIFYING):
            fire.plan(plan)
        if supervised:
            fire("list_supervision", authority="区安委办", deadline="2099-06-30", requirements="限期完成治理")
        if overdue or deadline is not None:
            assert hazard.deadline_at is not None, "only a hazard with a running deadline can be overdue"
            hazard.deadline_at = (deadline or utcnow() - dt.timedelta(days=1)).astimezone(dt.UTC)
        db.session.commit()
        return hazard


class _Firing:
    """Fires one step on the hazard as the role whose step it is."""

    def __init__(self, hazard: Any, cast: Cast, make_photo: Any, department_id: int) -> None:
        self.hazard, self.cast, self.make_photo, self.department_id = hazard, cast, make_photo, department_id

    def actor(self, action: str) -> Any:
        c = self.cast
        if action in ("acknowledge", "submit_rectification", "submit_governance_plan", "request_extension"):
            return c.owner
        if action == "expose":
            return c.inspector
        return c.supervisor  # 交办, 复查 (a 重大 one too), approvals, 挂牌督办

    def __call__(self, action: str, **payload: Any) -> None:
        from hazardloop.hazards.services import transition

        if action == "assign":
            payload.setdefault("department_id", self.department_id)
        if action == "submit_rectification":
            photo = self.make_photo(self.cast.owner)
            payload = {"measures": "已清理疏散通道", "photo_ids": [photo.id], **payload}
        if action == "verify_pass":
            payload.setdefault("note", "复查合格")
        transition(self.hazard, action, actor=self.actor(action), payload=payload)

    def plan(self, state: str) -> None:
        current = self.hazard.governance_plan_state
        if current in (None, "returned"):
            self("submit_governance_plan", plan=GOVERNANCE_PLAN)
        if state == "approved":
            self("approve_governance_plan", note="方案可行")
        elif state == "returned":
            self("return_governance_plan", note="缺少经费来源")

    def extension(self, state: str) -> None:
        self("request_extension", reason="需采购设备", requested_deadline="2099-12-31")
        if state == "approved":
            self("approve_extension")
        elif state != "requested":
            raise ValueError(f"extension is 'requested' or 'approved', not {state!r}")


class LiveData:
    """The live server's own database, opened with the backend's services to lay out what a browser journey starts
    from — regions, 部门, people, 场所 and 隐患 moved by the real transitions — before its pages change anything.

    ``with LiveData(live_server) as data:`` builds an app on the server's environment; leaving the block commits
    and closes its connections, so the server (another process) sees the rows.
    """

    def __init__(self, live_server: Any) -> None:
        self.live_server = live_server
        self.now = utcnow()

    def __enter__(self) -> LiveData:
        import os
        from unittest import mock

        from hazardloop import create_app

        with mock.patch.dict(os.environ, self.live_server.env):
            app = create_app({"SCHEMA_CHECK": False})
        self._context = app.app_context()
        self._context.push()
        return self

    def __exit__(self, error: type[BaseException] | None, *_: Any) -> None:
        from hazardloop.extensions import db

        if error is None:
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
        self._context.pop()

    def region(self, name: str, level: str, parent: Any = None, **fields: Any) -> Any:
        """A 区/街道/社区/网格 under ``parent`` (``fields``: code, boundary)."""
        from hazardloop.extensions import db
        from hazardloop.regions.services import create_region

        region = create_region(name=name, level=level, parent=parent, **fields)
        db.session.flush()
        return region

    def demo_district(self) -> Any:
        """The seeded demo district (the first district)."""
        from sqlalchemy import select

        from hazardloop.extensions import db
        from hazardloop.regions.models import Region

        district = db.session.scalar(select(Region).where(Region.level == "district").order_by(Region.id))
        assert district is not None, "the live server's database holds no district"
        return district

    def department(self, region: Any, code: str, name: str, domains: list[str]) -> Any:
        from hazardloop.extensions import db
        from hazardloop.regions.services import create_department

        department = create_department(region=region, code=code, name=name, domains=domains)
        db.session.flush()
        return department

    def person(self, mobile: str, name: str, role: Role, *, password: str, region: Any = None, site: Any = None,
               department: Any = None) -> Any:
        """An account with one role in ``region`` (or for ``site``, in ``department``), logging in with ``password``."""
        from hazardloop.accounts.services import GrantSpec, create_user

        grant = GrantSpec(role, region_id=region.id if region else None, site_id=site.id if site else None,
                          department_id=department.id if department else None)
        return create_user(mobile=mobile, display_name=name, password=password, grants=[grant])

    def site(self, name: str, grid: Any, address: str, **fields: Any) -> Any:
        """A 场所 in ``grid`` (a 小餐饮 under 消防 and 九小场所 unless ``fields`` say otherwise)."""
        from hazardloop.extensions import db
        from hazardloop.sites.services import create_site

        site = create_site({"name": name, "address": address, "grid_id": grid.id, "category": "small_restaurant",
                            "domains": ["fire", "nine_small"], **fields}, actor=None)
        db.session.flush()
        return site

    def photo(self, uploader: Any, colour: tuple[int, int, int]) -> Any:
        """A small real JPEG of one colour, uploaded by ``uploader``."""
        import io

        from PIL import Image

        from hazardloop.evidence.services import receive_photo
        from hazardloop.extensions import db

        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(buffer, "JPEG", quality=90)
        photo, _ = receive_photo(buffer.getvalue(), uploader=uploader)
        db.session.flush()
        return photo

    def hazard(self, site: Any, description: str, *, finder: Any, level: str = "general", days_ago: float = 0,
               assign_to: Any = None, deadline_in_days: float | None = None) -> Any:
        """A 隐患 the grid worker ``finder`` found ``days_ago``; with ``assign_to`` also 交办 to that department, its
        deadline then moved to ``deadline_in_days`` from now (negative: overdue), as the clock would."""
        from hazardloop.extensions import db
        from hazardloop.hazards.services import create_hazard

        hazard = create_hazard(site=site, source=HazardSource.GRID_PATROL, description=description,
                               level=HazardLevel(level), domain="fire", actor=finder, actor_role=Role.GRID_WORKER,
                               found_at=self.now - dt.timedelta(days=days_ago))
        if assign_to is not None:
            self.step(hazard, "assign", by=finder, department_id=assign_to.id)
            assert deadline_in_days is not None, "an assigned hazard has a deadline"
            hazard.deadline_at = self.now + dt.timedelta(days=deadline_in_days)
        db.session.commit()
        return hazard

    def step(self, hazard: Any, action: str, *, by: Any, **payload: Any) -> None:
        """One transition of the workflow table, fired by ``by``."""
        from hazardloop.hazards.services import transition

        transition(hazard, action, actor=by, payload=payload)
