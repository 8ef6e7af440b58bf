"""The event log's several hash chains: writers do not wait for each other, and tampering still shows."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from hazardloop.hazards.events import (
    CHAINS,
    BatchEvent,
    append_event,
    append_events,
    event_digest,
    verify_chains,
)
from hazardloop.hazards.models import AuditChainHead, AuditEvent, Hazard
from tests.support.workflow import fire, found_hazards, ok


def _system_event(note: str) -> AuditEvent:
    return append_event(kind="note", actor=None, actor_role="system", note=note)


@pytest.mark.postgresql_only  # SQLite has one writer at a time
def test_a_transaction_that_holds_a_chain_does_not_stop_another_from_writing(app, db):
    holding, release, results = threading.Event(), threading.Event(), {}

    def first() -> None:
        with app.app_context():
            results["first"] = _system_event("一").chain
            holding.set()
            release.wait(30)
            db.session.commit()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert holding.wait(30)
        # The first transaction is still open and holds its chain; this one must not queue behind it.
        with app.app_context():
            db.session.execute(text("SET LOCAL lock_timeout = '2s'"))
            results["second"] = _system_event("二").chain
            db.session.commit()
    finally:
        release.set()
        thread.join(30)
    assert results["first"] != results["second"]
    assert verify_chains() == (2, None)


def test_one_transaction_writes_all_its_events_into_one_chain(app, db):
    events = [_system_event(f"第{i}个") for i in range(5)]
    db.session.commit()
    assert len({e.chain for e in events}) == 1
    links = [e.prev_global_hash for e in events[1:]]
    assert links == [e.hash for e in events[:-1]]
    assert verify_chains() == (5, None)


def test_an_event_of_a_savepoint_rolled_back_leaves_the_held_chain_whole(app, db):
    """The chain head is locked once per transaction and kept; an event written in a savepoint that is rolled
    back takes its link with it, and the next event links to the last one that stayed."""
    kept = _system_event("留下的")
    try:
        with db.session.begin_nested():
            _system_event("撤销的")
            raise RuntimeError("savepoint rolled back")
    except RuntimeError:
        pass
    after = _system_event("之后的")
    db.session.commit()
    assert after.prev_global_hash == kept.hash and after.chain == kept.chain
    head = db.session.get(AuditChainHead, kept.chain)
    assert (head.last_event_id, head.last_hash) == (after.id, after.hash)
    assert verify_chains() == (2, None)


def test_every_chain_head_exists_and_names_its_last_event(app, db):
    _system_event("一")
    db.session.commit()
    heads = db.session.scalars(select(AuditChainHead).order_by(AuditChainHead.id)).all()
    assert [h.id for h in heads] == list(range(1, CHAINS + 1))
    event = db.session.scalar(select(AuditEvent))
    assert [(h.last_event_id, h.last_hash) for h in heads if h.last_hash] == [(event.id, event.hash)]


def test_an_event_inserted_into_a_chain_is_found(app, db):
    first = _system_event("一")
    db.session.commit()
    second = _system_event("二")
    db.session.commit()
    # A forged event, hashed correctly and linked to the first event of its chain.
    forged = AuditEvent(kind="note", actor_role="system", occurred_at=first.occurred_at, note="伪造", payload={},
                        photo_hashes=[], prev_global_hash=first.hash, chain=first.chain)
    forged.hash = event_digest(forged)
    db.session.execute(AuditEvent.__table__.insert().values(
        kind=forged.kind, actor_role=forged.actor_role, occurred_at=forged.occurred_at, note=forged.note,
        payload={}, photo_hashes=[], prev_global_hash=forged.prev_global_hash, hash=forged.hash, chain=forged.chain))
    db.session.commit()
    forged_id = db.session.scalar(select(AuditEvent.id).where(AuditEvent.hash == forged.hash))
    first_id, same_chain = first.id, second.chain == first.chain
    _, broken = verify_chains()
    assert broken is not None
    if same_chain:  # the chain had moved on: the forged link points back
        assert broken.event_id == forged_id
    else:  # the links hold, but the chain's head still names the first event as its last
        assert broken.event_id == first_id and "链尾" in broken.reason


def test_deleting_the_last_event_of_a_chain_is_found_by_its_head(app, db):
    _system_event("一")
    db.session.commit()
    last_id = _system_event("二").id
    db.session.commit()
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": last_id})
    db.session.commit()
    _, broken = verify_chains()
    assert broken is not None and broken.event_id == last_id and "链尾" in broken.reason


def test_moving_an_event_to_another_chain_is_found(app, db):
    _system_event("一")
    db.session.commit()
    moved = _system_event("二")
    db.session.commit()
    other = moved.chain % CHAINS + 1
    db.session.execute(text("UPDATE audit_events SET chain = :c WHERE id = :id"), {"c": other, "id": moved.id})
    db.session.commit()
    _, broken = verify_chains()
    assert broken is not None


def test_a_sweep_batch_and_user_transitions_keep_each_hazard_history_linked(
        checklists, shop, people, make_photo, app, db):
    hazard_ids = found_hazards(people, shop, make_photo, n=3)
    for hazard_id in hazard_ids:
        ok(fire(people["worker"], hazard_id, "assign"))
    hazards = db.session.scalars(select(Hazard).where(Hazard.id.in_(hazard_ids))).all()
    append_events([BatchEvent(hazard=h, kind="deadline_reminder", note="提醒") for h in hazards])
    db.session.commit()
    ok(fire(people["owner"], hazard_ids[0], "acknowledge"))
    checked, broken = verify_chains()
    assert broken is None
    assert checked == db.session.scalar(select(func.count()).select_from(AuditEvent))
    for hazard in db.session.scalars(select(Hazard).where(Hazard.id.in_(hazard_ids))):
        db.session.refresh(hazard)
        last = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.hazard_id == hazard.id)
                                 .order_by(AuditEvent.id.desc()).limit(1))
        assert hazard.last_event_hash == last
