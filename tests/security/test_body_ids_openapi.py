"""Walk the OpenAPI document: every request-body field naming an object is tried with an id out of scope.

For each operation whose JSON body names objects (``photo_ids``, ``*_photo_id``, ``site_id``,
``hazard_ids``, ``department_id``, ``grid_id`` …), each such field in turn gets an object the caller
may not see (the other fields get the caller's own objects), as a grid worker, an enterprise user
and a street supervisor. Never a server error; and whatever the answer, nothing out of scope was
linked, moved or changed: the foreign photo stays unlinked to anything new and out of sight, the
foreign hazard and shop are untouched, no object of the caller moved into the foreign street.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from hazardloop.evidence.models import PhotoLink
from hazardloop.evidence.services import receive_photo, set_published
from hazardloop.hazards import services as hazards
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.hazards.states import TRANSITIONS, HazardLevel, HazardSource, HazardStatus
from hazardloop.inspections.models import Inspection
from hazardloop.public.models import PublicReport, ReportStatus
from hazardloop.sites.models import Site
from hazardloop.taxonomy import Role
from tests.support import imagefiles as f

ID_FIELD = re.compile(r"_ids?$")
NOT_OBJECT_REFERENCES = {"client_uuid", "client_event_id", "checklist_id", "replaces_client_uuid"}
NOWHERE = 987_654  # an id no object has: where an object kind has no "out of scope" (departments)
# The fields the walk must reach, so that it cannot silently test nothing.
MUST_REACH = {
    ("POST", "/api/v1/hazards", "photo_ids"),
    ("POST", "/api/v1/hazards", "site_id"),
    ("POST", "/api/v1/inspections", "site_id"),
    ("POST", "/api/v1/inspections", "answers[].photo_ids"),
    ("POST", "/api/v1/inspections", "answers[].after_photo_ids"),
    ("POST", "/api/v1/inspections", "signature_photo_id"),
    ("POST", "/api/v1/hazards/{hazard_id}/transitions", "photo_ids"),
    ("POST", "/api/v1/hazards/{hazard_id}/transitions", "before_photo_ids"),
    ("POST", "/api/v1/hazards/{hazard_id}/transitions", "after_photo_ids"),
    ("POST", "/api/v1/hazards/{hazard_id}/transitions", "department_id"),
    ("POST", "/api/v1/circulars", "hazard_ids"),
    ("POST", "/api/v1/console/bulk", "hazard_ids"),
    ("POST", "/api/v1/sites", "grid_id"),
}
MAJOR_ONLY = {"submit_governance_plan", "approve_governance_plan", "return_governance_plan", "list_supervision",
              "lift_supervision"}
# The state a hazard needs for each action, in order of preference.
STATE_ORDER = [HazardStatus.FOUND, HazardStatus.ASSIGNED, HazardStatus.RECTIFYING,
               HazardStatus.AWAITING_VERIFICATION]
PATH_TO_STATE = {
    HazardStatus.FOUND: [], HazardStatus.ASSIGNED: ["assign"],
    HazardStatus.RECTIFYING: ["assign", "acknowledge"],
    HazardStatus.AWAITING_VERIFICATION: ["assign", "acknowledge", "submit_rectification"],
}


# --- the document ------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class BodyField:
    method: str
    path: str
    field: str  # dotted, "[]" for array items: "answers[].photo_ids"
    schema: dict[str, Any]  # the operation's request body schema

    @property
    def name(self) -> str:
        return self.field.rsplit(".", 1)[-1].removesuffix("[]")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(spec, part)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return merged
    return schema


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type", "object" if "properties" in schema else "string")
    return set(kind) if isinstance(kind, list) else {kind}


def _id_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "", depth: int = 0) -> list[str]:
    schema = _resolve(spec, schema)
    found: list[str] = []
    for name, sub in (schema.get("properties") or {}).items():
        sub = _resolve(spec, sub)
        if sub.get("readOnly"):
            continue
        if ID_FIELD.search(name) and name not in NOT_OBJECT_REFERENCES:
            found.append(prefix + name)
        if depth < 4 and "object" in _types(sub) and sub.get("properties"):
            found += _id_fields(spec, sub, f"{prefix}{name}.", depth + 1)
        if depth < 4 and "array" in _types(sub):
            items = _resolve(spec, sub.get("items", {}))
            if items.get("properties"):
                found += _id_fields(spec, items, f"{prefix}{name}[].", depth + 1)
    return found


def body_id_fields(spec: dict[str, Any]) -> list[BodyField]:
    fields = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "put", "patch", "delete"):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            schema = content["application/json"]["schema"]
            fields += [BodyField(method.upper(), path, name, schema) for name in _id_fields(spec, schema)]
    return fields


# --- the world ---------------------------------------------------------------------------------

@pytest.fixture
def world(db, district, make_site, make_user, login, checklists):
    shop_a = make_site(district.grid_a1, lat=30.3, lng=120.15)
    shop_b = make_site(district.grid_b1, lat=30.31, lng=120.16)
    admin = make_user("admin")
    users = {
        "grid_worker": make_user("grid_worker", region=district.grid_a1),
        "enterprise_user": make_user("enterprise_user", site=shop_a),
        "supervisor": make_user("supervisor", region=district.street_a),
    }
    worker_b = make_user("grid_worker", region=district.grid_b1)
    foreign_photo = photo_of(db, worker_b, 250)
    foreign_hazard = hazards.create_hazard(
        site=shop_b, source=HazardSource.GRID_PATROL, description="B街道的隐患", level=HazardLevel.GENERAL,
        domain="fire", actor=worker_b, actor_role=Role.GRID_WORKER, found_at=dt.datetime.now(dt.UTC),
        photo_ids=[foreign_photo.id])
    set_published(foreign_photo, True)  # its id is public
    db.session.commit()
    return World(db=db, district=district, shop_a=shop_a, shop_b=shop_b, admin=admin, users=users,
                 clients={role: login(user) for role, user in users.items()}, foreign_photo=foreign_photo.id,
                 foreign_hazard=foreign_hazard.id, foreign_report=new_report(db, district.grid_b1))


def new_report(db: Any, grid: Any) -> int:
    now = dt.datetime.now(dt.UTC)
    report = PublicReport(description="楼道堆放杂物，堵塞安全出口", text_hash=uuid.uuid4().hex, category="fire",
                          region=grid, received_at=now, triage_due_at=now + dt.timedelta(days=1), photo_ids=[])
    db.session.add(report)
    db.session.commit()
    return report.id


_shade = iter(range(10_000))


def photo_of(db: Any, user: Any, blue: int | None = None) -> Any:
    n = next(_shade)
    exif = f.exif_block(taken=dt.datetime(2026, 11, 20, 9, 0), lat=30.31, lng=120.16)
    photo, _ = receive_photo(f.jpeg(color=(n % 256, n // 256 % 256, blue if blue is not None else 7), exif=exif),
                             uploader=user)
    db.session.commit()
    return photo


@dataclasses.dataclass
class World:
    db: Any
    district: Any
    shop_a: Any
    shop_b: Any
    admin: Any
    users: dict[str, Any]
    clients: dict[str, Any]
    foreign_photo: str
    foreign_hazard: int
    foreign_report: int
    made: dict[Any, Any] = dataclasses.field(default_factory=dict)

    def hazard_in(self, status: HazardStatus, action: str | None = None, role: str | None = None) -> int:
        """A hazard at the caller's shop in ``status``, fit for ``action`` (made anew once one moved on).

        重大 for the steps only a 重大 hazard has; found by the enterprise's 自查 for an enterprise caller.
        """
        level = HazardLevel.MAJOR if action in MAJOR_ONLY else HazardLevel.GENERAL
        source = HazardSource.SELF_CHECK if role == "enterprise_user" else HazardSource.GRID_PATROL
        key = (status, level, source)
        known = self.made.get(key)
        if known is None or self.db.session.get(Hazard, known).status != status:
            self.made[key] = self._new_hazard(status, level, source)
        return self.made[key]

    def _new_hazard(self, status: HazardStatus, level: HazardLevel, source: HazardSource) -> int:
        hazard = hazards.create_hazard(
            site=self.shop_a, source=source, description="A街道的隐患", level=level,
            domain="fire", actor=self.admin, actor_role=Role.ADMIN, found_at=dt.datetime.now(dt.UTC),
            photo_ids=[photo_of(self.db, self.admin).id])
        for action in PATH_TO_STATE[status]:
            payload = {"measures": "已整改", "photo_ids": [photo_of(self.db, self.admin).id]} \
                if action == "submit_rectification" else {}
            hazards.transition(hazard, action, actor=self.admin, payload=payload)
        self.db.session.commit()
        return hazard.id

    def own(self, kind: str, role: str) -> Any:
        """An object of ``kind`` the caller may see (a fresh unlinked upload of theirs for photos)."""
        if kind == "photo":
            if ("photo", role) not in self.made:
                self.made["photo", role] = photo_of(self.db, self.users[role]).id
            return self.made["photo", role]
        if kind == "hazard":
            return self.hazard_in(HazardStatus.FOUND)
        if kind == "report":
            return self.report_received()
        region = self.district.street_a if role == "supervisor" else self.district.grid_a1
        return {"site": self.shop_a.id, "department": self.district.fire_dept.id, "grid": self.district.grid_a1.id,
                "region": region.id, "parent": self.district.community_a.id,
                "user": self.users[role].id}.get(kind, NOWHERE)

    def foreign(self, kind: str) -> Any:
        return {"photo": self.foreign_photo, "site": self.shop_b.id, "hazard": self.foreign_hazard,
                "report": self.foreign_report, "grid": self.district.grid_b1.id, "region": self.district.street_b.id,
                "parent": self.district.community_b.id}.get(kind, NOWHERE)

    def report_received(self) -> int:
        """A 群众举报 in the caller's grid, still waiting for triage (made anew once one was handled)."""
        known = self.made.get("report")
        if known is None or self.db.session.get(PublicReport, known).status != ReportStatus.RECEIVED.value:
            self.made["report"] = new_report(self.db, self.district.grid_a1)
        return self.made["report"]

    def snapshot(self) -> dict[str, Any]:
        """What must never change when the caller names an object out of their scope."""
        db = self.db
        db.session.expire_all()
        foreign = db.session.get(Hazard, self.foreign_hazard)
        return {
            "foreign photo links": sorted(tuple(row) for row in db.session.execute(
                select(PhotoLink.subject_type, PhotoLink.subject_id, PhotoLink.role).where(
                    PhotoLink.photo_id == self.foreign_photo))),
            "foreign hazard": (foreign.status, foreign.department_id, foreign.deadline_at, sorted(foreign.photo_ids),
                               db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                                   AuditEvent.hazard_id == foreign.id))),
            "foreign report": db.session.get(PublicReport, self.foreign_report).status,
            "hazards at the foreign shop": db.session.scalar(
                select(func.count()).select_from(Hazard).where(Hazard.site_id == self.shop_b.id)),
            "inspections at the foreign shop": db.session.scalar(
                select(func.count()).select_from(Inspection).where(Inspection.site_id == self.shop_b.id)),
            "sites in the foreign grid": sorted(db.session.scalars(
                select(Site.id).where(Site.grid_id == self.district.grid_b1.id))),
            "own shop": (db.session.get(Site, self.shop_a.id).grid_id, db.session.get(Site, self.shop_a.id).name),
            "foreign photo cited by own hazards": db.session.scalar(select(func.count()).select_from(PhotoLink).join(
                Hazard, Hazard.id == PhotoLink.subject_id).where(
                PhotoLink.photo_id == self.foreign_photo, Hazard.site_id == self.shop_a.id)),
        }


