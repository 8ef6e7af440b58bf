"""Throttling public reports per address and per device (X-Device-Id), counted in Redis (moving window).

Every attempt counts, honeypot hits and refused ones included: the limits are for machines,
and an honest reporter sends a handful a year. Like the login throttle, an unreachable Redis
is logged and not enforced.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import current_app
from limits import parse

from hazardloop.accounts.ratelimit import login_throttle
from hazardloop.errors import ApiError

log = logging.getLogger(__name__)


def _key(kind: str, value: str) -> str:
    # Hashed: the key must not keep addresses in Redis, and a header of any length fits.
    digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()[:32]
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:public_report:{kind}:{digest}"


def count_report_attempt(address: str, device: str | None) -> None:
    """Count one attempt; raises ApiError 429 ``report_rate_limited`` once either limit is used up."""
    # The same moving-window limiter and Redis connection as the login throttle.
    limiter = login_throttle().limiter
    checks = [(parse(current_app.config["PUBLIC_REPORT_LIMIT_PER_ADDRESS"]), _key("address", address))]
    if device:
        checks.append((parse(current_app.config["PUBLIC_REPORT_LIMIT_PER_DEVICE"]), _key("device", device)))
    try:
        for item, key in checks:
            if not limiter.hit(item, key):
                wait = max(1, int(limiter.get_window_stats(item, key).reset_time - time.time()))
                raise ApiError(f"提交过于频繁，请 {wait} 秒后再试。", status=429, code="report_rate_limited",
                               retry_after=wait)
    except ApiError:
        raise
    except Exception:  # the cache being down must not stop the public from reporting
        log.warning("public report throttle unavailable; not enforced", exc_info=True)


# Wrong tracking codes per address: people mistype a few; guessing needs millions. Codes alone are
# ≥ 64 bits, this keeps a guesser from even trying at speed.
DEFAULT_LOOKUP_MISS_LIMIT = "60 per hour"


def refuse_lookups_after_misses(address: str) -> None:
    """Raises ApiError 429 ``lookup_rate_limited`` once the address has used up its wrong codes."""
    item = parse(current_app.config.get("PUBLIC_TRACKING_MISS_LIMIT", DEFAULT_LOOKUP_MISS_LIMIT))
    key = _key("lookup_miss", address)
    limiter = login_throttle().limiter
    try:
        allowed = limiter.test(item, key)
        wait = 0 if allowed else max(1, int(limiter.get_window_stats(item, key).reset_time - time.time()))
    except Exception:  # the cache being down must not stop reporters following their reports
        log.warning("tracking lookup throttle unavailable; not enforced", exc_info=True)
        return
    if not allowed:
        raise ApiError(f"查询码错误次数过多，请 {wait} 秒后再试。", status=429, code="lookup_rate_limited",
                       retry_after=wait)


def count_lookup_miss(address: str) -> None:
    """Count one lookup of a code that does not exist."""
    item = parse(current_app.config.get("PUBLIC_TRACKING_MISS_LIMIT", DEFAULT_LOOKUP_MISS_LIMIT))
    try:
        login_throttle().limiter.hit(item, _key("lookup_miss", address))
    except Exception:
        log.warning("tracking lookup throttle unavailable; not counted", exc_info=True)
