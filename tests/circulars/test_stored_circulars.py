"""Stored 通报: drafts (on demand and scheduled) whose totals equal GET /api/v1/hazards, review with a version,
publishing that records ``reported`` on every named hazard, archive, the files, and scope."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from hazardloop.circulars.models import Circular
from hazardloop.hazards.models import AuditEvent
from tests.conftest import assert_problem

WEEK = {"period_kind": "week", "start": "2026-11-25"}


def scope_args(parties, scope: str) -> tuple[dict, dict]:
    """(the draft request's scope, the same scope as hazard-list filters)."""
    d = parties.district
    return {
        "street": ({"scope_kind": "street", "region_id": d.street_a.id}, {"region": d.street_a.id}),
        "department": ({"scope_kind": "department", "department_id": d.fire_dept.id}, {"department": d.fire_dept.id}),
        "district": ({"scope_kind": "district", "region_id": d.district.id}, {"region": d.district.id}),
    }[scope]


def draft(client, **body):
    response = client.post("/api/v1/circulars/drafts", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("scope", ["street", "department", "district"])
def test_a_draft_on_demand_equals_the_hazard_list(parties, week_of_hazards, login, scope, hazard_list):
    office = login(parties.office)
    request, filters = scope_args(parties, scope)
    circular = draft(office, **request, **WEEK)
    assert circular["status"] == "draft" and circular["version"] == 1
    assert circular["scope"]["kind"] == scope and circular["period"]["kind"] == "week"
    same = hazard_list(office, **circular["list_query"])
    totals = circular["totals"]
    assert totals["found"] == len(same["items"]) == sum(same["counts"].values())
    assert circular["counts"] == same["counts"]
    assert totals["rectified"] == same["counts"]["closed"] == 1 and totals["on_time_rate"] == 1.0
    overdue = hazard_list(office, overdue="true", **filters)
    assert sorted(h["id"] for h in circular["overdue"]) == sorted(h["id"] for h in overdue["items"])
    assert totals["overdue"] == len(overdue["items"])
    late = next(h for h in circular["overdue"] if h["id"] == week_of_hazards["late"])
    assert late["responsible_department"] == parties.district.fire_dept.name and late["site"] == parties.shop.name
    majors = hazard_list(office, level="major", **circular["list_query"])
    assert [h["id"] for h in circular["major"]] == [h["id"] for h in majors["items"]] == [week_of_hazards["major"]]
    assert set(circular["hazard_ids"]) == {h["id"] for h in (*circular["overdue"], *circular["major"])}
    assert circular["allowed_actions"] == ["edit", "publish"]
    # the stored circular answers the same, and is listed with the same totals
    assert office.get(f"/api/v1/circulars/{circular['id']}").get_json()["totals"] == totals
    [item] = office.get("/api/v1/circulars", query_string={"status": "draft"}).get_json()["items"]
    assert item["id"] == circular["id"] and item["totals"] == totals


def test_a_custom_period_counts_the_days_given(parties, week_of_hazards, login, hazard_list):
    office = login(parties.office)
    circular = draft(office, **scope_args(parties, "street")[0], period_kind="custom", start="2026-11-16",
                     end="2026-11-23")
    assert circular["totals"]["found"] == 4 == sum(hazard_list(office, **circular["list_query"])["counts"].values())
    assert_problem(office.post("/api/v1/circulars/drafts", json={"scope_kind": "street", "period_kind": "custom",
                                                                  "region_id": parties.district.street_a.id,
                                                                  "start": "2026-11-16"}), 422)


def test_review_needs_the_current_version(parties, week_of_hazards, login):
    office = login(parties.office)
    circular = draft(office, **scope_args(parties, "street")[0], **WEEK)
    url = f"/api/v1/circulars/{circular['id']}"
    edited = office.patch(url, json={"title": "街道A第48周隐患排查治理通报", "commentary": "请各网格加强巡查。",
                                     "version": 1})
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["title"], edited.get_json()["version"]) == ("街道A第48周隐患排查治理通报", 2)
    assert_problem(office.patch(url, json={"title": "别人的旧稿", "version": 1}), 409, "stale_version")
    assert office.get(url).get_json()["commentary"] == "请各网格加强巡查。"


def test_publishing_records_reported_on_every_named_hazard_then_it_can_be_archived(db, parties, week_of_hazards,
                                                                                     login):
    office = login(parties.office)
    circular = draft(office, **scope_args(parties, "street")[0], **WEEK)
    url = f"/api/v1/circulars/{circular['id']}"
    published = office.post(f"{url}/publish", json={"version": 1})
    assert published.status_code == 200, published.get_json()
    body = published.get_json()
    assert body["status"] == "published" and body["published_at"] and body["allowed_actions"] == ["archive"]
    reported = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "reported")).all()
    assert sorted(e.hazard_id for e in reported) == sorted(circular["hazard_ids"])
    assert {e.payload["circular_id"] for e in reported} == {circular["id"]}
    assert_problem(office.patch(url, json={"title": "改一下", "version": 2}), 409, "circular_not_draft")
    assert_problem(office.post(f"{url}/publish"), 409, "circular_not_draft")
    assert office.post(f"{url}/archive").get_json()["status"] == "archived"
    assert_problem(office.post(f"{url}/archive"), 409, "circular_not_published")
    assert office.get("/api/v1/circulars", query_string={"status": "published"}).get_json()["total"] == 0


