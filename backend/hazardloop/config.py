"""Configuration read from the environment, with safe defaults for the embedded setup."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def _secret_key(instance_path: Path) -> str:
    """Use SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    # Create with 0600 so other local users cannot read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def engine_options(database_url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """SQLAlchemy engine options for the database actually used (the URL may come from a test's config)."""
    options = {"pool_pre_ping": True, **(options or {})}
    if database_url.startswith("postgresql"):
        # psycopg prepares a statement from its 5th run; PostgreSQL may then keep one generic plan, which
        # for scoped lists and aggregates is up to 1000× slower than a plan for the actual values.
        connect_args = options.setdefault("connect_args", {})
        connect_args["options"] = (connect_args.get("options", "") + " -c plan_cache_mode=force_custom_plan").strip()
    return options


def from_environment(instance_path: Path) -> dict[str, Any]:
    """Build the configuration mapping from environment variables."""
    instance_path.mkdir(parents=True, exist_ok=True)
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'hazardloop.db'}"
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "STORAGE_DIR": os.environ.get("STORAGE_DIR") or str(instance_path / "storage"),
        "TIMEZONE": os.environ.get("TIMEZONE") or "Asia/Shanghai",
        # Largest request body; photo uploads have their own, smaller limit.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH") or 32 * 1024 * 1024),
        "SCHEMA_CHECK": _bool("SCHEMA_CHECK", True),
        # Hazards: the body named on orders, when a recurring hazard turns 重大, presence checks.
        "ISSUING_BODY": os.environ.get("ISSUING_BODY") or "区安全生产委员会办公室",
        "RECURRENCE_UPGRADE_THRESHOLD": int(os.environ.get("RECURRENCE_UPGRADE_THRESHOLD") or 2),
        "PRESENCE_MAX_DISTANCE_M": float(os.environ.get("PRESENCE_MAX_DISTANCE_M") or 300),
        # Where phones reach the app: printed in the site QR codes as <base>/s/<token>.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000",
        # Photo evidence: upload limits, storage backend ("local" under STORAGE_DIR, or "s3").
        "PHOTO_MAX_BYTES": int(os.environ.get("PHOTO_MAX_BYTES") or 15 * 1024 * 1024),
        "PHOTO_MAX_PIXELS": int(os.environ.get("PHOTO_MAX_PIXELS") or 50_000_000),
        "PHOTO_FONT_PATH": os.environ.get("PHOTO_FONT_PATH") or None,
        "PHOTO_EXIF_MAX_TIME_DIFF_S": int(os.environ.get("PHOTO_EXIF_MAX_TIME_DIFF_S") or 3600),
        "PHOTO_EXIF_MAX_DISTANCE_M": float(os.environ.get("PHOTO_EXIF_MAX_DISTANCE_M") or 500),
        "PHOTO_STORAGE": os.environ.get("PHOTO_STORAGE") or "local",
        "S3_BUCKET": os.environ.get("S3_BUCKET") or None,
        "S3_PREFIX": os.environ.get("S3_PREFIX") or "",
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": os.environ.get("S3_REGION") or None,
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID") or None,
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        # Sessions: offline phones keep working for 30 days; each use slides the expiry.
        "SESSION_LIFETIME_DAYS": int(os.environ.get("SESSION_LIFETIME_DAYS") or 30),
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        # Supervisor console: an optional map tile server (its tiles are in GCJ-02), 黑名单 rules file.
        "TILE_URL_TEMPLATE": os.environ.get("TILE_URL_TEMPLATE") or None,
        "TILE_ATTRIBUTION": os.environ.get("TILE_ATTRIBUTION") or "",
        "BLACKLIST_RULES": os.environ.get("BLACKLIST_RULES") or None,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT") or "5 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS") or "30 per 15 minutes",
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX") or "hazardloop",
        "RATELIMIT_HEADERS_ENABLED": True,
        # argon2id cost; RFC 9106's second recommended option (64 MiB, 3 passes).
        "PASSWORD_HASH_MEMORY_KIB": int(os.environ.get("PASSWORD_HASH_MEMORY_KIB") or 65536),
        "PASSWORD_HASH_TIME_COST": int(os.environ.get("PASSWORD_HASH_TIME_COST") or 3),
        # Background work (issue 6): outbox retries (seconds between attempts), ladder policy, channels.
        "OUTBOX_RETRY_INTERVALS": [int(x) for x in (os.environ.get("OUTBOX_RETRY_INTERVALS") or "10,60,300,1800")
                                   .split(",")],
        "ESCALATION_POLICY": os.environ.get("ESCALATION_POLICY") or None,
        "SMTP_HOST": os.environ.get("SMTP_HOST") or "127.0.0.1",
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 25),
        "SMTP_FROM": os.environ.get("SMTP_FROM") or "hazardloop@localhost",
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", False),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMS_GATEWAY": os.environ.get("SMS_GATEWAY") or "fake",
        "SMS_SIGNATURE": os.environ.get("SMS_SIGNATURE") or "安全隐患排查",
        # 群众举报 (issue 9): attempts per address / device (X-Device-Id), body size, triage deadline.
        "PUBLIC_REPORT_LIMIT_PER_ADDRESS": os.environ.get("PUBLIC_REPORT_LIMIT_PER_ADDRESS") or "20 per hour",
        "PUBLIC_REPORT_LIMIT_PER_DEVICE": os.environ.get("PUBLIC_REPORT_LIMIT_PER_DEVICE") or "5 per hour",
        "PUBLIC_REPORT_MAX_BYTES": int(os.environ.get("PUBLIC_REPORT_MAX_BYTES") or 30 * 1024 * 1024),
        "REPORT_TRIAGE_WORKING_DAYS": int(os.environ.get("REPORT_TRIAGE_WORKING_DAYS") or 1),
        "RQ_CONNECTION": redis_url,
        "RQ_QUEUES": ["default"],
        "RQ_ASYNC": True,
        "API_TITLE": "hazardloop API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Served by the app itself (swagger-ui-bundle): no CDN needed.
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        "JSON_SORT_KEYS": False,
    }
