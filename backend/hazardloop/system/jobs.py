"""Background jobs of the system feature."""

from __future__ import annotations

from sqlalchemy import text

from hazardloop.extensions import db, rq


@rq.job
def health_check(token: str) -> dict[str, str]:
    """Prove a worker can run jobs in the app context and reach the database."""
    db.session.execute(text("SELECT 1"))
    return {"token": token, "database": db.engine.dialect.name}
