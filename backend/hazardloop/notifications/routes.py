"""/api/v1/notifications: my inbox, unread count, marking read, my channel preferences, the staff's
投递记录 (delivery list, retry) and the SMS providers' receipts; /api/v1/webhooks: the administrator's
signed-webhook subscribers."""

from __future__ import annotations

import hmac
from typing import Any

from flask import current_app, jsonify, request
from flask.views import MethodView
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.auth import current_user, public
from hazardloop.apitools import blueprint, paginate
from hazardloop.errors import Forbidden, NotFound, ValidationFailed
from hazardloop.extensions import db
from hazardloop.notifications import deliveries, push, services, webhooks
from hazardloop.notifications.models import WebhookSubscription
from hazardloop.notifications.schemas import (
    WEBHOOK_EVENT_LABELS,
    ChannelPreferenceSchema,
    DeliveryPageSchema,
    DeliveryQueryArgsSchema,
    DeliverySchema,
    MarkedSchema,
    NotificationPageSchema,
    NotificationQueryArgsSchema,
    NotificationSchema,
    PushKeySchema,
    PushSubscriptionCreateSchema,
    PushSubscriptionSchema,
    UnreadCountSchema,
    WebhookCreateSchema,
    WebhookEventKindSchema,
    WebhookPingSchema,
    WebhookSecretSchema,
    WebhookSubscriptionSchema,
    WebhookUpdateSchema,
)
from hazardloop.policy import Action

blp = blueprint("notifications", __name__, "/notifications", "站内消息与通知渠道")
webhooks_blp = blueprint("webhooks", __name__, "/webhooks", "对外事件推送（签名 Webhook 订阅方，管理员）")


