"""Request and response shapes of the supervisor console."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import marshmallow as ma

from hazardloop.apitools import LocalDateTime, local_isoformat
from hazardloop.console.bulk_actions import ACTIONS
from hazardloop.console.tracker import SORTS
from hazardloop.hazards.states import HazardLevel
from hazardloop.taxonomy import Domain

V = ma.validate


class ScopeArgsSchema(ma.Schema):
    region_id = ma.fields.Integer(metadata={"description": "区域 id（含其下所有网格）；默认本人全部范围"})
    department_id = ma.fields.Integer(metadata={"description": "责任部门 id"})


class OverviewArgsSchema(ScopeArgsSchema):
    period = ma.fields.String(load_default="month", validate=V.OneOf(["week", "month", "year"]),
                              metadata={"description": "整改率统计周期：本周、本月或本年发现的隐患"})


class RateRowSchema(ma.Schema):
    found = ma.fields.Integer()
    closed = ma.fields.Integer()
    overdue = ma.fields.Integer()
    due = ma.fields.Integer(metadata={"description": "本期到期：整改期限在本期内且已到期（按期整改率的分母）"})
    on_time = ma.fields.Integer(metadata={"description": "按期整改：本期到期且在期限前闭环（按期整改率的分子）"})
    rectification_rate = ma.fields.Float(allow_none=True, metadata={"description": "整改率 = closed ÷ found"})
    on_time_rate = ma.fields.Float(allow_none=True, metadata={"description": "按期整改率 = on_time ÷ due"})


class StreetRateSchema(RateRowSchema):
    region_id = ma.fields.Integer()
    name = ma.fields.String()
    level = ma.fields.String()


class DepartmentRateSchema(RateRowSchema):
    department_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()


class DomainRateSchema(RateRowSchema):
    domain = ma.fields.String()
    label = ma.fields.String()


class RatesSchema(ma.Schema):
    period = ma.fields.String()
    period_start = LocalDateTime()
    period_end = LocalDateTime()
    by_street = ma.fields.List(ma.fields.Nested(StreetRateSchema))
    by_department = ma.fields.List(ma.fields.Nested(DepartmentRateSchema))
    by_domain = ma.fields.List(ma.fields.Nested(DomainRateSchema))


class TrendPointSchema(ma.Schema):
    period_start = ma.fields.String()
    found = ma.fields.Integer(allow_none=True)
    closed = ma.fields.Integer(allow_none=True)
    overdue = ma.fields.Integer(allow_none=True)


class TrendSchema(ma.Schema):
    weeks = ma.fields.List(ma.fields.Nested(TrendPointSchema))
    months = ma.fields.List(ma.fields.Nested(TrendPointSchema))


class GridCoverageSchema(ma.Schema):
    region_id = ma.fields.Integer()
    name = ma.fields.String()
    sites = ma.fields.Integer()
    patrolled = ma.fields.Integer()
    share = ma.fields.Float()


class InspectorCoverageSchema(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    sites = ma.fields.Integer()
    patrolled = ma.fields.Integer()
    share = ma.fields.Float()
    hazards_found = ma.fields.Integer()


class CoverageSchema(ma.Schema):
    period_start = LocalDateTime()
    period_end = LocalDateTime()
    by_grid = ma.fields.List(ma.fields.Nested(GridCoverageSchema))
    by_inspector = ma.fields.List(ma.fields.Nested(InspectorCoverageSchema))


class ScopeSchema(ma.Schema):
    region_id = ma.fields.Integer(allow_none=True)
    region_name = ma.fields.String(allow_none=True)
    department_id = ma.fields.Integer(allow_none=True)
    department_name = ma.fields.String(allow_none=True)


class OverviewSchema(ma.Schema):
    as_of = LocalDateTime()
    scope = ma.fields.Nested(ScopeSchema)
    by_status = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    open_total = ma.fields.Integer()
    overdue_now = ma.fields.Integer()
    due_this_week = ma.fields.Integer()
    due_this_week_before = LocalDateTime(metadata={"description": "本周截止时间（下周一 0 时）"})
    major_open = ma.fields.Integer()
    supervised_open = ma.fields.Integer()
    rates = ma.fields.Nested(RatesSchema)
    trend = ma.fields.Nested(TrendSchema)
    patrol_coverage = ma.fields.Nested(CoverageSchema)


class OverdueArgsSchema(ScopeArgsSchema):
    window = ma.fields.String(load_default="overdue", validate=V.OneOf(["overdue", "due_soon", "all_open"]),
                              metadata={"description": "overdue 已逾期；due_soon 3个工作日内到期；all_open 全部未闭环"})
    sort = ma.fields.String(load_default="-days_overdue", validate=V.OneOf(SORTS))
    level = ma.fields.String(validate=V.OneOf([lv.value for lv in HazardLevel]))
    domain = ma.fields.String(validate=V.OneOf([d.value for d in Domain]))
    extension_requested = ma.fields.Boolean()
    q = ma.fields.String(validate=V.Length(max=100))
    cursor = ma.fields.String(validate=V.Length(max=300))
    limit = ma.fields.Integer(load_default=50, validate=V.Range(min=1, max=200))


class OverdueExportArgsSchema(OverdueArgsSchema):
    class Meta:
        exclude = ("cursor", "limit")


class RefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class EnterpriseSchema(ma.Schema):
    name = ma.fields.String()
    credit_code = ma.fields.String(allow_none=True)
    contact_masked = ma.fields.String(allow_none=True)
    contact = ma.fields.String(allow_none=True, metadata={"description": "联系人及手机号（完整，仅监管人员可见）"})


class OverdueItemSchema(ma.Schema):
    hazard_id = ma.fields.Integer()
    number = ma.fields.String()
    title = ma.fields.String()
    description = ma.fields.String()
    level = ma.fields.String()
    status = ma.fields.String()
    domain = ma.fields.String()
    domain_label = ma.fields.String()
    site = ma.fields.Nested(RefSchema)
    enterprise = ma.fields.Nested(EnterpriseSchema)
    department = ma.fields.Nested(RefSchema, allow_none=True)
    grid = ma.fields.Nested(RefSchema)
    deadline_at = LocalDateTime(allow_none=True)
    days_overdue = ma.fields.Integer(metadata={"description": "逾期工作日数（未逾期为 0）"})
    overdue = ma.fields.Boolean()
    escalation_rung = ma.fields.String(allow_none=True)
    extension_requested = ma.fields.Boolean()
    extension_requested_deadline = LocalDateTime(allow_none=True)
    extension_after_deadline = ma.fields.Boolean(metadata={"description": "延期申请是否在整改期限届满后才提出"})
    supervised = ma.fields.Boolean()
    allowed_actions = ma.fields.List(ma.fields.String())


class OverduePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OverdueItemSchema))
    next_cursor = ma.fields.String(allow_none=True)
    total = ma.fields.Integer()


def dump_overdue_page(page: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """``OverduePageSchema().dump(page)``, built directly (times in ``zone``, the configured local zone).

    The tracker is read often and its rows are nested: marshmallow cost more than the query (issue 22).
    tests/console/test_overdue_dump.py keeps this equal to the schema's dump.
    """
    return {"items": [_overdue_item(row, zone) for row in page["items"]], "next_cursor": page["next_cursor"],
            "total": page["total"]}


def _overdue_item(row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    site, enterprise, department, grid = row["site"], row["enterprise"], row["department"], row["grid"]
    return {
        "hazard_id": row["hazard_id"], "number": row["number"], "title": row["title"],
        "description": row["description"], "level": row["level"], "status": row["status"], "domain": row["domain"],
        "domain_label": row["domain_label"], "site": {"id": site["id"], "name": site["name"]},
        "enterprise": {"name": enterprise["name"], "credit_code": enterprise["credit_code"],
                       "contact_masked": enterprise["contact_masked"], "contact": enterprise["contact"]},
        "department": None if department is None else {"id": department["id"], "name": department["name"]},
        "grid": {"id": grid["id"], "name": grid["name"]},
        "deadline_at": local_isoformat(row["deadline_at"], zone), "days_overdue": row["days_overdue"],
        "overdue": row["overdue"], "escalation_rung": row["escalation_rung"],
        "extension_requested": row["extension_requested"],
        "extension_requested_deadline": local_isoformat(row["extension_requested_deadline"], zone),
        "extension_after_deadline": row["extension_after_deadline"], "supervised": row["supervised"],
        "allowed_actions": list(row["allowed_actions"]),
    }


class BulkSchema(ma.Schema):
    action = ma.fields.String(required=True, validate=V.OneOf(list(ACTIONS)))
    hazard_ids = ma.fields.List(ma.fields.Integer(), required=True, validate=V.Length(min=1, max=500))
    note = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=2000))


class BulkResultSchema(ma.Schema):
    hazard_id = ma.fields.Integer()
    ok = ma.fields.Boolean()
    code = ma.fields.String()
    detail = ma.fields.String()
    rung = ma.fields.String()


class BulkResultsSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(BulkResultSchema))


class RiskMapArgsSchema(ma.Schema):
    region_id = ma.fields.Integer()
    crs = ma.fields.String(load_default="wgs84", validate=V.OneOf(["wgs84", "gcj02"]))


class SupervisedArgsSchema(ScopeArgsSchema):
    include_closed = ma.fields.Boolean(load_default=False)


class SupervisedItemSchema(ma.Schema):
    hazard_id = ma.fields.Integer()
    number = ma.fields.String()
    title = ma.fields.String()
    level = ma.fields.String()
    site = ma.fields.Nested(RefSchema)
    grid = ma.fields.Nested(RefSchema)
    department = ma.fields.Nested(RefSchema, allow_none=True)
    supervising_authority = ma.fields.String(allow_none=True)
    supervised_at = LocalDateTime(allow_none=True)
    plan_status = ma.fields.String(metadata={"description": "none 未提交治理方案；submitted 已提交"})
    plan_submitted_at = LocalDateTime(allow_none=True)
    deadline_at = LocalDateTime(allow_none=True)
    days_overdue = ma.fields.Integer()
    status = ma.fields.String()


class SupervisedListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SupervisedItemSchema))
    total = ma.fields.Integer()
