"""What one read costs the database: the hazard detail's statements, and no writes on reads."""

from __future__ import annotations

import re
from typing import Any

from tests.support.statements import data_statements, recorded_statements
from tests.support.workflow import fire, found_hazards, ok

# session, hazard (with its documents' numbers), timeline, and the 复查 presence (after-photos and their
# uses elsewhere).
DETAIL_QUERY_BUDGET = 4


def a_hazard_with_history(people: Any, shop: Any, make_photo: Any) -> int:
    """A hazard that went through 交办, 签收 and 整改 with photos: a timeline of several kinds."""
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    ok(fire(people["worker"], hazard_id, "assign"))
    ok(fire(people["owner"], hazard_id, "acknowledge"))
    after = make_photo(people["users"]["owner"])
    ok(fire(people["owner"], hazard_id, "submit_rectification", measures="已整改", photo_ids=[after.id]))
    return hazard_id


def test_the_hazard_detail_takes_at_most_four_statements(checklists, shop, people, make_photo, db):
    hazard_id = a_hazard_with_history(people, shop, make_photo)
    client = people["supervisor"]
    assert client.get(f"/api/v1/hazards/{hazard_id}").status_code == 200  # warm the app's caches

    with recorded_statements(db) as statements:
        response = client.get(f"/api/v1/hazards/{hazard_id}")
    assert response.status_code == 200
    body = response.get_json()
    assert len(body["timeline"]) >= 4 and body["documents"]
    queries = data_statements(statements)
    # The session lookup (with its user and grants) is one of them.
    assert len(queries) <= DETAIL_QUERY_BUDGET, "\n\n".join(queries)


def test_before_a_rectification_is_reported_the_page_reads_no_after_photos(checklists, shop, people, make_photo, db):
    """Only a step that recorded photos after the finding can have linked after-photos (整改后照片), so a
    hazard waiting for its rectification costs one statement less; once photos are reported they are read."""
    (hazard_id,) = found_hazards(people, shop, make_photo, n=1)
    ok(fire(people["worker"], hazard_id, "assign"))
    ok(fire(people["owner"], hazard_id, "acknowledge"))
    client = people["supervisor"]
    assert client.get(f"/api/v1/hazards/{hazard_id}").status_code == 200  # warm the app's caches

    with recorded_statements(db) as statements:
        body = client.get(f"/api/v1/hazards/{hazard_id}").get_json()
    assert body["presence"]["after_photos"] == []
    queries = data_statements(statements)
    assert len(queries) <= DETAIL_QUERY_BUDGET - 1, "\n\n".join(queries)
    assert [q for q in queries if "photo_links" in q] == []

    after = make_photo(people["users"]["owner"])
    ok(fire(people["owner"], hazard_id, "submit_rectification", measures="已整改", photo_ids=[after.id]))
    with recorded_statements(db) as statements:
        body = client.get(f"/api/v1/hazards/{hazard_id}").get_json()
    assert [p["photo_id"] for p in body["presence"]["after_photos"]] == [after.id]
    assert [q for q in data_statements(statements) if "photo_links" in q] != []


def test_reads_do_not_write_the_session(checklists, shop, people, make_photo, db):
    hazard_id = a_hazard_with_history(people, shop, make_photo)
    client = people["supervisor"]
    with recorded_statements(db) as statements:
        for _ in range(10):
            assert client.get(f"/api/v1/hazards/{hazard_id}").status_code == 200
    writes = [s for s in statements if re.match(r"^\s*(UPDATE|INSERT|DELETE)", s, re.IGNORECASE)]
    assert [s for s in writes if "user_sessions" in s] == []
    assert writes == []


def test_the_hazard_page_takes_the_checklist_item_from_the_processs_documents_not_the_stored_content(
        checklists, shop, people, make_photo, db):
    """A version's content is ~55 kB: read once per process (checklists.services.document), not per page."""
    hazard_id = a_hazard_with_history(people, shop, make_photo)
    client = people["supervisor"]
    assert client.get(f"/api/v1/hazards/{hazard_id}").status_code == 200

    with recorded_statements(db) as statements:
        body = client.get(f"/api/v1/hazards/{hazard_id}").get_json()
    assert body["item"]["code"] and body["item"]["enforcement"]  # the 三标 are there
    content = re.compile(r"checklist_versions(_\d+)?\.content\b")
    assert [s for s in statements if content.search(s)] == []
