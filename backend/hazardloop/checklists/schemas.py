"""Response shapes for checklists; the full content is served as stored."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime

V = ma.validate


class ChecklistSummarySchema(ma.Schema):
    """The current version of a checklist, without its items."""

    id = ma.fields.String(attribute="checklist_id")
    version = ma.fields.String()
    title = ma.fields.String()
    content_hash = ma.fields.String()
    categories = ma.fields.List(ma.fields.String())
    domains = ma.fields.List(ma.fields.String())
    item_count = ma.fields.Integer()
    synced_at = LocalDateTime()


class ChecklistQueryArgsSchema(ma.Schema):
    site = ma.fields.Integer(metadata={"description": "场所 id：只返回适用于该场所的检查表"})


class ChecklistVersionSchema(ChecklistSummarySchema):
    content = ma.fields.Dict(metadata={"description": "完整检查表内容（条目已展开）"})


class ChecklistDetailSchema(ma.Schema):
    id = ma.fields.String()
    title = ma.fields.String()
    retired_at = LocalDateTime(allow_none=True)
    current = ma.fields.Nested(ChecklistSummarySchema, attribute="current_version", allow_none=True)
    versions = ma.fields.List(ma.fields.Nested(ChecklistSummarySchema))


class ScoreRequestSchema(ma.Schema):
    answers = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Dict(), required=True,
        metadata={"description": '条目代码 → 答案，如 {"result": "不符合", "count": 2}、{"value": 3.5}、'
                                 '{"choice": "..."}'},
    )


class FindingSchema(ma.Schema):
    code = ma.fields.String()
    section_code = ma.fields.String()
    text = ma.fields.String()
    description = ma.fields.String()
    level = ma.fields.String()
    count = ma.fields.Integer()
    deduction = ma.fields.Float()
    photo_required = ma.fields.Boolean()


class SectionScoreSchema(ma.Schema):
    code = ma.fields.String()
    title = ma.fields.String()
    cap = ma.fields.Float(allow_none=True)
    raw_deduction = ma.fields.Float()
    deduction = ma.fields.Float()


class ScoreResultSchema(ma.Schema):
    checklist_id = ma.fields.String()
    max_score = ma.fields.Float()
    total = ma.fields.Float()
    deduction = ma.fields.Float()
    findings = ma.fields.List(ma.fields.Nested(FindingSchema))
    sections = ma.fields.List(ma.fields.Nested(SectionScoreSchema))
    compliant = ma.fields.List(ma.fields.String())
    not_applicable = ma.fields.List(ma.fields.String())
    unanswered = ma.fields.List(ma.fields.String())
