"""Receiving inspections from phones: idempotent, validated field by field, turning findings into hazards."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.canonical import canonical_hash, jsonable
from hazardloop.checklists import services as checklists
from hazardloop.checklists.format import ChecklistDocument, Item
from hazardloop.checklists.scoring import ScoringError, is_compliant, score
from hazardloop.database import add_first_write, held_or_loaded, utcnow
from hazardloop.errors import Conflict, ValidationFailed
from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import CaptureRecord, apply_capture_record, has_capture_record
from hazardloop.extensions import db
from hazardloop.geo import distance_m
from hazardloop.hazards import services as hazards
from hazardloop.hazards.events import append_event
from hazardloop.hazards.evidence_links import attach_photos
from hazardloop.hazards.models import AuditEvent, Hazard
from hazardloop.hazards.states import FINDING_KINDS, HazardLevel, HazardSource
from hazardloop.inspections.models import Inspection, InspectionMode
from hazardloop.policy import Action
from hazardloop.risk import levels as risk_levels
from hazardloop.sites.models import Site
from hazardloop.sites.services import site_for_record
from hazardloop.taxonomy import Role

M = InspectionMode
# Which modes each role may record.
MODES_BY_ROLE: dict[Role, frozenset[InspectionMode]] = {
    Role.ENTERPRISE_USER: frozenset({M.SELF}),
    Role.GRID_WORKER: frozenset({M.ROUTINE, M.REINSPECTION, M.JOINT}),
    Role.INSPECTOR: frozenset({M.ROUTINE, M.COVERT, M.ENFORCEMENT, M.REINSPECTION, M.JOINT}),
    Role.SUPERVISOR: frozenset({M.ROUTINE, M.COVERT, M.ENFORCEMENT, M.REINSPECTION, M.JOINT}),
    Role.ADMIN: frozenset(M),
}
SOURCE_BY_MODE = {
    M.ROUTINE: HazardSource.GRID_PATROL, M.COVERT: HazardSource.COVERT, M.SELF: HazardSource.SELF_CHECK,
    M.ENFORCEMENT: HazardSource.DEPARTMENT, M.REINSPECTION: HazardSource.GRID_PATROL,
    M.JOINT: HazardSource.DEPARTMENT,
}


def presence(site: Site, position: dict[str, Any] | None) -> tuple[float | None, bool]:
    """(distance to the site, is it suspiciously far) — accuracy widens the allowance."""
    if not position or site.lat is None or site.lng is None:
        return None, False
    d = distance_m(position["lat"], position["lng"], site.lat, site.lng)
    allowance = current_app.config["PRESENCE_MAX_DISTANCE_M"] + (position.get("accuracy_m") or 0)
    return round(d, 1), d > allowance


def _answer_value(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: answer[k] for k in ("result", "value", "choice", "count") if answer.get(k) is not None}


def _validate_answers(doc: ChecklistDocument, answers: list[dict[str, Any]],
                      known_photos: set[str]) -> list[tuple[dict[str, Any], Item, bool | None]]:
    """Check every answer; collect all field errors before refusing, so the phone can fix them at once."""
    errors: list[dict[str, Any]] = []
    judged: list[tuple[dict[str, Any], Item, bool | None]] = []
    seen: set[str] = set()

    def bad(i: int, field: str, message: str, code: str = "invalid") -> None:
        errors.append({"field": f"answers.{i}.{field}", "message": message, "code": code})

    for i, answer in enumerate(answers):
        code = answer["item_code"]
        item = doc.items.get(code)
        if item is None:
            bad(i, "item_code", f"检查表 {doc.id}（{doc.version}）中没有条目 {code}。", "unknown_item")
            continue
        if code in seen:
            bad(i, "item_code", f"条目 {code} 重复作答。", "duplicate_item")
            continue
        seen.add(code)
        try:
            compliant = is_compliant(item, _answer_value(answer))
        except ScoringError as exc:
            bad(i, "result", str(exc), "invalid_answer")
            continue
        photos = answer.get("photo_ids") or []
        if compliant is False and item.photo_required_on_fail and not photos:
            bad(i, "photo_ids", f"条目 {code} 判为不符合，须附现场照片。", "photo_required")
        if answer.get("level") == "重大" and not may_be_major(item):
            bad(i, "level", f"条目 {code} 不属于可能构成重大隐患的条目，只能判为一般隐患。", "not_major_item")
        if answer.get("fixed_on_site") and (compliant is not False or not answer.get("after_photo_ids")):
            bad(i, "after_photo_ids", "当场整改须是不符合项，并附整改后照片。", "fix_needs_photos")
        for field in ("photo_ids", "after_photo_ids"):
            for photo in answer.get(field) or []:
                if photo not in known_photos:
                    bad(i, field, f"照片 {photo[:12]}… 不存在或尚未上传。", "photo_missing")
        judged.append((answer, item, compliant))
    if errors:
        raise ValidationFailed(errors)
    return judged


def may_be_major(item: Item) -> bool:
    """Whether a finding on this item may constitute a 重大隐患: the inspector then judges it against the criterion."""
    return item.level == "重大" or bool(item.hazard.get("major_condition"))


def _domain_for(doc: ChecklistDocument, site: Site) -> str:
    shared = sorted(doc.applies_to.domains & set(site.domains))
    return (shared or sorted(doc.applies_to.domains) or site.domains or ["fire"])[0]


def submit_inspection(data: dict[str, Any], *, actor: User) -> tuple[Inspection, bool]:
    """Record an inspection sent by a phone; returns (inspection, created).

    The same ``client_uuid`` with the same content returns the stored inspection and creates
    nothing; with different content it is a Conflict. Each 不符合 answer becomes a hazard, or a
    repeat observation of the site's open hazard for that item; 当场整改 closes it at once. An inspection
    naming a site merged meanwhile (合并重复场所) is recorded on the surviving site, and its event says so.
    New hazards carry a stand-in number until the caller commits: the commit gives them their 隐患编号
    (``hazards.services.create_hazard(number_at_commit=True)``), so commit before reading them.
    """
    digest = canonical_hash(data)
    existing = _stored(str(data["client_uuid"]), digest, actor)
    if existing is not None:
        return existing, False

    site, merged_from = site_for_record(data["site_id"])
    policy.authorize(actor, Action.SITE_INSPECT, site)
    role = policy.acting_role(actor, Action.SITE_INSPECT, site)
    assert role is not None
    mode = InspectionMode(data["mode"])
    if mode not in MODES_BY_ROLE[role]:
        raise ValidationFailed.field("mode", "您的角色不能以该方式检查（企业用户只能自查）。", "mode_not_allowed")
    version = checklists.get_version(data["checklist_id"], data["checklist_version"])
    doc = checklists.document(version)
    answers = data["answers"]
    referenced = {p for a in answers for f in ("photo_ids", "after_photo_ids") for p in a.get(f) or []}
    if data.get("signature_photo_id"):
        referenced.add(data["signature_photo_id"])
    # Held for the whole submission: linking and stamping them below reads them from the session, not again.
    cited = held_or_loaded(Photo, sorted(referenced))
    known = policy.citable_photos(actor, referenced)  # out of sight is answered like never uploaded
    if data.get("signature_photo_id") and data["signature_photo_id"] not in known:
        raise ValidationFailed.field("signature_photo_id", "签名图片不存在或尚未上传。", "photo_missing")
    judged = _validate_answers(doc, answers, known)
    result = score(doc, {a["item_code"]: _answer_value(a) for a, _, _ in judged})

    position = data.get("position")
    distance, far = presence(site, position)
    scan = data.get("qr_scan")
    inspection = Inspection(
        client_uuid=str(data["client_uuid"]), content_hash=digest, site=site, checklist_version=version,
        mode=mode.value, inspector_id=actor.id, inspector_role=role.value, started_at=data["started_at"],
        finished_at=data["finished_at"], saved_at=data.get("saved_at"), received_at=utcnow(),
        lat=position["lat"] if position else None, lng=position["lng"] if position else None,
        accuracy_m=position.get("accuracy_m") if position else None, distance_m=distance, far_from_site=far,
        qr_scanned_at=scan["scanned_at"] if scan else None,
        qr_token_current=(scan["token"] == site.qr_token) if scan else None,
        answers=[jsonable(a) for a in answers], notes=data.get("notes"),
        signature_photo_id=data.get("signature_photo_id"), score_total=result.total,
        score_max=result.max_score, finding_count=len(result.findings),
    )
    try:
        add_first_write(inspection)
    except IntegrityError:
        # A copy of this submission (a phone's retry while the first was still being written) won the
        # race for the client UUID: answer as a resend would, with the stored result.
        existing = _stored(inspection.client_uuid, digest, actor)
        if existing is None:
            raise
        return existing, False
    payload = {"site_id": site.id, "mode": mode.value, "checklist": f"{doc.id}@{doc.version}",
               "score": result.total, "findings": len(result.findings), "distance_m": distance,
               "far_from_site": far, "qr_scan": bool(scan), "qr_token_current": inspection.qr_token_current,
               "replaces_client_uuid": jsonable(data.get("replaces_client_uuid"))}
    if merged_from is not None:
        payload["merged_from_site_id"] = merged_from
    append_event(kind="inspection_submitted", actor=actor, actor_role=role.value, inspection_id=inspection.id,
                 client_time=data["finished_at"], photo_hashes=sorted(referenced), payload=payload,
                 note=f"所检查的场所已合并到「{site.name}」，检查记入该场所" if merged_from is not None else None)

    attach_photos(sorted(referenced - {data.get("signature_photo_id")}), subject_type="inspection",
                  subject_id=inspection.id, role="finding", actor=actor)
    if data.get("signature_photo_id"):
        attach_photos([data["signature_photo_id"]], subject_type="inspection", subject_id=inspection.id,
                      role="signature", actor=actor)
    findings = [(answer, item) for answer, item, compliant in judged if compliant is False]
    _lock_items(site, [item.code for _, item in findings])
    # After the locks: a hazard another phone opened for one of these items meanwhile is committed and found.
    open_hazards = hazards.open_hazards_by_item(site, [item.code for _, item in findings])
    created = False
    for answer, item in findings:
        photos = answer.get("photo_ids") or []
        note = (answer.get("finding") or "").strip() or item.hazard.get("description") or item.text
        open_hazard = open_hazards.get(item.code)
        if open_hazard is not None and not answer.get("fixed_on_site"):
            hazards.record_repeat_observation(open_hazard, actor=actor, actor_role=role,
                                              inspection_id=inspection.id, note=note, photo_ids=photos)
            continue
        # The number is taken by the commit and the site's level recomputed once below: neither the
        # counter nor the site is held while the rest of the inspection is written.
        hazard = hazards.create_hazard(
            site=site, source=SOURCE_BY_MODE[mode], description=note,
            level=HazardLevel.MAJOR if answer.get("level") == "重大" else HazardLevel.GENERAL,
            domain=_domain_for(doc, site), actor=actor, actor_role=role, found_at=data["finished_at"],
            photo_ids=photos, item=item, checklist_version=version, inspection_id=inspection.id,
            merged_from_site_id=merged_from,
            covert=mode == M.COVERT, lat=position["lat"] if position else None,
            lng=position["lng"] if position else None, number_at_commit=True, recompute_site_level=False,
        )
        created = True
        if answer.get("fixed_on_site"):
            _lock_site(site)  # the step recomputes the site's level now: the site first, as below
            hazards.transition(hazard, "close_on_site", actor=actor, payload={
                "before_photo_ids": photos, "after_photo_ids": answer["after_photo_ids"],
                "note": "当场整改"})
    # Photos no hazard stamped (符合 items, the signature) carry the inspection's own record, so their
    # evidence copy never falls back to the phone's EXIF time and place (the first record wins).
    for photo in cited.values():
        if not has_capture_record(photo):
            apply_capture_record(photo, CaptureRecord(
                captured_at=data["finished_at"], lat=position["lat"] if position else None,
                lng=position["lng"] if position else None, site=site, inspector=actor))
    if created:
        # Last before the commit: the site's 风险等级 from its hazards, under the site's row lock so that two
        # inspections of the site each count the other's hazards (the second computes after the first commits).
        _lock_site(site)
        risk_levels.recompute_site(site)
    return inspection, True


def _lock_site(site: Site) -> None:
    """Lock the site's row until commit before its 风险等级 row is written (always in this order: no deadlock)."""
    db.session.execute(select(Site.id).where(Site.id == site.id).with_for_update(key_share=True))


