"""Domain exceptions and their single mapping to RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import Flask, Response, current_app, json
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://hazardloop.invalid/problems/"


class ApiError(Exception):
    """An error a client can act on; carries its HTTP status, stable code and Chinese detail."""

    status = 400
    code = "bad_request"
    title = "请求有误"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.errors = errors
        self.extra = extra


class NotFound(ApiError):
    status = 404
    code = "not_found"
    title = "未找到"


class Unauthorized(ApiError):
    status = 401
    code = "unauthenticated"
    title = "未登录"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    title = "无权操作"


class Conflict(ApiError):
    status = 409
    code = "conflict"
    title = "冲突"


def field_problems_detail(errors: list[dict[str, Any]], fallback: str) -> str:
    """A 422's ``detail`` for people: the problems' own (Chinese) messages, never the fields' English names
    (those stay in ``errors`` for the form that highlights them)."""
    messages = list(dict.fromkeys(str(e["message"]).rstrip("。") for e in errors if e.get("message")))
    if not messages:
        return fallback
    more = f"等 {len(messages)} 处" if len(messages) > 3 else ""
    return f"提交的数据有误：{'；'.join(messages[:3])}{more}。"


class ValidationFailed(ApiError):
    """One or more fields are wrong; `errors` lists each with its own message."""

    status = 422
    code = "validation_failed"
    title = "数据校验失败"

    def __init__(self, errors: list[dict[str, Any]], detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail or field_problems_detail(errors, "数据校验失败"), errors=errors, **kw)

    @classmethod
    def field(cls, field: str, message: str, code: str = "invalid") -> ValidationFailed:
        return cls([{"field": field, "message": message, "code": code}])


class RuleViolation(ApiError):
    """The request is well formed but a domain rule forbids it (e.g. a workflow guard)."""

    status = 409
    code = "rule_violation"
    title = "不符合业务规则"


# Chinese wording of each HTTP status we may answer, with its stable code.
HTTP_PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求有误", "请求格式有误，无法解析。"),
    401: ("unauthenticated", "未登录", "请先登录。"),
    403: ("forbidden", "无权操作", "您无权执行此操作。"),
    404: ("not_found", "未找到", "请求的资源不存在。"),
    405: ("method_not_allowed", "方法不允许", "该地址不支持此请求方法。"),
    406: ("not_acceptable", "无法提供", "无法提供所请求的格式。"),
    409: ("conflict", "冲突", "请求与当前状态冲突。"),
    412: ("precondition_failed", "前提条件不满足", "资源已被修改，请刷新后重试。"),
    413: ("payload_too_large", "请求体过大", "请求体过大。"),
    415: ("unsupported_media_type", "不支持的媒体类型", "不支持该内容类型，请使用 application/json。"),
    422: ("validation_failed", "数据校验失败", "提交的数据有误。"),
    428: ("precondition_required", "缺少前提条件", "该请求需要先决条件头。"),
    429: ("rate_limited", "请求过于频繁", "请求过于频繁，请稍后再试。"),
    500: ("internal_error", "服务器内部错误", "服务器内部错误，请稍后重试。"),
    503: ("unavailable", "服务暂不可用", "服务暂不可用，请稍后重试。"),
}

# marshmallow / webargs messages → (code, Chinese message). Keyed by the English text or a pattern.
_MESSAGE_TRANSLATIONS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^Missing data for required field\.$"), "required", "必填字段缺失。"),
    (re.compile(r"^Field may not be null\.$"), "null", "该字段不能为空值。"),
    (re.compile(r"^Unknown field\.$"), "unknown_field", "不认识的字段。"),
    (re.compile(r"^Invalid JSON body\.$"), "malformed_json", "请求体不是合法的 JSON。"),
    (re.compile(r"^Not a valid string\.$"), "invalid_type", "应为字符串。"),
    (re.compile(r"^Not a valid integer\.$"), "invalid_type", "应为整数。"),
    (re.compile(r"^Not a valid number\.$"), "invalid_type", "应为数字。"),
    (re.compile(r"^Not a valid boolean\.$"), "invalid_type", "应为布尔值（true/false）。"),
    (re.compile(r"^Not a valid list\.$"), "invalid_type", "应为数组。"),
    (re.compile(r"^Not a valid mapping type\.$"), "invalid_type", "应为对象。"),
    (re.compile(r"^Invalid input type\.$"), "invalid_type", "类型不正确。"),
    (re.compile(r"^Invalid input object\.$"), "invalid_type", "应为对象。"),
    (re.compile(r"^Not a valid datetime\.$"), "invalid_type", "应为 ISO 8601 日期时间。"),
    (re.compile(r"^Not a valid date\.$"), "invalid_type", "应为 ISO 8601 日期。"),
    (re.compile(r"^Not a valid UUID\.$"), "invalid_type", "应为 UUID。"),
    (re.compile(r"^Not a valid email address\.$"), "invalid", "邮箱格式不正确。"),
    (re.compile(r"^Not a valid URL\.$"), "invalid", "URL 格式不正确。"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "length", "长度不能少于 {0} 个字符。"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "length", "长度不能超过 {0} 个字符。"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "length", "长度应在 {0} 到 {1} 之间。"),
    (re.compile(r"^Length must be (\d+)\.$"), "length", "长度应为 {0}。"),
    (re.compile(r"^Must be greater than or equal to (.+) and less than or equal to (.+)\.$"),
     "range", "应在 {0} 到 {1} 之间。"),
    (re.compile(r"^Must be greater than or equal to (.+)\.$"), "range", "不能小于 {0}。"),
    (re.compile(r"^Must be less than or equal to (.+)\.$"), "range", "不能大于 {0}。"),
    (re.compile(r"^Must be greater than (.+)\.$"), "range", "应大于 {0}。"),
    (re.compile(r"^Must be one of: (.+)\.$"), "invalid_choice", "取值应为以下之一：{0}。"),
    (re.compile(r"^String does not match expected pattern\.$"), "invalid", "格式不正确。"),
    (re.compile(r"^Invalid value\.$"), "invalid", "取值无效。"),
    # Our own bounds (hazardloop.inputs), already Chinese: only the stable code is added.
    (re.compile(r"^((?:数值|编号|日期).*(?:超出允许范围|之间)。)$"), "out_of_range", "{0}"),
    (re.compile(r"^(含有不允许的控制字符.*)$"), "invalid_characters", "{0}"),
]


def translate_message(message: str) -> tuple[str, str]:
    """Map a marshmallow/webargs message to (code, Chinese message); Chinese ones pass through."""
    for pattern, code, template in _MESSAGE_TRANSLATIONS:
        m = pattern.match(message)
        if m:
            return code, template.format(*m.groups())
    return "invalid", message


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, Any]]:
    """Turn marshmallow's nested {field: [msg] | {...}} into a flat list, one entry per bad field."""
    out: list[dict[str, Any]] = []
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                name = prefix
            out.extend(flatten_messages(value, name))
    elif isinstance(messages, Iterable) and not isinstance(messages, str):
        for value in messages:
            out.extend(flatten_messages(value, prefix))
    else:
        code, text = translate_message(str(messages))
        out.append({"field": prefix or None, "code": code, "message": text})
    return out


