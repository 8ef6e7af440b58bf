"""/api/v1/blacklist: the 黑名单 list, one entry with its steps, taking a step, the XLSX export."""

from __future__ import annotations

from typing import Any

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.blacklist import services
from hazardloop.blacklist.models import BlacklistEntry
from hazardloop.blacklist.schemas import (
    BlacklistDetailSchema,
    BlacklistExportArgsSchema,
    BlacklistPageSchema,
    BlacklistQueryArgsSchema,
    BlacklistStepSchema,
)
from hazardloop.blacklist.states import STATUS_LABELS, BlacklistStatus
from hazardloop.console.exports import XLSX, Sheet, excel_time, xlsx_response
from hazardloop.errors import Forbidden
from hazardloop.extensions import db
from hazardloop.policy import Action

blp = blueprint("blacklist", __name__, "/blacklist", "黑名单（失信惩戒）")
export_blp = blueprint("blacklist_export", __name__, "/blacklist.xlsx", "黑名单台账导出")


def _require_any_view() -> Any:
    user = current_user()
    if not policy.holds(user, Action.BLACKLIST_VIEW):
        raise Forbidden("您无权查看黑名单。")
    return user


@blp.route("")
@blp.arguments(BlacklistQueryArgsSchema, location="query")
@blp.response(200, BlacklistPageSchema)
@blp.alt_response(403, description="角色不能查看黑名单")
def list_entries(args: dict[str, Any]) -> Any:
    """黑名单 entries in my scope, newest first; candidates from the escalation ladder are taken in first."""
    user = _require_any_view()
    services.sync_candidates()
    return services.page(user, status=args.get("status"), cursor=args.get("cursor"), limit=args["limit"])


@export_blp.route("")
@export_blp.arguments(BlacklistExportArgsSchema, location="query")
@export_blp.response(200, {"type": "string", "format": "binary"}, content_type=XLSX, description="黑名单台账（Excel）")
def export_entries(args: dict[str, Any]) -> Any:
    """黑名单 entries in my scope as an XLSX ledger."""
    user = _require_any_view()
    services.sync_candidates()
    entries = list(db.session.scalars(services.list_query(user, args.get("status")).order_by(BlacklistEntry.id)))
    after = services.removable_after(entries)
    rows = ([e.id, e.enterprise_name, e.credit_code or "", STATUS_LABELS[BlacklistStatus(e.status)], e.reason,
             excel_time(e.created_at), excel_time(e.published_at), excel_time(after[e.id]), excel_time(e.removed_at)]
            for e in entries)
    sheet = Sheet("黑名单", ["编号", "单位名称", "统一社会信用代码", "状态", "列入事由", "列为候选时间", "公布时间",
                           "最早可移出时间", "移出时间"], [8, 30, 22, 10, 60, 18, 18, 18, 18], rows)
    return xlsx_response([sheet], "黑名单")


@blp.route("/<int:entry_id>")
@blp.response(200, BlacklistDetailSchema)
@blp.alt_response(404, description="记录不存在或不在您的范围内")
def get_entry(entry_id: int) -> Any:
    """One entry with every step taken (who, when, note) and the steps I may take now."""
    user = current_user()
    entry = services.get_entry(entry_id)
    policy.authorize(user, Action.BLACKLIST_VIEW, entry)
    return services.detail(entry, user)


@blp.route("/<int:entry_id>/steps", methods=["POST"])
@blp.arguments(BlacklistStepSchema)
@blp.response(200, BlacklistDetailSchema)
@blp.alt_response(403, description="您的角色不能执行该步骤")
@blp.alt_response(404, description="记录不存在或不在您的范围内")
@blp.alt_response(409, description="当前状态不允许该步骤，或条件未满足（区级、清白期、意见）")
def take_step(args: dict[str, Any], entry_id: int) -> Any:
    """采集、会审、报批、公布、异议处理、移出: take one step of the process."""
    user = current_user()
    entry = services.get_entry(entry_id, lock=True)
    policy.authorize(user, Action.BLACKLIST_VIEW, entry)
    services.take_step(entry, args["step"], actor=user, note=args.get("note"),
                       client_event_id=args.get("client_event_id"))
    return services.detail(entry, user)
