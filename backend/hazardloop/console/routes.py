"""/api/v1/console: overview, overdue tracker, bulk actions, risk map, 挂牌督办 list and their XLSX exports."""

from __future__ import annotations

from typing import Any

from flask import Response, json, jsonify

from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.console import bulk_actions, services, tracker
from hazardloop.console.exports import XLSX, Sheet, excel_time, rate_cell, xlsx_response
from hazardloop.console.riskmap import risk_map
from hazardloop.console.schemas import (
    BulkResultsSchema,
    BulkSchema,
    OverdueArgsSchema,
    OverdueExportArgsSchema,
    OverduePageSchema,
    OverviewArgsSchema,
    OverviewSchema,
    RiskMapArgsSchema,
    SupervisedArgsSchema,
    SupervisedListSchema,
    dump_overdue_page,
)
from hazardloop.database import local_zone
from hazardloop.hazards.states import LEVEL_LABELS, STATUS_LABELS, HazardLevel, HazardStatus
from hazardloop.replica import reads_replica

blp = blueprint("console", __name__, "/console", "监管驾驶舱")
BINARY = {"type": "string", "format": "binary"}
RUNG_LABELS = {"street": "街道", "district": "区安委办", "supervision": "拟挂牌督办"}


def _scope(args: dict[str, Any]) -> services.Scope:
    return services.console_scope(current_user(), args.get("region_id"), args.get("department_id"))


@blp.route("/overview")
@blp.arguments(OverviewArgsSchema, location="query")
@blp.response(200, OverviewSchema)
@blp.alt_response(403, description="角色不能使用监管驾驶舱")
@blp.alt_response(404, description="区域或部门不存在，或不在您的范围内")
@reads_replica
def overview(args: dict[str, Any]) -> Any:
    """Open hazards by status, overdue, due this week, 重大/挂牌督办, rates, trends and patrol coverage."""
    return services.overview(_scope(args), period=args["period"])


@blp.route("/overview.xlsx")
@blp.arguments(OverviewArgsSchema, location="query")
@blp.response(200, BINARY, content_type=XLSX,
              description="整改率统计表（按街道、部门、领域）与本期巡查覆盖（按网格、网格员）")
@reads_replica
def overview_xlsx(args: dict[str, Any]) -> Any:
    """The overview's rate tables and patrol coverage as an XLSX workbook."""
    data = services.overview(_scope(args), period=args["period"])
    rates = data["rates"]
    # 按期整改率 = 按期整改 ÷ 本期到期 (circulars.figures): its denominator is printed beside it.
    columns = ["发现隐患", "已整改闭环", "当前逾期", "本期到期", "按期整改", "整改率", "按期整改率"]

    def numbers(row: dict[str, Any]) -> list[Any]:
        return [row["found"], row["closed"], row["overdue"], row["due"], row["on_time"],
                rate_cell(row["rectification_rate"]), rate_cell(row["on_time_rate"])]

    widths = [24, 10, 10, 10, 10, 10, 10, 10]
    sheets = [
        Sheet("按街道", ["街道/区域", *columns], widths, ([r["name"], *numbers(r)] for r in rates["by_street"])),
        Sheet("按部门", ["责任部门", *columns], widths, ([r["name"], *numbers(r)] for r in rates["by_department"])),
        Sheet("按领域", ["监管领域", *columns], widths, ([r["label"], *numbers(r)] for r in rates["by_domain"])),
    ]
    coverage = data["patrol_coverage"]
    sheets += [
        Sheet("巡查覆盖·网格", ["网格", "场所数", "本期已巡查", "覆盖率"], [24, 10, 10, 10],
              ([r["name"], r["sites"], r["patrolled"], rate_cell(r["share"])] for r in coverage["by_grid"])),
        Sheet("巡查覆盖·网格员", ["网格员", "场所数", "本期已巡查", "覆盖率", "发现隐患"], [16, 10, 10, 10, 10],
              ([r["name"], r["sites"], r["patrolled"], rate_cell(r["share"]), r["hazards_found"]]
               for r in coverage["by_inspector"])),
    ]
    return xlsx_response(sheets, "整改率统计")


@blp.route("/overdue")
@blp.arguments(OverdueArgsSchema, location="query")
@blp.response(200, OverduePageSchema)
@blp.alt_response(403, description="角色不能使用监管驾驶舱")
@blp.alt_response(404, description="区域或部门不存在，或不在您的范围内")
@reads_replica
def overdue(args: dict[str, Any]) -> Any:
    """Overdue and due-soon hazards: filters, sorts, cursor pages, with the actions I may take on each."""
    # Built without marshmallow (read often, nested rows): OverduePageSchema documents it, and
    # tests/console/test_overdue_dump.py keeps dump_overdue_page equal to the schema's dump.
    return jsonify(dump_overdue_page(tracker.overdue_page(_scope(args), args), local_zone()))


