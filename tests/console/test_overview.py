"""The overview: every figure against hand counts of the small world, and against GET /hazards for the same scope."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import assert_problem
from tests.support.deadlines import SHANGHAI
from tests.support.exports import read_xlsx

OPEN = "found,exposed,assigned,rectifying,awaiting_verification"


def overview(client, **params):
    response = client.get("/api/v1/console/overview", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def hazards_total(client, **params):
    response = client.get("/api/v1/hazards", query_string={"limit": 1, **params})
    assert response.status_code == 200, response.get_json()
    return sum(response.get_json()["counts"].values())


def test_district_office_sees_the_hand_counted_figures(world, login):
    body = overview(login(world.people.office))
    assert body["by_status"] == {"found": 1, "exposed": 0, "assigned": 3, "rectifying": 1,
                                 "awaiting_verification": 0, "closed": 2}
    assert body["open_total"] == 5
    assert body["overdue_now"] == 2  # H1, H6
    assert body["due_this_week"] == 1  # H2
    assert body["major_open"] == 1 and body["supervised_open"] == 1
    assert body["scope"] == {"region_id": None, "region_name": None, "department_id": None, "department_name": None}


def test_a_street_and_a_department_narrow_every_count(world, login):
    office = login(world.people.office)
    street = overview(office, region_id=world.d.street_a.id)
    assert street["by_status"]["assigned"] == 3 and street["by_status"]["closed"] == 1
    assert street["open_total"] == 4 and street["overdue_now"] == 2
    assert street["scope"]["region_name"] == "A街道"
    fire = overview(office, department_id=world.d.fire_dept.id)
    assert fire["open_total"] == 3 and fire["overdue_now"] == 1  # H1, H2, H3; H1
    assert fire["scope"]["department_name"] == "消防救援大队"


def test_an_inspector_sees_only_the_domains_of_their_department(world, login):
    body = overview(login(world.people.fire))
    assert body["open_total"] == 4  # not H6 on the building site
    assert body["overdue_now"] == 1


@pytest.mark.parametrize("who", ["office", "street_a", "fire", "admin"])
@pytest.mark.parametrize("where", [None, "street_a", "grid_a1"])
def test_the_counts_equal_the_hazard_list_for_the_same_scope(world, login, who, where):
    client = login(getattr(world.people, who))
    region = getattr(world.d, where).id if where else None
    scope = {"region_id": region} if region else {}
    listed = {"region": region} if region else {}
    body = overview(client, **scope)
    counts = client.get("/api/v1/hazards", query_string={"limit": 1, **listed}).get_json()["counts"]
    assert body["by_status"] == counts
    assert body["overdue_now"] == hazards_total(client, overdue="true", **listed)
    assert body["due_this_week"] == hazards_total(client, due_before=body["due_this_week_before"], overdue="false",
                                                  **listed)
    assert body["major_open"] == hazards_total(client, level="major", status=OPEN, **listed)
    assert body["supervised_open"] == hazards_total(client, supervised="true", status=OPEN, **listed)
    rates = body["rates"]
    for row in rates["by_street"]:
        window = {"region": row["region_id"], "found_from": rates["period_start"], "found_to": rates["period_end"]}
        assert row["found"] == hazards_total(client, **window)
        assert row["closed"] == hazards_total(client, status="closed", **window)
        assert row["overdue"] == hazards_total(client, overdue="true", **window)


def test_rates_by_street_department_and_domain(world, login):
    rates = overview(login(world.people.office))["rates"]
    assert rates["period"] == "month"
    streets = {r["name"]: r for r in rates["by_street"]}
    assert list(streets) == ["A街道", "B街道", "科创园"]
    # 按期整改率 is the 通报's: closed on time ÷ due this month (deadline in the month and passed).
    # A: H1 (10 days ago) and H6 (2 days ago) are past due and open when their deadline is in this month;
    # H2's deadline is still ahead, H4 had none. B: H7 closed an hour after its deadline; H3 is due next year.
    start = dt.datetime.fromisoformat(rates["period_start"])
    due_a = sum(h.deadline_at >= start for h in (world.h1, world.h6))
    due_b = int(world.h7.deadline_at >= start)
    assert streets["A街道"] | {} == {**streets["A街道"], "found": 5, "closed": 1, "overdue": 2, "due": due_a,
                                    "on_time": 0, "rectification_rate": 0.2,
                                    "on_time_rate": 0.0 if due_a else None}
    assert streets["B街道"]["found"] == 2 and streets["B街道"]["closed"] == 1
    assert (streets["B街道"]["due"], streets["B街道"]["on_time"]) == (due_b, 0)
    assert streets["B街道"]["rectification_rate"] == 0.5
    assert streets["B街道"]["on_time_rate"] == (0.0 if due_b else None)
    assert streets["科创园"]["found"] == 0 and streets["科创园"]["rectification_rate"] is None
    assert streets["科创园"]["on_time_rate"] is None
    departments = {r["name"]: r for r in rates["by_department"]}
    assert departments["消防救援大队"]["found"] == 4  # H1 H2 H3 H7
    assert departments["住房和城乡建设局"]["found"] == 1 and departments["住房和城乡建设局"]["overdue"] == 1
    assert departments["未指定责任部门"]["found"] == 2  # H4 closed on site, H5 found
    domains = {r["domain"]: r for r in rates["by_domain"]}
    assert domains["fire"]["found"] == 6 and domains["fire"]["label"] == "消防安全"
    assert domains["construction"]["found"] == 1


def test_a_street_supervisor_gets_rows_for_the_communities_below(world, login):
    rates = overview(login(world.people.street_a))["rates"]
    assert [r["name"] for r in rates["by_street"]] == ["A社区"]
    assert rates["by_street"][0]["found"] == 5


def test_trend_reads_the_daily_snapshots(world, login, db):
    from hazardloop.console.snapshots import snapshot_metrics
    from hazardloop.database import utcnow
    from hazardloop.hazards.services import create_hazard, transition
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    today = utcnow().astimezone(SHANGHAI).date()
    this_monday = today - dt.timedelta(days=today.weekday())
    last_monday = this_monday - dt.timedelta(days=7)
    snapshot_metrics(last_monday)  # 7 hazards, 2 closed
    for _ in range(2):
        create_hazard(site=world.shop_a2, source=HazardSource.GRID_PATROL, description="电线私拉乱接",
                      level=HazardLevel.GENERAL, domain="fire", actor=world.people.worker_a1,
                      actor_role=Role.GRID_WORKER, found_at=utcnow())
    transition(world.h5, "close_on_site", actor=world.people.admin, payload={
        "before_photo_ids": world.h4.photo_ids[:1], "after_photo_ids": world.h4.photo_ids[-1:]})
    snapshot_metrics(this_monday)  # 9 hazards, 3 closed, H1 and H6 overdue
    db.session.commit()

    trend = overview(login(world.people.office))["trend"]
    assert len(trend["weeks"]) == 12 and len(trend["months"]) == 12
    assert [w["period_start"] for w in trend["weeks"]][-2:] == [last_monday.isoformat(), this_monday.isoformat()]
    assert trend["weeks"][-2] == {"period_start": last_monday.isoformat(), "found": 2, "closed": 1, "overdue": 2}
    assert trend["weeks"][-3]["found"] is None  # no snapshot in the week before its start
    assert trend["months"][-1]["period_start"] == today.replace(day=1).isoformat()
    assert trend["weeks"] == sorted(trend["weeks"], key=lambda w: w["period_start"])


def test_patrol_coverage_comes_with_the_overview(world, login):
    coverage = overview(login(world.people.office))["patrol_coverage"]
    grids = {g["name"]: g for g in coverage["by_grid"]}
    assert grids["A1网格"]["sites"] == 2 and grids["A1网格"]["patrolled"] == 0 and grids["A1网格"]["share"] == 0
    assert {i["user_id"] for i in coverage["by_inspector"]} == {world.people.worker_a1.id}
    assert coverage["by_inspector"][0]["hazards_found"] == 7


def test_scope_errors(world, login, make_user):
    street_a = login(world.people.street_a)
    assert_problem(street_a.get(f"/api/v1/console/overview?region_id={world.d.street_b.id}"), 404, "not_found")
    assert_problem(street_a.get("/api/v1/console/overview?region_id=999999"), 404, "not_found")
    assert_problem(street_a.get("/api/v1/console/overview?department_id=999999"), 404, "not_found")
    worker = login(world.people.worker_a1)
    assert_problem(worker.get("/api/v1/console/overview"), 403, "forbidden")
    assert_problem(worker.get(f"/api/v1/console/overview?region_id={world.d.grid_a1.id}"), 403, "forbidden")
    owner = login(world.people.owner_a1)
    assert_problem(owner.get("/api/v1/console/overview"), 403, "forbidden")


def test_bad_input_is_a_problem(world, login):
    office = login(world.people.office)
    assert_problem(office.get("/api/v1/console/overview?period=decade"), 422, "validation_failed")
    assert_problem(office.get("/api/v1/console/overview?region_id=abc"), 422, "validation_failed")


def test_overview_xlsx_has_the_rate_tables_and_patrol_coverage(world, login):
    office = login(world.people.office)
    book = read_xlsx(office, "/api/v1/console/overview.xlsx")
    assert list(book) == ["按街道", "按部门", "按领域", "巡查覆盖·网格", "巡查覆盖·网格员"]
    coverage = office.get("/api/v1/console/overview").get_json()["patrol_coverage"]
    assert book["巡查覆盖·网格"][0] == ("网格", "场所数", "本期已巡查", "覆盖率")
    assert [r[:3] for r in book["巡查覆盖·网格"][1:]] == [(g["name"], g["sites"], g["patrolled"])
                                                          for g in coverage["by_grid"]]
    assert [(r[0], r[4]) for r in book["巡查覆盖·网格员"][1:]] == [(w["name"], w["hazards_found"])
                                                              for w in coverage["by_inspector"]]
    assert coverage["by_grid"], "the small district has grids to cover"
    rows = book["按街道"]
    assert rows[0] == ("街道/区域", "发现隐患", "已整改闭环", "当前逾期", "本期到期", "按期整改", "整改率",
                       "按期整改率")
    start = dt.datetime.fromisoformat(office.get("/api/v1/console/overview").get_json()["rates"]["period_start"])
    due_a = sum(h.deadline_at >= start for h in (world.h1, world.h6))  # open, past due; H2 is due later
    assert rows[1] == ("A街道", 5, 1, 2, due_a, 0, 0.2, 0 if due_a else "—")
    assert rows[3] == ("科创园", 0, 0, 0, 0, 0, "—", "—")


def _kept_counts(db):
    from sqlalchemy import select

    from hazardloop.console.models import HazardStatusCount

    return {(c.site_id, c.department_key, c.status): c.n for c in db.session.scalars(select(HazardStatusCount))}


def _actual_counts(db):
    from sqlalchemy import func, select

    from hazardloop.hazards.models import Hazard

    department = func.coalesce(Hazard.department_id, 0)
    return {(s, d, st): n for s, d, st, n in db.session.execute(
        select(Hazard.site_id, department, Hazard.status, func.count())
        .group_by(Hazard.site_id, department, Hazard.status))}


def test_the_database_keeps_the_counts_by_status_through_every_change(world, db):
    from hazardloop.console.services import recount_statuses
    from hazardloop.hazards.models import Hazard
    from hazardloop.hazards.services import transition

    assert _kept_counts(db) == _actual_counts(db)
    transition(world.h1, "acknowledge", actor=world.people.admin)  # status moves
    world.h5.site_id = world.shop_b1.id  # site moves
    world.h6.department_id = world.d.fire_dept.id  # department moves
    db.session.commit()
    assert _kept_counts(db) == _actual_counts(db)
    db.session.execute(Hazard.__table__.update().values(department_id=None))  # a bulk statement, too
    db.session.commit()
    assert _kept_counts(db) == _actual_counts(db)
    assert all(n > 0 for n in _kept_counts(db).values())  # a count that reaches zero is removed
    assert recount_statuses() == len(_actual_counts(db))
    assert _kept_counts(db) == _actual_counts(db)
