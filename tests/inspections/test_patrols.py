"""巡查计划: periods in local time, which inspections count, the due list, coverage and scope.

Times are written in Asia/Shanghai (+08:00); every expectation below is worked out by hand
from config/patrol.yaml (九小场所 monthly, warehouses quarterly, red risk weekly).
"""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from hazardloop import policy
from hazardloop.database import utcnow
from hazardloop.inspections import patrols
from hazardloop.inspections.patrols import Period, PlanError, next_period_start, parse_plan, period_start
from hazardloop.policy import Action
from hazardloop.regions.services import grid_ids_under
from hazardloop.sites.models import Site
from tests.conftest import assert_problem

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHECKLIST = ("fire-small-restaurant", "2026.3")


def local(text: str) -> dt.datetime:
    """An instant written as Shanghai wall-clock time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


# --- calendar periods ----------------------------------------------------------------------------

@pytest.mark.parametrize(("period", "instant", "start", "following"), [
    # 00:30 on 1 Dec in Shanghai is still 30 Nov in UTC: the month is December.
    (Period.MONTH, utc("2026-11-30T16:30:00"), local("2026-12-01T00:00"), local("2027-01-01T00:00")),
    # one second before local midnight stays in November
    (Period.MONTH, utc("2026-11-30T15:59:59"), local("2026-11-01T00:00"), local("2026-12-01T00:00")),
    # 2026-11-23 is a Monday; Sunday 23:59 local belongs to the week before
    (Period.WEEK, local("2026-11-22T23:59:59"), local("2026-11-16T00:00"), local("2026-11-23T00:00")),
    (Period.WEEK, local("2026-11-23T00:00:00"), local("2026-11-23T00:00"), local("2026-11-30T00:00")),
    (Period.WEEK, local("2026-12-30T12:00"), local("2026-12-28T00:00"), local("2027-01-04T00:00")),
    (Period.QUARTER, utc("2026-12-31T16:00:00"), local("2027-01-01T00:00"), local("2027-04-01T00:00")),
    (Period.QUARTER, local("2026-11-20T10:00"), local("2026-10-01T00:00"), local("2027-01-01T00:00")),
    (Period.HALF_YEAR, local("2026-06-30T23:59"), local("2026-01-01T00:00"), local("2026-07-01T00:00")),
    (Period.YEAR, local("2026-07-01T00:00"), local("2026-01-01T00:00"), local("2027-01-01T00:00")),
])
def test_periods_begin_at_local_midnight(period, instant, start, following):
    begun = period_start(period, instant, SHANGHAI)
    assert begun == start
    assert next_period_start(period, begun) == following


def test_month_in_utc_starts_at_sixteen_hundred_the_day_before():
    assert period_start(Period.MONTH, utc("2026-11-15T00:00"), SHANGHAI).astimezone(dt.UTC) == \
        utc("2026-10-31T16:00:00")


# --- the plan file -------------------------------------------------------------------------------

def test_shipped_plan_periods(app):
    plan = patrols.load_plan()
    assert plan.period_for("small_restaurant", "blue") is Period.MONTH  # 九小场所
    assert plan.period_for("small_restaurant", "red") is Period.WEEK  # the shorter override wins
    assert plan.period_for("warehouse", "blue") is Period.QUARTER  # the default
    assert plan.period_for("warehouse", "orange") is Period.MONTH
    assert plan.counting_modes == {"routine", "covert", "enforcement", "joint"}


def test_a_named_category_beats_the_nine_small_group():
    plan = parse_plan({"default": "year", "categories": {"small_shop": "week", "nine_small": "month"},
                       "counting_modes": ["routine"]})
    assert plan.period_for("small_shop", "blue") is Period.WEEK
    assert plan.period_for("small_hotel", "blue") is Period.MONTH
    assert plan.period_for("warehouse", "blue") is Period.YEAR


@pytest.mark.parametrize(("data", "names"), [
    ({"default": "fortnight", "counting_modes": ["routine"]}, "default"),
    ({"default": "month", "categories": {"bakery": "week"}, "counting_modes": ["routine"]}, "categories.bakery"),
    ({"default": "month", "risk_levels": {"purple": "week"}, "counting_modes": ["routine"]}, "risk_levels.purple"),
    ({"default": "month", "counting_modes": ["routine", "self"]}, "counting_modes"),
    ({"default": "month", "counting_modes": []}, "counting_modes"),
])
def test_a_malformed_plan_names_the_entry(data, names):
    with pytest.raises(PlanError, match=names):
        parse_plan(data)


# --- inspections for the scenarios ------------------------------------------------------------------

def first_item(client):
    content = client.get("/api/v1/checklists/{}/versions/{}".format(*CHECKLIST)).get_json()["content"]
    return next(item for section in content["sections"] for item in section["items"]
                if item["answer"]["type"] == "compliance")


def patrol(client, site, finished_at: str, *, mode: str = "routine", photo=None):
    """Submit an inspection of ``site`` finished at the local time given; a photo makes its item fail."""
    item = first_item(client)
    answer = {"item_code": item["code"], "result": "符合"}
    if photo is not None:
        answer = {"item_code": item["code"], "result": "不符合", "photo_ids": [photo.id], "finding": "灭火器过期"}
    response = client.post("/api/v1/inspections", json={
        "client_uuid": str(uuid.uuid4()), "site_id": site.id, "checklist_id": CHECKLIST[0],
        "checklist_version": CHECKLIST[1], "mode": mode, "started_at": f"{finished_at}+08:00",
        "finished_at": f"{finished_at}+08:00", "answers": [answer]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def registered_at(db, site, when: dt.datetime) -> None:
    db.session.execute(update(Site).where(Site.id == site.id).values(created_at=when))
    db.session.commit()


# --- the due list at a fixed moment --------------------------------------------------------------

NOW = local("2026-11-20T10:00")  # a Friday in November


def test_patrol_plan_on_a_november_friday(db, district, make_site, make_user, login, checklists):
    worker = make_user("grid_worker", region=district.grid_a1)
    client = login(worker)
    grid = district.grid_a1
    shop_oct = make_site(grid, category="small_restaurant", name="十月巡过的小餐饮")
    shop_nov = make_site(grid, category="small_restaurant", name="十一月一日零点巡过的小餐饮")
    warehouse = make_site(grid, category="warehouse", domains=["fire"], name="二季度巡过的仓库")
    red = make_site(grid, category="warehouse", domains=["fire"], risk_level="red", name="红色风险仓库")
    self_only = make_site(grid, category="small_restaurant", name="只有自查和复查的小餐饮")
    newcomer = make_site(grid, category="small_restaurant", name="昨天登记的小餐饮")
    for site in (shop_oct, shop_nov, warehouse, red, self_only):
        registered_at(db, site, local("2026-01-05T09:00"))
    registered_at(db, self_only, local("2026-09-15T09:00"))
    registered_at(db, newcomer, local("2026-11-19T15:00"))

    patrol(client, shop_oct, "2026-10-31T23:59:00")
    patrol(client, shop_nov, "2026-11-01T00:00:00")
    patrol(client, warehouse, "2026-06-30T23:00:00")
    patrol(client, red, "2026-11-15T20:00:00")  # Sunday: the week of 9–15 November
    owner = make_user("enterprise_user", site=self_only)
    patrol(login(owner), self_only, "2026-11-10T10:00:00", mode="self")
    patrol(client, self_only, "2026-11-11T10:00:00", mode="reinspection")

    statuses = patrols.patrol_plan(policy.visible(worker, Site, Action.SITE_PATROL_PLAN), now=NOW)
    got = [(s.site.name, s.last_patrolled_at, s.due_at, s.overdue) for s in statuses]
    assert got == [
        # overdue first, the longest overdue at the top
        ("二季度巡过的仓库", local("2026-06-30T23:00"), local("2026-10-01T00:00"), True),  # Q3 passed unpatrolled
        # 自查 and 复查 are not patrols: registered in September, it owed September's patrol
        ("只有自查和复查的小餐饮", None, local("2026-10-01T00:00"), True),
        ("红色风险仓库", local("2026-11-15T20:00"), local("2026-11-23T00:00"), False),  # by the end of this week
        ("十月巡过的小餐饮", local("2026-10-31T23:59"), local("2026-12-01T00:00"), False),
        # a new site owes its first patrol in the month it was registered in
        ("昨天登记的小餐饮", None, local("2026-12-01T00:00"), False),
    ]
    assert all(s.due_at.tzinfo == dt.UTC for s in statuses)
    ends = {s.site.name: s.period_ends_at for s in statuses}
    assert ends["红色风险仓库"] == local("2026-11-23T00:00") and ends["二季度巡过的仓库"] == local("2027-01-01T00:00")
    assert ends["十月巡过的小餐饮"] == local("2026-12-01T00:00")

    everything = patrols.patrol_plan(policy.visible(worker, Site, Action.SITE_PATROL_PLAN), now=NOW,
                                     include_done=True)
    done = [s for s in everything if s.patrolled_this_period]
    assert [(s.site.name, s.due_at) for s in done] == [("十一月一日零点巡过的小餐饮", local("2027-01-01T00:00"))]
    assert [s.period_label for s in everything if s.site.id in (red.id, warehouse.id, shop_oct.id)] == [
        "每季度", "每周", "每月"]


def test_a_phone_clock_running_ahead_does_not_postpone_the_next_patrol(db, district, make_site, make_user, login,
                                                                      checklists):
    worker = make_user("grid_worker", region=district.grid_a1)
    shop = make_site(district.grid_a1, category="small_restaurant")
    registered_at(db, shop, local("2026-01-05T09:00"))
    patrol(login(worker), shop, "2026-12-15T10:00:00")
    (status,) = patrols.patrol_plan(Site.id == shop.id, now=NOW, include_done=True)
    assert status.patrolled_this_period and status.due_at == local("2027-01-01T00:00")


# --- due dates at the ends of periods ---------------------------------------------------------------

WEEKLY_PLAN = parse_plan({"default": "week", "categories": {"small_restaurant": "month", "small_shop": "quarter",
                                                            "small_hotel": "year"},
                          "counting_modes": ["routine"]})
CATEGORY = {Period.WEEK: "warehouse", Period.MONTH: "small_restaurant", Period.QUARTER: "small_shop",
            Period.YEAR: "small_hotel"}


def site_registered(period: Period, when: dt.datetime) -> Site:
    return Site(name="边界场所", category=CATEGORY[period], risk_level="blue", created_at=when)


# (period, registered, last patrol, now, due: the midnight ending the period the patrol is owed in)
BOUNDARIES = [
    # Thursday 3 December 2026: a weekly site owes this week's patrol by Sunday 6 December, not the 13th
    (Period.WEEK, "2026-12-03T09:00", None, "2026-12-03T10:00", "2026-12-07T00:00", False),
    (Period.WEEK, "2026-11-01T09:00", "2026-11-29T23:59", "2026-12-06T23:59:59", "2026-12-07T00:00", False),
    (Period.WEEK, "2026-11-01T09:00", "2026-11-29T23:59", "2026-12-07T00:00", "2026-12-07T00:00", True),
    # patrolled on Monday's first minute: this week is done, the next one is owed by Sunday 13 December
    (Period.WEEK, "2026-11-01T09:00", "2026-11-30T00:00", "2026-12-03T10:00", "2026-12-14T00:00", False),
    # a site registered in December owes December's patrol by 31 December, not 31 January
    (Period.MONTH, "2026-12-02T15:00", None, "2026-12-03T10:00", "2027-01-01T00:00", False),
    (Period.MONTH, "2026-10-05T09:00", "2026-11-30T23:59:59", "2026-12-31T23:59:59", "2027-01-01T00:00", False),
    (Period.MONTH, "2026-10-05T09:00", "2026-11-30T23:59:59", "2027-01-01T00:00", "2027-01-01T00:00", True),
    # 1 December 00:00 in Shanghai is 30 November 16:00 UTC: the patrol counts for December
    (Period.MONTH, "2026-10-05T09:00", "2026-12-01T00:00", "2026-12-03T10:00", "2027-02-01T00:00", False),
    (Period.QUARTER, "2026-10-01T00:00", None, "2026-12-31T23:59:59", "2027-01-01T00:00", False),
    (Period.QUARTER, "2026-05-01T09:00", "2026-09-30T23:59:59", "2026-12-03T10:00", "2027-01-01T00:00", False),
    (Period.QUARTER, "2026-05-01T09:00", "2026-09-30T23:59:59", "2027-01-01T00:00:01", "2027-01-01T00:00", True),
    (Period.YEAR, "2026-03-01T09:00", None, "2026-12-31T23:59:59", "2027-01-01T00:00", False),
    (Period.YEAR, "2025-03-01T09:00", "2025-12-31T23:59:59", "2027-01-01T00:00", "2027-01-01T00:00", True),
    (Period.YEAR, "2025-03-01T09:00", "2026-01-01T00:00", "2026-12-03T10:00", "2028-01-01T00:00", False),
]


@pytest.mark.parametrize(("period", "registered", "last", "now", "due", "overdue"), BOUNDARIES)
def test_the_due_date_is_the_end_of_the_period_that_owes_the_patrol(period, registered, last, now, due, overdue):
    site = site_registered(period, local(registered))
    status = patrols.patrol_status(site, local(last) if last else None, local(now).astimezone(dt.UTC), WEEKLY_PLAN,
                                   SHANGHAI)
    assert status.period is period
    assert status.due_at == local(due) and status.due_at.tzinfo == dt.UTC
    assert status.overdue is overdue


def test_an_overdue_site_counts_from_the_end_of_the_first_period_it_missed():
    site = site_registered(Period.MONTH, local("2026-01-05T09:00"))
    status = patrols.patrol_status(site, local("2026-08-20T10:00"), local("2026-12-03T10:00"), WEEKLY_PLAN, SHANGHAI)
    assert status.overdue and status.due_at == local("2026-10-01T00:00")  # September passed without a patrol
    assert status.period_ends_at == local("2027-01-01T00:00") and not status.patrolled_this_period


# --- coverage ---------------------------------------------------------------------------------------

def test_coverage_of_november_by_grid_and_by_grid_worker(db, district, make_site, make_user, login, checklists,
                                                          make_photo):
    a1, a2 = district.grid_a1, district.grid_a2
    s1, s2, s3 = (make_site(a1, category="small_restaurant") for _ in range(3))
    closed = make_site(a1, category="small_restaurant")
    t1 = make_site(a2, category="small_restaurant")
    elsewhere = make_site(district.grid_b1, category="small_restaurant")
    w1 = make_user("grid_worker", region=a1)
    w2 = make_user("grid_worker", region=a2)
    w3 = make_user("grid_worker", region=a1)  # a second worker on the same grid
    wb = make_user("grid_worker", region=district.grid_b1)
    fire = make_user("inspector", region=district.street_a, department=district.fire_dept)
    owner = make_user("enterprise_user", site=s3)
    c1, c3 = login(w1), login(w3)

    patrol(c1, s1, "2026-11-01T00:00:00", photo=make_photo(w1))  # first instant of the window, a hazard
    patrol(c1, s2, "2026-10-31T23:59:59")  # one second too early
    patrol(c3, s2, "2026-11-30T23:59:59")  # last second of the window
    patrol(login(owner), s3, "2026-11-10T10:00:00", mode="self")  # not a patrol
    patrol(c1, s3, "2026-12-01T00:00:00")  # first instant after the window
    patrol(login(fire), t1, "2026-11-15T10:00:00", mode="covert")
    patrol(c1, closed, "2026-11-05T10:00:00")
    patrol(login(wb), elsewhere, "2026-11-05T10:00:00")
    db.session.execute(update(Site).where(Site.id == closed.id).values(active=False))
    db.session.commit()

    in_street_a = Site.grid_id.in_(grid_ids_under(district.street_a.path))
    result = patrols.coverage(in_street_a, local("2026-11-01T00:00"), local("2026-12-01T00:00"))

    assert result["by_grid"] == [
        {"region_id": a1.id, "name": "A1网格", "sites": 3, "patrolled": 2, "share": 0.6667},
        {"region_id": a2.id, "name": "A2网格", "sites": 1, "patrolled": 1, "share": 1.0},
    ]
    rows = {r["user_id"]: r for r in result["by_inspector"]}
    assert set(rows) == {w1.id, w2.id, w3.id}  # wb's grid is outside the filter
    assert rows[w1.id] == {"user_id": w1.id, "name": w1.display_name, "sites": 3, "patrolled": 1, "share": 0.3333,
                           "hazards_found": 1}
    assert rows[w3.id] == {"user_id": w3.id, "name": w3.display_name, "sites": 3, "patrolled": 1, "share": 0.3333,
                           "hazards_found": 0}
    # the covert patrol covers grid A2, but its grid worker did none himself
    assert rows[w2.id] == {"user_id": w2.id, "name": w2.display_name, "sites": 1, "patrolled": 0, "share": 0.0,
                           "hazards_found": 0}
    assert result["by_inspector"][0]["user_id"] == w2.id  # worst share first


def test_coverage_of_an_empty_filter_is_empty(db, district):
    assert patrols.coverage(Site.id.is_(None), local("2026-11-01T00:00"), local("2026-12-01T00:00")) == {
        "by_grid": [], "by_inspector": []}


# --- GET /api/v1/patrols/due -------------------------------------------------------------------------

@pytest.fixture
def field(db, district, make_site, make_user, checklists):
    """Grid A1 with a site patrolled just now and one never patrolled since its registration long ago."""
    fresh = make_site(district.grid_a1, category="small_restaurant", name="刚巡查过的小餐饮")
    stale = make_site(district.grid_a1, category="small_restaurant", name="从未巡查的小餐饮")
    gone = make_site(district.grid_a1, category="small_restaurant", name="已停业的小餐饮")
    a2_site = make_site(district.grid_a2, category="small_restaurant", name="A2网格的小餐饮")
    b1_site = make_site(district.grid_b1, category="small_restaurant", name="B1网格的小餐饮")
    for site in (stale, gone, a2_site, b1_site):
        registered_at(db, site, utcnow() - dt.timedelta(days=800))
    db.session.execute(update(Site).where(Site.id == gone.id).values(active=False))
    db.session.commit()
    return {"fresh": fresh, "stale": stale, "a2": a2_site, "b1": b1_site,
            "worker": make_user("grid_worker", region=district.grid_a1)}


def test_due_lists_my_grid_overdue_first_with_local_times(field, login):
    client = login(field["worker"])
    now = utcnow().astimezone(SHANGHAI).replace(microsecond=0, tzinfo=None).isoformat()
    patrol(client, field["fresh"], now)
    response = client.get("/api/v1/patrols/due")
    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1 and body["overdue"] == 1
    (item,) = body["items"]
    assert item["site"]["id"] == field["stale"].id and item["site"]["name"] == "从未巡查的小餐饮"
    assert item["overdue"] is True and item["last_patrolled_at"] is None
    assert item["period"] == "month" and item["period_label"] == "每月"
    assert item["due_at"].endswith("+08:00") and "T00:00:00" in item["due_at"]
    assert item["period_ends_at"].endswith("-01T00:00:00+08:00")  # monthly: the 1st of next month

    everything = client.get("/api/v1/patrols/due?include_done=true").get_json()
    assert [i["site"]["id"] for i in everything["items"]] == [field["stale"].id, field["fresh"].id]
    fresh = everything["items"][1]
    assert fresh["patrolled_this_period"] is True and fresh["overdue"] is False
    assert fresh["last_patrolled_at"].startswith(now)


def test_due_answers_304_while_nothing_changed(field, login):
    client = login(field["worker"])
    first = client.get("/api/v1/patrols/due")
    assert first.headers["ETag"] and first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/api/v1/patrols/due", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    patrol(client, field["stale"], utcnow().astimezone(SHANGHAI).replace(microsecond=0, tzinfo=None).isoformat())
    changed = client.get("/api/v1/patrols/due", headers={"If-None-Match": first.headers["ETag"]})
    assert first.get_json()["total"] == 2
    assert changed.status_code == 200
    assert [i["site"]["id"] for i in changed.get_json()["items"]] == [field["fresh"].id]


def test_supervisor_sees_the_street_and_can_narrow_to_a_grid(field, district, make_user, login):
    client = login(make_user("supervisor", region=district.street_a))
    ids = {i["site"]["id"] for i in client.get("/api/v1/patrols/due").get_json()["items"]}
    assert ids == {field["fresh"].id, field["stale"].id, field["a2"].id}
    narrowed = client.get(f"/api/v1/patrols/due?region={district.grid_a2.id}").get_json()
    assert [i["site"]["id"] for i in narrowed["items"]] == [field["a2"].id]


@pytest.mark.parametrize("region", ["grid_b1", "street_b", "missing"])
def test_a_region_outside_my_scope_is_not_found(field, district, login, region):
    region_id = 999999 if region == "missing" else getattr(district, region).id
    response = login(field["worker"]).get(f"/api/v1/patrols/due?region={region_id}")
    assert_problem(response, 404, "not_found")


def test_the_enterprise_sees_no_patrol_plan_not_even_of_its_own_site(field, make_user, login):
    owner = make_user("enterprise_user", site=field["stale"])
    body = login(owner).get("/api/v1/patrols/due?include_done=true").get_json()
    assert body == {"items": [], "total": 0, "overdue": 0}


def test_due_needs_a_login(field, api):
    assert_problem(api.get("/api/v1/patrols/due"), 401, "unauthenticated")


def test_bad_query_is_a_validation_problem(field, login):
    response = login(field["worker"]).get("/api/v1/patrols/due?region=abc")
    assert_problem(response, 422)