def _lock_items(site: Site, item_codes: list[str]) -> None:
    """Take this transaction's lock on each (site, checklist item) it records findings for (PostgreSQL).

    Two phones at the same site must not both open a hazard for one item, nor count the same repeat
    observation against each other (a 409): the second waits for the first to commit, then finds its hazard.
    Inspections of other items or sites go on. Taken in key order, so two inspections cannot deadlock.
    """
    if not item_codes or db.session.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer at a time
    keys = sorted({int.from_bytes(hashlib.sha256(code.encode()).digest()[:4], "big", signed=True)
                   for code in item_codes})
    db.session.execute(text("SELECT count(pg_advisory_xact_lock(:site, key)) FROM unnest(CAST(:keys AS integer[])) "
                            "AS k(key)"), {"site": site.id, "keys": keys})


def _stored(client_uuid: str, digest: str, actor: User) -> Inspection | None:
    """The inspection already stored under ``client_uuid``; Conflict when it carried other content."""
    existing = db.session.scalar(select(Inspection).where(Inspection.client_uuid == client_uuid)
                                 .execution_options(populate_existing=True))
    if existing is None:
        return None
    if existing.content_hash != digest:
        raise Conflict("该检查记录编号已提交过不同的内容。", code="client_uuid_reused")
    policy.authorize(actor, Action.INSPECTION_VIEW, existing)
    return existing




