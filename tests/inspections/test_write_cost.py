"""What an inspection costs the database when its findings are hazards the site already has open (重复发现).

In a sync rush most findings are the same open hazards seen again: each one must not cost a lookup of
its own, a second write of the hazard or another lock of the event chain (benchmarks/sync_rush.py).
"""

from __future__ import annotations

import re
from typing import Any

from hazardloop.hazards.events import verify_chains
from tests.support.inspections import failed, inspection, items
from tests.support.statements import data_statements, recorded_statements


def _count(statements: list[str], pattern: str) -> int:
    return sum(1 for s in statements if re.match(pattern, s.strip(), re.IGNORECASE | re.DOTALL))


def test_three_findings_seen_again_cost_one_lookup_one_write_each_and_one_chain_lock(
        checklists, shop, worker, login, make_photo, db):
    client = login(worker)
    chosen = items(client, 3)
    first = client.post("/api/v1/inspections", json=inspection(shop, [failed(i, make_photo(worker)) for i in chosen]))
    assert first.status_code == 201, first.get_json()
    photos = [make_photo(worker) for _ in chosen]

    with recorded_statements(db) as statements:
        again = client.post("/api/v1/inspections", json=inspection(shop, [
            failed(i, p) for i, p in zip(chosen, photos, strict=True)]))
    assert again.status_code == 201, again.get_json()
    assert [h["how"] for h in again.get_json()["hazards"]] == ["observed_again"] * 3
    queries = data_statements(statements)
    detail = "\n\n".join(queries)

    # The site's open hazards for the three items in one statement (not one per finding), without the site
    # again: the submission holds it.
    open_lookups = [q for q in queries if re.match(r"\s*SELECT hazards\.id\b", q) and "item_code IN" in q]
    assert len(open_lookups) == 1, detail
    assert "JOIN sites" not in open_lookups[0], detail
    # Each hazard written once: its count, photos and chain end together.
    assert _count(queries, r"UPDATE hazards SET") == 3, detail
    # Four events (the submission and three 重复发现) on one chain, locked once.
    assert _count(queries, r"INSERT INTO audit_events") == 4, detail
    assert _count(queries, r"SELECT audit_chain_heads\.") == 1, detail

    # What the statements wrote holds: each hazard counts its second sighting with both photos, and every
    # event chain verifies (the chain head written once at the end, not after each event).
    for hazard, photo in zip(again.get_json()["hazards"], photos, strict=True):
        page: dict[str, Any] = client.get(f"/api/v1/hazards/{hazard['id']}").get_json()
        assert page["repeat_count"] == 1
        assert [e["kind"] for e in page["timeline"]] == ["found", "observed_again"]
        assert photo.id in page["photo_ids"] and len(page["photo_ids"]) == 2
    checked, broken = verify_chains()
    assert broken is None and checked == 8  # 2 submissions, 3 找到 and 3 重复发现