def _names_objects(spec: dict[str, Any], name: str, schema: dict[str, Any]) -> bool:
    """Does this property name an object, or contain fields that do?"""
    if ID_FIELD.search(name) and name not in NOT_OBJECT_REFERENCES:
        return True
    schema = _resolve(spec, schema)
    if "array" in _types(schema):
        schema = _resolve(spec, schema.get("items", {}))
    return bool(schema.get("properties")) and bool(_id_fields(spec, schema))


def kind_of(name: str) -> str:
    if "photo" in name:
        return "photo"
    return name.removesuffix("_ids").removesuffix("_id").rsplit("_", 1)[-1]


# --- bodies ------------------------------------------------------------------------------------

def example(spec: dict[str, Any], schema: dict[str, Any], make_id: Any, name: str = "", depth: int = 0,
            full: bool = False) -> Any:
    """A plausible value for ``schema``; object references come from ``make_id(field name)``.

    Only the required fields and those naming objects, unless ``full``: then every field.
    """
    schema = _resolve(spec, schema)
    types = _types(schema)
    if ID_FIELD.search(name) and name not in NOT_OBJECT_REFERENCES:
        value = make_id(name)
        return [value] if "array" in types else value
    if "enum" in schema:
        return next(v for v in schema["enum"] if v is not None)
    if "object" in types:
        if depth > 4:
            return {}
        required = set(schema.get("required", []))
        return {key: example(spec, sub, make_id, key, depth + 1)
                for key, sub in (schema.get("properties") or {}).items()
                if not _resolve(spec, sub).get("readOnly")
                and (full or key in required or _names_objects(spec, key, sub))}
    if "array" in types:
        return [example(spec, schema.get("items", {}), make_id, name, depth + 1)
                for _ in range(max(1, schema.get("minItems", 1)))]
    if "boolean" in types:
        return False
    if "integer" in types:
        return max(1, schema.get("minimum", 1))
    if "number" in types:
        return float(max(1, schema.get("minimum", 1)))
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2026-11-20T09:30:00+08:00"
    if fmt == "date":
        return "2099-01-31"
    if fmt == "uuid":
        return str(uuid.uuid4())
    if name in ("mobile", "phone"):
        return "13912345678"
    if name in NOT_OBJECT_REFERENCES and name != "checklist_id":
        return str(uuid.uuid4())  # idempotency keys: each request is a new one
    text = "现场检查内容说明"
    return (text * 4)[:max(schema.get("minLength", 0), min(len(text), schema.get("maxLength", len(text))))]


