"""/api/v1/hazards and /api/v1/circulars."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.views import MethodView
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint, row_dumper
from hazardloop.errors import Conflict
from hazardloop.extensions import db
from hazardloop.hazards import queries, services
from hazardloop.hazards.models import AuditEvent, Hazard, RectificationOrder
from hazardloop.hazards.schemas import (
    LEVEL_INPUT,
    CircularCreateSchema,
    CircularSchema,
    HazardCreateSchema,
    HazardDetailSchema,
    HazardPageSchema,
    HazardQueryArgsSchema,
    HazardSchema,
    TransitionSchema,
)
from hazardloop.hazards.states import SYSTEM_EVENTS, TRANSITIONS, HazardLevel, HazardSource, allowed_from
from hazardloop.policy import Action
from hazardloop.sites.services import get_site
from hazardloop.taxonomy import Role

blp = blueprint("hazards", __name__, "/hazards", "隐患与闭环流程")
circulars_blp = blueprint("circulars", __name__, "/circulars", "通报")

SOURCE_BY_ROLE = {Role.GRID_WORKER: HazardSource.GRID_PATROL, Role.ENTERPRISE_USER: HazardSource.SELF_CHECK,
                  Role.INSPECTOR: HazardSource.DEPARTMENT, Role.SUPERVISOR: HazardSource.ASSIGNED_BY_SUPERIOR,
                  Role.ADMIN: HazardSource.ASSIGNED_BY_SUPERIOR}


def _annotate(hazard: Hazard) -> Hazard:
    hazard.overdue = services.is_overdue(hazard)  # type: ignore[attr-defined]
    return hazard


def _detail(hazard: Hazard) -> Hazard:
    user = current_user()
    _annotate(hazard)
    hazard.allowed_actions = [  # type: ignore[attr-defined]
        a for a in allowed_from(hazard.status) if policy.can_fire(user, TRANSITIONS[a], hazard)]
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.hazard_id == hazard.id)
                                .order_by(AuditEvent.id)).all()
    for event in events:
        event.label = TRANSITIONS[event.kind].label if event.kind in TRANSITIONS else SYSTEM_EVENTS.get(
            event.kind, event.kind)
    hazard.timeline = events  # type: ignore[attr-defined]
    hazard.item = _item_with_references(hazard)  # type: ignore[attr-defined]
    hazard.documents = [  # type: ignore[attr-defined]
        {"id": d.id, "kind": d.kind, "number": d.number, "issued_at": d.issued_at.isoformat()}
        for d in db.session.scalars(select(RectificationOrder).where(RectificationOrder.hazard_id == hazard.id)
                                    .order_by(RectificationOrder.id))]
    return hazard


def _item_with_references(hazard: Hazard) -> dict[str, Any] | None:
    """The checklist item with its 三标: enterprise standard, hazard criterion, enforcement basis."""
    item = services.hazard_item(hazard)
    if item is None:
        return None
    version = hazard.checklist_version
    return {"checklist_id": version.checklist_id, "checklist_version": version.version, **item}


@blp.route("")
class Hazards(MethodView):
    @blp.arguments(HazardQueryArgsSchema, location="query")
    @blp.response(200, HazardPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Hazards in my scope: filters, sorts, cursor pagination and counts by status."""
        result = queries.page(current_user(), args)
        result["items"] = [*map(row_dumper(HazardSchema), result["items"])]
        return jsonify(result)  # already dumped: HazardPageSchema documents it, row_dumper keeps it equal

    @blp.arguments(HazardCreateSchema)
    @blp.response(201, HazardDetailSchema)
    @blp.alt_response(200, schema=HazardDetailSchema, description="同一 client_uuid 重发")
    @blp.alt_response(404, description="场所不存在或不在您的范围内")
    @blp.alt_response(409, description="同一 client_uuid 已用于不同内容")
    def post(self, args: dict[str, Any]) -> Any:
        """随手拍: report a hazard without a checklist item (idempotent by client_uuid)."""
        user = current_user()
        existing = db.session.scalar(select(Hazard).where(Hazard.client_uuid == str(args["client_uuid"])))
        if existing is not None:
            if existing.site_id != args["site_id"] or existing.description != args["description"].strip():
                raise Conflict("该编号已提交过不同的隐患。", code="client_uuid_reused")
            policy.authorize(user, Action.HAZARD_VIEW, existing)
            return _detail(existing), 200
        site = get_site(args["site_id"])
        policy.authorize(user, Action.SITE_INSPECT, site)
        role = policy.acting_role(user, Action.SITE_INSPECT, site)
        assert role is not None
        from hazardloop.inspections.services import existing_photo_ids

        missing = set(args["photo_ids"]) - existing_photo_ids(set(args["photo_ids"]))
        if missing:
            from hazardloop.errors import ValidationFailed

            raise ValidationFailed.field("photo_ids", "有照片尚未上传。", "photo_missing")
        position = args.get("position")
        hazard = services.create_hazard(
            site=site, source=SOURCE_BY_ROLE[role], description=args["description"],
            level=HazardLevel(LEVEL_INPUT[args["level"]]), domain=args["domain"], actor=user, actor_role=role,
            found_at=args["found_at"], photo_ids=args["photo_ids"], client_uuid=str(args["client_uuid"]),
            lat=position["lat"] if position else None, lng=position["lng"] if position else None,
        )
        return _detail(hazard), 201


