"""Two copies of one submission arriving together: the stored result for both, one row, no false conflict.

A phone that timed out resends while the first copy is still being written. The race is made
certain, not hoped for: a third connection holds back every insert into the table until both
requests have read "not stored yet" and are waiting to write; then both go at once.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from hazardloop.evidence.models import Photo
from hazardloop.inspections.models import Inspection
from tests.conftest import assert_problem

pytestmark = pytest.mark.postgresql_only  # SQLite serialises writers: the race cannot happen there

CHECKLIST = ("fire-small-restaurant", "2026.3")


def waiting_inserts(db, table: str) -> int:
    """How many other sessions wait for a lock on ``table`` right now."""
    return db.session.execute(text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = :table AND NOT l.granted"), {"table": table}).scalar_one()


def at_once(db, table: str, *requests: Callable[[], Any]) -> list[Any]:
    """Run the requests in threads while ``table`` refuses writes; release it once all of them wait to write."""
    results: list[Any] = [None] * len(requests)
    with db.engine.connect() as gate:
        gate.execute(text(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"))  # reads pass, inserts wait

        def run(i: int) -> None:
            results[i] = requests[i]()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while waiting_inserts(db, table) < len(requests):
            db.session.rollback()
            assert time.monotonic() < deadline, "the requests never reached their insert"
            time.sleep(0.02)
        db.session.rollback()
        gate.rollback()  # both inserts go now; one wins the unique client id, the other must cope
    for thread in threads:
        thread.join(30)
    return results


@pytest.fixture
def shop(district, make_site):
    return make_site(district.grid_a1, category="small_restaurant", domains=["fire", "nine_small"],
                     lat=30.3, lng=120.15)


@pytest.fixture
def worker(district, make_user):
    return make_user("grid_worker", region=district.grid_a1)


def submission(client, site, photo) -> dict[str, Any]:
    content = client.get("/api/v1/checklists/{}/versions/{}".format(*CHECKLIST)).get_json()["content"]
    item = next(i for s in content["sections"] for i in s["items"] if i["answer"]["type"] == "compliance")
    return {
        "client_uuid": str(uuid.uuid4()), "site_id": site.id, "checklist_id": CHECKLIST[0],
        "checklist_version": CHECKLIST[1], "mode": "routine",
        "started_at": "2026-12-03T09:00:00+08:00", "finished_at": "2026-12-03T09:20:00+08:00",
        "answers": [{"item_code": item["code"], "result": "不符合", "photo_ids": [photo.id], "finding": "灭火器过期"}],
    }


def test_two_identical_inspections_at_the_same_instant_both_answer_with_the_stored_one(
        db, checklists, shop, worker, login, make_photo):
    phone, retry = login(worker), login(worker)
    body = submission(phone, shop, make_photo(worker))

    first, second = at_once(db, "inspections", lambda: phone.post("/api/v1/inspections", json=body),
                            lambda: retry.post("/api/v1/inspections", json=body))

    assert sorted([first.status_code, second.status_code]) == [200, 201], (first.get_json(), second.get_json())
    assert first.get_json()["id"] == second.get_json()["id"]
    assert first.get_json()["hazards"] == second.get_json()["hazards"]  # the loser answers the stored result
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 1
    hazards = phone.get(f"/api/v1/hazards?site={shop.id}").get_json()
    assert len(hazards["items"]) == 1


def test_different_content_under_one_client_id_at_the_same_instant_is_a_conflict(
        db, checklists, shop, worker, login, make_photo):
    phone, other = login(worker), login(worker)
    body = submission(phone, shop, make_photo(worker))
    changed = {**body, "notes": "另一台手机写的内容"}

    answers = at_once(db, "inspections", lambda: phone.post("/api/v1/inspections", json=body),
                      lambda: other.post("/api/v1/inspections", json=changed))

    codes = sorted(r.status_code for r in answers)
    assert codes == [201, 409]
    assert_problem(next(r for r in answers if r.status_code == 409), 409, "client_uuid_reused")
    assert db.session.scalar(select(func.count()).select_from(Inspection)) == 1


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 30, 30)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_two_identical_photo_uploads_at_once_create_one_photo_and_answer_201_then_200(db, worker, login):
    data = jpeg()
    phone, retry = login(worker), login(worker)

    def upload(client) -> Callable[[], Any]:
        return lambda: client.post("/api/v1/photos", data={"file": (io.BytesIO(data), "a.jpg", "image/jpeg")},
                                   content_type="multipart/form-data")

    first, second = at_once(db, "photos", upload(phone), upload(retry))

    assert sorted([first.status_code, second.status_code]) == [200, 201], (first.get_json(), second.get_json())
    assert first.get_json()["id"] == second.get_json()["id"]
    assert db.session.scalar(select(func.count()).select_from(Photo)) == 1
