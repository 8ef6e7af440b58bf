"""Bodies of 巡查 (inspection) submissions as a phone sends them to POST /api/v1/inspections."""

from __future__ import annotations

import uuid
from typing import Any

CHECKLIST = ("fire-small-restaurant", "2026.3")


def items(api: Any, n: int = 2) -> list[dict[str, Any]]:
    """The first n 符合/不符合 items of the checklist, in order."""
    content = api.get("/api/v1/checklists/{}/versions/{}".format(*CHECKLIST)).get_json()["content"]
    return [item for section in content["sections"] for item in section["items"]
            if item["answer"]["type"] == "compliance"][:n]


def inspection(site: Any, answers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body = {
        "client_uuid": str(uuid.uuid4()), "site_id": site.id, "checklist_id": CHECKLIST[0],
        "checklist_version": CHECKLIST[1], "mode": "routine",
        "started_at": "2026-11-20T09:00:00+08:00", "finished_at": "2026-11-20T09:20:00+08:00",
        "saved_at": "2026-11-20T09:21:00+08:00",
        "position": {"lat": 30.3001, "lng": 120.1501, "accuracy_m": 12}, "answers": answers,
    }
    body.update(extra)
    return body


def failed(item: dict[str, Any], photo: Any, **extra: Any) -> dict[str, Any]:
    return {"item_code": item["code"], "result": "不符合", "photo_ids": [photo.id],
            "finding": f"现场发现：{item['text'][:20]}", **extra}