OVERDUE_HEADERS = ["编号", "隐患", "等级", "状态", "领域", "单位名称", "统一社会信用代码", "网格", "责任部门",
                   "整改期限", "逾期工作日", "升级", "申请延期", "挂牌督办"]


@blp.route("/overdue.xlsx")
@blp.arguments(OverdueExportArgsSchema, location="query")
@blp.response(200, BINARY, content_type=XLSX, description="逾期隐患跟踪表（Excel），筛选条件与逾期跟踪表相同")
@reads_replica
def overdue_xlsx(args: dict[str, Any]) -> Any:
    """The overdue tracker with the same filters, every row, as XLSX."""
    rows = ([r["number"], r["description"], LEVEL_LABELS[HazardLevel(r["level"])],
             STATUS_LABELS[HazardStatus(r["status"])], r["domain_label"], r["enterprise"]["name"],
             r["enterprise"]["credit_code"] or "", r["grid"]["name"], (r["department"] or {}).get("name", ""),
             excel_time(r["deadline_at"]), r["days_overdue"], RUNG_LABELS.get(r["escalation_rung"] or "", ""),
             "是" if r["extension_requested"] else "否", "是" if r["supervised"] else "否"]
            for r in tracker.overdue_all(_scope(args), args))
    sheet = Sheet("逾期隐患", OVERDUE_HEADERS, [18, 40, 6, 8, 10, 28, 22, 14, 18, 18, 10, 10, 8, 8], rows)
    return xlsx_response([sheet], "逾期隐患")


@blp.route("/bulk", methods=["POST"])
@blp.arguments(BulkSchema)
@blp.response(200, BulkResultsSchema)
def bulk_action(args: dict[str, Any]) -> Any:
    """催办、升级、同意/不同意延期 on many hazards; each through the workflow rules, one result per hazard."""
    services.console_scope(current_user(), None, None)
    return {"results": bulk_actions.run_bulk(args["action"], args["hazard_ids"], actor=current_user(),
                                             note=args["note"])}


@blp.route("/riskmap")
@blp.arguments(RiskMapArgsSchema, location="query")
@blp.response(200, {"type": "object", "description": "GeoJSON FeatureCollection"},
              content_type="application/geo+json")
@blp.alt_response(404, description="区域不存在或不在您的范围内")
@reads_replica
def riskmap(args: dict[str, Any]) -> Any:
    """四色风险图: grid polygons and site points as GeoJSON, in WGS-84 or converted to GCJ-02."""
    collection = risk_map(_scope(args), crs=args["crs"])
    return Response(json.dumps(collection, ensure_ascii=False), mimetype="application/geo+json")


@blp.route("/supervised")
@blp.arguments(SupervisedArgsSchema, location="query")
@blp.response(200, SupervisedListSchema)
@reads_replica
def supervised(args: dict[str, Any]) -> Any:
    """挂牌督办 hazards: supervising authority, when listed, 治理方案 status, deadline and lateness."""
    items = tracker.supervised_list(_scope(args), include_closed=args["include_closed"])
    return {"items": items, "total": len(items)}


@blp.route("/supervised.xlsx")
@blp.arguments(SupervisedArgsSchema, location="query")
@blp.response(200, BINARY, content_type=XLSX, description="挂牌督办隐患清单（Excel）")
@reads_replica
def supervised_xlsx(args: dict[str, Any]) -> Any:
    """The 挂牌督办 list as XLSX."""
    items = tracker.supervised_list(_scope(args), include_closed=args["include_closed"])
    rows = ([r["number"], r["title"], r["site"]["name"], r["grid"]["name"], r["supervising_authority"] or "",
             excel_time(r["supervised_at"]), "已提交" if r["plan_status"] == "submitted" else "未提交",
             excel_time(r["deadline_at"]), r["days_overdue"], STATUS_LABELS[HazardStatus(r["status"])]]
            for r in items)
    sheet = Sheet("挂牌督办", ["编号", "隐患", "单位名称", "网格", "督办单位", "挂牌时间", "治理方案", "整改期限",
                           "逾期工作日", "状态"], [18, 40, 28, 14, 20, 18, 10, 18, 10, 8], rows)
    return xlsx_response([sheet], "挂牌督办")