@blp.route("/<int:hazard_id>")
@blp.response(200, HazardDetailSchema)
@blp.alt_response(404, description="隐患不存在或不在您的范围内")
def get_hazard(hazard_id: int) -> Any:
    """One hazard with its timeline, documents, 三标 references and the actions I may take."""
    hazard = services.get_hazard(hazard_id)
    policy.authorize(current_user(), Action.HAZARD_VIEW, hazard)
    return _detail(hazard)


@blp.route("/<int:hazard_id>/transitions", methods=["POST"])
@blp.arguments(TransitionSchema)
@blp.response(200, HazardDetailSchema)
@blp.alt_response(403, description="您的角色不能执行该操作")
@blp.alt_response(404, description="隐患不存在或不在您的范围内")
@blp.alt_response(409, description="当前状态不允许该操作（列出当前状态与可执行操作），或被他人抢先处理")
def fire_transition(args: dict[str, Any], hazard_id: int) -> Any:
    """Fire one workflow action (交办, 签收, 报告整改, 复查, 延期, 挂牌督办, 治理方案 …)."""
    user = current_user()
    hazard = services.get_hazard(hazard_id, lock=True)
    policy.authorize(user, Action.HAZARD_VIEW, hazard)
    action = args.pop("action")
    client_event_id = args.pop("client_event_id", None)
    client_time = args.pop("client_time", None)
    services.transition(hazard, action, actor=user, payload=args, client_event_id=client_event_id,
                        client_time=client_time)
    return _detail(hazard)


@circulars_blp.route("", methods=["POST"])
@circulars_blp.arguments(CircularCreateSchema)
@circulars_blp.response(201, CircularSchema)
@circulars_blp.alt_response(404, description="点名的隐患不存在或不在您的范围内")
def publish_circular(args: dict[str, Any]) -> Any:
    """通报: publish a circular naming hazards; each gets a reported event."""
    user = current_user()
    hazards = [services.get_hazard(i) for i in dict.fromkeys(args["hazard_ids"])]
    for hazard in hazards:
        policy.authorize(user, Action.HAZARD_PUBLISH_CIRCULAR, hazard)
    return services.publish_circular(title=args["title"], hazards=hazards, actor=user,
                                     commentary=args.get("commentary")), 201


# Stored circulars (drafts, review, publish, archive, files): handlers in reports.circular_routes.
def _add_stored_circular_routes() -> None:
    from hazardloop.reports.circular_routes import add_routes

    add_routes(circulars_blp)


_add_stored_circular_routes()
