"""Hazard rules: creating hazards, firing workflow transitions and document numbers."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import Select, bindparam, event, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, SessionTransaction, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.canonical import jsonable
from hazardloop.checklists.format import Item
from hazardloop.checklists.models import ChecklistVersion
from hazardloop.checklists.services import document as checklist_document
from hazardloop.database import get_or_404, local_zone, utcnow
from hazardloop.errors import Conflict, NotFound, RuleViolation, ValidationFailed
from hazardloop.evidence.services import photos_stamped_with, set_hazard_numbers
from hazardloop.extensions import db
from hazardloop.hazards import actions, deadlines
from hazardloop.hazards.events import append_event
from hazardloop.hazards.evidence_links import PHOTO_FIELDS, attach_photos
from hazardloop.hazards.models import DocumentCounter, Hazard, RectificationOrder
from hazardloop.hazards.presence import visit_record
from hazardloop.hazards.states import (
    LEVEL_LABELS,
    OPEN_STATUSES,
    TRANSITIONS,
    HazardLevel,
    HazardSource,
    HazardStatus,
)
from hazardloop.outbox.services import enqueue_after_commit
from hazardloop.policy import Action
from hazardloop.regions.models import Department, Region
from hazardloop.risk import levels as risk_levels
from hazardloop.sites.models import Site
from hazardloop.sites.services import site_for_record
from hazardloop.taxonomy import Role

# --- numbers -------------------------------------------------------------------------------------

def take_numbers(kind: str, year: int, count: int = 1) -> list[int]:
    """Take the next ``count`` numbers of a per-year series in one statement (创建或递增计数行).

    The counter row stays locked until commit, so concurrent issuers line up and a rolled-back
    transaction leaves no gap: take numbers as late in the transaction as the caller can.
    """
    insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[db.session.get_bind().dialect.name]
    table = DocumentCounter.__table__
    statement = insert(table).values(kind=kind, year=year, last=count)
    last = db.session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.year], set_={"last": table.c.last + count})
        .returning(table.c.last)).scalar_one()
    return list(range(last - count + 1, last + 1))


def next_number(kind: str, year: int) -> int:
    """Take the next number of a per-year series; the counter row is locked until commit, so
    concurrent issuers line up and a rolled-back transaction leaves no gap."""
    return take_numbers(kind, year)[0]


# A hazard created by an inspection carries a stand-in until its transaction commits; the gapless number is
# taken in the commit itself (``_number_hazards``), so the counter row is locked for milliseconds, not for the
# whole inspection: under the sync rush the phones queued for it (issue 22). The stand-in never leaves the
# transaction: no other transaction sees the row before the commit gives it its number.
_STAND_IN = "待编号-"
_AT_COMMIT = "hazard_numbers_at_commit"


def _number_at_commit(hazard: Hazard, year: int) -> None:
    """Give ``hazard`` a unique stand-in number, replaced by the series' next number when the session commits."""
    session = db.session()
    pending = session.info.get(_AT_COMMIT)
    if pending is None:
        pending = session.info[_AT_COMMIT] = []
        event.listen(session, "before_commit", _number_hazards)
        event.listen(session, "after_transaction_end", _forget_stand_ins)
    hazard.number = f"{_STAND_IN}{secrets.token_hex(6)}"
    pending.append((year, hazard))


def is_stand_in(number: str | None) -> bool:
    """Is this hazard number the stand-in of a hazard whose transaction has not committed yet?"""
    return number is not None and number.startswith(_STAND_IN)


