"""/api/v1/health."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import current_app
from sqlalchemy import text

from hazardloop.accounts.auth import public
from hazardloop.apitools import blueprint
from hazardloop.extensions import db

blp = blueprint("system", __name__, "/health", "服务状态")


class HealthSchema(ma.Schema):
    status = ma.fields.String()
    database = ma.fields.String()
    redis = ma.fields.String()


@blp.route("")
@blp.response(200, HealthSchema)
@public
def health() -> Any:
    """Liveness: database and Redis reachability."""
    db.session.execute(text("SELECT 1"))
    try:
        current_app.extensions["rq"].queue.connection.ping()
        redis_state = "ok"
    except Exception:
        redis_state = "unreachable"
    return {"status": "ok", "database": db.engine.dialect.name, "redis": redis_state}
