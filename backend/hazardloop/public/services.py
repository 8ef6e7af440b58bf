"""群众举报: receiving public reports, triage into hazards, 举报奖励, the 曝光台, open data and figures."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import statistics
import unicodedata
from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select, update

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.database import get_or_404, utcnow
from hazardloop.errors import ApiError, Conflict, NotFound, RuleViolation, ValidationFailed
from hazardloop.evidence.models import LinkRole, Photo, PhotoLink, SubjectType
from hazardloop.evidence.services import before_after_pairs, receive_photo, set_published
from hazardloop.extensions import db
from hazardloop.hazards.actions import require as require_action
from hazardloop.hazards.deadlines import compute_deadline
from hazardloop.hazards.events import append_event
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.services import create_hazard
from hazardloop.hazards.states import (
    LEVEL_LABELS,
    OPEN_STATUSES,
    STATUS_LABELS,
    HazardLevel,
    HazardSource,
    HazardStatus,
)
from hazardloop.notifications.reporters import tell_reporter
from hazardloop.policy import Action
from hazardloop.public import point_in_region
from hazardloop.public.models import (
    HazardExposure,
    PublicReport,
    ReportFeedback,
    ReportStatus,
    RewardStatus,
    format_tracking_code,
    is_readable_code,
    new_public_code,
    new_tracking_code,
    normalise_tracking_code,
)
from hazardloop.regions.models import Department, DepartmentDomain, Region
from hazardloop.regions.services import in_subtree
from hazardloop.sites.models import Site
from hazardloop.sites.services import get_site, site_by_qr_token
from hazardloop.taxonomy import DOMAIN_LABELS, SITE_CATEGORY_LABELS, Domain, RegionLevel, SiteCategory

MAX_PHOTOS = 3
DUPLICATE_WINDOW = dt.timedelta(days=1)
REPORT_NOT_FOUND = "未找到该举报，请核对查询码。"
SITE_NOT_FOUND = "二维码无效或已更换，请扫描场所现场张贴的最新二维码。"

# What the reporter sees: triage first, then the hazard's own progress. 已提交 until a person accepts it.
PUBLIC_STATUS_LABELS = {"received": "已提交", "accepted": "已立案", "rectifying": "整改中", "closed": "已办结",
                        "rejected": "不予立案"}
MERGED_NOTE = "您的举报与其他举报反映的是同一问题，已合并办理，以下为合并后的办理进度。"
_HAZARD_TO_PUBLIC = {
    HazardStatus.FOUND: "accepted", HazardStatus.EXPOSED: "accepted", HazardStatus.ASSIGNED: "rectifying",
    HazardStatus.RECTIFYING: "rectifying", HazardStatus.AWAITING_VERIFICATION: "rectifying",
    HazardStatus.CLOSED: "closed",
}
_REWARD_ORDER = [RewardStatus.PENDING, RewardStatus.APPROVED, RewardStatus.PAID]
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?!\d)")


def redact_phones(text: str) -> str:
    """Free text shown to the public never carries a mobile number, even one a reporter typed into it."""
    return _MOBILE_IN_TEXT.sub("1**********", text)


def domain_label(code: str) -> str:
    return DOMAIN_LABELS[Domain(code)] if code in set(Domain) else code


# --- receiving -------------------------------------------------------------------------------

def normalise_text(text: str) -> str:
    """The words of a description for duplicate detection: NFKC, case-folded, no spaces or punctuation."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).casefold())


