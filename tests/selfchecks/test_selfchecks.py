"""企业隐患自查自报 as a specification: the month of a site, one report per site and month (idempotent), the
reminder sent once, who may do what, and the console's figures counted from hand-built data."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from hazardloop.database import local_zone, utcnow
from hazardloop.hazards.states import HazardLevel, HazardSource
from hazardloop.taxonomy import Role
from tests.conftest import assert_problem

ZONE = dt.timezone(dt.timedelta(hours=8))
_uuids = itertools.count(1)


def at(text: str) -> dt.datetime:
    """A local (UTC+8) time as a UTC instant."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=ZONE).astimezone(dt.UTC)


@pytest.fixture
def version(db: Any) -> Any:
    from hazardloop.checklists.models import Checklist, ChecklistVersion

    db.session.add(Checklist(id="selfcheck", title="自查表"))
    v = ChecklistVersion(checklist_id="selfcheck", version="1", content_hash="0" * 64, title="企业自查表",
                         categories=[], domains=[], item_count=0, content={"sections": []}, source_file="s.yaml")
    db.session.add(v)
    db.session.commit()
    return v


def inspect(db: Any, site: Any, who: Any, finished: dt.datetime, version: Any, *, mode: str = "self") -> Any:
    """An inspection as stored (its content is not what these figures count)."""
    from hazardloop.inspections.models import Inspection

    inspection = Inspection(client_uuid=str(uuid.UUID(int=next(_uuids))), content_hash="x", site=site,
                            checklist_version_id=version.id, mode=mode, inspector_id=who.id,
                            inspector_role="enterprise_user" if mode == "self" else "grid_worker",
                            started_at=finished, finished_at=finished, answers=[], score_total=100, score_max=100,
                            finding_count=0)
    db.session.add(inspection)
    db.session.commit()
    return inspection


def hazard(db: Any, site: Any, who: Any, found: dt.datetime, *, level: str = "general",
           source: str = "self_check") -> Any:
    from hazardloop.hazards.services import create_hazard

    h = create_hazard(site=site, source=HazardSource(source), description="疏散通道堵塞", level=HazardLevel(level),
                      domain="fire", actor=who, found_at=found,
                      actor_role=Role.ENTERPRISE_USER if source == "self_check" else Role.GRID_WORKER)
    db.session.commit()
    return h


def step(db: Any, h: Any, action: str, who: Any, **payload: Any) -> None:
    from hazardloop.hazards.services import transition

    transition(h, action, actor=who, payload=payload)
    db.session.commit()


def report_row(db: Any, site: Any, who: Any, period: str, reported: dt.datetime, *, on_time: bool) -> None:
    from hazardloop.selfchecks.models import SelfCheckReport

    db.session.add(SelfCheckReport(client_uuid=str(uuid.uuid4()), content_hash="x", site_id=site.id, period=period,
                                   zero_report=True, inspection_ids=[], hazard_ids=[], inspection_count=0,
                                   finding_count=0, reported_by_id=who.id, reported_at=reported,
                                   received_at=reported, on_time=on_time))
    db.session.commit()


# --- figures -------------------------------------------------------------------------------------