def test_a_draft_cannot_be_archived(parties, week_of_hazards, login):
    office = login(parties.office)
    circular = draft(office, **scope_args(parties, "street")[0], **WEEK)
    assert_problem(office.post(f"/api/v1/circulars/{circular['id']}/archive"), 409, "circular_not_published")


def test_the_circular_as_page_pdf_and_xlsx_annex(parties, week_of_hazards, login):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    office = login(parties.office)
    circular = draft(office, **scope_args(parties, "street")[0], **WEEK)
    base = f"/api/v1/circulars/{circular['id']}"
    page = office.get(f"{base}.html")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert circular["title"] in text and "逾期未整改隐患及责任单位" in text and "草稿" in text
    pdf = office.get(f"{base}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    extracted = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "逾期未整改" in extracted and parties.district.fire_dept.name in extracted
    xlsx = office.get(f"{base}.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["总体情况", "逾期未整改", "重大隐患", "本期挂牌督办", "屡查屡犯", "网格排名"]
    overdue = list(book["逾期未整改"].iter_rows(values_only=True))
    assert overdue[0][0] == "编号" and len(overdue) - 1 == circular["totals"]["overdue"]


def test_scheduled_drafts_come_once_per_street_and_department_and_match_the_list(db, parties, week_of_hazards,
                                                                                 login, hazard_list):
    from hazardloop.circulars.jobs import draft_monthly_circulars, draft_weekly_circulars
    from hazardloop.regions.models import Department, Region

    streets = db.session.scalars(select(Region.id).where(Region.level.in_(["street", "park"]))).all()
    departments = db.session.scalars(select(Department.id)).all()
    assert draft_weekly_circulars("2026-11-30")["drafts"] == len(streets) + len(departments)
    assert draft_weekly_circulars("2026-12-01")["drafts"] == 0  # the same week: nothing new
    assert draft_monthly_circulars("2026-12-01")["drafts"] == len(streets) + len(departments)
    weekly = db.session.scalar(select(Circular).where(Circular.period_kind == "week", Circular.scope_kind == "street",
                                                      Circular.region_id == parties.district.street_a.id))
    assert weekly.created_by_id is None and weekly.status == "draft"
    office = login(parties.office)
    stored = office.get(f"/api/v1/circulars/{weekly.id}").get_json()
    assert stored["period"]["start"].startswith("2026-11-23")
    assert stored["totals"]["found"] == sum(hazard_list(office, **stored["list_query"])["counts"].values()) == 3


def test_circulars_outside_my_scope_are_not_found(parties, week_of_hazards, login):
    office = login(parties.office)
    circular = draft(office, **scope_args(parties, "street")[0], **WEEK)
    elsewhere = login(parties.elsewhere)  # the supervisor of street B
    assert_problem(elsewhere.get(f"/api/v1/circulars/{circular['id']}"), 404)
    assert_problem(elsewhere.get(f"/api/v1/circulars/{circular['id']}.pdf"), 404)
    assert_problem(elsewhere.post(f"/api/v1/circulars/{circular['id']}/publish"), 404)
    assert elsewhere.get("/api/v1/circulars").get_json() == {"items": [], "next_cursor": None, "total": 0}
    assert_problem(elsewhere.post("/api/v1/circulars/drafts", json={**scope_args(parties, "street")[0], **WEEK}), 404)
    # the street's own supervisor sees and manages it; an inspector of the department reads it only
    street = login(parties.street)
    assert street.get(f"/api/v1/circulars/{circular['id']}").get_json()["allowed_actions"] == ["edit", "publish"]
    fire = login(parties.fire)
    assert fire.get(f"/api/v1/circulars/{circular['id']}").get_json()["allowed_actions"] == []
    assert_problem(fire.patch(f"/api/v1/circulars/{circular['id']}", json={"title": "改标题", "version": 1}), 403)
    assert_problem(login(parties.worker).get(f"/api/v1/circulars/{circular['id']}"), 404)


def test_a_street_draft_needs_a_street(parties, login):
    office = login(parties.office)
    body = assert_problem(office.post("/api/v1/circulars/drafts", json={"scope_kind": "street", **WEEK}), 422)
    assert body["errors"][0]["field"] == "region_id"
    assert_problem(office.post("/api/v1/circulars/drafts", json={
        "scope_kind": "street", "region_id": parties.district.grid_a1.id, **WEEK}), 422)


def test_the_ad_hoc_circular_still_publishes_at_once(db, parties, week_of_hazards, login):
    office = login(parties.office)
    response = office.post("/api/v1/circulars", json={"title": "关于逾期隐患的通报",
                                                      "hazard_ids": [week_of_hazards["late"]]})
    assert response.status_code == 201, response.get_json()
    stored = db.session.get(Circular, response.get_json()["id"])
    assert stored.status == "published" and stored.published_at is not None
