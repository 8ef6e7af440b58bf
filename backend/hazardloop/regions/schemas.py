"""Request and response shapes for regions, departments and the vocabularies."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime
from hazardloop.taxonomy import Domain, RegionLevel

V = ma.validate


class RegionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    parent_id = ma.fields.Integer(allow_none=True)
    level = ma.fields.String()
    name = ma.fields.String()
    code = ma.fields.String(allow_none=True)
    path = ma.fields.String(dump_only=True)
    created_at = LocalDateTime(dump_only=True)


class RegionDetailSchema(RegionSchema):
    boundary = ma.fields.Dict(allow_none=True)


class RegionCreateSchema(ma.Schema):
    parent_id = ma.fields.Integer(allow_none=True, load_default=None)
    level = ma.fields.String(required=True, validate=V.OneOf([lv.value for lv in RegionLevel]))
    name = ma.fields.String(required=True, validate=V.Length(min=1, max=100))
    code = ma.fields.String(allow_none=True, validate=V.Length(max=32))
    boundary = ma.fields.Dict(allow_none=True, metadata={"description": "GeoJSON Polygon/MultiPolygon"})


class RegionQueryArgsSchema(ma.Schema):
    level = ma.fields.String(validate=V.OneOf([lv.value for lv in RegionLevel]))
    within = ma.fields.Integer(metadata={"description": "只返回该区域子树内的节点"})
    with_boundary = ma.fields.Boolean(load_default=False)


class DepartmentSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    region_id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    domains = ma.fields.List(ma.fields.String(validate=V.OneOf([d.value for d in Domain])))


class LabelSchema(ma.Schema):
    code = ma.fields.String()
    label = ma.fields.String()


class TaxonomySchema(ma.Schema):
    domains = ma.fields.List(ma.fields.Nested(LabelSchema))
    site_categories = ma.fields.List(ma.fields.Nested(LabelSchema))
    risk_levels = ma.fields.List(ma.fields.Nested(LabelSchema))
    region_levels = ma.fields.List(ma.fields.Nested(LabelSchema))
    roles = ma.fields.List(ma.fields.Nested(LabelSchema))