def test_the_figures_per_enterprise_count_what_their_definitions_say(db, app, district, make_site, make_user,
                                                                     make_photo, version):
    from hazardloop.selfchecks import figures

    textile = make_site(district.grid_a1, name="嘉诚纺织")
    canteen = make_site(district.grid_a2, name="老街面馆")
    make_site(district.grid_a1, name="无账号小店")  # no 企业账号: not among those who must report
    elsewhere = make_site(district.grid_b1, name="B街道工厂")
    owner = make_user("enterprise_user", site=textile)
    make_user("enterprise_user", site=canteen)
    make_user("enterprise_user", site=elsewhere)
    worker = make_user("grid_worker", region=district.grid_a1)
    supervisor = make_user("supervisor", region=district.street_a)
    textile.created_at = at("2026-03-15T10:00:00")
    canteen.created_at = at("2026-06-10T10:00:00")
    db.session.commit()

    # 自查次数: two self-inspections in June; May's and a grid worker's patrol do not count.
    inspect(db, textile, owner, at("2026-06-01T00:00:00"), version)
    inspect(db, textile, owner, at("2026-06-30T23:59:00"), version)
    inspect(db, textile, owner, at("2026-05-31T23:59:00"), version)
    inspect(db, textile, worker, at("2026-06-10T09:00:00"), version, mode="routine")
    # 自查发现: five in June (four 一般, one 重大); the patrol's finding and May's do not count.
    photo = make_photo(owner).id
    on_site = hazard(db, textile, owner, at("2026-06-02T09:00:00"))
    step(db, on_site, "close_on_site", owner, before_photo_ids=[photo], after_photo_ids=[photo])
    app.config["SELF_RECTIFY_SPOT_CHECK_SHARE"] = 0.0  # never drawn: closed at once
    self_fixed = hazard(db, textile, owner, at("2026-06-03T09:00:00"))
    step(db, self_fixed, "self_rectify", owner, measures="已清理", photo_ids=[photo])
    app.config["SELF_RECTIFY_SPOT_CHECK_SHARE"] = 1.0  # always drawn: 待复查, and here it fails
    failed = hazard(db, textile, owner, at("2026-06-04T09:00:00"))
    step(db, failed, "self_rectify", owner, measures="已清理", photo_ids=[photo])
    step(db, failed, "verify_fail", worker, note="仍有堆放", deadline=(utcnow() + dt.timedelta(days=7)).date())
    app.config["SELF_RECTIFY_SPOT_CHECK_SHARE"] = 0.2
    hazard(db, textile, owner, at("2026-06-05T09:00:00"))  # still open
    hazard(db, textile, owner, at("2026-06-06T09:00:00"), level="major")
    hazard(db, textile, worker, at("2026-06-07T09:00:00"), source="grid_patrol")
    hazard(db, textile, owner, at("2026-05-20T09:00:00"))
    # 按期: March on time, April late, May missing, June on time.
    report_row(db, textile, owner, "2026-03", at("2026-03-31T20:00:00"), on_time=True)
    report_row(db, textile, owner, "2026-04", at("2026-05-02T09:00:00"), on_time=False)
    report_row(db, textile, owner, "2026-06", at("2026-06-20T09:00:00"), on_time=True)

    result = figures.compute(supervisor, "2026-06", now=at("2026-06-25T12:00:00"))

    assert [r["site_name"] for r in result["rows"]] == ["嘉诚纺织", "老街面馆"]  # in scope, with an account
    textile_row, canteen_row = result["rows"]
    values = {k: v["text"] for k, v in textile_row["figures"].items()}
    assert values == {"inspections": "2 次", "findings": "5 项", "general_findings": "4 项",
                      "self_rectified": "2 项", "self_rectified_rate": "50.0%（2/4）", "months_due": "4 个月",
                      "months_on_time": "2 个月", "on_time_rate": "50.0%（2/4）"}
    assert textile_row["reported"] is True and textile_row["on_time"] is True
    # Nothing self-inspected and June not over: nothing to divide, so 「—」, and 未报告 this period.
    assert canteen_row["figures"]["self_rectified_rate"]["text"] == "—（0/0）"
    assert canteen_row["figures"]["on_time_rate"]["text"] == "—（0/0）"
    assert result["not_reported"] == [{"site_id": canteen.id, "site_name": "老街面馆", "grid_name": "A2网格"}]
    assert result["totals"]["self_rectified_rate"]["text"] == "50.0%（2/4）"
    # Every rate names its denominator, defined once.
    labels = {d["key"]: d for d in result["definitions"]}
    assert labels["self_rectified_rate"]["denominator_label"] == "其中一般隐患"
    assert labels["on_time_rate"]["denominator_label"] == "应报月数"

    # After June, the canteen's June is due and unreported: 0 of 1.
    later = figures.compute(supervisor, "2026-06", now=at("2026-07-02T12:00:00"))
    assert later["rows"][1]["figures"]["on_time_rate"]["text"] == "0.0%（0/1）"
    assert later["ended"] is True