@blp.route("")
class Inbox(MethodView):
    @blp.arguments(NotificationQueryArgsSchema, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """My notifications, newest first (``unread=true`` for unread only)."""
        return paginate(services.inbox(current_user(), unread_only=args["unread"]), args["page"], args["per_page"])


@blp.route("/unread-count")
class UnreadCount(MethodView):
    @blp.response(200, UnreadCountSchema)
    def get(self) -> Any:
        """How many of my notifications are unread (the badge)."""
        return {"unread": services.unread_count(current_user())}


@blp.route("/<int:notification_id>/read")
class MarkRead(MethodView):
    @blp.response(200, NotificationSchema)
    @blp.alt_response(404, description="消息不存在")
    def post(self, notification_id: int) -> Any:
        """Mark one of my notifications read (idempotent)."""
        return services.mark_read(current_user(), notification_id)


@blp.route("/read-all")
class MarkAllRead(MethodView):
    @blp.response(200, MarkedSchema)
    def post(self) -> Any:
        """Mark all my notifications read."""
        return {"marked": services.mark_all_read(current_user())}


@blp.route("/preferences")
class Preferences(MethodView):
    @blp.response(200, ChannelPreferenceSchema(many=True))
    def get(self) -> Any:
        """My channels per event kind ('*' = all kinds, 'reminder.*' a family) besides the inbox; while I have
        chosen none, my role's defaults (without id): saving any preference replaces them all."""
        return services.effective_preferences(current_user())

    @blp.arguments(ChannelPreferenceSchema)
    @blp.response(200, ChannelPreferenceSchema)
    def put(self, args: dict[str, Any]) -> Any:
        """Set one channel for one event kind (address: e-mail, robot webhook URL or mobile)."""
        return services.set_preference(current_user(), **args)


@blp.route("/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQueryArgsSchema, location="query")
    @blp.response(200, DeliveryPageSchema)
    @blp.alt_response(403, description="无权查看投递记录")
    def get(self, args: dict[str, Any]) -> Any:
        """投递记录: the notices' deliveries in my scope, newest first (``status``/``channel`` to filter), with
        each recipient masked and a refusal's reason in words."""
        user = current_user()
        if not policy.holds(user, Action.DELIVERY_VIEW):
            raise Forbidden("只有监管人员和管理员可以查看投递记录。")
        page = paginate(deliveries.listing(user, status=args["status"], channel=args["channel"]), args["page"],
                        args["per_page"])
        return {**page, "items": deliveries.describe(user, page["items"]),
                "counts": deliveries.counts(user, args["channel"])}


@blp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"])
@blp.response(200, DeliverySchema)
@blp.alt_response(404, description="投递记录不存在")
@blp.alt_response(409, description="不是被拒绝的投递，或重试不会成功")
def retry_delivery(delivery_id: int) -> Any:
    """Send a refused delivery again (through the outbox); recorded in the audit chain."""
    user = current_user()
    [row] = deliveries.describe(user, [deliveries.retry(user, delivery_id)])
    return row


@blp.route("/sms-receipts/<provider>/<token>", methods=["POST"])
@public
@blp.alt_response(404, description="未启用短信回执，或地址不对")
@blp.alt_response(422, description="不是状态报告数组")
def sms_receipts(provider: str, token: str) -> Any:
    """短信回执: the SMS provider's status reports (阿里云 SmsReport HTTP 批量推送, 腾讯云 短信下发状态通知), posted to
    the address configured in the provider's console with the secret SMS_RECEIPT_TOKEN in its path."""
    expected = current_app.config.get("SMS_RECEIPT_TOKEN") or ""
    if provider not in ("aliyun", "tencent") or not expected or not hmac.compare_digest(token, expected):
        raise NotFound("地址不存在。")
    reports = request.get_json(silent=True)
    if not isinstance(reports, list):
        raise ValidationFailed([{"field": "body", "message": "应为状态报告数组（JSON Array）。"}],
                               detail="回执内容应为状态报告数组（JSON Array）。")
    deliveries.record_receipts(provider, reports)
    return jsonify({"code": 0, "msg": "接收成功"} if provider == "aliyun" else {"result": 0, "errmsg": "OK"})


@blp.route("/push/public-key")
class PushKey(MethodView):
    @blp.response(200, PushKeySchema)
    def get(self) -> Any:
        """The VAPID public key a browser subscribes with (generated once, kept in the instance folder)."""
        return {"public_key": push.vapid_public_key()}


@blp.route("/push/subscriptions")
class PushSubscriptions(MethodView):
    @blp.response(200, PushSubscriptionSchema(many=True))
    def get(self) -> Any:
        """My devices that receive Web Push."""
        return push.my_subscriptions(current_user())

    @blp.arguments(PushSubscriptionCreateSchema)
    @blp.response(201, PushSubscriptionSchema)
    def post(self, args: dict[str, Any]) -> Any:
        """Register this browser's push subscription for me (the same endpoint again updates it)."""
        return push.subscribe(current_user(), endpoint=args["endpoint"], p256dh=args["keys"]["p256dh"],
                              auth=args["keys"]["auth"], device_label=args["device_label"]), 201


@blp.route("/push/subscriptions/<int:subscription_id>")
class PushSubscriptionItem(MethodView):
    @blp.response(204)
    @blp.alt_response(404, description="设备不存在")
    def delete(self, subscription_id: int) -> Any:
        """Stop pushing to one of my devices."""
        push.unsubscribe(current_user(), subscription_id)
        return "", 204


def _administrator() -> Any:
    user = current_user()
    if not policy.can_anywhere(user, Action.WEBHOOK_MANAGE):
        raise Forbidden("只有管理员可以管理 Webhook 订阅方。")
    return user


def _with_secret(subscription: WebhookSubscription, *, previous_valid: bool) -> dict[str, Any]:
    fields = WebhookSubscriptionSchema().fields
    return {**{name: getattr(subscription, name) for name in fields}, "secret": subscription.secret,
            "previous_secret_valid": previous_valid}


def _subscription(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound("订阅方不存在。")
    policy.authorize(current_user(), Action.WEBHOOK_MANAGE, subscription)
    return subscription


@webhooks_blp.route("")
class Subscribers(MethodView):
    @webhooks_blp.response(200, WebhookSubscriptionSchema(many=True))
    @webhooks_blp.alt_response(403, description="非管理员")
    def get(self) -> Any:
        """Every subscriber (without secrets), newest first."""
        _administrator()
        return db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id.desc())).all()

    @webhooks_blp.arguments(WebhookCreateSchema)
    @webhooks_blp.response(201, WebhookSecretSchema)
    @webhooks_blp.alt_response(403, description="非管理员")
    def post(self, args: dict[str, Any]) -> Any:
        """Register a subscriber for some event kinds (none: all); the answer holds its secret, shown once."""
        subscription = webhooks.register_subscriber(actor=_administrator(), **args)
        return _with_secret(subscription, previous_valid=False), 201


@webhooks_blp.route("/event-kinds")
@webhooks_blp.response(200, WebhookEventKindSchema(many=True))
@webhooks_blp.alt_response(403, description="非管理员")
def subscriber_event_kinds() -> Any:
    """The event kinds a subscriber may choose, with their Chinese names (the console shows these)."""
    _administrator()
    return [{"code": code, "label": label} for code, label in WEBHOOK_EVENT_LABELS.items()]


@webhooks_blp.route("/<int:subscription_id>")
class Subscriber(MethodView):
    @webhooks_blp.response(200, WebhookSubscriptionSchema)
    @webhooks_blp.alt_response(404, description="订阅方不存在")
    def get(self, subscription_id: int) -> Any:
        """One subscriber."""
        return _subscription(subscription_id)

    @webhooks_blp.arguments(WebhookUpdateSchema)
    @webhooks_blp.response(200, WebhookSubscriptionSchema)
    @webhooks_blp.alt_response(404, description="订阅方不存在")
    def patch(self, args: dict[str, Any], subscription_id: int) -> Any:
        """Change name, URL or event kinds; ``active: false`` disables it, ``true`` enables it again."""
        return webhooks.update_subscriber(_subscription(subscription_id), **args)


@webhooks_blp.route("/<int:subscription_id>/rotate-secret", methods=["POST"])
@webhooks_blp.response(200, WebhookSecretSchema)
@webhooks_blp.alt_response(404, description="订阅方不存在")
def rotate_subscriber_secret(subscription_id: int) -> Any:
    """New signing secret (shown once); the old one stays valid for verifying until the next rotation."""
    subscription = _subscription(subscription_id)
    webhooks.rotate_secret(subscription)
    return _with_secret(subscription, previous_valid=True)


@webhooks_blp.route("/<int:subscription_id>/ping", methods=["POST"])
@webhooks_blp.response(202, WebhookPingSchema)
@webhooks_blp.alt_response(404, description="订阅方不存在")
@webhooks_blp.alt_response(409, description="订阅方已停用")
def ping_subscriber(subscription_id: int) -> Any:
    """Send a signed ``ping`` event to check the subscriber's endpoint and secret."""
    from hazardloop.errors import Conflict

    subscription = _subscription(subscription_id)
    if not subscription.active:
        raise Conflict("订阅方已停用，请先启用。", code="subscriber_disabled")
    return {"message_id": webhooks.ping(subscription)}, 202
