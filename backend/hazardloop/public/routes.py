"""/api/v1/public (no login), /api/v1/open311, /api/v1/reports (triage) and /api/v1/hazards/<id>/publish."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from hazardloop import policy
from hazardloop.accounts.auth import current_user, public
from hazardloop.accounts.models import User
from hazardloop.apitools import PaginationArgsSchema, blueprint, paginate
from hazardloop.database import local_zone
from hazardloop.errors import ApiError, NotFound, ValidationFailed
from hazardloop.evidence.delivery import photo_response
from hazardloop.evidence.services import get_photo, too_large
from hazardloop.hazards.schemas import LEVEL_INPUT
from hazardloop.hazards.services import get_hazard
from hazardloop.hazards.states import HazardLevel
from hazardloop.policy import Action
from hazardloop.public import open311, services
from hazardloop.public.models import PublicReport, RewardStatus
from hazardloop.public.ratelimit import count_lookup_miss, count_report_attempt, refuse_lookups_after_misses
from hazardloop.public.schemas import (
    HONEYPOT,
    DuplicateCandidatesSchema,
    ExposurePageSchema,
    Open311RequestsArgsSchema,
    PublicationPreviewSchema,
    PublicationSchema,
    PublicMapSchema,
    PublicReportCreateSchema,
    PublicSiteSchema,
    PublishSchema,
    ReceiptSchema,
    ReportAcceptSchema,
    ReportCountSchema,
    ReportFeedbackCreateSchema,
    ReportFeedbackSchema,
    ReportMergeSchema,
    ReportPageSchema,
    ReportProgressSchema,
    ReportQueryArgsSchema,
    ReportRejectSchema,
    ReportRewardSchema,
    ReportSchema,
    ReportStatsArgsSchema,
    ReportStatsSchema,
)
from hazardloop.regions.services import get_region
from hazardloop.replica import reads_replica

public_blp = blueprint("public", __name__, "/public", "公众：扫码查看、群众举报、进度查询、曝光台")
open311_blp = blueprint("open311", __name__, "/open311", "开放数据：Open311 GeoReport v2（只读）")
reports_blp = blueprint("reports", __name__, "/reports", "群众举报的分拣、受理与奖励")
publication_blp = blueprint("hazard_publication", __name__, "/hazards", "曝光台：公开隐患")


# Headers (CSP, nosniff, no-referrer, no-store) come from hazardloop.security for every answer.


# --- public ---------------------------------------------------------------------------------------

@public_blp.route("/sites/<token>", methods=["GET"])
@public_blp.response(200, PublicSiteSchema)
@public_blp.alt_response(404, description="二维码无效或已更换（未知与已更换的令牌答复完全相同）")
@public
@reads_replica
def site_page(token: str) -> Any:
    """The page a site's QR code opens: its name and category and its published hazards."""
    return services.site_page(token)