def test_figures_are_for_staff_over_http_and_scoped(db, district, make_site, make_user, login):
    site = make_site(district.grid_a1)
    owner = make_user("enterprise_user", site=site)
    for role, kw, status in (("grid_worker", {"region": district.grid_a1}, 403),
                             ("inspector", {"region": district.street_a, "department": district.fire_dept}, 200),
                             ("supervisor", {"region": district.street_b}, 200)):
        response = login(make_user(role, **kw)).get("/api/v1/self-checks/figures?period=2026-06")
        assert response.status_code == status, response.get_json()
        if status == 200:
            rows = response.get_json()["rows"]
            assert [r["site_id"] for r in rows] == ([site.id] if role == "inspector" else [])
    assert_problem(login(owner).get("/api/v1/self-checks/figures"), 403)
    assert_problem(login(owner).get("/api/v1/self-checks/figures?period=2026-13"), 422)


# --- a site's month and its report ---------------------------------------------------------------

@pytest.fixture
def shop(db, district, make_site, make_user, login, version):
    site = make_site(district.grid_a1, name="老街面馆")
    owner = make_user("enterprise_user", site=site)
    return {"site": site, "owner": owner, "client": login(owner), "version": version,
            "period": utcnow().astimezone(local_zone()).strftime("%Y-%m")}


def report(shop: dict[str, Any], *, zero: bool, client_uuid: str | None = None, **extra: Any) -> Any:
    return shop["client"].post("/api/v1/self-checks", json={
        "client_uuid": client_uuid or str(uuid.uuid4()), "site_id": shop["site"].id, "period": shop["period"],
        "zero_report": zero, **extra})


def test_the_month_offers_a_zero_report_until_a_self_inspection_finds_something(db, shop):
    client, site = shop["client"], shop["site"]
    month = client.get(f"/api/v1/self-checks/sites/{site.id}").get_json()
    assert (month["period"], month["offered"], month["report"]) == (shop["period"], "zero", None)
    assert month["inspections"] == [] and month["findings"] == []

    inspection = inspect(db, site, shop["owner"], utcnow(), shop["version"])
    found = hazard(db, site, shop["owner"], utcnow())
    month = client.get(f"/api/v1/self-checks/sites/{site.id}?period={shop['period']}").get_json()
    assert month["offered"] == "report"
    assert [i["id"] for i in month["inspections"]] == [inspection.id]
    assert [(f["number"], f["level_label"], f["status_label"]) for f in month["findings"]] == [
        (found.number, "一般", "已发现")]
    # 「本月未发现隐患」 is refused while the month has findings.
    assert_problem(report(shop, zero=True), 409, "findings_exist")


def test_an_open_hazard_seen_again_by_a_self_inspection_is_not_nothing_found(db, shop):
    inspection = inspect(db, shop["site"], shop["owner"], utcnow(), shop["version"])
    inspection.finding_count = 1  # the open hazard of that item was observed again: no new hazard
    db.session.commit()
    month = shop["client"].get(f"/api/v1/self-checks/sites/{shop['site'].id}").get_json()
    assert (month["findings"], month["offered"]) == ([], "report")
    assert_problem(report(shop, zero=True), 409, "findings_exist")
    assert report(shop, zero=False).status_code == 201


