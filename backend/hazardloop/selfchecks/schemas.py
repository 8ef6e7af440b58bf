"""Request and response shapes for 自查自报."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime
from hazardloop.hazards.schemas import HazardBriefSchema

V = ma.validate
PERIOD = V.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM，如 2026-12。")


class SelfCheckPeriodArgsSchema(ma.Schema):
    period = ma.fields.String(load_default=None, validate=PERIOD, metadata={"description": "月份 YYYY-MM，缺省为本月"})


class SelfCheckReportCreateSchema(ma.Schema):
    client_uuid = ma.fields.UUID(required=True, metadata={"description": "手机端生成的 UUID，重发不重复"})
    site_id = ma.fields.Integer(required=True)
    period = ma.fields.String(required=True, validate=PERIOD)
    zero_report = ma.fields.Boolean(required=True, metadata={"description": "true：本月未发现隐患"})
    note = ma.fields.String(load_default=None, allow_none=True, validate=V.Length(max=2000))
    reported_at = LocalDateTime(load_default=None, allow_none=True, metadata={"description": "手机上按下提交的时间"})


class SelfCheckReportSchema(ma.Schema):
    id = ma.fields.Integer()
    client_uuid = ma.fields.String()
    site_id = ma.fields.Integer()
    period = ma.fields.String()
    zero_report = ma.fields.Boolean()
    inspection_ids = ma.fields.List(ma.fields.Integer())
    hazard_ids = ma.fields.List(ma.fields.Integer())
    inspection_count = ma.fields.Integer()
    finding_count = ma.fields.Integer()
    note = ma.fields.String(allow_none=True)
    reported_at = LocalDateTime()
    received_at = LocalDateTime()
    on_time = ma.fields.Boolean()
    reported_by_name = ma.fields.Function(lambda r: r.reported_by.display_name if r.reported_by else None)


class SelfCheckMonthInspectionSchema(ma.Schema):
    id = ma.fields.Integer()
    finished_at = LocalDateTime()
    finding_count = ma.fields.Integer()
    checklist_title = ma.fields.Function(lambda i: i.checklist_version.title if i.checklist_version else None)


class SelfCheckMonthFindingSchema(HazardBriefSchema):
    found_at = LocalDateTime()


class SelfCheckMonthSchema(ma.Schema):
    site_id = ma.fields.Function(lambda m: m.site.id)
    site_name = ma.fields.Function(lambda m: m.site.name)
    period = ma.fields.String()
    period_label = ma.fields.String()
    due_label = ma.fields.String(metadata={"description": "报告截止日（本月最后一天，当地日期）"})
    start = LocalDateTime()
    end = LocalDateTime()
    inspections = ma.fields.List(ma.fields.Nested(SelfCheckMonthInspectionSchema))
    findings = ma.fields.List(ma.fields.Nested(SelfCheckMonthFindingSchema))
    report = ma.fields.Nested(SelfCheckReportSchema, allow_none=True)
    offered = ma.fields.String(allow_none=True, metadata={
        "description": "现在可以提交的：report 提交本月自查报告 / zero 本月未发现隐患 / null 不可提交"})
    blocked_reason = ma.fields.String(allow_none=True)


class SelfCheckFigureValueSchema(ma.Schema):
    value = ma.fields.Float(allow_none=True)
    text = ma.fields.String()
    numerator = ma.fields.Integer(allow_none=True)
    denominator = ma.fields.Integer(allow_none=True)


class SelfCheckFigureDefinitionSchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    definition = ma.fields.String()
    is_rate = ma.fields.Boolean()
    denominator_label = ma.fields.String(allow_none=True)


class SelfCheckSiteFiguresSchema(ma.Schema):
    site_id = ma.fields.Integer()
    site_name = ma.fields.String()
    grid_name = ma.fields.String()
    reported = ma.fields.Boolean()
    zero_report = ma.fields.Boolean()
    reported_at = LocalDateTime(allow_none=True)
    on_time = ma.fields.Boolean(allow_none=True)
    figures = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(SelfCheckFigureValueSchema))


class SelfCheckNotReportedSchema(ma.Schema):
    site_id = ma.fields.Integer()
    site_name = ma.fields.String()
    grid_name = ma.fields.String()


class SelfCheckFiguresSchema(ma.Schema):
    period = ma.fields.String()
    period_label = ma.fields.String()
    start = LocalDateTime()
    end = LocalDateTime()
    ended = ma.fields.Boolean(metadata={"description": "本期是否已结束（未结束时「未报告」指尚未报告）"})
    population = ma.fields.String()
    not_reported_definition = ma.fields.String()
    definitions = ma.fields.List(ma.fields.Nested(SelfCheckFigureDefinitionSchema))
    rows = ma.fields.List(ma.fields.Nested(SelfCheckSiteFiguresSchema))
    totals = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(SelfCheckFigureValueSchema))
    not_reported = ma.fields.List(ma.fields.Nested(SelfCheckNotReportedSchema))
