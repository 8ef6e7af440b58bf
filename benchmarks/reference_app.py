"""The read benchmark's yardstick: a plain Flask + SQLAlchemy Core app reading the same tables.

Served by gunicorn with the same settings as `hazardloop run` (see read_concurrency.py):

    GET /ref/hazards/<id>         one hazard row by primary key, as JSON
    GET /ref/hazards?after=<iso>  50 open hazards by the (status, deadline_at) index, as JSON

It has no login, policy, timeline or schema: what is left of our request is the framework and the
database, which is the floor the real endpoints are compared with.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

from flask import Flask, abort, jsonify, request
from sqlalchemy import create_engine, text

engine = create_engine(os.environ["REFERENCE_DATABASE_URL"], pool_size=5, pool_pre_ping=True)
app = Flask(__name__)

ONE = text("SELECT id, number, site_id, description, level, domain, status, found_at, deadline_at "
           "FROM hazards WHERE id = :id")
PAGE = text("SELECT id, number, site_id, description, level, domain, status, found_at, deadline_at "
            "FROM hazards WHERE status = 'rectifying' AND deadline_at > :after ORDER BY deadline_at LIMIT 50")


def _row(row: Any) -> dict[str, Any]:
    out = dict(row._mapping)
    for key in ("found_at", "deadline_at"):
        out[key] = out[key].isoformat() if out[key] else None
    return out


@app.get("/ref/hazards/<int:hazard_id>")
def one(hazard_id: int) -> Any:
    with engine.connect() as conn:
        row = conn.execute(ONE, {"id": hazard_id}).first()
    if row is None:
        abort(404)
    return jsonify(_row(row))


@app.get("/ref/hazards")
def page() -> Any:
    after = dt.datetime.fromisoformat(request.args.get("after", "2000-01-01T00:00:00+00:00"))
    with engine.connect() as conn:
        rows = conn.execute(PAGE, {"after": after}).all()
    return jsonify({"items": [_row(r) for r in rows]})
