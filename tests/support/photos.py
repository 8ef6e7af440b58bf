"""Photos in the tests: real JPEGs with EXIF uploaded as evidence, the request that cites them, and where their
derivatives and derivative jobs are to be seen."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import select

from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import receive_photo
from hazardloop.outbox.models import OutboxMessage
from tests.support import imagefiles as f


def gps_photo(db: Any, user: Any, *, lat: float = 30.3002, lng: float = 120.1503, shade: int = 0) -> Photo:
    """A real JPEG whose EXIF carries the phone's time and GPS position, uploaded by ``user``."""
    exif = f.exif_block(taken=dt.datetime(2026, 11, 20, 9, 10 + shade), lat=lat, lng=lng)
    photo, _ = receive_photo(f.jpeg(color=(90, 140, 60 + shade), exif=exif), uploader=user)
    db.session.commit()
    return photo


def hazard_body(site: Any, photo_ids: list[str], **extra: Any) -> dict[str, Any]:
    """The body of POST /api/v1/hazards for a 一般 fire hazard at ``site`` citing ``photo_ids``."""
    return {"client_uuid": str(uuid.uuid4()), "site_id": site.id, "description": "疏散通道被杂物堵塞",
            "domain": "fire", "level": "一般", "photo_ids": photo_ids,
            "found_at": "2026-11-20T09:30:00+08:00", **extra}


def derived_files(app: Any, photo_id: str) -> list[Path]:
    """The photo's derivative files (the storage directory outlives a test)."""
    return sorted(p for p in Path(app.config["STORAGE_DIR"], "derived", photo_id[:2], photo_id).rglob("*")
                  if p.is_file())


def photo_jobs(db: Any) -> list[OutboxMessage]:
    """The outbox messages that make photos' derivatives, oldest first."""
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "photo.derivatives")
                                   .order_by(OutboxMessage.id)))


def queued_job_ids(app: Any) -> list[str]:
    """The ids of the jobs waiting in the RQ default queue."""
    conn = redis.Redis.from_url(app.config["RQ_CONNECTION"])
    return [i.decode() for i in conn.lrange("rq:queue:default", 0, -1)]
