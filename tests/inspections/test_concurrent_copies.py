"""Two copies of one inspection at the same instant (a phone's retry while the first is still being written):
both answer with the stored result, never a conflict, and one inspection and one hazard exist."""

from __future__ import annotations

from sqlalchemy import func, select

from hazardloop.hazards.models import Hazard
from hazardloop.inspections.models import Inspection
from tests.support.concurrency import run_at_once
from tests.support.inspections import failed, inspection, items


def test_identical_copies_at_once_store_one_inspection(checklists, shop, worker, login, make_photo, db):
    phone, retry = login(worker), login(worker)
    (item,) = items(phone, 1)
    body = inspection(shop, [failed(item, make_photo(worker))])
    answers = run_at_once([lambda: phone.post("/api/v1/inspections", json=body),
                           lambda: retry.post("/api/v1/inspections", json=body)])
    assert sorted(a.status_code for a in answers) in ([200, 201], [200, 200]), [a.get_json() for a in answers]
    assert answers[0].get_json()["id"] == answers[1].get_json()["id"]
    assert answers[0].get_json()["hazards"] == answers[1].get_json()["hazards"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Inspection)
                             .where(Inspection.client_uuid == body["client_uuid"])) == 1
    assert db.session.scalar(select(func.count()).select_from(Hazard).where(Hazard.site_id == shop.id)) == 1
