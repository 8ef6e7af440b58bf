"""Configuration read from the environment, with safe defaults for the embedded setup."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from hazardloop.redis_connection import redis_settings

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


def engine_options(database_url: str, options: dict[str, Any] | None = None,
                   pool_mode: str = "session") -> dict[str, Any]:
    """SQLAlchemy engine options for the database actually used (the URL may come from a test's config).

    ``pool_mode="transaction"`` (DATABASE_POOL_MODE, behind PgBouncer in transaction mode): each transaction
    may run on another server connection, so nothing is prepared (psycopg's prepare_threshold=None) and no
    startup ``options`` are sent (PgBouncer refuses them); unprepared statements are planned for their values.

    In session mode psycopg prepares a statement from its 5th run and PostgreSQL chooses between a plan for
    the values and one generic plan (plan_cache_mode=auto, its default): the generic plan of a lookup by key
    skips ~1 ms of planning per statement. Reports and aggregates, whose generic plans can be far slower than
    a plan for the values, ask for plans for their values per transaction (``database.plan_with_values``).
    """
    options = {"pool_pre_ping": True, **(options or {})}
    if database_url.startswith("postgresql") and pool_mode == "transaction":
        options.setdefault("connect_args", {})["prepare_threshold"] = None
    elif database_url.startswith("postgresql"):
        # Said at connection start although it is the server's default: a server configured otherwise is
        # overruled, and a PgBouncer in transaction mode named without DATABASE_POOL_MODE refuses at once.
        connect_args = options.setdefault("connect_args", {})
        connect_args["options"] = (connect_args.get("options", "") + " -c plan_cache_mode=auto").strip()
    return options


def sqlalchemy_url(database_url: str) -> str:
    """A ``postgres://`` or ``postgresql://`` URL in SQLAlchemy's form for psycopg 3; others unchanged."""
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def from_environment(instance_path: Path) -> dict[str, Any]:
    """Build the configuration mapping from environment variables."""
    instance_path.mkdir(parents=True, exist_ok=True)
    database_url = sqlalchemy_url(os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'hazardloop.db'}")
    replica_url = sqlalchemy_url(os.environ.get("DATABASE_REPLICA_URL") or "") or None
    if replica_url and not replica_url.startswith("postgresql"):
        raise ValueError("DATABASE_REPLICA_URL 只能是 PostgreSQL 热备库（postgresql://…）的地址")
    # REDIS_SENTINELS + REDIS_SENTINEL_MASTER: every Redis client follows a Sentinel failover (redis_connection.py).
    redis = redis_settings(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL, os.environ.get("REDIS_SENTINELS"),
                           os.environ.get("REDIS_SENTINEL_MASTER") or None,
                           os.environ.get("REDIS_SENTINEL_PASSWORD") or None)
    pool_mode = (os.environ.get("DATABASE_POOL_MODE") or "session").strip().lower()
    if pool_mode not in ("session", "transaction"):
        raise ValueError(f"DATABASE_POOL_MODE 只能是 session 或 transaction，而不是 {pool_mode!r}")
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        # "transaction" when DATABASE_URL is a PgBouncer in transaction mode (engine_options).
        "DATABASE_POOL_MODE": pool_mode,
        # A hot standby of DATABASE_URL for the reads of views marked @reads_replica (replica.py), used while
        # its lag is at most REPLICA_MAX_LAG_S seconds (measured at most once per REPLICA_LAG_CHECK_S).
        "DATABASE_REPLICA_URL": replica_url,
        "REPLICA_MAX_LAG_S": float(os.environ.get("REPLICA_MAX_LAG_S") or 5),
        "REPLICA_LAG_CHECK_S": float(os.environ.get("REPLICA_LAG_CHECK_S") or 1),
        **redis,  # REDIS_URL, REDIS_SENTINELS, REDIS_SENTINEL_MASTER, RQ_CONNECTION(_CLASS), RATELIMIT_STORAGE_URI
        "STORAGE_DIR": os.environ.get("STORAGE_DIR") or str(instance_path / "storage"),
        "TIMEZONE": os.environ.get("TIMEZONE") or "Asia/Shanghai",
        # Largest request body; photo uploads have their own, smaller limit.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH") or 32 * 1024 * 1024),
        # 批量导入: the most data rows one file may have, and rows applied per transaction.
        "IMPORT_MAX_ROWS": int(os.environ.get("IMPORT_MAX_ROWS") or 150_000),
        "IMPORT_BATCH_ROWS": int(os.environ.get("IMPORT_BATCH_ROWS") or 1000),
        "SCHEMA_CHECK": _bool("SCHEMA_CHECK", True),
        # Hazards: the body named on orders, when a recurring hazard turns 重大, presence checks.
        "ISSUING_BODY": os.environ.get("ISSUING_BODY") or "区安全生产委员会办公室",
        "RECURRENCE_UPGRADE_THRESHOLD": int(os.environ.get("RECURRENCE_UPGRADE_THRESHOLD") or 2),
        "PRESENCE_MAX_DISTANCE_M": float(os.environ.get("PRESENCE_MAX_DISTANCE_M") or 300),
        # 企业自查自改: the share drawn for a grid worker's spot check, and the draw's seed (sha256 of
        # seed:hazard id, so each draw is reproducible and recorded on the event).
        "SELF_RECTIFY_SPOT_CHECK_SHARE": float(os.environ.get("SELF_RECTIFY_SPOT_CHECK_SHARE") or 0.2),
        "SELF_RECTIFY_SPOT_CHECK_SEED": os.environ.get("SELF_RECTIFY_SPOT_CHECK_SEED") or "hazardloop-spot-check",
        # 自查自报: remind the sites not yet reported in the last N days of a month (once per site and month).
        "SELF_CHECK_REMIND_DAYS": int(os.environ.get("SELF_CHECK_REMIND_DAYS") or 3),
        # 通报: 发文机关, 落款 (default: the issuer), 抄送, and the window in which 屡查屡犯 is counted.
        "CIRCULAR_ISSUER": os.environ.get("CIRCULAR_ISSUER") or "区安全生产委员会办公室",
        "CIRCULAR_SIGNATURE": os.environ.get("CIRCULAR_SIGNATURE") or None,
        "CIRCULAR_CC": os.environ.get("CIRCULAR_CC") or "区安委会各成员单位，各街道（园区）安委办",
        "CIRCULAR_REPEAT_WINDOW_DAYS": int(os.environ.get("CIRCULAR_REPEAT_WINDOW_DAYS") or 90),
        # Where phones reach the app: printed in the site QR codes as <base>/s/<token>.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000",
        # Photo evidence: upload limits, storage backend ("local" under STORAGE_DIR, or "s3").
        "PHOTO_MAX_BYTES": int(os.environ.get("PHOTO_MAX_BYTES") or 15 * 1024 * 1024),
        "PHOTO_MAX_PIXELS": int(os.environ.get("PHOTO_MAX_PIXELS") or 50_000_000),
        "PHOTO_FONT_PATH": os.environ.get("PHOTO_FONT_PATH") or None,
        "PHOTO_EXIF_MAX_TIME_DIFF_S": int(os.environ.get("PHOTO_EXIF_MAX_TIME_DIFF_S") or 3600),
        "PHOTO_EXIF_MAX_DISTANCE_M": float(os.environ.get("PHOTO_EXIF_MAX_DISTANCE_M") or 500),
        # Seconds an uploaded photo's derivative job waits for the inspection that cites it (one set per photo).
        "PHOTO_DERIVATIVES_HOLD_S": float(os.environ.get("PHOTO_DERIVATIVES_HOLD_S") or 20),
        "PHOTO_STORAGE": os.environ.get("PHOTO_STORAGE") or "local",
        "S3_BUCKET": os.environ.get("S3_BUCKET") or None,
        "S3_PREFIX": os.environ.get("S3_PREFIX") or "",
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": os.environ.get("S3_REGION") or None,
        "S3_ACCESS_KEY_ID": os.environ.get("S3_ACCESS_KEY_ID") or None,
        "S3_SECRET_ACCESS_KEY": os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        # With S3: 0 streams photo files through the app; N > 0 redirects an authorized request to a presigned
        # address of the object valid N seconds (evidence/delivery.py). The bucket itself is never public.
        "PHOTO_SIGNED_URL_TTL_S": int(os.environ.get("PHOTO_SIGNED_URL_TTL_S") or 0),
        # Sessions: offline phones keep working for 30 days; each use slides the expiry.
        "SESSION_LIFETIME_DAYS": int(os.environ.get("SESSION_LIFETIME_DAYS") or 30),
        # Longest a resolved login session is kept per process (accounts/session_cache.py) when a change
        # made outside the application cannot say so; 0: read it from the database on every request.
        "SESSION_CACHE_TTL_S": float(os.environ.get("SESSION_CACHE_TTL_S") or 30),
        # Secure unless the server is explicitly run on plain http for local use (`./dev up`, the browser tests).
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", True),
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none, answer directly).
        "TRUSTED_PROXY_HOPS": int(os.environ.get("TRUSTED_PROXY_HOPS") or 0),
        # Supervisor console: an optional map tile server (its tiles are in GCJ-02), 黑名单 rules file.
        "TILE_URL_TEMPLATE": os.environ.get("TILE_URL_TEMPLATE") or None,
        "TILE_ATTRIBUTION": os.environ.get("TILE_ATTRIBUTION") or "",
        "BLACKLIST_RULES": os.environ.get("BLACKLIST_RULES") or None,
        # Login throttle: per account and address together, free failures then doubling waits up to a cap;
        # plus a ceiling per address across accounts (password spraying).
        "LOGIN_FREE_FAILURES": int(os.environ.get("LOGIN_FREE_FAILURES") or 5),
        "LOGIN_BACKOFF_BASE_S": int(os.environ.get("LOGIN_BACKOFF_BASE_S") or 30),
        "LOGIN_BACKOFF_MAX_S": int(os.environ.get("LOGIN_BACKOFF_MAX_S") or 900),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS") or "30 per 15 minutes",
        "RATELIMIT_KEY_PREFIX": os.environ.get("RATELIMIT_KEY_PREFIX") or "hazardloop",
        "RATELIMIT_HEADERS_ENABLED": True,
        # argon2id cost; RFC 9106's second recommended option (64 MiB, 3 passes).
        "PASSWORD_HASH_MEMORY_KIB": int(os.environ.get("PASSWORD_HASH_MEMORY_KIB") or 65536),
        "PASSWORD_HASH_TIME_COST": int(os.environ.get("PASSWORD_HASH_TIME_COST") or 3),
        # Background work: outbox retries (seconds between attempts), ladder policy, channels.
        "OUTBOX_RETRY_INTERVALS": [int(x) for x in (os.environ.get("OUTBOX_RETRY_INTERVALS") or "10,60,300,1800")
                                   .split(",")],
        "ESCALATION_POLICY": os.environ.get("ESCALATION_POLICY") or None,
        "SMTP_HOST": os.environ.get("SMTP_HOST") or "127.0.0.1",
        "SMTP_PORT": int(os.environ.get("SMTP_PORT") or 25),
        "SMTP_FROM": os.environ.get("SMTP_FROM") or "hazardloop@localhost",
        "SMTP_STARTTLS": _bool("SMTP_STARTTLS", False),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        # Outgoing addresses (SSRF): 企业微信/钉钉 robots only on these https hosts; webhook subscribers on
        # private, loopback or link-local addresses only when allowed (an intranet receiver, the tests).
        "ROBOT_HOSTS": [host.strip().lower() for host in
                        (os.environ.get("ROBOT_HOSTS") or "qyapi.weixin.qq.com,oapi.dingtalk.com").split(",")
                        if host.strip()],
        "WEBHOOK_ALLOW_PRIVATE": _bool("WEBHOOK_ALLOW_PRIVATE", False),
        # Web Push: the VAPID key pair is generated once into this file (kept, like the secret key).
        "VAPID_PRIVATE_KEY_FILE": os.environ.get("VAPID_PRIVATE_KEY_FILE") or str(instance_path / "vapid_private.pem"),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT") or "mailto:admin@example.invalid",
        # Who has chosen no channels yet gets the role's defaults (notifications.services.ROLE_DEFAULTS).
        "NOTIFY_ROLE_DEFAULTS": _bool("NOTIFY_ROLE_DEFAULTS", True),
        "SMS_GATEWAY": os.environ.get("SMS_GATEWAY") or "fake",
        "SMS_SIGNATURE": os.environ.get("SMS_SIGNATURE") or "安全隐患排查",
        # 阿里云短信 / 腾讯云短信 (SMS_GATEWAY=aliyun|tencent): keys, 短信签名, templates (config/sms.yaml).
        "SMS_ACCESS_KEY_ID": os.environ.get("SMS_ACCESS_KEY_ID") or "",
        "SMS_ACCESS_KEY_SECRET": os.environ.get("SMS_ACCESS_KEY_SECRET") or "",
        "SMS_SIGN_NAME": os.environ.get("SMS_SIGN_NAME") or "",
        "SMS_ENDPOINT": os.environ.get("SMS_ENDPOINT") or "",
        "SMS_TENCENT_APP_ID": os.environ.get("SMS_TENCENT_APP_ID") or "",
        "SMS_TENCENT_REGION": os.environ.get("SMS_TENCENT_REGION") or "ap-guangzhou",
        "SMS_TEMPLATES": os.environ.get("SMS_TEMPLATES") or "",
        # 短信回执: the secret path part of the status-report URL given to the provider (empty: receipts off).
        "SMS_RECEIPT_TOKEN": os.environ.get("SMS_RECEIPT_TOKEN") or "",
        # 群众举报: attempts per address / device (X-Device-Id), body size, triage deadline.
        "PUBLIC_REPORT_LIMIT_PER_ADDRESS": os.environ.get("PUBLIC_REPORT_LIMIT_PER_ADDRESS") or "20 per hour",
        "PUBLIC_REPORT_LIMIT_PER_DEVICE": os.environ.get("PUBLIC_REPORT_LIMIT_PER_DEVICE") or "5 per hour",
        "PUBLIC_REPORT_MAX_BYTES": int(os.environ.get("PUBLIC_REPORT_MAX_BYTES") or 30 * 1024 * 1024),
        "REPORT_TRIAGE_WORKING_DAYS": int(os.environ.get("REPORT_TRIAGE_WORKING_DAYS") or 1),
        "RQ_QUEUES": ["default"],
        "RQ_ASYNC": True,
        "API_TITLE": "hazardloop API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "/docs",
        # Served by the app itself (swagger-ui-py's Swagger UI 5): no CDN needed.
        "OPENAPI_SWAGGER_UI_URL": "/api/docs/assets/",
        # No badge image from validator.swagger.io: the page loads nothing from other hosts (CSP).
        "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
        "JSON_SORT_KEYS": False,
    }
