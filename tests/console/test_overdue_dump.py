"""The overdue tracker's fast path: rows read as columns and dumped without marshmallow must answer exactly what
OverduePageSchema documents, with the facts the ORM objects and the policy give, for every console role."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest
from flask import current_app
from flask import json as flask_json
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.console import services, tracker
from hazardloop.console.schemas import OverdueItemSchema, OverduePageSchema, dump_overdue_page
from hazardloop.database import local_zone, utcnow
from hazardloop.escalation.ladder import load_ladder
from hazardloop.escalation.models import Escalation
from hazardloop.extensions import db
from hazardloop.hazards import deadlines
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import TRANSITIONS
from hazardloop.policy import Action
from hazardloop.taxonomy import DOMAIN_LABELS

ROLES = ("admin", "office", "street_a", "street_b", "fire", "two_hats")
WINDOWS = ("overdue", "due_soon", "all_open")


def as_json(value: Any) -> Any:
    return json.loads(flask_json.dumps(value))


def expected_row(user: User, hazard: Hazard, now: dt.datetime) -> dict[str, Any]:
    """The tracker's row for ``hazard`` as the ORM objects and the policy state it (the row before dumping)."""
    ladder = [r.rung for r in load_ladder(current_app.config.get("ESCALATION_POLICY")).rungs]
    fired = set(db.session.scalars(select(Escalation.rung).where(Escalation.hazard_id == hazard.id)))
    running = hazard.status in ("assigned", "rectifying")
    overdue = running and hazard.deadline_at is not None and hazard.deadline_at < now
    rung = [r for r in ladder if r in fired][-1:] or [None]
    site, requested = hazard.site, hazard.extension_state == "requested"
    actions = []
    if running and policy.can(user, Action.HAZARD_REMIND, hazard):
        actions.append("remind")
    if overdue and set(ladder) - fired and policy.can(user, Action.HAZARD_ESCALATE, hazard):
        actions.append("escalate")
    if requested and running:
        actions += [a for a in ("approve_extension", "refuse_extension")
                    if policy.can_fire(user, TRANSITIONS[a], hazard)]
    first = hazard.description.strip().splitlines()[0]
    contact = " ".join(x for x in (site.contact_name, site.contact_mobile) if x) or None
    masked = " ".join(x for x in (tracker.mask_name(site.contact_name), tracker.mask_mobile(site.contact_mobile))
                      if x) or None
    return {
        "hazard_id": hazard.id, "number": hazard.number, "title": first if len(first) <= 40 else first[:39] + "…",
        "description": hazard.description, "level": hazard.level, "status": hazard.status, "domain": hazard.domain,
        "domain_label": DOMAIN_LABELS[hazard.domain], "site": {"id": site.id, "name": site.name},
        "enterprise": {"name": site.name, "credit_code": site.credit_code, "contact_masked": masked,
                       "contact": contact if policy.can(user, Action.SITE_CONTACT, site) else None},
        "department": {"id": hazard.department.id, "name": hazard.department.name} if hazard.department else None,
        "grid": {"id": site.grid.id, "name": site.grid.name}, "deadline_at": hazard.deadline_at,
        "days_overdue": deadlines.working_days_overdue(hazard.deadline_at, now, current_app.config["TIMEZONE"])
        if overdue else 0,
        "overdue": overdue, "escalation_rung": tracker.RUNG_NAMES.get(rung[0], rung[0]) if rung[0] else None,
        "extension_requested": requested,
        "extension_requested_deadline": hazard.extension_requested_deadline if requested else None,
        "extension_after_deadline": requested and bool(hazard.extension_after_deadline),
        "supervised": hazard.supervised, "allowed_actions": actions,
    }


@pytest.fixture
def tracked(world: Any, login: Any, make_user: Any, make_site: Any) -> Any:
    """The world's hazards (overdue, due soon and 挂牌督办, an extension asked, found without a department or
    deadline), H1 escalated once through the console's bulk action, a long two-line description, and
    ``two_hats``: street B's supervisor who is also the district's fire inspector."""
    from hazardloop.accounts.services import GrantSpec
    from hazardloop.hazards.services import create_hazard
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    d = world.d
    world.people.two_hats = make_user("supervisor", grants=[
        GrantSpec(Role.SUPERVISOR, d.street_b.id, None, None), GrantSpec(Role.INSPECTOR, d.district.id,
                                                                          d.fire_dept.id, None)])
    create_hazard(site=world.shop_a2, source=HazardSource.GRID_PATROL,
                  description="配电箱周边堆放大量纸箱等可燃物，且配电箱门未关闭、线路老化明显，存在火灾隐患，须立即清理并更换线路\n第二行说明",
                  level=HazardLevel.GENERAL, domain="fire", actor=world.people.worker_a1, actor_role=Role.GRID_WORKER,
                  found_at=utcnow())
    db.session.commit()
    office = login(world.people.office)
    answer = office.post("/api/v1/console/bulk", json={"action": "escalate", "hazard_ids": [world.h1.id]})
    assert answer.status_code == 200 and answer.get_json()["results"][0]["ok"] is True, answer.get_json()
    db.session.expire_all()
    return world


