"""Schemas of the circular-draft API."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime


class CircularDraftArgsSchema(ma.Schema):
    period = ma.fields.String(load_default="week", validate=ma.validate.OneOf(["week", "month"]))
    date = ma.fields.Date(required=True, metadata={"description": "周期内任一天（本地日期）"})
    region = ma.fields.Integer(metadata={"description": "街道/区域 id"})
    department = ma.fields.Integer(metadata={"description": "责任部门 id"})


class CircularDraftSchema(ma.Schema):
    title = ma.fields.String()
    period = ma.fields.String()
    found_from = LocalDateTime()
    found_to = LocalDateTime()
    list_query = ma.fields.Dict(metadata={"description": "GET /api/v1/hazards 的同口径查询参数"})
    found = ma.fields.Integer()
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    rectified = ma.fields.Integer()
    on_time = ma.fields.Integer()
    on_time_rate = ma.fields.Float(allow_none=True)
    overdue = ma.fields.List(ma.fields.Dict())
    major = ma.fields.List(ma.fields.Dict())
    supervised = ma.fields.List(ma.fields.Dict())
    repeat_offenders = ma.fields.List(ma.fields.Dict())
    best_grids = ma.fields.List(ma.fields.Dict())
    worst_grids = ma.fields.List(ma.fields.Dict())
    generated_at = LocalDateTime()
    html = ma.fields.String()
