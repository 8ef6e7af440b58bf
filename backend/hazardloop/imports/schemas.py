"""Request and response shapes of 批量导入."""

from __future__ import annotations

import marshmallow as ma

from hazardloop.apitools import LocalDateTime
from hazardloop.imports.services import STATUS_LABELS


class ImportUploadFormSchema(ma.Schema):
    file = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                                  "description": "场所表（.xlsx 或 .csv；CSV 可为 UTF-8 或 GBK 编码）"})
    kind = ma.fields.String(load_default="sites", metadata={"description": "sites 场所 / users 用户 / grids 网格"})


class ImportProblemSchema(ma.Schema):
    row = ma.fields.Integer(metadata={"description": "文件中的行号（表头为第 1 行时，数据从第 2 行起）"})
    column = ma.fields.String(attribute="column_title", allow_none=True,
                              metadata={"description": "列名；整行的问题为空"})
    message = ma.fields.String()


class ImportCountsSchema(ma.Schema):
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    invalid = ma.fields.Integer()
    error = ma.fields.Integer()
    ignored_columns = ma.fields.List(ma.fields.String())
    ignored_sheets = ma.fields.List(ma.fields.String())


class ImportJobSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    status = ma.fields.String(metadata={"description": "checking 正在检查 / checked 检查完成 / importing 正在导入 / "
                                                      "done 导入完成 / failed 失败"})
    status_label = ma.fields.Function(lambda job: STATUS_LABELS[job.status])
    filename = ma.fields.String()
    created_at = LocalDateTime()
    checked_at = LocalDateTime(allow_none=True)
    confirmed_at = LocalDateTime(allow_none=True)
    finished_at = LocalDateTime(allow_none=True)
    rows_total = ma.fields.Integer()
    rows_done = ma.fields.Integer()
    planned = ma.fields.Nested(ImportCountsSchema)
    applied = ma.fields.Nested(ImportCountsSchema)
    problem_count = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    can_confirm = ma.fields.Function(lambda job: job.status == "checked" and job.problem_count == 0)


class ImportJobDetailSchema(ImportJobSchema):
    problems = ma.fields.List(ma.fields.Nested(ImportProblemSchema),
                              metadata={"description": "前 200 处问题（按行号）；总数见 problem_count"})


class ImportJobListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ImportJobSchema))