@pytest.mark.parametrize("role", ROLES)
def test_the_tracker_answers_the_schema_dump_of_what_the_objects_say(tracked, login, db, role):
    user = getattr(tracked.people, role)
    client = login(user)
    for window in WINDOWS:
        for sort in tracker.SORTS:
            answer = client.get("/api/v1/console/overdue", query_string={"window": window, "sort": sort})
            assert answer.status_code == 200, answer.get_json()
            body = answer.get_json()
            db.session.expire_all()
            reader = db.session.get(User, user.id)
            now = utcnow()
            rows = [expected_row(reader, db.session.get(Hazard, item["hazard_id"]), now) for item in body["items"]]
            assert body["items"] == as_json(OverdueItemSchema(many=True).dump(rows)), (role, window, sort)
            assert body["total"] == len(rows) and body["next_cursor"] is None


def test_the_rows_cover_every_variety(tracked, login):
    items = login(tracked.people.office).get("/api/v1/console/overdue?window=all_open").get_json()["items"]
    by_id = {i["hazard_id"]: i for i in items}
    assert by_id[tracked.h1.id]["escalation_rung"] is not None and by_id[tracked.h1.id]["days_overdue"] > 0
    assert by_id[tracked.h2.id]["supervised"] is True and by_id[tracked.h2.id]["level"] == "major"
    assert by_id[tracked.h3.id]["extension_requested"] is True
    assert by_id[tracked.h3.id]["extension_requested_deadline"] is not None
    assert "approve_extension" in by_id[tracked.h3.id]["allowed_actions"]
    assert by_id[tracked.h5.id]["department"] is None and by_id[tracked.h5.id]["deadline_at"] is None
    assert by_id[tracked.h1.id]["enterprise"]["contact"] == "张三丰 13912345678"
    assert by_id[tracked.h3.id]["enterprise"]["contact"] is None  # shop B1 left no contact


@pytest.mark.parametrize("role", ROLES)
def test_dump_overdue_page_equals_the_schema_dump(tracked, db, role, app):
    user = db.session.get(User, getattr(tracked.people, role).id)
    scope = services.console_scope(user, None, None)
    for window in WINDOWS:
        for sort in tracker.SORTS:
            page = tracker.overdue_page(scope, {"window": window, "sort": sort, "limit": 2})
            assert dump_overdue_page(page, local_zone()) == OverduePageSchema().dump(page), (role, window, sort)


def test_the_fast_dump_has_every_field_of_the_schema(tracked, db):
    user = db.session.get(User, tracked.people.office.id)
    page = tracker.overdue_page(services.console_scope(user, None, None), {"window": "all_open"})
    dumped = dump_overdue_page(page, local_zone())
    assert set(dumped) == set(OverduePageSchema().dump_fields)
    schema = OverdueItemSchema()
    for item in dumped["items"]:
        assert set(item) == set(schema.dump_fields)
        for name in ("site", "enterprise", "grid"):
            assert set(item[name]) == set(schema.dump_fields[name].schema.dump_fields)


def test_working_days_overdue_counts_as_the_deadline_rules_do(app):
    zone, tz = local_zone(), app.config["TIMEZONE"]
    rng = random.Random(22)
    now = dt.datetime(2026, 12, 3, 2, tzinfo=dt.UTC)
    cases = [now - dt.timedelta(days=d, hours=h) for d in (0, 1, 2, 6, 30, 200, 400, 800) for h in (0, 5, 17)]
    cases += [now - dt.timedelta(seconds=rng.randrange(-30 * 86400, 3 * 365 * 86400)) for _ in range(60)]
    for deadline in cases:
        for later in (now, now + dt.timedelta(days=40), dt.datetime(2027, 1, 4, 1, tzinfo=dt.UTC)):
            assert tracker.working_days_overdue(deadline, later, zone) == deadlines.working_days_overdue(
                deadline, later, tz), (deadline, later)
