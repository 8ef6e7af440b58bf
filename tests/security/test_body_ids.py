"""Ids in request bodies go through the policy like ids in paths: no one links a photo they may not cite."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from hazardloop.evidence.models import Photo, PhotoLink
from hazardloop.evidence.services import set_published, watermark_lines
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.schemas import GovernancePlanSchema
from hazardloop.hazards.states import GOVERNANCE_PLAN_PARTS
from hazardloop.inspections.models import Inspection
from tests.conftest import assert_problem
from tests.support.inspections import failed, inspection, items
from tests.support.photos import gps_photo, hazard_body

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def links_of(db: Any, photo_id: str) -> list[tuple[str, int, str]]:
    db.session.expire_all()
    return [(link.subject_type, link.subject_id, link.role) for link in db.session.scalars(
        select(PhotoLink).where(PhotoLink.photo_id == photo_id).order_by(PhotoLink.id))]


def fire(client: Any, hazard_id: int, action: str, **payload: Any) -> Any:
    return client.post(f"/api/v1/hazards/{hazard_id}/transitions", json={"action": action, **payload})


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.get_json()
    return response.get_json()


def assert_photo_refused(response: Any, field: str) -> None:
    """Refused like a photo that was never uploaded: 422 with the field's error coded photo_missing."""
    body = assert_problem(response, 422)
    assert (field, "photo_missing") in {(e["field"], e["code"]) for e in body["errors"]}, body


@pytest.fixture
def world(db, district, make_site, make_user, login):
    """Two shops in two streets; the photo of street B's hazard is on the public 曝光台."""
    shop_a = make_site(district.grid_a1, lat=30.3, lng=120.15)
    shop_b = make_site(district.grid_b1, lat=30.31, lng=120.16)
    users = SimpleNamespace(
        admin=make_user("admin"),
        worker_a=make_user("grid_worker", region=district.grid_a1),
        owner_a=make_user("enterprise_user", site=shop_a),
        worker_b=make_user("grid_worker", region=district.grid_b1),
        supervisor_b=make_user("supervisor", region=district.street_b),
    )
    clients = SimpleNamespace(**{name: login(user) for name, user in vars(users).items()})
    published = gps_photo(db, users.worker_b, lat=30.3101, lng=120.1602)
    ok(clients.worker_b.post("/api/v1/hazards", json=hazard_body(shop_b, [published.id])), 201)
    set_published(published, True)  # its id is now public: 曝光台, Open311
    db.session.commit()
    return SimpleNamespace(shop_a=shop_a, shop_b=shop_b, users=users, c=clients, published=published,
                           published_links=links_of(db, published.id))


def never_uploaded() -> str:
    return hashlib.sha256(uuid.uuid4().bytes).hexdigest()


# --- citing a photo one may not see ------------------------------------------------------------

@pytest.mark.parametrize("who", ["owner_a", "worker_a"])
def test_a_published_photo_of_another_street_cannot_be_cited_in_a_new_hazard(world, db, who):
    client = getattr(world.c, who)
    response = client.post("/api/v1/hazards", json=hazard_body(world.shop_a, [world.published.id]))
    assert_photo_refused(response, "photo_ids")
    assert links_of(db, world.published.id) == world.published_links
    assert db.session.scalar(select(func.count()).select_from(Hazard).where(Hazard.site_id == world.shop_a.id)) == 0
    # Still out of sight: no record, no evidence copy, no GPS original.
    assert_problem(client.get(f"/api/v1/photos/{world.published.id}"), 404)
    assert_problem(client.get(f"/api/v1/photos/{world.published.id}/original"), 404)
    assert_problem(client.get(f"/api/v1/photos/{world.published.id}/evidence"), 404)


