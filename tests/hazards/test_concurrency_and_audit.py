"""Two people acting at once cannot both win; numbers never repeat; the event log is tamper-evident."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from hazardloop.hazards.events import verify_chains
from tests.support.concurrency import run_at_once
from tests.support.workflow import fire, found_hazards, ok


def test_concurrent_verifications_cannot_both_win(checklists, shop, people, make_photo):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    ok(fire(people["worker"], hazard_id, "assign"))
    ok(fire(people["owner"], hazard_id, "acknowledge"))
    after = make_photo(people["users"]["owner"])
    ok(fire(people["owner"], hazard_id, "submit_rectification", measures="已整改", photo_ids=[after.id]))
    passed, failed = run_at_once([
        lambda: fire(people["supervisor"], hazard_id, "verify_pass", note="合格"),
        lambda: fire(people["inspector"], hazard_id, "verify_fail", note="不合格", deadline="2099-01-31"),
    ])
    statuses = sorted([passed.status_code, failed.status_code])
    assert statuses in ([200, 409], [200, 503]), (passed.get_json(), failed.get_json())
    final = people["supervisor"].get(f"/api/v1/hazards/{hazard_id}").get_json()
    verifications = [e["kind"] for e in final["timeline"] if e["kind"].startswith("verify")]
    assert len(verifications) == 1
    winner = passed if passed.status_code == 200 else failed
    assert final["status"] == winner.get_json()["status"]


def test_document_numbers_are_unique_and_gapless_under_concurrent_issuing(checklists, shop, people,
                                                                         make_photo, app):
    ids = found_hazards(people, shop, make_photo, n=6)
    clients = [people[name] for name in ("worker", "inspector", "supervisor")] * 2
    responses = run_at_once([
        (lambda c=c, h=h: fire(c, h, "assign")) for c, h in zip(clients, ids, strict=True)])
    done = [r for r in responses if r.status_code == 200]
    assert all(r.status_code in (200, 503) for r in responses), [r.get_json() for r in responses]
    numbers = sorted(r.get_json()["documents"][0]["number"] for r in done)
    sequences = sorted(int(n.split("第")[1].rstrip("号")) for n in numbers)
    assert len(set(numbers)) == len(done)
    assert sequences == list(range(1, len(done) + 1))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(done) == 6  # PostgreSQL queues the issuers on the counter row; nobody is turned away


def test_audit_verify_passes_and_names_the_first_altered_event(checklists, shop, people, make_photo, db, app):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    ok(fire(people["worker"], hazard_id, "assign"))
    ok(fire(people["owner"], hazard_id, "acknowledge"))
    checked, broken = verify_chains()
    assert broken is None and checked == 4  # inspection, found, assign, acknowledge

    hazardloop = str(Path(sys.executable).with_name("hazardloop"))
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}
    result = subprocess.run([hazardloop, "audit", "verify"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "共校验 4 个事件" in result.stdout, result.stderr

    target = db.session.execute(text("SELECT id FROM audit_events WHERE kind = 'assign'")).scalar_one()
    db.session.execute(text("UPDATE audit_events SET note = '篡改' WHERE id = :id"), {"id": target})
    db.session.commit()
    checked, broken = verify_chains()
    assert broken is not None and broken.event_id == target
    result = subprocess.run([hazardloop, "audit", "verify"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and f"事件 {target}" in result.stderr


def test_deleting_an_event_breaks_the_chain(checklists, shop, people, make_photo, db):
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    ok(fire(people["worker"], hazard_id, "assign"))
    ok(fire(people["owner"], hazard_id, "acknowledge"))
    found = db.session.execute(text("SELECT id FROM audit_events WHERE kind = 'assign'")).scalar_one()
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": found})
    db.session.commit()
    _, broken = verify_chains()
    assert broken is not None and broken.event_id > found