def test_one_report_per_site_and_month_idempotent_by_its_client_uuid(db, shop):
    from hazardloop.hazards.models import AuditEvent
    from hazardloop.selfchecks.models import SelfCheckReport

    assert_problem(report(shop, zero=False), 409, "no_self_inspection")  # nothing checked yet
    inspection = inspect(db, shop["site"], shop["owner"], utcnow(), shop["version"])
    found = hazard(db, shop["site"], shop["owner"], utcnow())
    key = str(uuid.uuid4())
    first = report(shop, zero=False, client_uuid=key, note="本月自查两次")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert (body["inspection_ids"], body["hazard_ids"], body["on_time"]) == ([inspection.id], [found.id], True)
    again = report(shop, zero=False, client_uuid=key, note="本月自查两次")  # the phone's resend
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert_problem(report(shop, zero=False, client_uuid=key, note="改了"), 409, "client_uuid_reused")
    other = assert_problem(report(shop, zero=False), 409, "already_reported")  # another phone, same month
    assert "每月只报一次" in other["detail"]
    assert db.session.scalar(select(func.count()).select_from(SelfCheckReport)) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "self_check_reported"))
    assert (event.actor_id, event.actor_role, event.payload["report_id"]) == (
        shop["owner"].id, "enterprise_user", body["id"])
    month = shop["client"].get(f"/api/v1/self-checks/sites/{shop['site'].id}").get_json()
    assert month["offered"] is None and month["report"]["id"] == body["id"]


def test_copies_sent_at_the_same_instant_store_one_report(db, shop, login):
    from hazardloop.selfchecks.models import SelfCheckReport
    from tests.support.concurrency import run_at_once

    phones = [shop["client"], login(shop["owner"])]
    body = {"client_uuid": str(uuid.uuid4()), "site_id": shop["site"].id, "period": shop["period"], "zero_report": True}
    same = run_at_once([lambda c=c: c.post("/api/v1/self-checks", json=body) for c in phones])
    # The retry gets the stored result, not a conflict.
    assert sorted(r.status_code for r in same) == [200, 201], [r.get_json() for r in same]
    assert same[0].get_json()["id"] == same[1].get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(SelfCheckReport)) == 1