def problem_response(
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build one application/problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_CONTENT_TYPE
    )
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


def handle_api_error(error: ApiError) -> Response:
    return problem_response(
        error.status, error.code, error.title, error.detail, errors=error.errors, **error.extra
    )


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    code, title, detail = HTTP_PROBLEMS.get(status, (f"http_{status}", error.name, error.description or ""))
    errors = None
    headers: dict[str, str] = {}
    data = getattr(error, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if messages:
        errors = []
        for location, per_location in (messages.items() if isinstance(messages, Mapping) else []):
            for entry in flatten_messages(per_location):
                entry["location"] = location
                errors.append(entry)
        if any(e["code"] == "malformed_json" for e in errors):
            status, code, title, detail = 400, "malformed_json", "请求有误", "请求体不是合法的 JSON。"
            errors = None
        elif status == 422:
            detail = field_problems_detail(errors, "提交的数据有误。")
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        if limit:
            detail = f"请求体过大，上限为 {limit // (1024 * 1024)} MB。"
    if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        detail = "请求过于频繁，请稍后再试。"
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(retry)
    headers.update(data.get("headers") or {})
    if hasattr(error, "get_headers"):
        for k, v in error.get_headers():
            if k.lower() not in {"content-type", "content-length"}:
                headers.setdefault(k, v)
    return problem_response(status, code, title, detail, errors=errors, headers=headers)


def handle_integrity_error(error: IntegrityError) -> Response:
    """A uniqueness or reference race lost at the database: the client may retry."""
    from hazardloop.extensions import db

    db.session.rollback()
    log.info("integrity error answered as 409: %s", error.orig)
    detail = "数据与已有记录冲突（可能已被他人同时修改），请刷新后重试。"
    return problem_response(409, "conflict", "冲突", detail)


def handle_stale_data(error: StaleDataError) -> Response:
    """Optimistic locking lost: someone changed the same record between our read and our write."""
    from hazardloop.extensions import db

    db.session.rollback()
    return problem_response(409, "concurrent_update", "冲突", "该记录刚被他人修改，请刷新后重试。")


def handle_operational_error(error: OperationalError) -> Response:
    """SQLite's single writer was busy too long (or the database is unreachable): ask to retry."""
    from hazardloop.extensions import db

    db.session.rollback()
    if "locked" not in str(error.orig).lower() and "could not connect" not in str(error.orig).lower():
        return handle_unexpected(error)
    log.warning("database busy: %s", error.orig)
    return problem_response(503, "database_busy", "服务繁忙", "数据库正忙，请稍后重试（已提交的数据不会丢失）。",
                            headers={"Retry-After": "1"})


def handle_out_of_range(error: Exception) -> Response:
    """A value no column or calendar can hold slipped past the schemas: the client's input, not our fault.

    PostgreSQL refuses it as a DataError (integer out of range, NUL in text, value too long), SQLite
    and ``datetime`` as an OverflowError, the driver as a UnicodeEncodeError (a lone surrogate).
    """
    from hazardloop.extensions import db

    db.session.rollback()
    log.warning("input out of range answered as 422: %s", error)
    return problem_response(422, "out_of_range", "数据校验失败",
                            "提交的数值、日期或文字超出了允许的范围，或含有无效字符。")


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    code, title, detail = HTTP_PROBLEMS[500]
    return problem_response(500, code, title, detail)


def register_error_handlers(app: Flask) -> None:
    """Every error leaves as problem+json; flask-smorest's own handler is replaced here."""
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ma.ValidationError, lambda e: handle_api_error(
        ValidationFailed(flatten_messages(e.messages))))
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    for kind in (DataError, OverflowError, UnicodeEncodeError):
        app.register_error_handler(kind, handle_out_of_range)
    app.register_error_handler(Exception, handle_unexpected)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error of this API is shaped.

    Extension members are allowed (RFC 9457 §3.2): e.g. ``retry_after`` on a 429, ``current_status``
    on a refused workflow step.
    """

    class Meta:
        unknown = ma.INCLUDE

    type = ma.fields.String(metadata={"description": "问题类型 URI"})
    title = ma.fields.String(metadata={"description": "简短标题"})
    status = ma.fields.Integer(metadata={"description": "HTTP 状态码"})
    code = ma.fields.String(metadata={"description": "稳定的机器可读错误代码"})
    detail = ma.fields.String(metadata={"description": "中文说明"})
    errors = ma.fields.List(
        ma.fields.Dict(),
        metadata={"description": "逐字段错误：field、code、message（中文）、location"},
    )
    retry_after = ma.fields.Integer(metadata={"description": "429：多少秒后可以重试（同 Retry-After 头）"})


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class ProblemResponsesPlugin(BasePlugin):
    """apispec plugin: every documented 4xx/5xx answer is application/problem+json with the Problem schema.

    Routes declare their error answers with a description only (``alt_response(404, description=…)``);
    this fills in the body they actually send, so a client (and the fuzz) can check it.
    """

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None,
                         **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            for status, response in (operation.get("responses") or {}).items():
                if str(status)[0] not in "45" or not isinstance(response, dict) or "$ref" in response:
                    continue
                content = response.setdefault("content", {})
                body = content.pop("application/json", None) or {"schema": PROBLEM_REF}
                content.setdefault(PROBLEM_CONTENT_TYPE, body)
