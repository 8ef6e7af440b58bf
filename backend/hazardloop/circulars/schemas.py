"""Request and response shapes of the 通报 API."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime


class CircularDraftArgsSchema(ma.Schema):
    period = ma.fields.String(load_default="week", validate=ma.validate.OneOf(["week", "month"]))
    date = ma.fields.Date(required=True, metadata={"description": "周期内任一天（本地日期）"})
    region = ma.fields.Integer(metadata={"description": "街道/区域 id"})
    department = ma.fields.Integer(metadata={"description": "责任部门 id"})


class FigureSchema(ma.Schema):
    """One figure as printed, with its denominator and definition (``circulars.figures.FIGURES``)."""

    key = ma.fields.String()
    label = ma.fields.String()
    value = ma.fields.Float(allow_none=True, metadata={"description": "比率为小数（0.75 = 75%）"})
    text = ma.fields.String(metadata={"description": "如「75.0%（3/4）」或「4 项」"})
    is_rate = ma.fields.Boolean()
    numerator = ma.fields.Integer(allow_none=True)
    denominator = ma.fields.Integer(allow_none=True)
    denominator_label = ma.fields.String(allow_none=True)
    definition = ma.fields.String()


class CircularTotalsSchema(ma.Schema):
    """Each figure's value by key; a circular drafted before a figure existed has it null."""

    found = ma.fields.Integer(allow_none=True)
    rectified = ma.fields.Integer(allow_none=True)
    closed_rate = ma.fields.Float(allow_none=True)
    major = ma.fields.Integer(allow_none=True)
    supervised = ma.fields.Integer(allow_none=True)
    due = ma.fields.Integer(allow_none=True)
    on_time = ma.fields.Integer(allow_none=True)
    on_time_rate = ma.fields.Float(allow_none=True)
    late = ma.fields.Integer(allow_none=True)
    late_open = ma.fields.Integer(allow_none=True)
    overdue = ma.fields.Integer(allow_none=True)
    repeat_sites = ma.fields.Integer(allow_none=True)


class CircularListsSchema(ma.Schema):
    """The counts and named lists a circular prints, the same in a draft and in a stored one."""

    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    list_query = ma.fields.Dict(metadata={"description": "GET /api/v1/hazards 的同口径查询参数"})
    overdue = ma.fields.List(ma.fields.Dict(), metadata={"description": "逾期未整改隐患及责任单位"})
    major = ma.fields.List(ma.fields.Dict())
    supervised = ma.fields.List(ma.fields.Dict())
    repeat_offenders = ma.fields.List(ma.fields.Dict())
    best_grids = ma.fields.List(ma.fields.Dict())
    worst_grids = ma.fields.List(ma.fields.Dict())
    ranking_note = ma.fields.String(allow_none=True, metadata={"description": "不作网格排名的原因"})


class CircularDraftSchema(CircularListsSchema):
    title = ma.fields.String()
    period = ma.fields.String()
    found_from = LocalDateTime()
    found_to = LocalDateTime()
    found = ma.fields.Integer()
    rectified = ma.fields.Integer()
    on_time = ma.fields.Integer()
    on_time_rate = ma.fields.Float(allow_none=True)
    due = ma.fields.Integer()
    totals = ma.fields.Nested(CircularTotalsSchema)
    figures = ma.fields.List(ma.fields.Nested(FigureSchema))
    generated_at = LocalDateTime()
    html = ma.fields.String()


# --- stored circulars (通报) ----------------------------------------------------------------------

class CircularScopeSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "street / department / district"})
    region_id = ma.fields.Integer(allow_none=True)
    department_id = ma.fields.Integer(allow_none=True)
    name = ma.fields.String()


class CircularPeriodSchema(ma.Schema):
    kind = ma.fields.String(metadata={"description": "week / month / custom"})
    start = LocalDateTime(allow_none=True)
    end = LocalDateTime(allow_none=True, metadata={"description": "不含（次日零点）"})
    title = ma.fields.String(allow_none=True)


class StoredCircularSchema(ma.Schema):
    """One circular in the list."""

    id = ma.fields.Integer()
    title = ma.fields.String()
    status = ma.fields.String(metadata={"description": "draft / published / archived"})
    scope = ma.fields.Nested(CircularScopeSchema)
    period = ma.fields.Nested(CircularPeriodSchema)
    created_at = LocalDateTime()
    published_at = LocalDateTime(allow_none=True)
    archived_at = LocalDateTime(allow_none=True)
    totals = ma.fields.Nested(CircularTotalsSchema)
    file_names = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                                metadata={"description": "下载文件名：pdf、xlsx"})


class CircularDetailSchema(StoredCircularSchema, CircularListsSchema):
    """The whole circular: figures, lists with responsible units, commentary and what may be done with it."""

    commentary = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    hazard_ids = ma.fields.List(ma.fields.Integer())
    repeat_window_days = ma.fields.Integer(allow_none=True, metadata={"description": "屡查屡犯的统计窗口（天）"})
    figures = ma.fields.List(ma.fields.Nested(FigureSchema), metadata={"description": "每项指标及其分母、定义"})
    generated_at = ma.fields.String(allow_none=True)
    published_by_id = ma.fields.Integer(allow_none=True)
    allowed_actions = ma.fields.List(ma.fields.String(), metadata={"description": "edit / publish / archive"})


class CircularPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StoredCircularSchema))
    next_cursor = ma.fields.String(allow_none=True)
    total = ma.fields.Integer()


class CircularListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=ma.validate.OneOf(["draft", "published", "archived"]))
    cursor = ma.fields.String()
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=100))


class CircularDraftCreateSchema(ma.Schema):
    scope_kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["street", "department", "district"]))
    region_id = ma.fields.Integer(load_default=None, allow_none=True)
    department_id = ma.fields.Integer(load_default=None, allow_none=True)
    period_kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["week", "month", "custom"]))
    start = ma.fields.Date(load_default=None, allow_none=True,
                           metadata={"description": "周、月：周期内任一天（默认今天）；自定义：开始日期"})
    end = ma.fields.Date(load_default=None, allow_none=True, metadata={"description": "自定义周期的结束日期（含）"})


class CircularUpdateSchema(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(min=2, max=200))
    commentary = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20000))
    version = ma.fields.Integer(required=True)


class CircularPublishSchema(ma.Schema):
    version = ma.fields.Integer(load_default=None, allow_none=True)


class CircularCreateSchema(ma.Schema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=200))
    commentary = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=20000))
    hazard_ids = ma.fields.List(ma.fields.Integer(), required=True, validate=ma.validate.Length(min=1, max=10000))


class CircularSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    commentary = ma.fields.String(allow_none=True)
    published_by_id = ma.fields.Integer()
    published_at = LocalDateTime()
    hazard_ids = ma.fields.List(ma.fields.Integer())