def clean_text(text: str) -> str:
    """Stored as typed (HTML is text, never markup) but without control characters."""
    text = unicodedata.normalize("NFC", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()


def region_for_point(lat: float, lng: float) -> Region:
    """The grid whose boundary contains the point, else the deepest bounded region that does, else the 区."""
    # JSON 'null' is not SQL NULL on PostgreSQL: unbounded rows may come back and simply hold nothing.
    bounded = db.session.scalars(select(Region).where(Region.boundary.is_not(None))).all()
    holding = [r for r in bounded if point_in_region.contains(r.boundary, lat=lat, lng=lng)]
    holding.sort(key=lambda r: (r.level != RegionLevel.GRID.value, -r.depth, r.id))
    return holding[0] if holding else district()


def district() -> Region:
    """The 区 a report without a known place goes to (one district per deployment)."""
    found = db.session.scalar(select(Region).where(Region.level == RegionLevel.DISTRICT.value)
                              .order_by(Region.id).limit(1))
    if found is None:
        raise ApiError("系统尚未设置行政区，暂不能受理举报。", code="no_district", status=503)
    return found


def triage_deadline(received_at: dt.datetime) -> dt.datetime:
    config = current_app.config
    rule = {"kind": "working_days", "days": config["REPORT_TRIAGE_WORKING_DAYS"]}
    return compute_deadline(rule, "general", start=received_at, tz=config["TIMEZONE"]).at


def submit_report(fields: dict[str, Any], photos: list[bytes]) -> PublicReport:
    """群众举报: record an anonymous report and its photos (public copies only ever shown).

    The place is the site named by its QR token, else the grid holding the map point, else the
    district. Raises NotFound for an unknown site token, ValidationFailed without a place or with
    too many photos, Conflict ``duplicate_report`` for the same text at the same place within a
    day, and the photo errors of ``receive_photo``.
    """
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed.field("photos", f"最多上传 {MAX_PHOTOS} 张照片。", "too_many")
    site: Site | None = None
    if fields.get("site_token"):
        site = site_by_qr_token(fields["site_token"])
        if site is None:
            raise NotFound(SITE_NOT_FOUND)
        region = site.grid
    elif fields.get("lat") is not None and fields.get("lng") is not None:
        region = region_for_point(fields["lat"], fields["lng"])
    elif fields.get("address"):
        region = district()
    else:
        raise ValidationFailed.field("location", "请扫描场所二维码，或在地图上选点，或填写地址。", "required")
    description = clean_text(fields["description"])
    if len(description) < 5:
        raise ValidationFailed.field("description", "请用至少 5 个字描述问题。", "length")
    text_hash = hashlib.sha256(normalise_text(description).encode()).hexdigest()
    now = utcnow()
    _refuse_duplicate(text_hash, site, region, now)
    photo_ids = [receive_photo(data, uploader=None)[0].id for data in photos]
    report = PublicReport(
        tracking_code=new_tracking_code(), public_id=new_public_code(), status=ReportStatus.RECEIVED.value,
        description=description, text_hash=text_hash, category=fields["category"], phone=fields.get("phone"),
        sms_consent=bool(fields.get("phone") and fields.get("sms_consent")),
        site=site, region=region, lat=fields.get("lat"), lng=fields.get("lng"),
        address=clean_text(fields["address"]) if fields.get("address") else None,
        photo_ids=list(dict.fromkeys(photo_ids)), received_at=now, triage_due_at=triage_deadline(now),
    )
    db.session.add(report)
    db.session.flush()
    return report


def _refuse_duplicate(text_hash: str, site: Site | None, region: Region, now: dt.datetime) -> None:
    place = PublicReport.site_id == site.id if site is not None else (
        PublicReport.site_id.is_(None) & (PublicReport.region_id == region.id))
    earlier = db.session.scalar(select(PublicReport.id).where(
        PublicReport.text_hash == text_hash, PublicReport.received_at >= now - DUPLICATE_WINDOW, place).limit(1))
    if earlier is not None:
        # The other report's code is its reporter's secret: say only that it exists.
        raise Conflict("一天内已有相同内容的举报，我们正在处理，无需重复提交。", code="duplicate_report")


def decoy_receipt() -> dict[str, Any]:
    """What a filled honeypot gets: a receipt shaped like the real one, for a report never stored."""
    return {"tracking_code": format_tracking_code(new_tracking_code()), "status": "received",
            "status_label": PUBLIC_STATUS_LABELS["received"], "received_at": utcnow()}


def receipt(report: PublicReport) -> dict[str, Any]:
    return {"tracking_code": format_tracking_code(report.tracking_code), "status": "received",
            "status_label": PUBLIC_STATUS_LABELS["received"], "received_at": report.received_at}


# --- what the reporter may read ------------------------------------------------------------------

def tracking_candidates(code: str) -> list[str]:
    """The stored forms a typed code may have: as typed (codes issued before the readable ones are
    case-sensitive) and, when it reads as one, the readable code in canonical form."""
    typed = code.strip()[:64]
    readable = normalise_tracking_code(typed)
    return list(dict.fromkeys([typed, readable] if is_readable_code(readable) else [typed]))


def report_by_tracking_code(code: str) -> PublicReport:
    """One indexed lookup whatever the code; raises NotFound with one fixed message."""
    report = db.session.scalar(select(PublicReport).where(PublicReport.tracking_code.in_(tracking_candidates(code))))
    if report is None:
        raise NotFound(REPORT_NOT_FOUND)
    return report


def followed(report: PublicReport) -> PublicReport | Hazard:
    """What a report's progress is: itself, or for a merged one the report or hazard it was merged into."""
    seen = {report.id}
    while report.status == ReportStatus.MERGED:
        if report.duplicate_of_hazard is not None:
            return report.duplicate_of_hazard
        original = report.duplicate_of_report
        if original is None or original.id in seen:  # merging refuses cycles; never loop on bad data
            break
        seen.add(original.id)
        report = original
    return report


def public_status(report: PublicReport) -> str:
    """received / accepted / rectifying / closed / rejected, following a merged report's original."""
    target = followed(report)
    if isinstance(target, Hazard):
        return _HAZARD_TO_PUBLIC[HazardStatus(target.status)]
    if target.status == ReportStatus.ACCEPTED:
        return _HAZARD_TO_PUBLIC[HazardStatus(target.hazard.status)]
    return ReportStatus.RECEIVED.value if target.status == ReportStatus.MERGED else target.status


def report_progress(report: PublicReport) -> dict[str, Any]:
    """The reporter's view: status, reason and times; nothing about the site's people.

    A merged report shows the progress of the one it was merged into (its own text and code stay).
    """
    status = public_status(report)
    target = followed(report)
    hazard = target if isinstance(target, Hazard) else target.hazard
    rejection = target.rejection_reason if isinstance(target, PublicReport) and status == "rejected" else None
    return {
        "tracking_code": format_tracking_code(report.tracking_code), "status": status,
        "status_label": PUBLIC_STATUS_LABELS[status],
        "description": redact_phones(report.description), "category": report.category,
        "category_label": domain_label(report.category),
        "rejection_reason": rejection, "merged": report.status == ReportStatus.MERGED,
        "merged_note": MERGED_NOTE if report.status == ReportStatus.MERGED else None,
        "received_at": report.received_at,
        "triaged_at": target.triaged_at if isinstance(target, PublicReport) else report.triaged_at,
        "deadline_at": hazard.deadline_at if hazard is not None and status != "closed" else None,
        "closed_at": hazard.closed_at if hazard is not None and status == "closed" else None,
        "feedback_asked": status == "closed" and hazard is not None and _feedback_for(report, hazard) is None,
        "reopened": report.reopen_count > 0,
    }


def _feedback_for(report: PublicReport, hazard: Hazard) -> ReportFeedback | None:
    return db.session.scalar(select(ReportFeedback).where(ReportFeedback.report_id == report.id,
                                                          ReportFeedback.hazard_id == hazard.id))


def answer_feedback(report: PublicReport, *, solved: bool, note: str | None = None) -> ReportFeedback:
    """「问题解决了吗？」: the reporter's answer once the hazard closed, recorded once per hazard; 'no' sends the
    report back to triage (status received, a new triage deadline) with the answer attached.

    Raises Conflict ``feedback_not_open`` before closing and ``feedback_already_given`` for a second answer.
    """
    target = followed(report)
    hazard = target if isinstance(target, Hazard) else target.hazard
    if public_status(report) != "closed" or hazard is None:
        raise Conflict("问题整改销号后才能反馈是否解决。", code="feedback_not_open")
    if _feedback_for(report, hazard) is not None:
        raise Conflict("您已反馈过本次处理结果，谢谢。", code="feedback_already_given")
    feedback = ReportFeedback(report_id=report.id, hazard_id=hazard.id, solved=solved,
                              note=clean_text(note) if note else None, answered_at=utcnow())
    db.session.add(feedback)
    if not solved:
        now = utcnow()
        report.status, report.triaged_at, report.triaged_by_id = ReportStatus.RECEIVED.value, None, None
        report.triage_due_at = triage_deadline(now)
        report.reopen_count += 1
    db.session.flush()
    return feedback


# --- triage --------------------------------------------------------------------------------------

def get_report(report_id: int, actor: User, action: Action = Action.REPORT_VIEW, *, lock: bool = False
               ) -> PublicReport:
    report = get_or_404(PublicReport, report_id, missing="举报不存在。", lock=lock)
    policy.authorize(actor, action, report)
    return report


def queue_query(actor: User, status: str | None = None, *, region: Region | None = None,
                received_from: dt.datetime | None = None, received_before: dt.datetime | None = None
                ) -> Select[Any]:
    """The triage queue: reports in the actor's scope (and ``region``'s subtree, received in the
    window), oldest deadline first."""
    query = select(PublicReport).where(policy.visible(actor, PublicReport))
    if status:
        query = query.where(PublicReport.status == status)
    if region is not None:
        query = query.where(PublicReport.region_id.in_(select(Region.id).where(in_subtree(Region.path, region.path))))
    if received_from is not None:
        query = query.where(PublicReport.received_at >= received_from)
    if received_before is not None:
        query = query.where(PublicReport.received_at < received_before)
    return query.order_by(PublicReport.triage_due_at, PublicReport.id)


def untriaged_count(actor: User) -> int:
    """举报 waiting for a person in the actor's scope: the console tab's badge."""
    return db.session.scalar(select(func.count(PublicReport.id)).where(
        policy.visible(actor, PublicReport), PublicReport.status == ReportStatus.RECEIVED.value)) or 0


def _claim(report: PublicReport, actor: User) -> None:
    """Take the report for this decision, once: a conditional UPDATE, so of two officials deciding at
    once exactly one goes on and the other gets Conflict ``report_already_triaged`` (SQLite too,
    where no row lock serializes them)."""
    now = utcnow()
    won = db.session.execute(
        update(PublicReport).where(PublicReport.id == report.id, PublicReport.status == ReportStatus.RECEIVED.value,
                                   PublicReport.triaged_at.is_(None))
        .values(triaged_at=now, triaged_by_id=actor.id).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(report)
    if not won:
        raise Conflict("该举报已由他人处理。", code="report_already_triaged", current_status=report.status)


def responsible_department(site: Site, domain: str) -> Department | None:
    """责任部门: the department supervising ``domain`` nearest above the site's grid (a street's before the 区's)."""
    ancestors = site.grid.ancestor_ids
    found = db.session.scalars(select(Department).join(DepartmentDomain).where(
        Department.region_id.in_(ancestors), DepartmentDomain.domain == domain).order_by(Department.id)).all()
    found = sorted(found, key=lambda d: -ancestors.index(d.region_id))
    return found[0] if found else None


def accept_report(report: PublicReport, *, actor: User, level: HazardLevel, domain: str,
                  description: str | None = None, site_id: int | None = None,
                  department_id: int | None = None) -> Hazard:
    """立案: the report becomes a hazard with source 群众举报 carrying the report's photos, routed to
    the responsible department (the one chosen, else the one supervising the domain there).

    A report without a site needs ``site_id`` (a site the actor may see). Raises Conflict
    ``report_already_triaged``, ValidationFailed and NotFound; records the hazard's ``found`` event.
    """
    _claim(report, actor)
    site = report.site
    if site is None:
        if site_id is None:
            raise ValidationFailed.field("site_id", "该举报未关联场所，受理时请指定场所。", "required")
        site = get_site(site_id)
        policy.authorize(actor, Action.SITE_VIEW, site)
    if department_id is not None:
        department = db.session.get(Department, department_id)
        if department is None:
            raise ValidationFailed.field("department_id", "责任部门不存在。", "unknown")
    else:
        department = responsible_department(site, domain)
    role = policy.acting_role(actor, Action.REPORT_TRIAGE, report)
    assert role is not None  # authorized by the caller
    hazard = create_hazard(
        site=site, source=HazardSource.PUBLIC_REPORT, description=(description or report.description).strip(),
        level=level, domain=domain, actor=actor, actor_role=role, found_at=report.received_at,
        photo_ids=report.photo_ids, lat=report.lat, lng=report.lng,
    )
    # The department is who 交办 will send it to; not a state, so no transition of its own.
    hazard.department_id = department.id if department is not None else None
    report.status, report.hazard_id, report.hazard = ReportStatus.ACCEPTED.value, hazard.id, hazard
    db.session.flush()
    tell_reporter(report, "accepted")
    return hazard


def reject_report(report: PublicReport, *, actor: User, reason: str) -> PublicReport:
    """不予立案 with a reason the reporter will read. Raises Conflict ``report_already_triaged``."""
    reason = clean_text(reason)
    if not reason:
        raise ValidationFailed.field("reason", "请写明不予立案的理由。", "required")
    _claim(report, actor)
    report.status, report.rejection_reason = ReportStatus.REJECTED.value, reason
    db.session.flush()
    tell_reporter(report, "rejected")
    return report


def duplicate_candidates(report: PublicReport, actor: User) -> dict[str, list[Any]]:
    """What a report may be merged into: other reports of its place in the last 30 days (not rejected,
    not merged) and the open hazards of its site, both in the actor's scope, newest first."""
    since = report.received_at - dt.timedelta(days=30)
    place = PublicReport.site_id == report.site_id if report.site_id is not None else \
        PublicReport.region_id == report.region_id
    reports = db.session.scalars(select(PublicReport).where(
        policy.visible(actor, PublicReport), place, PublicReport.id != report.id, PublicReport.received_at >= since,
        PublicReport.status.in_([ReportStatus.RECEIVED.value, ReportStatus.ACCEPTED.value]),
    ).order_by(PublicReport.received_at.desc()).limit(20)).all()
    hazards: list[Hazard] = []
    if report.site_id is not None:
        hazards = list(db.session.scalars(select(Hazard).where(
            policy.visible(actor, Hazard), Hazard.site_id == report.site_id,
            Hazard.status.in_([s.value for s in OPEN_STATUSES]),
        ).order_by(Hazard.found_at.desc()).limit(20)))
    return {"reports": list(reports), "hazards": hazards}


def merge_report(report: PublicReport, *, actor: User, into_report_id: int | None = None,
                 into_hazard_id: int | None = None) -> PublicReport:
    """并案: mark a report as a duplicate of another report or of a hazard; its reporter then follows that one.

    Merging into a report that was itself merged goes to that one's original. Raises ValidationFailed
    (neither or both, itself, a rejected original), NotFound (an original outside the actor's scope)
    and Conflict ``report_already_triaged``.
    """
    if report.status != ReportStatus.RECEIVED:
        raise Conflict("该举报已由他人处理。", code="report_already_triaged", current_status=report.status)
    if (into_report_id is None) == (into_hazard_id is None):
        raise ValidationFailed.field("report_id", "请选择要并入的一件举报或一个隐患。", "required")
    target: PublicReport | Hazard
    if into_hazard_id is not None:
        hazard = db.session.get(Hazard, into_hazard_id)
        if hazard is None or not policy.can(actor, Action.HAZARD_VIEW, hazard):
            raise NotFound("要并入的隐患不存在或不在您的范围内。")
        target = hazard
    else:
        original = db.session.get(PublicReport, into_report_id)
        if original is None or not policy.can(actor, Action.REPORT_VIEW, original):
            raise NotFound("要并入的举报不存在或不在您的范围内。")
        target = followed(original)
        if isinstance(target, PublicReport) and target.id == report.id:
            raise ValidationFailed.field("report_id", "不能把举报并入它自己。", "self")
        if isinstance(target, PublicReport) and target.status == ReportStatus.REJECTED:
            raise ValidationFailed.field("report_id", "不能并入已不予立案的举报，请直接处理本举报。", "rejected")
    _claim(report, actor)
    if isinstance(target, Hazard):
        report.duplicate_of_hazard_id, report.duplicate_of_hazard = target.id, target
    else:
        report.duplicate_of_report_id, report.duplicate_of_report = target.id, target
    report.status = ReportStatus.MERGED.value
    db.session.flush()
    return report


def set_reward(report: PublicReport, *, actor: User, amount: Decimal, status: RewardStatus) -> PublicReport:
    """举报奖励: record the amount and how far it has got (pending → approved → paid, never back).

    Raises RuleViolation for a report not accepted, or a step back from approved or paid.
    """
    if report.status != ReportStatus.ACCEPTED:
        raise RuleViolation("只有已立案的举报可以奖励。", code="reward_needs_accepted_report")
    if report.reward_status and _REWARD_ORDER.index(status) < _REWARD_ORDER.index(
            RewardStatus(report.reward_status)):
        raise RuleViolation("奖励状态不能回退。", code="reward_status_backwards")
    if report.reward_status == RewardStatus.PAID and amount != report.reward_amount:
        raise RuleViolation("奖励已发放，金额不能再改。", code="reward_paid")
    report.reward_amount, report.reward_status = amount, status.value
    report.reward_updated_at, report.reward_updated_by_id = utcnow(), actor.id
    db.session.flush()
    return report


def untriaged_overdue(now: dt.datetime) -> list[PublicReport]:
    """Reports still waiting for triage past their deadline, for the escalation sweep (one indexed query)."""
    return list(db.session.scalars(select(PublicReport).where(
        PublicReport.status == ReportStatus.RECEIVED.value, PublicReport.triage_due_at < now,
    ).order_by(PublicReport.triage_due_at, PublicReport.id)))


# --- 曝光台 ---------------------------------------------------------------------------------------

def _hazard_links(hazard: Hazard) -> list[PhotoLink]:
    return list(db.session.scalars(select(PhotoLink).where(
        PhotoLink.subject_type.in_([SubjectType.HAZARD.value, SubjectType.RECTIFICATION.value]),
        PhotoLink.subject_id == hazard.id)))


def hazard_photo_ids(hazard: Hazard) -> list[str]:
    """Every photo of the hazard: finding, after, and the before photo an after photo answers."""
    linked = [pid for link in _hazard_links(hazard) for pid in (link.photo_id, link.answers_photo_id) if pid]
    return list(dict.fromkeys([*hazard.photo_ids, *linked]))


def publish_hazard(hazard: Hazard, *, actor: User, public: bool) -> HazardExposure:
    """曝光: show (or withdraw) a hazard on the 曝光台 with the public copies of its photos.

    Publishing again re-publishes photos added since (e.g. the rectification's after photos).
    Refuses what ``hazards.actions`` does not offer (``publish_exposure`` / ``withdraw_exposure``):
    NotFound / Forbidden, RuleViolation ``covert_not_publishable`` for a 暗访 finding not yet exposed or
    assigned, ``already_published`` with nothing new to show, ``guard_failed`` when not shown.
    Records a ``publish_exposure`` or ``withdraw_exposure`` event.
    """
    action = "publish_exposure" if public else "withdraw_exposure"
    role = require_action(actor, hazard, action)
    exposure = db.session.get(HazardExposure, hazard.id) or HazardExposure(hazard_id=hazard.id,
                                                                         public_id=new_public_code())
    db.session.add(exposure)
    now = utcnow()
    if public:
        exposure.published_at, exposure.published_by_id, exposure.withdrawn_at = now, actor.id, None
    else:
        exposure.withdrawn_at = now
    hazard.exposed_publicly = public
    photo_ids = hazard_photo_ids(hazard)
    still_shown = set() if public else _photos_of_other_exposed_hazards(hazard, photo_ids)
    for photo in db.session.scalars(select(Photo).where(Photo.id.in_(photo_ids))):
        if public or photo.id not in still_shown:
            set_published(photo, public)
    append_event(kind=action, hazard=hazard, actor=actor, actor_role=role.value, from_status=hazard.status,
                 to_status=hazard.status, payload={"code": exposure.public_id, "photo_ids": photo_ids})
    db.session.flush()
    return exposure


def _photos_of_other_exposed_hazards(hazard: Hazard, photo_ids: list[str]) -> set[str]:
    others = db.session.scalars(select(Hazard).join(PhotoLink, PhotoLink.subject_id == Hazard.id).where(
        PhotoLink.photo_id.in_(photo_ids), PhotoLink.subject_type == SubjectType.HAZARD.value,
        Hazard.exposed_publicly.is_(True), Hazard.id != hazard.id)).unique().all()
    return {p for other in others for p in hazard_photo_ids(other)}


def public_photo_url(photo_id: str, *, absolute: bool = False) -> str:
    path = f"/api/v1/photos/{photo_id}/public"
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path if absolute else path


def published_ids(photo_ids: list[str]) -> set[str]:
    if not photo_ids:
        return set()
    return set(db.session.scalars(select(Photo.id).where(Photo.id.in_(photo_ids), Photo.published_at.is_not(None))))


def public_hazard(hazard: Hazard, exposure: HazardExposure | None = None, *, preview: bool = False
                  ) -> dict[str, Any]:
    """A hazard as the public sees it: the site's name, what, how serious, by when, how far — and
    only photos whose public copy is published (closed ones paired before/after).

    ``preview``: as it would be shown once published now (publishing publishes all its photos).
    """
    status = HazardStatus(hazard.status)
    shown = set(hazard_photo_ids(hazard)) if preview else published_ids(hazard_photo_ids(hazard))
    after = {link.photo_id for link in _hazard_links(hazard) if link.role == LinkRole.AFTER}
    pairs = [{"before": public_photo_url(b.id), "after": public_photo_url(a.id)}
             for b, a in before_after_pairs(SubjectType.HAZARD.value, hazard.id)
             if b.id in shown and a.id in shown] if status == HazardStatus.CLOSED else []
    return {
        "code": exposure.public_id if exposure is not None else None,
        "site_name": hazard.site.name, "description": redact_phones(hazard.description), "level": hazard.level,
        "level_label": LEVEL_LABELS[HazardLevel(hazard.level)], "domain": hazard.domain,
        "domain_label": domain_label(hazard.domain),
        "status": hazard.status, "status_label": STATUS_LABELS[status], "deadline_at": hazard.deadline_at,
        "closed_at": hazard.closed_at, "published_at": exposure.published_at if exposure is not None else None,
        "photos": [public_photo_url(p) for p in hazard.photo_ids if p in shown and p not in after],
        "before_after": pairs,
    }


def publication_preview(hazard: Hazard) -> dict[str, Any]:
    """曝光台预览: the board's card for ``hazard`` as the public would see it once published now."""
    exposure = db.session.get(HazardExposure, hazard.id)
    return {"public": bool(hazard.exposed_publicly), "preview": public_hazard(hazard, exposure, preview=True)}


def exposure_query() -> Select[Any]:
    return (select(Hazard, HazardExposure).join(HazardExposure, HazardExposure.hazard_id == Hazard.id)
            .where(Hazard.exposed_publicly.is_(True)).order_by(HazardExposure.published_at.desc(), Hazard.id.desc()))


def exposure_board(page: int, per_page: int) -> dict[str, Any]:
    """曝光台: the published hazards, newest first."""
    total = db.session.scalar(select(func.count()).select_from(exposure_query().order_by(None).subquery()))
    rows = db.session.execute(exposure_query().limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": [public_hazard(h, e) for h, e in rows], "total": total or 0, "page": page,
            "per_page": per_page}


def site_page(token: str) -> dict[str, Any]:
    """What a QR code shows to anyone: the site's name and category and its published hazards."""
    site = site_by_qr_token(token[:64])
    if site is None:
        raise NotFound(SITE_NOT_FOUND)
    rows = db.session.execute(exposure_query().where(Hazard.site_id == site.id)).all()
    return {"name": site.name, "category": site.category,
            "category_label": SITE_CATEGORY_LABELS[SiteCategory(site.category)],
            "hazards": [public_hazard(h, e) for h, e in rows]}


def district_map() -> dict[str, Any]:
    """辖区网格图: outlines for the report form's map (no tile server), the district's and each grid's.

    Only administrative shapes and names, which are public anyway; no ids, people or sites.
    """
    outlined = db.session.scalars(select(Region).where(
        Region.level.in_([RegionLevel.DISTRICT.value, RegionLevel.GRID.value]), Region.boundary.is_not(None),
    ).order_by(Region.path, Region.id)).all()
    # JSON 'null' is not SQL NULL on PostgreSQL: keep only real polygons.
    areas = [r for r in outlined if isinstance(r.boundary, dict)
             and r.boundary.get("type") in ("Polygon", "MultiPolygon")]
    district_area = next((r for r in areas if r.level == RegionLevel.DISTRICT.value), None)
    return {
        "district": {"name": district_area.name, "boundary": district_area.boundary} if district_area else None,
        "grids": [{"name": r.name, "boundary": r.boundary} for r in areas if r.level == RegionLevel.GRID.value],
    }


# --- figures for the supervisor console ----------------------------------------------------------

def report_figures(actor: User, *, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Reports received in [start, end) in the actor's scope, with triage time, share accepted and
    办结率 (closed share of accepted), overall and by grid (or district for unplaced reports)."""
    rows = db.session.execute(
        select(PublicReport, Hazard.status, Region.name, Region.level)
        .join(Region, Region.id == PublicReport.region_id)
        .outerjoin(Hazard, Hazard.id == PublicReport.hazard_id)
        .where(policy.visible(actor, PublicReport), PublicReport.received_at >= start, PublicReport.received_at < end)
    ).all()
    groups: dict[int, list[tuple[PublicReport, str | None]]] = defaultdict(list)
    names: dict[int, tuple[str, str]] = {}
    for report, hazard_status, name, level in rows:
        groups[report.region_id].append((report, hazard_status))
        names[report.region_id] = (name, level)
    by_region = [{"region_id": rid, "region_name": names[rid][0], "region_level": names[rid][1],
                  **_figures(items)} for rid, items in sorted(groups.items(), key=lambda kv: names[kv[0]][0])]
    return {"start": start, "end": end, "total": _figures([i for items in groups.values() for i in items]),
            "by_region": by_region}


def _figures(items: list[tuple[PublicReport, str | None]]) -> dict[str, Any]:
    triaged = [r for r, _ in items if r.triaged_at is not None]
    accepted = [s for r, s in items if r.status == ReportStatus.ACCEPTED]
    closed = [s for s in accepted if s == HazardStatus.CLOSED]
    hours = [(r.triaged_at - r.received_at).total_seconds() / 3600 for r in triaged]  # type: ignore[operator]
    on_time = [r for r in triaged if r.triaged_at <= r.triage_due_at]  # type: ignore[operator]
    return {
        "received": len(items), "triaged": len(triaged), "accepted": len(accepted),
        "rejected": sum(r.status == ReportStatus.REJECTED for r, _ in items),
        "merged": sum(r.status == ReportStatus.MERGED for r, _ in items),
        "untriaged": len(items) - len(triaged),
        "triaged_on_time": len(on_time),
        "on_time_share": round(len(on_time) / len(triaged), 4) if triaged else None,
        "median_triage_hours": round(statistics.median(hours), 2) if hours else None,
        "accepted_share": round(len(accepted) / len(triaged), 4) if triaged else None,
        "closed": len(closed), "closed_share": round(len(closed) / len(accepted), 4) if accepted else None,
    }

