"""The closed loop through the API: hazards found by a submitted inspection, steps fired, answers checked."""

from __future__ import annotations

from typing import Any

from tests.support.inspections import failed, inspection, items


def found_hazards(people: dict[str, Any], shop: Any, make_photo: Any, n: int = 2, mode: str = "routine",
                  actor: str = "worker") -> list[int]:
    """Ids of ``n`` hazards found by ``actor`` submitting an inspection of ``shop`` with n failed items."""
    client = people[actor]
    photo = make_photo(people["users"][actor])
    answers = [failed(item, photo) for item in items(client, n)]
    response = client.post("/api/v1/inspections", json=inspection(shop, answers, mode=mode))
    assert response.status_code == 201, response.get_json()
    return [h["id"] for h in response.get_json()["hazards"]]


def fire(client: Any, hazard_id: int, action: str, **payload: Any) -> Any:
    return client.post(f"/api/v1/hazards/{hazard_id}/transitions", json={"action": action, **payload})


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.get_json()
    return response.get_json()
