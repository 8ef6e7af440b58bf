"""场所档案变更记录: each change a person makes to a site, appended to the audit chain with who and when."""

from __future__ import annotations

from typing import Any

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import AuditEvent
from hazardloop.policy import Action
from hazardloop.sites.models import Site


def record_site_event(kind: str, site: Site, actor: User | None, action: Action, scope_object: Any, *,
                      note: str | None = None, payload: dict[str, Any] | None = None) -> AuditEvent:
    """Append one site event (``payload`` gains the site id); the actor's role is the one that allowed ``action``."""
    role = policy.acting_role(actor, action, scope_object) if actor is not None else None
    return append_event(kind=kind, actor=actor, actor_role=role.value if role else None, note=note,
                        payload={"site_id": site.id, **(payload or {})})