def body_with(spec: dict[str, Any], target: BodyField, world: World, role: str, **fixed: Any) -> dict[str, Any]:
    """The operation's body: the target field names a foreign object, every other id the caller's own."""
    def make_id(name: str) -> Any:
        return world.own(kind_of(name), role)

    body = example(spec, target.schema, make_id, full=target.path.endswith("/transitions"))
    for key, value in fixed.items():
        body[key] = value
    if target.path.endswith("/inspections"):
        body.update({"checklist_id": "fire-small-restaurant", "checklist_version": "2026.3",
                     "mode": "self" if role == "enterprise_user" else "routine"})
        for answer in body.get("answers", []):
            answer.update({"item_code": first_item(world), "result": "不符合"})
            answer.pop("value", None), answer.pop("choice", None), answer.pop("count", None)
    _set(body, target.field.split("."), world.foreign(kind_of(target.name)))
    return body


def variants(spec: dict[str, Any], target: BodyField, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The body, and (when it differs) the body without the optional top-level object fields beside the target.

    Some operations take one of several references (并案: a report or a hazard), so the target is
    also tried alone.
    """
    schema = _resolve(spec, target.schema)
    required = set(schema.get("required", []))
    top = target.field.split(".")[0].removesuffix("[]")
    alone = {k: v for k, v in body.items()
             if k == top or k in required or not _names_objects(spec, k, schema["properties"][k])}
    return [body] if alone == body else [body, alone]


def _set(node: Any, steps: list[str], value: Any) -> None:
    step, rest = steps[0], steps[1:]
    key = step.removesuffix("[]")
    if not rest:
        node[key] = [value] if isinstance(node.get(key), list) else value
        return
    child = node.setdefault(key, [{}] if step.endswith("[]") else {})
    for element in child if isinstance(child, list) else [child]:
        _set(element, rest, value)


def first_item(world: World) -> str:
    content = world.clients["grid_worker"].get(
        "/api/v1/checklists/fire-small-restaurant/versions/2026.3").get_json()["content"]
    return next(item["code"] for section in content["sections"] for item in section["items"]
                if item["answer"]["type"] == "compliance")


def state_for(action: str | None) -> HazardStatus | None:
    """The state to try ``action`` in; None when the walk cannot make one (a 重大 hazard past its plan)."""
    if action is None:
        return HazardStatus.FOUND
    reachable = STATE_ORDER[:4] if action not in MAJOR_ONLY else STATE_ORDER[:3]
    return next((s for s in reachable if s in TRANSITIONS[action].sources), None)


def fill_path(path: str, world: World, role: str, action: str | None) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "hazard_id":
            return str(world.hazard_in(state_for(action) or HazardStatus.FOUND, action, role))
        return str(world.own(kind_of(name), role))

    return re.sub(r"\{(\w+)\}", value, path)


# --- the walk ----------------------------------------------------------------------------------

def test_no_body_id_out_of_scope_is_linked_and_none_answers_5xx(app, world):
    spec = app.test_client().get("/api/openapi.json").get_json()
    fields = body_id_fields(spec)
    assert MUST_REACH - {(b.method, b.path, b.field) for b in fields} == set()
    before, answers, failures = world.snapshot(), [], []
    for target in fields:
        actions = list(TRANSITIONS) if target.path.endswith("/transitions") else [None]
        for role, client in world.clients.items():
            # A role that may never fire a step is refused before the payload is read.
            for action in [a for a in actions if a is None or (Role(role) in TRANSITIONS[a].roles and state_for(a))]:
                fixed = {"action": action} if action else {}
                for body in variants(spec, target, body_with(spec, target, world, role, **fixed)):
                    url = fill_path(target.path, world, role, action)
                    response = client.client.open(url, method=target.method, json=body,
                                                   headers={"X-CSRF-Token": client.csrf})
                    answers.append((target.field, response.status_code, response.get_json(silent=True) or {}))
                    if response.status_code >= 500:
                        failures.append(f"{role} {target.method} {url} {target.field} ({action}): "
                                        f"{response.status_code} {response.get_data(as_text=True)[:200]}")
            # Checked once per field and role: what changed names the field that changed it.
            where = f"{role} {target.method} {target.path} {target.field}"
            after = world.snapshot()
            if after != before:
                changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                failures.append(f"{where}: changed {changed}")
                before = after
            foreign_photo = client.get(f"/api/v1/photos/{world.foreign_photo}")
            if foreign_photo.status_code != 404:
                failures.append(f"{where}: the foreign photo became visible ({foreign_photo.status_code})")
    assert not failures, "\n".join(failures)
    # The walk reached the checks, not only the body's other validations: each photo field was refused as such.
    refused_photos = {field for field, status, body in answers if status == 422
                      and any(e.get("code") == "photo_missing" for e in body.get("errors") or [])}
    assert {b.field for b in fields if kind_of(b.name) == "photo"} - refused_photos == set()