def _number_hazards(session: Session) -> None:
    """Before the commit: give the session's new hazards their numbers, in the order they were created."""
    pending = session.info.get(_AT_COMMIT)
    if not pending or session.in_nested_transaction():
        return  # a savepoint's release: the numbers wait for the real commit
    # A hazard of a rolled-back savepoint is no longer persistent; it takes no number.
    hazards = [(year, h) for year, h in pending if sa_inspect(h).persistent and is_stand_in(h.number)]
    pending.clear()
    if not hazards:
        return
    # Everything that can be read before the counter is locked is read first.
    photos = photos_stamped_with({h.number for _, h in hazards}, [h.id for _, h in hazards])
    renamed: dict[str, str] = {}
    for year in sorted({year for year, _ in hazards}):
        group = sorted((h for y, h in hazards if y == year), key=lambda h: h.id)
        for hazard, sequence in zip(group, take_numbers("hazard", year, len(group)), strict=True):
            renamed[hazard.number] = f"YH{year}{sequence:06d}"
    table = Hazard.__table__
    # Without the ORM's version bump: giving the number is not an edit anyone could have raced.
    session.execute(update(table).where(table.c.id == bindparam("hazard_id")).values(number=bindparam("real")),
                    [{"hazard_id": h.id, "real": renamed[h.number]} for _, h in hazards])
    for _, hazard in hazards:
        set_committed_value(hazard, "number", renamed[hazard.number])
    set_hazard_numbers(photos, renamed)