def arrival(inspection: Inspection) -> dict[str, Any]:
    """What was recorded when the inspection arrived (its ``inspection_submitted`` event's payload)."""
    payload = db.session.scalar(select(AuditEvent.payload).where(
        AuditEvent.inspection_id == inspection.id, AuditEvent.kind == "inspection_submitted"))
    return payload or {}


def replaced_client_uuid(inspection: Inspection) -> str | None:
    """The client UUID of the earlier revision this inspection replaces, as recorded when it arrived."""
    return arrival(inspection).get("replaces_client_uuid")


@dataclass(frozen=True)
class InspectionDetail:
    """What one inspection answers (InspectionDetailSchema): the record, the revision it replaces, its hazards."""

    inspection: Inspection
    replaces_client_uuid: str | None
    hazards: list[dict[str, Any]]
    merged_from_site_id: int | None = None


def inspection_detail(reader: User, inspection: Inspection) -> InspectionDetail:
    """The inspection with the hazards it found or saw again that ``reader`` may see, and how."""
    hazards = [{"id": h.id, "number": h.number, "status": h.status, "level": h.level, "item_code": h.item_code,
                "how": how} for h, how in hazards_of(inspection) if policy.can(reader, Action.HAZARD_VIEW, h)]
    recorded = arrival(inspection)
    return InspectionDetail(inspection, recorded.get("replaces_client_uuid"), hazards,
                            recorded.get("merged_from_site_id"))


def hazards_of(inspection: Inspection) -> list[tuple[Hazard, str]]:
    """The hazards this inspection created or saw again, with how ("found" / "observed_again")."""
    rows = db.session.execute(
        select(AuditEvent.hazard_id, AuditEvent.kind).where(
            AuditEvent.inspection_id == inspection.id, AuditEvent.kind.in_(sorted(FINDING_KINDS)))
        .order_by(AuditEvent.id)).all()
    found = {h.id: h for h in db.session.scalars(select(Hazard).where(Hazard.id.in_([r[0] for r in rows])))}
    return [(found[hazard_id], kind) for hazard_id, kind in rows]
