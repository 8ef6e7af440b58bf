"""Request and response shapes of 风险分级管控 (风险点、风险评价、审核、等级调整)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate as V

from hazardloop.apitools import LocalDateTime
from hazardloop.console.schemas import ScopeArgsSchema
from hazardloop.sites.schemas import SiteSchema
from hazardloop.taxonomy import RiskLevel

LEVELS = [r.value for r in RiskLevel]


class AssessmentSchema(ma.Schema):
    id = ma.fields.Integer()
    method = ma.fields.String(metadata={"description": "lec 或 matrix"})
    inputs = ma.fields.Dict(metadata={"description": "LEC: l, e, c；矩阵: l, s"})
    score = ma.fields.Float(metadata={"description": "D = L×E×C 或 R = L×S"})
    level = ma.fields.String()
    basis = ma.fields.String(metadata={"description": "如「LEC D=360」"})
    major_condition = ma.fields.String(allow_none=True)
    reason = ma.fields.String()
    state = ma.fields.String(metadata={"description": "submitted 待审核 / accepted 已通过 / returned 已退回"})
    state_label = ma.fields.String()
    assessed_by = ma.fields.String(allow_none=True)
    assessed_at = LocalDateTime()
    reviewed_by = ma.fields.String(allow_none=True)
    reviewed_at = LocalDateTime(allow_none=True)
    review_note = ma.fields.String(allow_none=True)


class PointSchema(ma.Schema):
    id = ma.fields.Integer()
    template_code = ma.fields.String(allow_none=True)
    own = ma.fields.Boolean(metadata={"description": "场所自行添加的风险点"})
    name = ma.fields.String()
    kind = ma.fields.String()
    hazard_source = ma.fields.String()
    accident_types = ma.fields.List(ma.fields.String())
    measures = ma.fields.List(ma.fields.Dict())
    responsible = ma.fields.String(allow_none=True)
    level = ma.fields.String(allow_none=True)
    basis = ma.fields.String(allow_none=True)
    reassess_due_at = LocalDateTime(allow_none=True)
    latest = ma.fields.Nested(AssessmentSchema, allow_none=True)


class OverrideSchema(ma.Schema):
    level = ma.fields.String()
    reason = ma.fields.String(allow_none=True)
    at = LocalDateTime(allow_none=True)
    by = ma.fields.String(allow_none=True)


class SiteRiskSchema(ma.Schema):
    site_id = ma.fields.Integer()
    site_name = ma.fields.String()
    level = ma.fields.String(metadata={"description": "现行等级：评估人调整的，否则计算的"})
    computed_level = ma.fields.String(allow_none=True)
    reasons = ma.fields.List(ma.fields.String())
    summary = ma.fields.String(metadata={"description": "如「红：液氨制冷车间 LEC D=360；未闭环重大隐患 1 项」"})
    override = ma.fields.Nested(OverrideSchema, allow_none=True)
    computed_at = LocalDateTime(allow_none=True)
    can_assess = ma.fields.Boolean()
    can_review = ma.fields.Boolean()
    can_override = ma.fields.Boolean()
    points = ma.fields.List(ma.fields.Nested(PointSchema))


class AssessSchema(ma.Schema):
    method = ma.fields.String(required=True, validate=V.OneOf(["lec", "matrix"]))
    l = ma.fields.Float(required=True)  # noqa: E741
    e = ma.fields.Float()
    c = ma.fields.Float()
    s = ma.fields.Float()
    major_condition = ma.fields.String(allow_none=True, validate=V.Length(max=32))
    reason = ma.fields.String(required=True, validate=V.Length(max=2000))


class ReviewSchema(ma.Schema):
    decision = ma.fields.String(required=True, validate=V.OneOf(["accept", "return"]))
    note = ma.fields.String(allow_none=True, validate=V.Length(max=2000))


class MeasureInSchema(ma.Schema):
    kind = ma.fields.String(validate=V.OneOf(["engineering", "management", "training", "ppe", "emergency"]))
    tier = ma.fields.String(validate=V.Length(max=8))
    text = ma.fields.String(required=True, validate=V.Length(min=1, max=300))


class PointCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=100))
    kind = ma.fields.String(validate=V.OneOf(["设施", "部位", "场所", "区域", "作业活动"]))
    hazard_source = ma.fields.String(required=True, validate=V.Length(min=1, max=300))
    accident_types = ma.fields.List(ma.fields.String(validate=V.Length(max=20)), validate=V.Length(max=10))
    measures = ma.fields.List(ma.fields.Nested(MeasureInSchema), validate=V.Length(max=20))
    responsible = ma.fields.String(allow_none=True, validate=V.Length(max=50))


class OverrideInSchema(ma.Schema):
    level = ma.fields.String(allow_none=True, validate=V.OneOf(LEVELS))
    reason = ma.fields.String(allow_none=True, validate=V.Length(max=1000))


class ReviewItemSchema(AssessmentSchema):
    risk_point_id = ma.fields.Integer()
    risk_point_name = ma.fields.String()
    hazard_source = ma.fields.String()
    site_id = ma.fields.Integer()
    site_name = ma.fields.String()
    current_level = ma.fields.String(allow_none=True)
    current_basis = ma.fields.String(allow_none=True)


class ReviewListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ReviewItemSchema))


class ReviewArgsSchema(ma.Schema):
    region_id = ma.fields.Integer()


class RegionRiskSchema(ma.Schema):
    region_id = ma.fields.Integer()
    name = ma.fields.String()
    level = ma.fields.String()
    reasons = ma.fields.List(ma.fields.String())
    summary = ma.fields.String()


class ScaleEntrySchema(ma.Schema):
    value = ma.fields.Float()
    label = ma.fields.String()


class RulesSchema(ma.Schema):
    lec = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.Nested(ScaleEntrySchema)))
    matrix = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.Nested(ScaleEntrySchema)))
    bands = ma.fields.Dict()
    major_conditions = ma.fields.List(ma.fields.Dict())
    levels = ma.fields.List(ma.fields.Dict())


class MeasureDueArgsSchema(ma.Schema):
    region = ma.fields.Integer(metadata={"description": "区域 id：只看该区域子树内的场所"})
    include_done = ma.fields.Boolean(load_default=False, metadata={"description": "也列出本期已检查的措施"})


class MeasureCheckSchema(ma.Schema):
    site = ma.fields.Nested(SiteSchema)
    risk_point_id = ma.fields.Integer(attribute="point.id")
    risk_point_name = ma.fields.String(attribute="point.name")
    level = ma.fields.String(attribute="point.level", allow_none=True)
    index = ma.fields.Integer(metadata={"description": "该措施在风险点控制措施中的序号（从 0 起）"})
    text = ma.fields.String()
    tier = ma.fields.String(metadata={"description": "管控层级：企业/车间/班组/岗位/街道/区"})
    checker = ma.fields.String(metadata={"description": "enterprise 企业自查 / government 网格员或检查人员"})
    checker_label = ma.fields.String()
    check_items = ma.fields.List(ma.fields.String())
    checklist_id = ma.fields.String(allow_none=True, metadata={"description": "检查时使用的检查表"})
    period = ma.fields.String()
    period_label = ma.fields.String()
    last_checked_at = LocalDateTime(allow_none=True)
    due_at = LocalDateTime(metadata={"description": "须在此时刻之前完成下一次检查"})
    overdue = ma.fields.Boolean()
    checked_this_period = ma.fields.Boolean()
    period_ends_at = LocalDateTime()
    open_hazards = ma.fields.List(ma.fields.Dict(), metadata={"description": "该措施检查条目上未闭环的隐患"})


class MeasureDueSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MeasureCheckSchema))
    total = ma.fields.Integer()
    overdue = ma.fields.Integer()


class OverviewArgsSchema(ScopeArgsSchema):
    """The console overview's own filters (region_id, department_id) and the period of changes."""

    days = ma.fields.Integer(load_default=30, validate=V.Range(min=1, max=366),
                             metadata={"description": "统计最近多少天的等级变化"})


class LevelChangeSchema(ma.Schema):
    site_id = ma.fields.Integer()
    site_name = ma.fields.String()
    from_ = ma.fields.String(data_key="from", attribute="from", allow_none=True)
    to = ma.fields.String(allow_none=True)
    at = LocalDateTime()
    override = ma.fields.Boolean(metadata={"description": "人工调整引起的变化"})
    direction = ma.fields.String(metadata={"description": "up 升级 / down 降级"})


class RiskOverviewSchema(ma.Schema):
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                            metadata={"description": "各等级的在册场所数（red/orange/yellow/blue）"})
    total = ma.fields.Integer()
    days = ma.fields.Integer()
    since = LocalDateTime()
    raised = ma.fields.Integer()
    lowered = ma.fields.Integer()
    changes = ma.fields.List(ma.fields.Nested(LevelChangeSchema))