def _forget_stand_ins(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.get(_AT_COMMIT, []).clear()


def _local_year() -> int:
    return utcnow().astimezone(local_zone()).year


# --- lookups -------------------------------------------------------------------------------------

@functools.cache
def _hazard_page_query() -> Select[tuple[Hazard]]:
    """One round trip for what the scope check and the page read: the site's grid and domains, the 三标, and the
    documents' numbers (their content is read only by the document itself).

    Built once: the loader options cost more to build and key for the cache than the query costs to run.
    Neither the grid's boundary nor the site's registering user is read here, and of the site only what the
    scope check and the page read (every column costs each request; the others load if ever touched).
    """
    site = joinedload(Hazard.site).load_only(Site.id, Site.name, Site.grid_id, Site.lat, Site.lng)
    return (select(Hazard).where(Hazard.id == bindparam("hazard_id"))
            .options(site.joinedload(Site.grid).defer(Region.boundary), site.joinedload(Site.domain_rows),
                     site.lazyload(Site.registered_by),
                     # The version's content (~55 kB) comes from checklists.document's cache.
                     joinedload(Hazard.checklist_version).load_only(
                         ChecklistVersion.id, ChecklistVersion.checklist_id, ChecklistVersion.version,
                         ChecklistVersion.content_hash),
                     joinedload(Hazard.documents).load_only(RectificationOrder.id, RectificationOrder.kind,
                                                            RectificationOrder.number, RectificationOrder.issued_at)))


def get_hazard(hazard_id: int, *, lock: bool = False) -> Hazard:
    if lock:
        return get_or_404(Hazard, hazard_id, missing="隐患不存在。", lock=True)
    hazard = db.session.scalars(_hazard_page_query(), {"hazard_id": hazard_id}).unique().one_or_none()
    if hazard is None:
        raise NotFound("隐患不存在。")
    return hazard


def open_hazards_by_item(site: Site, item_codes: list[str]) -> dict[str, Hazard]:
    """The site's open hazard for each of these checklist items that has one (the newest), in one query.

    The site is the caller's: each hazard's ``site`` is that object, not a join with the site, its
    registrant and its domains loaded again per hazard.
    """
    if not item_codes:
        return {}
    found: dict[str, Hazard] = {}
    for hazard in db.session.scalars(
            select(Hazard).where(Hazard.site_id == site.id, Hazard.item_code.in_(sorted(set(item_codes))),
                                 Hazard.status.in_([s.value for s in OPEN_STATUSES]))
            .options(lazyload(Hazard.site)).order_by(Hazard.id.desc())):
        found.setdefault(hazard.item_code, hazard)  # type: ignore[arg-type]
    return found


def _last_closed(site: Site, item_code: str) -> Hazard | None:
    return db.session.scalar(select(Hazard).where(
        Hazard.site_id == site.id, Hazard.item_code == item_code,
        Hazard.status == HazardStatus.CLOSED.value).options(lazyload(Hazard.site))
        .order_by(Hazard.id.desc()).limit(1))


# --- creating ------------------------------------------------------------------------------------

def create_hazard(
    *,
    site: Site,
    source: HazardSource,
    description: str,
    level: HazardLevel,
    domain: str,
    actor: User,
    actor_role: Role,
    found_at: dt.datetime,
    photo_ids: list[str] | None = None,
    item: Item | None = None,
    checklist_version: ChecklistVersion | None = None,
    inspection_id: int | None = None,
    covert: bool = False,
    lat: float | None = None,
    lng: float | None = None,
    client_uuid: str | None = None,
    merged_from_site_id: int | None = None,
    number_at_commit: bool = False,
    recompute_site_level: bool = True,
) -> Hazard:
    """Record a 隐患 as found (event ``found``), linking it to earlier closed occurrences.

    ``merged_from_site_id``: the phone named that site, merged into ``site`` meanwhile (the event records it).
    ``number_at_commit``: the gapless 隐患编号 is taken by the commit (until then ``number`` is a stand-in, see
    ``is_stand_in``), so concurrent inspections do not queue for the counter; only for callers that commit
    before anything reads the number. ``recompute_site_level=False``: the caller recomputes the site's
    风险等级 itself before committing (once for many hazards, see ``inspections.services``).

    A recurrence (same site and item, found again after closing) counts up; at the configured
    number of recurrences a 一般 hazard is raised to 重大 (隐患升级) with its own event.
    """
    year = _local_year()
    hazard = Hazard(
        site=site, source=source.value, covert=covert, description=description.strip(), level=level.value,
        domain=domain, found_at=found_at, found_by_id=actor.id, inspection_id=inspection_id, client_uuid=client_uuid,
        item_code=item.code if item else None, checklist_version=checklist_version,
        photo_ids=sorted(set(photo_ids or [])), lat=lat if lat is not None else site.lat,
        lng=lng if lng is not None else site.lng, status=HazardStatus.FOUND.value,
    )
    if number_at_commit:
        _number_at_commit(hazard, year)
    else:
        hazard.number = f"YH{year}{next_number('hazard', year):06d}"
    previous = _last_closed(site, item.code) if item else None
    if previous is not None:
        hazard.recurrence_of_id = previous.id
        hazard.recurrence_count = previous.recurrence_count + 1
    db.session.add(hazard)
    db.session.flush()
    found_payload: dict[str, Any] = {"source": source.value, "level": level.value, "covert": covert,
                                     "recurrence_of": hazard.recurrence_of_id, "item_code": hazard.item_code}
    if merged_from_site_id is not None:
        found_payload["merged_from_site_id"] = merged_from_site_id
    append_event(kind="found", hazard=hazard, actor=actor, actor_role=actor_role.value,
                 inspection_id=inspection_id, to_status=HazardStatus.FOUND.value,
                 note=hazard.description, photo_hashes=hazard.photo_ids, payload=found_payload)
    attach_photos(hazard.photo_ids, subject_type="hazard", subject_id=hazard.id, role="finding", actor=actor,
                  site=site, captured_at=found_at, lat=lat, lng=lng, hazard_number=hazard.number)
    threshold = current_app.config["RECURRENCE_UPGRADE_THRESHOLD"]
    if previous is not None and hazard.recurrence_count >= threshold and level == HazardLevel.GENERAL:
        hazard.level = HazardLevel.MAJOR.value
        append_event(kind="level_raised", hazard=hazard, actor=None, actor_role="system",
                     note=f"同一隐患第 {hazard.recurrence_count + 1} 次出现，升级为重大隐患。",
                     payload={"from": "general", "to": "major", "recurrences": hazard.recurrence_count})
    if recompute_site_level:
        risk_levels.hazard_changed(hazard)  # the site's 风险等级 follows in the same transaction
    if source == HazardSource.SELF_CHECK and hazard.level == HazardLevel.MAJOR.value:
        # 自报: a 重大 hazard the enterprise found itself goes to the supervisors, who take it into the loop.
        enqueue_after_commit("hazard.self_reported", {"hazard_id": hazard.id}, dedupe_key=f"self-reported:{hazard.id}")
    return hazard


def record_repeat_observation(hazard: Hazard, *, actor: User, actor_role: Role, inspection_id: int | None,
                              note: str | None, photo_ids: list[str]) -> None:
    """The same open hazard seen again on a later patrol: an event, not a duplicate."""
    repeat_count = hazard.repeat_count + 1
    # The event first and the hazard's columns after it: the hazard is then written once (its count, photos
    # and chain end together), not once before the event and again for the event's hash.
    append_event(kind="observed_again", hazard=hazard, actor=actor, actor_role=actor_role.value,
                 inspection_id=inspection_id, note=note, photo_hashes=photo_ids,
                 payload={"repeat_count": repeat_count})
    hazard.repeat_count = repeat_count
    hazard.photo_ids = sorted(set(hazard.photo_ids) | set(photo_ids))
    attach_photos(photo_ids, subject_type="hazard", subject_id=hazard.id, role="finding", actor=actor,
                  site=hazard.site, hazard_number=hazard.number)


SOURCE_BY_ROLE = {Role.GRID_WORKER: HazardSource.GRID_PATROL, Role.ENTERPRISE_USER: HazardSource.SELF_CHECK,
                  Role.INSPECTOR: HazardSource.DEPARTMENT, Role.SUPERVISOR: HazardSource.ASSIGNED_BY_SUPERIOR,
                  Role.ADMIN: HazardSource.ASSIGNED_BY_SUPERIOR}


def report_hazard(user: User, *, site_id: int, description: str, level: HazardLevel, domain: str | None,
                  found_at: dt.datetime, photo_ids: list[str], client_uuid: str,
                  position: dict[str, Any] | None) -> tuple[Hazard, bool]:
    """随手拍: a hazard without a checklist item, idempotent by ``client_uuid``; (hazard, newly created).

    The same UUID again with the same site and description returns the first hazard; with other
    content it is a 409 ``client_uuid_reused``. A site merged meanwhile (合并重复场所) is followed to the
    surviving site, where the hazard is recorded (its ``found`` event names the merged one).
    """
    existing = db.session.scalar(select(Hazard).where(Hazard.client_uuid == client_uuid))
    site, merged_from = site_for_record(site_id)
    if existing is not None:
        # A merge moves the site's hazards: a resend naming the merged site matches the moved hazard.
        if existing.site_id not in (site_id, site.id) or existing.description != description.strip():
            raise Conflict("该编号已提交过不同的隐患。", code="client_uuid_reused")
        policy.authorize(user, Action.HAZARD_VIEW, existing)
        return existing, False
    policy.authorize(user, Action.SITE_INSPECT, site)
    role = policy.acting_role(user, Action.SITE_INSPECT, site)
    assert role is not None
    policy.authorize_photo_citation(user, {"photo_ids": photo_ids})
    hazard = create_hazard(
        site=site, source=SOURCE_BY_ROLE[role], description=description, level=level, domain=domain,
        actor=user, actor_role=role, found_at=found_at, photo_ids=photo_ids, client_uuid=client_uuid,
        lat=position["lat"] if position else None, lng=position["lng"] if position else None,
        merged_from_site_id=merged_from,
    )
    return hazard, True


# --- transitions ---------------------------------------------------------------------------------

def _parse_deadline(value: Any, field: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    try:
        parsed = dt.date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise ValidationFailed.field(field, "日期格式应为 YYYY-MM-DD。") from exc

    local = dt.datetime.combine(parsed, dt.time(23, 59, 59), tzinfo=local_zone())
    if local <= utcnow():
        raise ValidationFailed.field(field, "日期须晚于今天。")
    return local.astimezone(dt.UTC)


def hazard_item(hazard: Hazard) -> dict[str, Any] | None:
    """The checklist item the hazard was found against, with its 三标; None for 随手拍 and reports."""
    if hazard.checklist_version is None or hazard.item_code is None:
        return None
    item = checklist_document(hazard.checklist_version).items.get(hazard.item_code)
    return dict(item.data) if item is not None else None


def _item_rule(hazard: Hazard) -> dict[str, Any] | None:
    item = hazard_item(hazard)
    return item["hazard"].get("deadline") if item else None


def _set_deadline(hazard: Hazard, payload: dict[str, Any], start: dt.datetime) -> None:
    if payload.get("deadline"):
        hazard.deadline_at, hazard.deadline_estimated = _parse_deadline(payload["deadline"], "deadline"), False
        return
    computed = _computed_deadline(hazard, start)
    hazard.deadline_at, hazard.deadline_estimated = computed.at, computed.estimated


def _computed_deadline(hazard: Hazard, start: dt.datetime) -> deadlines.Deadline:
    rule = _item_rule(hazard) if hazard.level == HazardLevel.GENERAL else None
    return deadlines.compute_deadline(rule, hazard.level, start=start, tz=current_app.config["TIMEZONE"])


def default_deadline(hazard: Hazard, start: dt.datetime | None = None) -> dt.date:
    """The local date 交办 would set without one given (the item's rule for 一般, else the level's
    default); the 复查不通过 form pre-fills it, the verifier confirms or changes it."""
    return _computed_deadline(hazard, start or utcnow()).at.astimezone(local_zone()).date()


def issue_document(hazard: Hazard, actor: User, *, kind: str, content: dict[str, Any]) -> RectificationOrder:
    """Issue a numbered document (整改通知书 or 复查意见书): 〔2026〕第0001号, per year, no gaps."""
    year = _local_year()
    sequence = next_number(kind, year)
    prefix = {"order": "责改", "verification": "复查"}[kind]
    document = RectificationOrder(
        hazard=hazard, kind=kind, year=year, sequence=sequence, number=f"{prefix}〔{year}〕第{sequence:04d}号",
        issued_by_id=actor.id, issuing_body=current_app.config["ISSUING_BODY"],
        deadline_at=hazard.deadline_at, content=content,
    )
    db.session.add(document)
    db.session.flush()
    return document


def _on_assign(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("department_id"):
        department = db.session.get(Department, payload["department_id"])
        if department is None or not policy.can(actor, Action.DEPARTMENT_VIEW, department):
            raise ValidationFailed.field("department_id", "责任部门不存在。", "unknown")
        hazard.department_id = department.id
    _set_deadline(hazard, payload, utcnow())
    order = issue_document(hazard, actor, kind="order", content={"note": payload.get("note")})
    return {"order_number": order.number, "deadline": hazard.deadline_at.isoformat(),
            "deadline_estimated": hazard.deadline_estimated, "department_id": hazard.department_id}


def _on_submit_rectification(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.rectification = {k: payload.get(k) for k in ("measures", "cost", "responsible_person", "photo_ids")}
    return {"rectification": hazard.rectification}


def _on_verify_pass(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    visit = visit_record(hazard, payload.get("position"))  # before 销号: where, and the flags the verifier saw
    hazard.closed_at = utcnow()
    opinion = issue_document(hazard, actor, kind="verification", content={"result": "通过",
                                                                        "note": payload.get("note")})
    return {"verification_number": opinion.number, **visit}


def _on_verify_fail(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    deadline = _parse_deadline(payload["deadline"], "deadline")  # the verifier's choice, never a default
    visit = visit_record(hazard, payload.get("position"))
    hazard.rejection_count += 1
    hazard.deadline_at, hazard.deadline_estimated = deadline, False
    opinion = issue_document(hazard, actor, kind="verification", content={"result": "不通过",
                                                                        "note": payload.get("note")})
    return {"verification_number": opinion.number, "rejections": hazard.rejection_count,
            "deadline": hazard.deadline_at.isoformat(), **visit}


def _on_request_extension(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    requested = _parse_deadline(payload["requested_deadline"], "requested_deadline")
    if hazard.deadline_at is not None and requested <= hazard.deadline_at:
        raise ValidationFailed.field("requested_deadline", "申请延至的日期须晚于现在的整改期限。")
    now = utcnow()
    hazard.extension_state, hazard.extension_reason = "requested", payload["reason"].strip()
    hazard.extension_requested_deadline, hazard.extension_requested_at = requested, now
    # Asked after the deadline had passed: shown to the deciding supervisor, on the notice and the list.
    hazard.extension_after_deadline = hazard.deadline_at is not None and hazard.deadline_at < now
    hazard.extension_decided_at = hazard.extension_decision_note = None
    return {"requested_deadline": requested, "requested_at": now, "after_deadline": hazard.extension_after_deadline,
            "deadline": hazard.deadline_at}


def _on_approve_extension(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    deadline = (_parse_deadline(payload["deadline"], "deadline") if payload.get("deadline")
                else hazard.extension_requested_deadline)
    hazard.extension_state, hazard.deadline_at, hazard.deadline_estimated = "approved", deadline, False
    hazard.extension_decided_at, hazard.extension_decision_note = utcnow(), _note(payload)
    return {"deadline": hazard.deadline_at, "after_deadline": hazard.extension_after_deadline}


def _on_refuse_extension(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.extension_state = "refused"
    hazard.extension_decided_at, hazard.extension_decision_note = utcnow(), _note(payload)
    return {"after_deadline": hazard.extension_after_deadline}


def _on_list_supervision(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    deadline = _parse_deadline(payload["deadline"], "deadline")
    hazard.supervised, hazard.supervision_listed_at = True, utcnow()
    hazard.supervising_authority = payload["authority"].strip()
    hazard.supervision_deadline_at, hazard.supervision_requirements = deadline, payload["requirements"].strip()
    return {"authority": hazard.supervising_authority, "deadline": deadline,
            "requirements": hazard.supervision_requirements}


def _on_lift_supervision(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.supervision_lifted_at = utcnow()
    return {"authority": hazard.supervising_authority}


def _on_governance_plan(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.governance_plan = payload["plan"]
    hazard.governance_plan_state, hazard.governance_plan_note = "submitted", None
    return {"plan": hazard.governance_plan}


def _on_approve_governance_plan(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.governance_plan_state, hazard.governance_plan_note = "approved", _note(payload)
    return {"plan_state": "approved"}


def _on_return_governance_plan(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.governance_plan_state, hazard.governance_plan_note = "returned", _note(payload)
    return {"plan_state": "returned"}


def _on_close_on_site(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.closed_at = utcnow()
    hazard.photo_ids = sorted(set(hazard.photo_ids) | set(payload["after_photo_ids"]))
    return {"before_photo_ids": payload["before_photo_ids"], "after_photo_ids": payload["after_photo_ids"]}


def spot_check_draw(hazard: Hazard) -> float:
    """自查自改 抽查: a number in [0, 1) from sha256 of the configured seed and the hazard id — the same
    for the same hazard every time, so anyone holding the seed can reproduce the draw."""
    seed = current_app.config["SELF_RECTIFY_SPOT_CHECK_SEED"]
    digest = hashlib.sha256(f"{seed}:{hazard.id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _on_self_rectify(hazard: Hazard, actor: User, payload: dict[str, Any]) -> dict[str, Any]:
    hazard.rectification = {k: payload.get(k) for k in ("measures", "photo_ids", "note")}
    draw, share = spot_check_draw(hazard), float(current_app.config["SELF_RECTIFY_SPOT_CHECK_SHARE"])
    spot_check = draw < share
    if not spot_check:
        hazard.closed_at = utcnow()
    return {"rectification": hazard.rectification, "draw": round(draw, 6), "share": share,
            "spot_check": spot_check, ALTERNATE: spot_check}


def _note(payload: dict[str, Any]) -> str | None:
    return str(payload.get("note") or "").strip() or None


# An effect sets this key to route the step to its table's ``alternate`` state instead of ``target``.
ALTERNATE = "_alternate"

EFFECTS: dict[str, Callable[[Hazard, User, dict[str, Any]], dict[str, Any]]] = {
    "assign": _on_assign,
    "submit_rectification": _on_submit_rectification,
    "verify_pass": _on_verify_pass,
    "verify_fail": _on_verify_fail,
    "request_extension": _on_request_extension,
    "approve_extension": _on_approve_extension,
    "refuse_extension": _on_refuse_extension,
    "list_supervision": _on_list_supervision,
    "lift_supervision": _on_lift_supervision,
    "submit_governance_plan": _on_governance_plan,
    "approve_governance_plan": _on_approve_governance_plan,
    "return_governance_plan": _on_return_governance_plan,
    "close_on_site": _on_close_on_site,
    "self_rectify": _on_self_rectify,
}


def transition(
    hazard: Hazard,
    action: str,
    *,
    actor: User,
    payload: dict[str, Any] | None = None,
    client_event_id: str | None = None,
    client_time: dt.datetime | None = None,
) -> Hazard:
    """Fire one workflow action on a hazard: the only way ``Hazard.status`` changes.

    Refuses whatever ``hazards.actions`` would not offer (the same function): NotFound (outside
    scope), Forbidden (role may not), Conflict ``invalid_transition`` (naming the current state and
    the allowed actions), RuleViolation ``guard_failed`` (not this step now, or its prerequisite is
    missing); then the payload: RuleViolation ``guard_failed`` with the field, ValidationFailed.
    Records one event. Resending the same ``client_event_id`` is a no-op.
    """
    payload = dict(payload or {})
    if client_event_id and _already_recorded(client_event_id, hazard):
        return hazard
    step = TRANSITIONS.get(action)
    if step is None:
        raise ValidationFailed.field("action", f"未知的操作：{action}。")
    role = actions.require(actor, hazard, action)
    current = HazardStatus(hazard.status)
    problem = step.payload(hazard, payload)
    if problem:
        field, message = problem
        raise RuleViolation(f"不能执行「{step.label}」：{message}", code="guard_failed",
                            errors=[{"field": field, "message": message, "code": "required"}])
    policy.authorize_photo_citation(actor, {f: payload.get(f) or [] for f in PHOTO_FIELDS})
    details = EFFECTS.get(action, lambda h, a, p: {})(hazard, actor, payload)
    target = step.alternate if details.pop(ALTERNATE, False) else step.target
    if target is not None:
        hazard.status = target.value
    photos = [*payload.get("photo_ids", []), *payload.get("before_photo_ids", []),
              *payload.get("after_photo_ids", [])]
    append_event(kind=action, hazard=hazard, actor=actor, actor_role=role.value, from_status=current.value,
                 to_status=hazard.status, note=(payload.get("note") or payload.get("reason") or None),
                 payload=jsonable(details), photo_hashes=photos, client_time=client_time,
                 client_event_id=client_event_id)
    enqueue_after_commit("hazard.transitioned", {"hazard_id": hazard.id, "action": action,
                                                 "event_hash": hazard.last_event_hash},
                         dedupe_key=f"event:{hazard.last_event_hash}")
    _attach_transition_photos(hazard, action, actor, payload, client_time)
    db.session.flush()  # a lost race raises StaleDataError, answered as 409 concurrent_update
    risk_levels.hazard_changed(hazard)  # the site's 风险等级 follows in the same transaction
    return hazard


def _attach_transition_photos(hazard: Hazard, action: str, actor: User, payload: dict[str, Any],
                              client_time: dt.datetime | None) -> None:
    """After-photos answer the hazard's first finding photo, so views can pair them side by side."""
    finding = (payload.get("before_photo_ids") or hazard.photo_ids or [None])[0]
    after = payload.get("after_photo_ids") if action == "close_on_site" else payload.get("photo_ids")
    if not after:
        return
    attach_photos(after, subject_type="hazard", subject_id=hazard.id, role="after", actor=actor,
                  answers=finding if action in ("submit_rectification", "close_on_site", "self_rectify") else None,
                  site=hazard.site, captured_at=client_time or utcnow(), hazard_number=hazard.number)


def _already_recorded(client_event_id: str, hazard: Hazard) -> bool:
    from hazardloop.hazards.models import AuditEvent

    existing = db.session.scalar(select(AuditEvent).where(AuditEvent.client_event_id == client_event_id))
    if existing is None:
        return False
    if existing.hazard_id != hazard.id:
        raise Conflict("该操作编号已用于另一隐患。", code="client_event_id_reused")
    return True


def is_overdue(hazard: Hazard, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    return (hazard.status in (HazardStatus.ASSIGNED, HazardStatus.RECTIFYING)
            and hazard.deadline_at is not None and hazard.deadline_at < now)


def level_label(level: str) -> str:
    return LEVEL_LABELS[HazardLevel(level)]
