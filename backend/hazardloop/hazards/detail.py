"""The hazard page for one user: the hazard with its timeline, documents, 三标, 复查 presence and its actions now."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload

from hazardloop.accounts.models import User
from hazardloop.extensions import db
from hazardloop.hazards.models import AuditEvent, Hazard


@dataclass(frozen=True)
class HazardDetail:
    """What GET /hazards/{id} answers (HazardDetailSchema); the hazard's own columns come from ``hazard``."""

    hazard: Hazard
    overdue: bool
    allowed_actions: list[str]
    offered_actions: list[dict[str, str]]
    blocked_actions: list[dict[str, str]]
    extension: dict[str, Any] | None
    supervision: dict[str, Any] | None
    default_deadline: dt.date
    published: bool
    item: dict[str, Any] | None
    documents: list[dict[str, Any]]
    presence: dict[str, Any]
    timeline: list[AuditEvent]


def extension_of(hazard: Hazard) -> dict[str, Any] | None:
    """The one extension request (延期申请) and its decision, or None if none was asked."""
    if hazard.extension_state is None:
        return None
    return {"state": hazard.extension_state, "reason": hazard.extension_reason,
            "requested_deadline": hazard.extension_requested_deadline,
            "requested_at": hazard.extension_requested_at,
            "after_deadline": bool(hazard.extension_after_deadline),
            "decided_at": hazard.extension_decided_at, "decision_note": hazard.extension_decision_note}


def supervision_of(hazard: Hazard) -> dict[str, Any] | None:
    """挂牌督办: 督办单位, 期限, 要求, listed and lifted (摘牌) times, or None if never listed."""
    if not hazard.supervised:
        return None
    return {"authority": hazard.supervising_authority, "deadline": hazard.supervision_deadline_at,
            "requirements": hazard.supervision_requirements, "listed_at": hazard.supervision_listed_at,
            "lifted_at": hazard.supervision_lifted_at}


def _item_with_references(hazard: Hazard) -> dict[str, Any] | None:
    """The checklist item with its 三标: enterprise standard, hazard criterion, enforcement basis."""
    from hazardloop.hazards.services import hazard_item

    item = hazard_item(hazard)
    if item is None:
        return None
    version = hazard.checklist_version
    return {"checklist_id": version.checklist_id, "checklist_version": version.version, **item}


@functools.cache
def _timeline_query() -> Select[tuple[AuditEvent]]:
    # The actors' names come in the same query; their grants are not needed for a name. Built once (its
    # loader options cost more to build per request than the query to run).
    return (select(AuditEvent).where(AuditEvent.hazard_id == bindparam("hazard_id"))
            .options(joinedload(AuditEvent.actor).load_only(User.id, User.display_name).lazyload(User.grants))
            .order_by(AuditEvent.id))


def hazard_detail(user: User, hazard: Hazard) -> HazardDetail:
    """The hazard page as ``user`` sees it now; the actions come from ``hazards.actions`` (the one rule)."""
    from hazardloop.hazards.actions import allowed_names, available_actions
    from hazardloop.hazards.presence import page_presence
    from hazardloop.hazards.services import default_deadline, is_overdue

    offered = available_actions(user, hazard)
    timeline = list(db.session.scalars(_timeline_query(), {"hazard_id": hazard.id}))
    # Loaded with the hazard by get_hazard; read here once otherwise (after a transition issued one).
    issued = hazard.documents
    documents = [{"id": d.id, "kind": d.kind, "number": d.number, "issued_at": d.issued_at.isoformat()}
                 for d in issued]
    ordered_at = min((d.issued_at for d in issued if d.kind == "order"), default=None)
    return HazardDetail(
        hazard=hazard, overdue=is_overdue(hazard),
        allowed_actions=allowed_names(offered),
        offered_actions=[{"action": o.action, "label": o.label} for o in offered if o.ready],
        blocked_actions=[{"action": o.action, "label": o.label, "reason": o.blocked_reason}
                         for o in offered if not o.ready],
        extension=extension_of(hazard), supervision=supervision_of(hazard),
        default_deadline=default_deadline(hazard), published=bool(hazard.exposed_publicly),
        item=_item_with_references(hazard), documents=documents, presence=page_presence(hazard, timeline, ordered_at),
        timeline=timeline,
    )