def test_an_out_of_sight_photo_is_answered_exactly_like_one_never_uploaded(world):
    seen = world.c.owner_a.post("/api/v1/hazards", json=hazard_body(world.shop_a, [world.published.id]))
    unknown = world.c.owner_a.post("/api/v1/hazards", json=hazard_body(world.shop_a, [never_uploaded()]))
    a, b = seen.get_json(), unknown.get_json()
    assert (seen.status_code, a["code"], a["detail"]) == (unknown.status_code, b["code"], b["detail"])
    assert [(e["field"], e["code"]) for e in a["errors"]] == [(e["field"], e["code"]) for e in b["errors"]]


def test_the_own_photo_is_cited_and_linked(world, db):
    mine = gps_photo(db, world.users.owner_a, shade=3)
    hazard = ok(world.c.owner_a.post("/api/v1/hazards", json=hazard_body(world.shop_a, [mine.id])), 201)
    assert links_of(db, mine.id) == [("hazard", hazard["id"], "finding")]


def test_inspection_answers_and_signature_cannot_cite_a_photo_out_of_sight(world, db, checklists):
    client = world.c.worker_a
    first, second = items(client)
    own = gps_photo(db, world.users.worker_a, shade=4)
    body = inspection(world.shop_a, [failed(first, own), failed(second, world.published)])
    assert_photo_refused(client.post("/api/v1/inspections", json=body), "answers.1.photo_ids")
    fixed = failed(first, own, fixed_on_site=True, after_photo_ids=[world.published.id])
    assert_photo_refused(client.post("/api/v1/inspections", json=inspection(world.shop_a, [fixed])),
                         "answers.0.after_photo_ids")
    signed = inspection(world.shop_a, [failed(first, own)], signature_photo_id=world.published.id)
    assert_photo_refused(client.post("/api/v1/inspections", json=signed), "signature_photo_id")
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 0
    assert links_of(db, world.published.id) == world.published_links


def test_no_transition_links_a_photo_out_of_sight(world, db):
    worker, owner, foreign = world.c.worker_a, world.c.owner_a, world.published.id
    finding = gps_photo(db, world.users.worker_a, shade=5)
    hazard_id = ok(worker.post("/api/v1/hazards", json=hazard_body(world.shop_a, [finding.id])), 201)["id"]
    after = gps_photo(db, world.users.worker_a, shade=6)

    assert_photo_refused(fire(worker, hazard_id, "close_on_site", before_photo_ids=[foreign],
                              after_photo_ids=[after.id]), "before_photo_ids")
    assert_photo_refused(fire(worker, hazard_id, "close_on_site", before_photo_ids=[finding.id],
                              after_photo_ids=[foreign]), "after_photo_ids")
    ok(fire(worker, hazard_id, "assign"))
    ok(fire(owner, hazard_id, "acknowledge"))
    assert_photo_refused(fire(owner, hazard_id, "submit_rectification", measures="已清理", photo_ids=[foreign]),
                         "photo_ids")
    # The worker's own unlinked photo is not the enterprise's to cite either.
    assert_photo_refused(fire(owner, hazard_id, "submit_rectification", measures="已清理", photo_ids=[after.id]),
                         "photo_ids")
    rectified = gps_photo(db, world.users.owner_a, shade=7)
    ok(fire(owner, hazard_id, "submit_rectification", measures="已清理", photo_ids=[rectified.id]))
    assert_photo_refused(fire(worker, hazard_id, "verify_fail", note="未清理干净", deadline="2099-01-31",
                              photo_ids=[foreign]), "photo_ids")
    assert_photo_refused(fire(worker, hazard_id, "verify_pass", photo_ids=[foreign]), "photo_ids")
    ok(fire(worker, hazard_id, "verify_pass", note="复查合格", photo_ids=[after.id]))
    assert links_of(db, world.published.id) == world.published_links
    hazard = db.session.get(Hazard, hazard_id)
    assert foreign not in hazard.photo_ids and foreign not in (hazard.rectification or {}).get("photo_ids", [])


# --- the capture record: the first one wins ----------------------------------------------------

