"""`hazardloop audit verify --hazard`: one hazard's history checked without reading the whole log."""

from __future__ import annotations

from sqlalchemy import func, select, text

from hazardloop.hazards.events import verify_hazard
from hazardloop.hazards.models import AuditEvent
from tests.support.workflow import fire, found_hazards, ok


def _verify(app, hazard_id: int):
    return app.test_cli_runner().invoke(args=["audit", "verify", "--hazard", str(hazard_id)])


def _acknowledged_hazard(people, shop, make_photo) -> int:
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    ok(fire(people["worker"], hazard_id, "assign"))
    ok(fire(people["owner"], hazard_id, "acknowledge"))
    return hazard_id


def test_a_sound_hazard_history_passes_and_counts_only_its_events(checklists, shop, people, make_photo, db, app):
    hazard_id = _acknowledged_hazard(people, shop, make_photo)
    own = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.hazard_id == hazard_id))
    everything = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert 3 <= own < everything  # found, assign, acknowledge (…); the inspection's own event is not the hazard's
    assert verify_hazard(hazard_id) == (own, None)
    result = _verify(app, hazard_id)
    assert result.exit_code == 0, result.output
    assert f"隐患 {hazard_id} 的哈希链完整：共校验 {own} 个事件" in result.output


def test_an_altered_event_of_the_hazard_is_named(checklists, shop, people, make_photo, db, app):
    hazard_id = _acknowledged_hazard(people, shop, make_photo)
    target = db.session.execute(text("SELECT id FROM audit_events WHERE kind = 'assign' AND hazard_id = :h"),
                                {"h": hazard_id}).scalar_one()
    db.session.execute(text("UPDATE audit_events SET note = '篡改' WHERE id = :id"), {"id": target})
    db.session.commit()
    result = _verify(app, hazard_id)
    assert result.exit_code == 1
    assert f"事件 {target}：内容与其哈希不符" in result.output


def test_a_deleted_neighbour_in_the_log_chain_is_found(checklists, shop, people, make_photo, db, app):
    """The inspection's own event comes just before the hazard's 发现 in the same chain (one transaction)."""
    hazard_id = _acknowledged_hazard(people, shop, make_photo)
    found = db.session.scalar(select(AuditEvent).where(AuditEvent.hazard_id == hazard_id, AuditEvent.kind == "found"))
    submitted = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "inspection_submitted"))
    assert submitted.chain == found.chain and submitted.hash == found.prev_global_hash
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": submitted.id})
    db.session.commit()
    checked, broken = verify_hazard(hazard_id)
    assert broken is not None and broken.event_id == found.id and "链的上一事件不连续" in broken.reason
    assert checked == 1


def test_a_deleted_last_event_of_the_hazard_is_found(checklists, shop, people, make_photo, db, app):
    hazard_id = _acknowledged_hazard(people, shop, make_photo)
    last = db.session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.hazard_id == hazard_id))
    db.session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": last})
    db.session.commit()
    result = _verify(app, hazard_id)
    assert result.exit_code == 1
    assert f"隐患 {hazard_id} 的哈希链断裂" in result.output


def test_an_unknown_hazard_is_refused_in_chinese(app, db):
    result = _verify(app, 987654)
    assert result.exit_code == 1
    assert "没有 id 为 987654 的隐患" in result.output
