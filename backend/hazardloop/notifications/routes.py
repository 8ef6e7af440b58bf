"""/api/v1/notifications: my inbox, unread count, marking read, and my channel preferences."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint, paginate
from hazardloop.extensions import db
from hazardloop.notifications import services
from hazardloop.notifications.models import ChannelPreference
from hazardloop.notifications.schemas import (
    ChannelPreferenceSchema,
    MarkedSchema,
    NotificationPageSchema,
    NotificationQueryArgsSchema,
    NotificationSchema,
    UnreadCountSchema,
)

blp = blueprint("notifications", __name__, "/notifications", "站内消息与通知渠道")


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
        """My channels per event kind ('*' = all kinds) besides the inbox."""
        return db.session.scalars(select(ChannelPreference).where(ChannelPreference.user_id == current_user().id)
                                  .order_by(ChannelPreference.id)).all()

    @blp.arguments(ChannelPreferenceSchema)
    @blp.response(200, ChannelPreferenceSchema)
    def put(self, args: dict[str, Any]) -> Any:
        """Set one channel for one event kind (address: e-mail, robot webhook URL or mobile)."""
        return services.set_preference(current_user(), **args)
