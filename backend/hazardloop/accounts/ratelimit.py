"""Login throttling per account and per address, counted in Redis (moving window).

Only failed attempts count, so a user who types the password right is never slowed.
If Redis is unreachable the check is skipped and logged: a district must still be able
to log in when its cache is down.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask, current_app
from limits import RateLimitItem, parse, storage, strategies

log = logging.getLogger(__name__)


@dataclass
class LoginThrottle:
    limiter: strategies.MovingWindowRateLimiter
    per_account: RateLimitItem
    per_address: RateLimitItem
    prefix: str

    def _checks(self, mobile: str, address: str) -> list[tuple[RateLimitItem, str]]:
        return [
            (self.per_account, f"{self.prefix}:login:account:{mobile}"),
            (self.per_address, f"{self.prefix}:login:address:{address}"),
        ]

    def retry_after(self, mobile: str, address: str) -> int | None:
        """Seconds to wait if either limit is exhausted, else None."""
        try:
            for item, key in self._checks(mobile, address):
                if not self.limiter.test(item, key):
                    reset = self.limiter.get_window_stats(item, key).reset_time
                    return max(1, int(reset - time.time()))
        except Exception:  # the cache being down must not lock everyone out
            log.warning("login throttle unavailable; not enforced", exc_info=True)
        return None

    def record_failure(self, mobile: str, address: str) -> None:
        try:
            for item, key in self._checks(mobile, address):
                self.limiter.hit(item, key)
        except Exception:
            log.warning("login throttle unavailable; failure not counted", exc_info=True)

    def reset_account(self, mobile: str) -> None:
        try:
            self.limiter.clear(self.per_account, f"{self.prefix}:login:account:{mobile}")
        except Exception:
            log.warning("login throttle unavailable; not reset", exc_info=True)


def init_app(app: Flask) -> None:
    store = storage.storage_from_string(
        app.config["RATELIMIT_STORAGE_URI"], socket_connect_timeout=1, socket_timeout=1
    )
    app.extensions["login_throttle"] = LoginThrottle(
        limiter=strategies.MovingWindowRateLimiter(store),
        per_account=parse(app.config["LOGIN_LIMIT_PER_ACCOUNT"]),
        per_address=parse(app.config["LOGIN_LIMIT_PER_ADDRESS"]),
        prefix=app.config["RATELIMIT_KEY_PREFIX"],
    )


def login_throttle() -> LoginThrottle:
    return current_app.extensions["login_throttle"]
