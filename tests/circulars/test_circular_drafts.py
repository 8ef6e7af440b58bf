"""通报 drafts: every number equals what GET /api/v1/hazards says for the same scope and period."""

from __future__ import annotations

import pytest

from tests.conftest import assert_problem


@pytest.mark.parametrize("scope", ["street", "department", "everything"])
def test_the_weekly_draft_equals_the_hazard_list(parties, week_of_hazards, login, scope, hazard_list):
    office = login(parties.office)
    params = {"street": {"region": parties.district.street_a.id},
              "department": {"department": parties.district.fire_dept.id}, "everything": {}}[scope]
    response = office.get("/api/v1/circular-drafts", query_string={"period": "week", "date": "2026-11-25", **params})
    assert response.status_code == 200, response.get_json()
    draft = response.get_json()
    same = hazard_list(office, **draft["list_query"])
    assert draft["found"] == len(same["items"]) == sum(same["counts"].values())
    assert draft["counts"] == same["counts"]
    assert draft["rectified"] == same["counts"]["closed"] == 1 and draft["on_time_rate"] == 1.0
    overdue = hazard_list(office, overdue="true", **params)
    assert sorted(h["id"] for h in draft["overdue"]) == sorted(h["id"] for h in overdue["items"])
    assert week_of_hazards["late"] in [h["id"] for h in draft["overdue"]]
    majors = hazard_list(office, level="major", **draft["list_query"])
    assert [h["id"] for h in draft["major"]] == [h["id"] for h in majors["items"]] == [week_of_hazards["major"]]
    assert draft["found"] == (4 if scope == "everything" else 3)  # street B's hazard has no department
    assert "逾期未整改隐患" in draft["html"] and draft["title"].endswith("（草稿）")
    assert draft["due"] == 1 and "按期整改率 <strong>100.0%（1/1）</strong>" in draft["html"]
    assert {f["key"]: f["text"] for f in draft["figures"]}["on_time_rate"] == "100.0%（1/1）"


def test_the_monthly_draft_counts_the_whole_month(parties, week_of_hazards, login, hazard_list):
    office = login(parties.office)
    draft = office.get("/api/v1/circular-drafts", query_string={
        "period": "month", "date": "2026-11-01", "region": parties.district.street_a.id}).get_json()
    assert draft["found"] == 4 == sum(hazard_list(office, **draft["list_query"])["counts"].values())
    assert draft["repeat_offenders"] == []  # four findings, none from an inspection: not 屡查屡犯


def test_only_supervisors_draft_circulars(parties, login):
    assert_problem(login(parties.worker).get("/api/v1/circular-drafts?date=2026-11-25"), 403)