def test_a_photo_not_linked_yet_is_cited_only_by_its_uploader_and_never_restamped(world, db):
    victim = gps_photo(db, world.users.worker_a, shade=8)
    # The administrator may view every photo, but not link someone else's unlinked upload.
    response = world.c.admin.post("/api/v1/hazards", json=hazard_body(world.shop_a, [victim.id]))
    assert_photo_refused(response, "photo_ids")
    db.session.expire_all()
    photo = db.session.get(Photo, victim.id)
    assert links_of(db, victim.id) == []
    assert (photo.recorded_at, photo.hazard_number, photo.inspector_id, photo.site_id) == (None, None, None, None)


def test_a_later_link_keeps_the_first_capture_record(world, db):
    photo = gps_photo(db, world.users.worker_a, shade=9)
    first = ok(world.c.worker_a.post("/api/v1/hazards", json=hazard_body(world.shop_a, [photo.id])), 201)
    db.session.expire_all()
    stamped = db.session.get(Photo, photo.id)
    record = (stamped.hazard_number, stamped.inspector_id, stamped.recorded_at, stamped.evidence_key)
    assert record[:2] == (first["number"], world.users.worker_a.id)
    # Once linked the owner may see it and cite it again: a new link, the same record.
    second = ok(world.c.owner_a.post("/api/v1/hazards", json=hazard_body(
        world.shop_a, [photo.id], found_at="2026-11-25T15:00:00+08:00")), 201)
    db.session.expire_all()
    again = db.session.get(Photo, photo.id)
    assert (again.hazard_number, again.inspector_id, again.recorded_at, again.evidence_key) == record
    assert ("hazard", second["id"], "finding") in links_of(db, photo.id)


def test_an_inspection_photo_carries_the_inspection_record_not_the_next_citers(world, db, checklists):
    """A photo of a 符合 answer is stamped by its inspection; citing it later does not re-stamp it."""
    owner = world.c.owner_a
    (item,) = items(owner, 1)
    photo = gps_photo(db, world.users.owner_a, lat=31.2, lng=121.4, shade=10)
    answer = {"item_code": item["code"], "result": "符合", "photo_ids": [photo.id]}
    ok(owner.post("/api/v1/inspections", json=inspection(world.shop_a, [answer], mode="self")), 201)
    db.session.expire_all()
    stamped = db.session.get(Photo, photo.id)
    assert stamped.inspector_id == world.users.owner_a.id and stamped.site_id == world.shop_a.id
    assert stamped.recorded_at == dt.datetime(2026, 11, 20, 9, 20, tzinfo=SHANGHAI)
    when, where, *_ = watermark_lines(stamped)
    assert "（检查记录）" in when and "（照片EXIF" not in where  # the record's time and place, not the phone's
    ok(world.c.worker_a.post("/api/v1/hazards", json=hazard_body(world.shop_a, [photo.id])), 201)
    db.session.expire_all()
    again = db.session.get(Photo, photo.id)
    assert (again.inspector_id, again.hazard_number) == (world.users.owner_a.id, None)


# --- enterprise users never see staff EXIF/GPS ------------------------------------------------

EXIF_FIELDS = ("exif_taken_at", "exif_lat", "exif_lng", "exif_time_offset_s", "exif_distance_m")


def test_an_enterprise_sees_a_staff_photo_without_its_exif_time_and_gps(world, db):
    photo = gps_photo(db, world.users.worker_a, shade=11)
    ok(world.c.worker_a.post("/api/v1/hazards", json=hazard_body(world.shop_a, [photo.id])), 201)
    staff_view = ok(world.c.worker_a.get(f"/api/v1/photos/{photo.id}"))
    assert staff_view["exif_lat"] == pytest.approx(30.3002, abs=1e-4) and staff_view["exif_taken_at"]
    owner_view = ok(world.c.owner_a.get(f"/api/v1/photos/{photo.id}"))
    assert {k: owner_view[k] for k in EXIF_FIELDS} == dict.fromkeys(EXIF_FIELDS)
    assert owner_view["evidence_url"] and owner_view["recorded_at"]  # the record itself is the evidence
    assert_problem(world.c.owner_a.get(f"/api/v1/photos/{photo.id}/original"), 403)


