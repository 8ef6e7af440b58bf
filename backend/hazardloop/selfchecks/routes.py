"""/api/v1/self-checks: a site's 自查自报 month, submitting the monthly report (offline, idempotent), the figures."""

from __future__ import annotations

from typing import Any

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.errors import Forbidden
from hazardloop.policy import Action
from hazardloop.selfchecks import figures, services
from hazardloop.selfchecks.schemas import (
    SelfCheckFiguresSchema,
    SelfCheckMonthSchema,
    SelfCheckPeriodArgsSchema,
    SelfCheckReportCreateSchema,
    SelfCheckReportSchema,
)

blp = blueprint("self_checks", __name__, "/self-checks", "企业隐患自查自报：每月自查报告（含本月未发现隐患）与统计")


@blp.route("/sites/<int:site_id>", methods=["GET"])
@blp.arguments(SelfCheckPeriodArgsSchema, location="query")
@blp.response(200, SelfCheckMonthSchema)
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def site_month(args: dict[str, Any], site_id: int) -> Any:
    """One site's month: its self-inspections, the hazards they found, the report, and what may be submitted now."""
    return services.month(site_id, services.parse_period(args.get("period")), user=current_user())


@blp.route("", methods=["POST"])
@blp.arguments(SelfCheckReportCreateSchema)
@blp.response(201, SelfCheckReportSchema)
@blp.alt_response(200, schema=SelfCheckReportSchema, description="同一 client_uuid 重发：返回已存结果")
@blp.alt_response(404, description="场所不存在或不在您的范围内")
@blp.alt_response(409, description="本月已报告，或同一 client_uuid 已提交过不同内容，或本月自查发现了隐患却报未发现")
def submit(args: dict[str, Any]) -> Any:
    """Submit a month's 自查自报 of one site (idempotent by client_uuid; one per site and month)."""
    report, created = services.submit_report(args, actor=current_user())
    return report, 201 if created else 200


@blp.route("/figures", methods=["GET"])
@blp.arguments(SelfCheckPeriodArgsSchema, location="query")
@blp.response(200, SelfCheckFiguresSchema)
@blp.alt_response(403, description="您的角色不能查看自查自报统计")
def month_figures(args: dict[str, Any]) -> Any:
    """Per enterprise in scope: 自查次数, 自查发现数, 自改率, 按期率 (each with its denominator), who did not report."""
    user = current_user()
    if not policy.holds(user, Action.SITE_SELF_CHECK_STATS):
        raise Forbidden("您的角色不能查看自查自报统计。")
    return figures.compute(user, services.parse_period(args.get("period")))