def test_a_copy_that_finds_its_twin_stored_for_the_month_gets_it_back_not_a_conflict(db, app, shop):
    """The race behind the test above, made certain: the other copy is stored between this one's look for its
    client UUID (none yet) and its look for the month's report (there now)."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from hazardloop.accounts.models import User
    from hazardloop.selfchecks.schemas import SelfCheckReportCreateSchema
    from hazardloop.selfchecks.services import submit_report

    data = SelfCheckReportCreateSchema().load({"client_uuid": str(uuid.uuid4()), "site_id": shop["site"].id,
                                               "period": shop["period"], "zero_report": True})
    owner_id, twin = shop["owner"].id, {}

    def the_other_copy_arrives(state: Any) -> None:
        if twin or not state.is_select or "self_check_reports.period =" not in str(state.statement):
            return
        twin["id"] = None
        with app.app_context():  # the other request: its own session and transaction
            stored, created = submit_report(dict(data), actor=db.session.get(User, owner_id))
            db.session.commit()
            twin["id"], twin["created"] = stored.id, created

    event.listen(Session, "do_orm_execute", the_other_copy_arrives)
    try:
        mine, created = submit_report(dict(data), actor=shop["owner"])
    finally:
        event.remove(Session, "do_orm_execute", the_other_copy_arrives)
    assert twin == {"id": mine.id, "created": True}
    assert created is False


def test_a_zero_report_and_the_periods_that_may_be_reported(db, shop):
    created = report(shop, zero=True)
    assert created.status_code == 201 and created.get_json()["zero_report"] is True
    start = dt.date.fromisoformat(f"{shop['period']}-01")
    two_ago = (start - dt.timedelta(days=40)).strftime("%Y-%m")
    next_month = (start + dt.timedelta(days=40)).strftime("%Y-%m")
    assert_problem(report({**shop, "period": two_ago}, zero=True), 422)
    assert_problem(report({**shop, "period": next_month}, zero=True), 422)


def test_last_month_may_be_reported_late_but_not_a_month_before_the_site_existed(db, shop):
    start = dt.date.fromisoformat(f"{shop['period']}-01")
    last = (start - dt.timedelta(days=1)).strftime("%Y-%m")
    url = f"/api/v1/self-checks/sites/{shop['site'].id}?period={last}"
    month = shop["client"].get(url).get_json()
    assert month["offered"] is None and "无需报告" in month["blocked_reason"]  # registered this month
    assert_problem(report({**shop, "period": last}, zero=True), 422)

    shop["site"].created_at = utcnow() - dt.timedelta(days=70)
    db.session.commit()
    assert shop["client"].get(url).get_json()["offered"] == "zero"
    late = report({**shop, "period": last}, zero=True)
    assert late.status_code == 201 and late.get_json()["on_time"] is False  # 补报: recorded as late


def test_who_may_report(db, shop, district, make_site, make_user, login):
    site = shop["site"]
    elsewhere = make_site(district.grid_b1)
    stranger = login(make_user("enterprise_user", site=elsewhere))
    worker = login(make_user("grid_worker", region=district.grid_a1))
    body = {"client_uuid": str(uuid.uuid4()), "site_id": site.id, "period": shop["period"], "zero_report": True}
    assert_problem(worker.post("/api/v1/self-checks", json=body), 403)  # sees the site, not his to report
    assert_problem(stranger.post("/api/v1/self-checks", json=body), 404)  # out of scope: not found
    assert_problem(stranger.get(f"/api/v1/self-checks/sites/{site.id}"), 404)
    seen = worker.get(f"/api/v1/self-checks/sites/{site.id}").get_json()
    assert seen["offered"] is None  # nothing offered that would be refused


# --- reminders -----------------------------------------------------------------------------------

def test_the_reminder_goes_once_per_site_and_month_to_those_who_have_not_reported(db, app, district, make_site,
                                                                                   make_user):
    from hazardloop.notifications.models import Notification
    from hazardloop.selfchecks.jobs import remind_self_check_reports
    from hazardloop.selfchecks.models import SelfCheckReminder

    quiet = make_site(district.grid_a1, name="未报小店")
    done = make_site(district.grid_a1, name="已报小店")
    make_site(district.grid_a1, name="无账号小店")
    owners = [make_user("enterprise_user", site=quiet), make_user("enterprise_user", site=quiet)]
    reporter = make_user("enterprise_user", site=done)
    report_row(db, done, reporter, "2026-06", at("2026-06-20T09:00:00"), on_time=True)

    assert remind_self_check_reports(at("2026-06-26T12:00:00").isoformat())["reminded"] == 0  # too early
    assert remind_self_check_reports(at("2026-06-28T00:00:00").isoformat()) == {"period": "2026-06", "reminded": 1}
    assert remind_self_check_reports(at("2026-06-30T22:00:00").isoformat())["reminded"] == 0  # never twice
    notices = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert [n.user_id for n in notices] == [o.id for o in owners]
    assert notices[0].title == "请在6月30日前提交2026年6月自查自报" and notices[0].kind == "reminder.self_check"
    assert db.session.scalar(select(func.count()).select_from(SelfCheckReminder)) == 1
    # A new month earns a new reminder.
    assert remind_self_check_reports(at("2026-07-30T09:00:00").isoformat())["reminded"] == 2


# --- 自报 of a 重大 finding ----------------------------------------------------------------------------

def test_a_major_hazard_the_enterprise_found_itself_is_reported_to_the_supervisors(db, district, make_site, make_user):
    from hazardloop.notifications.models import Notification
    from hazardloop.outbox.models import OutboxMessage
    from hazardloop.outbox.services import run_message

    site = make_site(district.grid_a1)
    owner = make_user("enterprise_user", site=site)
    worker = make_user("grid_worker", region=district.grid_a1)
    street = make_user("supervisor", region=district.street_a)
    office = make_user("supervisor", region=district.district)
    make_user("supervisor", region=district.street_b)  # another street: not told
    major = hazard(db, site, owner, utcnow(), level="major")
    hazard(db, site, owner, utcnow())  # a 一般 one is the enterprise's own to rectify: nobody is told
    for message_id in db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).all():
        run_message(message_id)
    db.session.expire_all()
    notices = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert [n.user_id for n in notices] == sorted([worker.id, street.id, office.id])
    assert {(n.kind, n.hazard_id, n.title) for n in notices} == {
        ("hazard.self_reported", major.id, f"企业自报重大隐患（{major.number}）")}