def _report_input() -> tuple[dict[str, Any], list[bytes]]:
    """Fields and photo bytes of a JSON or multipart report, refusing oversize bodies early."""
    config = current_app.config
    limit, photo_limit = config["PUBLIC_REPORT_MAX_BYTES"], config["PHOTO_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(f"提交内容过大，上限为 {limit // (1024 * 1024)} MB。", status=413, code="report_too_large")
    request.max_content_length = limit  # also bounds a chunked body
    try:
        if request.mimetype == "multipart/form-data":
            form, files = request.form, request.files.getlist("photos")
        else:
            form, files = request.get_json(), []
    except RequestEntityTooLarge as exc:
        raise ApiError(f"提交内容过大，上限为 {limit // (1024 * 1024)} MB。", status=413,
                       code="report_too_large") from exc
    if isinstance(form, Mapping) and str(form.get(HONEYPOT) or "").strip():
        return {HONEYPOT: True}, []  # a robot: whatever else it sent, it gets the decoy receipt
    if len(files) > services.MAX_PHOTOS:
        raise ValidationFailed.field("photos", f"最多上传 {services.MAX_PHOTOS} 张照片。", "too_many")
    fields = PublicReportCreateSchema().load(form if form is not None else {})
    photos = []
    for file in files:
        data = file.stream.read(photo_limit + 1)
        if len(data) > photo_limit:
            raise too_large(photo_limit)
        photos.append(data)
    return fields, photos


@public_blp.route("/reports", methods=["POST"])
@public_blp.doc(requestBody={"content": {
    "application/json": {"schema": PublicReportCreateSchema},
    "multipart/form-data": {"schema": PublicReportCreateSchema}}})
@public_blp.response(201, ReceiptSchema, description="已受理：返回查询码")
@public_blp.alt_response(404, description="场所二维码无效或已更换")
@public_blp.alt_response(409, description="一天内同一地点已有相同内容的举报（duplicate_report）")
@public_blp.alt_response(413, description="提交内容或照片过大")
@public_blp.alt_response(422, description="字段有误、未给出地点或照片超过 3 张")
@public_blp.alt_response(429, description="同一地址或设备（X-Device-Id）提交过于频繁")
@public
def submit_report() -> Any:
    """群众举报 without an account: by site QR token or map point / address, with up to 3 photos."""
    count_report_attempt(request.remote_addr or "unknown", request.headers.get("X-Device-Id") or None)
    fields, photos = _report_input()
    if fields.get(HONEYPOT):
        return services.decoy_receipt(), 201
    return services.receipt(services.submit_report(fields, photos)), 201


def _looked_up(code: str) -> PublicReport:
    """The report a reporter asks about by tracking code; misses from one address are counted and then refused."""
    address = request.remote_addr or "unknown"
    refuse_lookups_after_misses(address)
    try:
        return services.report_by_tracking_code(code)
    except NotFound:
        count_lookup_miss(address)
        raise


@public_blp.route("/reports/<code>", methods=["GET"])
@public_blp.response(200, ReportProgressSchema)
@public_blp.alt_response(404, description="查询码不存在")
@public_blp.alt_response(429, description="同一地址查询错误的查询码过多（lookup_rate_limited）")
@public
@reads_replica
def report_progress(code: str) -> Any:
    """The reporter's view of their report, by tracking code (any case, with or without hyphens)."""
    report = _looked_up(code)
    return services.report_progress(report)


@public_blp.route("/reports/<code>/feedback", methods=["POST"])
@public_blp.arguments(ReportFeedbackCreateSchema)
@public_blp.response(201, ReportFeedbackSchema, description="已记录；「没有解决」则重新受理")
@public_blp.alt_response(404, description="查询码不存在")
@public_blp.alt_response(409, description="尚未整改销号（feedback_not_open）或已反馈过（feedback_already_given）")
@public_blp.alt_response(429, description="同一地址查询错误的查询码过多（lookup_rate_limited）")
@public
def report_feedback(args: dict[str, Any], code: str) -> Any:
    """「问题解决了吗？」: the reporter answers once the hazard closed; 'no' reopens triage with the answer attached."""
    report = _looked_up(code)
    return services.answer_feedback(report, **args), 201


@public_blp.route("/exposure", methods=["GET"])
@public_blp.arguments(PaginationArgsSchema, location="query")
@public_blp.response(200, ExposurePageSchema)
@public
@reads_replica
def exposure_board(args: dict[str, Any]) -> Any:
    """曝光台: hazards supervisors chose to publish; closed ones with before/after photos."""
    return services.exposure_board(args["page"], args["per_page"])


@public_blp.route("/map", methods=["GET"])
@public_blp.response(200, PublicMapSchema)
@public
@reads_replica
def district_map() -> Any:
    """The grids' outlines for choosing a place on the report form when there is no QR code."""
    # Outlines change seldom: a phone may keep them for a while instead of downloading them per report.
    return services.district_map(), 200, {"Cache-Control": "public, max-age=3600"}


# --- Open311 GeoReport v2 -------------------------------------------------------------------------

@open311_blp.route("/services.json", methods=["GET"])
@public
@reads_replica
def open311_services() -> Any:
    """Service list: one service per 监管领域."""
    return open311.services_list()


@open311_blp.route("/requests.json", methods=["GET"])
@open311_blp.arguments(Open311RequestsArgsSchema, location="query")
@public
@reads_replica
def open311_requests(args: dict[str, Any]) -> Any:
    """Accepted public reports and exposed hazards, newest first."""
    return open311.requests_list(service_code=args["service_code"], status=args["status"],
                                 start=args["start_date"], end=args["end_date"])


@open311_blp.route("/requests/<rid>.json", methods=["GET"])
@open311_blp.alt_response(404, description="未知或未公开")
@public
@reads_replica
def open311_request(rid: str) -> Any:
    """One request (GeoReport v2 answers a list with one element)."""
    return [open311.request_by_id(rid)]


# --- triage ---------------------------------------------------------------------------------------

def _annotate(report: PublicReport) -> PublicReport:
    report.public_status = services.public_status(report)  # type: ignore[attr-defined]
    report.public_status_label = services.PUBLIC_STATUS_LABELS[report.public_status]  # type: ignore[attr-defined]
    report.triage_overdue = (  # type: ignore[attr-defined]
        report.status == "received" and report.triage_due_at < dt.datetime.now(dt.UTC))
    return report


@reports_blp.route("", methods=["GET"])
@reports_blp.arguments(ReportQueryArgsSchema, location="query")
@reports_blp.response(200, ReportPageSchema)
def report_queue(args: dict[str, Any]) -> Any:
    """The triage queue of my scope, most urgent first; filter by status, region and date received."""
    if args["start"] and args["end"] and args["start"] > args["end"]:
        raise ValidationFailed.field("from", "开始日期不能晚于结束日期。")
    user = current_user()
    region = None
    if args["region_id"] is not None:
        region = get_region(args["region_id"])
        policy.authorize(user, Action.REGION_VIEW, region)
    query = services.queue_query(user, args["status"], region=region,
                                 received_from=_local_midnight(args["start"]) if args["start"] else None,
                                 received_before=_local_midnight(args["end"], 1) if args["end"] else None)
    result = paginate(query, args["page"], args["per_page"])
    result["items"] = [_annotate(r) for r in result["items"]]
    return result


def _local_midnight(day: dt.date, days_after: int = 0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=days_after), dt.time(), tzinfo=local_zone()).astimezone(dt.UTC)


@reports_blp.route("/count", methods=["GET"])
@reports_blp.response(200, ReportCountSchema)
def report_count() -> Any:
    """待分拣: how many reports in my scope wait for a person (the console tab's badge)."""
    return {"untriaged": services.untriaged_count(current_user())}


@reports_blp.route("/stats", methods=["GET"])
@reports_blp.arguments(ReportStatsArgsSchema, location="query")
@reports_blp.response(200, ReportStatsSchema)
def report_stats(args: dict[str, Any]) -> Any:
    """Figures for the console: received, median triage time, share accepted, 办结率, by grid, for a period."""
    zone = local_zone()
    today = dt.datetime.now(zone).date()
    end_day = args["end"] or today
    start_day = args["start"] or end_day.replace(day=1)
    if start_day > end_day:
        raise ValidationFailed.field("from", "开始日期不能晚于结束日期。")
    start = dt.datetime.combine(start_day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.UTC)
    return services.report_figures(current_user(), start=start, end=end)


@reports_blp.route("/<int:report_id>", methods=["GET"])
@reports_blp.response(200, ReportSchema)
def report_detail(report_id: int) -> Any:
    return _annotate(services.get_report(report_id, current_user()))


@reports_blp.route("/<int:report_id>/duplicates", methods=["GET"])
@reports_blp.response(200, DuplicateCandidatesSchema)
def report_duplicates(report_id: int) -> Any:
    """并案候选: earlier reports of the same place and open hazards of the same site."""
    user = current_user()
    return services.duplicate_candidates(services.get_report(report_id, user), user)


@reports_blp.route("/<int:report_id>/photos/<photo_id>", methods=["GET"])
@reports_blp.doc(responses={"200": {"description": "举报照片（带水印的证据副本，或 ?kind=thumbnail 缩略图）"}})
@reports_blp.alt_response(404, description="举报或照片不存在，或不在您的范围内")
def report_photo(report_id: int, photo_id: str) -> Response:
    """A photo the reporter sent, for the supervisors who triage the report (before any hazard links it)."""
    report = services.get_report(report_id, current_user())
    photo_id = photo_id.lower()[:64]
    if photo_id not in report.photo_ids:
        raise NotFound("照片不存在。")
    kind = "thumbnail" if request.args.get("kind") == "thumbnail" else "evidence"
    return photo_response(get_photo(photo_id), kind, "private, no-cache")


def _to_triage(report_id: int) -> tuple[User, PublicReport]:
    """The acting supervisor and the report locked for triage (受理, 不予立案, 并案, 奖励 each decide it once)."""
    user = current_user()
    return user, services.get_report(report_id, user, Action.REPORT_TRIAGE, lock=True)


@reports_blp.route("/<int:report_id>/accept", methods=["POST"])
@reports_blp.arguments(ReportAcceptSchema)
@reports_blp.response(200, ReportSchema)
@reports_blp.alt_response(409, description="已处理（report_already_triaged）")
def accept_report(args: dict[str, Any], report_id: int) -> Any:
    """受理: the report becomes a hazard with source 群众举报 and enters the normal loop."""
    user, report = _to_triage(report_id)
    services.accept_report(report, actor=user, level=HazardLevel(LEVEL_INPUT[args["level"]]),
                           domain=args["domain"], description=args["description"], site_id=args["site_id"],
                           department_id=args["department_id"])
    return _annotate(report)


@reports_blp.route("/<int:report_id>/reject", methods=["POST"])
@reports_blp.arguments(ReportRejectSchema)
@reports_blp.response(200, ReportSchema)
@reports_blp.alt_response(409, description="已处理（report_already_triaged）")
def reject_report(args: dict[str, Any], report_id: int) -> Any:
    """不予立案, with the reason the reporter will read."""
    user, report = _to_triage(report_id)
    return _annotate(services.reject_report(report, actor=user, reason=args["reason"]))


@reports_blp.route("/<int:report_id>/merge", methods=["POST"])
@reports_blp.arguments(ReportMergeSchema)
@reports_blp.response(200, ReportSchema)
@reports_blp.alt_response(404, description="要并入的举报或隐患不存在或不在您的范围内")
@reports_blp.alt_response(409, description="已处理（report_already_triaged）")
def merge_report(args: dict[str, Any], report_id: int) -> Any:
    """并案: the report duplicates another report or a hazard; its reporter then follows that one's progress."""
    user, report = _to_triage(report_id)
    return _annotate(services.merge_report(report, actor=user, into_report_id=args["report_id"],
                                           into_hazard_id=args["hazard_id"]))


@reports_blp.route("/<int:report_id>/reward", methods=["POST"])
@reports_blp.arguments(ReportRewardSchema)
@reports_blp.response(200, ReportSchema)
def reward_report(args: dict[str, Any], report_id: int) -> Any:
    """举报奖励: amount and status (pending → approved → paid)."""
    user, report = _to_triage(report_id)
    return _annotate(services.set_reward(report, actor=user, amount=args["amount"],
                                         status=RewardStatus(args["status"])))


# --- 曝光台 ---------------------------------------------------------------------------------------

@publication_blp.route("/<int:hazard_id>/publish", methods=["POST"])
@publication_blp.arguments(PublishSchema)
@publication_blp.response(200, PublicationSchema)
@publication_blp.alt_response(403, description="您的角色不能发布到曝光台")
@publication_blp.alt_response(404, description="隐患不存在或不在您的范围内")
@publication_blp.alt_response(409, description="现在不能发布或撤下（暗访未曝光、已公开且无新照片、未公开）")
def publish_hazard(args: dict[str, Any], hazard_id: int) -> Any:
    """曝光: show or withdraw a hazard on the public board, with its photos' public copies."""
    hazard = get_hazard(hazard_id, lock=True)
    exposure = services.publish_hazard(hazard, actor=current_user(), public=args["public"])
    return {"public": hazard.exposed_publicly, "code": exposure.public_id, "published_at": exposure.published_at,
            "withdrawn_at": exposure.withdrawn_at}


@publication_blp.route("/<int:hazard_id>/publication", methods=["GET"])
@publication_blp.response(200, PublicationPreviewSchema)
@publication_blp.alt_response(403, description="您的角色不能发布到曝光台")
@publication_blp.alt_response(404, description="隐患不存在或不在您的范围内")
def preview_publication(hazard_id: int) -> Any:
    """曝光台预览: what the public board shows (or would show once published now) for this hazard."""
    hazard = get_hazard(hazard_id)
    policy.authorize(current_user(), Action.HAZARD_PUBLISH, hazard)
    return services.publication_preview(hazard)
