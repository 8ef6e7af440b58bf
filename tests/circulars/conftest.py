"""Fixtures of the 通报 tests: factories that hand-build hazards, inspections and 挂牌督办 records at given local
times (the people around one shop and a week of hazards in street A are the root conftest's)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from tests.support.deadlines import end_of, local


@pytest.fixture
def hazard_list():
    """hazard_list(client, **query) → GET /api/v1/hazards with the same filters a circular names."""
    def listing(client: Any, **query: Any) -> Any:
        response = client.get("/api/v1/hazards", query_string={**query, "limit": 500})
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return listing


@pytest.fixture
def make_inspection(db, checklists, parties):
    """make_inspection(site, "2026-11-23 09:00") → an inspection of ``site`` started then (Beijing time)."""
    from sqlalchemy import select

    from hazardloop.checklists.models import ChecklistVersion
    from hazardloop.inspections.models import Inspection

    version_id = db.session.scalar(select(ChecklistVersion.id).limit(1))

    def make(site: Any, at: str) -> Any:
        inspection = Inspection(
            client_uuid=str(uuid.uuid4()), content_hash="0" * 64, site_id=site.id, checklist_version_id=version_id,
            mode="routine", inspector_id=parties.worker.id, inspector_role="grid_worker", started_at=local(at),
            finished_at=local(at) + dt.timedelta(minutes=30), answers=[], score_total=0, score_max=0,
            finding_count=0)
        db.session.add(inspection)
        db.session.flush()
        return inspection

    return make


@pytest.fixture
def make_finding(db, parties):
    """make_finding(site, found="…", deadline="…", closed="…", status=…, level=…, inspection=…) → a hazard as given.

    Times are Beijing time; ``deadline`` is a day (its end, 23:59:59). The hazard is found (with its
    ``found`` event, of ``inspection`` when given), routed to the fire department, then put in the
    state the test describes: this is hand-built history, not a workflow test.
    """
    from hazardloop.hazards.services import create_hazard
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.taxonomy import Role

    def make(site: Any, *, found: str, deadline: str | None = None, closed: str | None = None,
             status: str | None = None, level: str = "general", inspection: Any = None) -> Any:
        hazard = create_hazard(site=site, source=HazardSource.GRID_PATROL, description=f"隐患（{found}）",
                               level=HazardLevel(level), domain="fire", actor=parties.worker,
                               actor_role=Role.GRID_WORKER, found_at=local(found),
                               inspection_id=inspection.id if inspection else None)
        hazard.department_id = parties.district.fire_dept.id
        if deadline:
            hazard.deadline_at = end_of(deadline).astimezone(dt.UTC)
        if closed:
            hazard.closed_at = local(closed).astimezone(dt.UTC)
        hazard.status = status or ("closed" if closed else "assigned" if deadline else "found")
        db.session.flush()
        return hazard

    return make


@pytest.fixture
def record_event(db, parties):
    """record_event(hazard, "list_supervision", "2026-11-25 10:00", inspection=None): an event at that time."""
    from hazardloop.hazards.events import append_event

    def record(hazard: Any, kind: str, at: str, *, inspection: Any = None) -> Any:
        if kind == "list_supervision":
            hazard.supervised, hazard.supervising_authority = True, "区安委办"
        event = append_event(kind=kind, hazard=hazard, actor=parties.office, actor_role="supervisor",
                             inspection_id=inspection.id if inspection else None, from_status=hazard.status,
                             to_status=hazard.status, payload={})
        event.occurred_at = local(at).astimezone(dt.UTC)  # history: the event happened then
        db.session.flush()
        return event

    return record
