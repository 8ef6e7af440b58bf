"""A small district with hazards in every state the console counts, built through the workflow (``world``)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from tests.support.deadlines import SHANGHAI


def next_monday(now: dt.datetime) -> dt.datetime:
    """Local midnight starting next week, as UTC."""
    today = now.astimezone(SHANGHAI).date()
    return dt.datetime.combine(today + dt.timedelta(days=7 - today.weekday()), dt.time(),
                               tzinfo=SHANGHAI).astimezone(dt.UTC)


def build_world(district: Any, make_site: Any, make_user: Any, make_photo: Any) -> SimpleNamespace:
    """Seven hazards in a district, with what the console must show for them written in the names.

    H1  shop_a1  general fire   assigned (消防)  overdue 10 days
    H2  shop_a1  major   fire   assigned (消防)  due before next Monday, 挂牌督办, 治理方案 submitted
    H3  shop_b1  general fire   rectifying (消防), deadline next year, extension requested
    H4  shop_a2  general fire   closed on site (no deadline: on time)
    H5  shop_a1  general fire   found
    H6  works_a1 general construction assigned (住建) overdue 2 days
    H7  shop_b1  general fire   closed after its deadline (late)
    """
    from hazardloop.database import utcnow
    from hazardloop.extensions import db
    from hazardloop.hazards.services import create_hazard, transition
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    d = district
    shop_a1 = make_site(d.grid_a1, lat=30.35, lng=120.15, contact_name="张三丰", contact_mobile="13912345678")
    shop_a2 = make_site(d.grid_a2, lat=30.36, lng=120.16)
    shop_b1 = make_site(d.grid_b1, lat=30.37, lng=120.17)
    works_a1 = make_site(d.grid_a1, category="construction_site", domains=["construction"], lat=30.34, lng=120.14)
    park_site = make_site(d.grid_p1, risk_level="orange", lat=30.38, lng=120.18)
    people = SimpleNamespace(
        admin=make_user("admin"),
        office=make_user("supervisor", region=d.district),
        street_a=make_user("supervisor", region=d.street_a),
        street_b=make_user("supervisor", region=d.street_b),
        fire=make_user("inspector", region=d.district, department=d.fire_dept),
        worker_a1=make_user("grid_worker", region=d.grid_a1),
        owner_a1=make_user("enterprise_user", site=shop_a1),
        owner_b1=make_user("enterprise_user", site=shop_b1),
    )
    admin, now = people.admin, utcnow()

    def found(site: Any, *, level: str = "general", domain: str = "fire") -> Any:
        return create_hazard(site=site, source=HazardSource.GRID_PATROL, description=f"{site.name}：疏散通道堵塞",
                             level=HazardLevel(level), domain=domain, actor=people.worker_a1,
                             actor_role=Role.GRID_WORKER, found_at=now)

    def assigned(site: Any, department: Any, deadline: dt.datetime, **kw: Any) -> Any:
        hazard = found(site, **kw)
        transition(hazard, "assign", actor=admin, payload={"department_id": department.id})
        hazard.deadline_at = deadline
        return hazard

    h1 = assigned(shop_a1, d.fire_dept, now - dt.timedelta(days=10))
    h2 = assigned(shop_a1, d.fire_dept, now + (next_monday(now) - now) / 2, level="major")
    transition(h2, "list_supervision", actor=people.office, payload={
        "authority": "区安委办", "deadline": "2099-06-30", "requirements": "限期完成治理"})
    transition(h2, "submit_governance_plan", actor=admin, payload={"plan": {
        k: "已落实" for k in ("goals", "methods", "funding", "organization", "schedule", "safety_measures")}})
    h3 = assigned(shop_b1, d.fire_dept, now + dt.timedelta(days=400))
    transition(h3, "acknowledge", actor=admin)
    transition(h3, "request_extension", actor=admin,
               payload={"reason": "需采购设备", "requested_deadline": "2099-01-31"})
    h4 = found(shop_a2)
    before, after = make_photo(admin), make_photo(admin)
    transition(h4, "close_on_site", actor=admin, payload={"before_photo_ids": [before.id],
                                                          "after_photo_ids": [after.id]})
    h5 = found(shop_a1)
    h6 = assigned(works_a1, d.construction_dept, now - dt.timedelta(days=2), domain="construction")
    h7 = assigned(shop_b1, d.fire_dept, now + dt.timedelta(days=5))
    transition(h7, "acknowledge", actor=admin)
    transition(h7, "submit_rectification", actor=admin, payload={"measures": "已清理", "photo_ids": [after.id]})
    h7.deadline_at = now - dt.timedelta(hours=1)
    transition(h7, "verify_pass", actor=admin)
    db.session.commit()
    return SimpleNamespace(d=d, people=people, shop_a1=shop_a1, shop_a2=shop_a2, shop_b1=shop_b1, works_a1=works_a1,
                           park_site=park_site, h1=h1, h2=h2, h3=h3, h4=h4, h5=h5, h6=h6, h7=h7)