def test_an_enterprise_sees_the_exif_of_its_own_upload(world, db):
    photo = gps_photo(db, world.users.owner_a, shade=12)
    view = ok(world.c.owner_a.get(f"/api/v1/photos/{photo.id}"))
    assert view["exif_lat"] == pytest.approx(30.3002, abs=1e-4)


# --- the last administrator ---------------------------------------------------------------------

def test_the_last_active_administrator_cannot_be_disabled_or_demoted(world, db, district, make_user, login):
    admin, client = world.users.admin, world.c.admin
    body = assert_problem(client.patch(f"/api/v1/users/{admin.id}", json={"active": False}), 409, "last_admin")
    assert "最后一位" in body["detail"]
    assert_problem(client.patch(f"/api/v1/users/{admin.id}", json={
        "grants": [{"role": "supervisor", "region_id": district.district.id}]}), 409, "last_admin")
    db.session.expire_all()
    assert admin.active and [g.role for g in admin.grants] == ["admin"]

    other = make_user("admin")
    assert ok(client.patch(f"/api/v1/users/{other.id}", json={"active": False}))["active"] is False
    # A disabled administrator does not count.
    assert_problem(client.patch(f"/api/v1/users/{admin.id}", json={"active": False}), 409, "last_admin")
    ok(client.patch(f"/api/v1/users/{other.id}", json={"active": True}))
    assert ok(client.patch(f"/api/v1/users/{admin.id}", json={"active": False}))["active"] is False
    assert_problem(login(other).patch(f"/api/v1/users/{other.id}", json={"active": False}), 409, "last_admin")


# --- 治理方案: its six fixed parts, bounded ---------------------------------------------------------

def test_the_governance_plan_schema_names_exactly_the_six_parts():
    assert set(GovernancePlanSchema().fields) == set(GOVERNANCE_PLAN_PARTS)


@pytest.mark.parametrize("plan, field", [
    ({**dict.fromkeys(GOVERNANCE_PLAN_PARTS, "已落实"), "extra": "x"}, "plan.extra"),
    ({f"k{i}": "x" for i in range(50_000)}, "plan.k0"),
    ({**dict.fromkeys(GOVERNANCE_PLAN_PARTS, "已落实"), "goals": "长" * 5001}, "plan.goals"),
    ({**dict.fromkeys(GOVERNANCE_PLAN_PARTS, "已落实"), "funding": {"nested": "x"}}, "plan.funding"),
])
def test_a_governance_plan_beyond_its_six_bounded_parts_is_refused(world, db, plan, field):
    hazard_id = major_assigned(world, db)
    body = assert_problem(fire(world.c.owner_a, hazard_id, "submit_governance_plan", plan=plan), 422)
    assert any(e["field"].startswith(field) for e in body["errors"]), body["errors"][:3]
    db.session.expire_all()
    assert db.session.get(Hazard, hazard_id).governance_plan in (None, {})


def test_a_governance_plan_of_its_six_parts_is_kept(world, db):
    hazard_id = major_assigned(world, db)
    plan = {key: f"{label}：已明确" for key, label in GOVERNANCE_PLAN_PARTS.items()}
    ok(fire(world.c.owner_a, hazard_id, "submit_governance_plan", plan=plan))
    db.session.expire_all()
    assert db.session.get(Hazard, hazard_id).governance_plan == plan


def major_assigned(world: Any, db: Any) -> int:
    photo = gps_photo(db, world.users.worker_a, shade=13)
    hazard = ok(world.c.worker_a.post("/api/v1/hazards", json=hazard_body(world.shop_a, [photo.id], level="重大")),
                201)
    ok(fire(world.c.worker_a, hazard["id"], "assign"))
    return hazard["id"]
