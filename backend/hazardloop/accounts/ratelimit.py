"""Login throttling: growing waits per account and address together, a ceiling per address, counted in Redis.

Only failed attempts count, so a user who types the password right is never slowed. The wait is
keyed on the pair (account, address): failures from one address never slow the same account
elsewhere, so nobody can lock an administrator out by guessing at his number. After
LOGIN_FREE_FAILURES failures each further one doubles the wait (LOGIN_BACKOFF_BASE_S, up to
LOGIN_BACKOFF_MAX_S); a success forgets the pair. A moving-window ceiling per address
(LOGIN_LIMIT_PER_ADDRESS) stops one address trying many accounts. The address is the client's as
ProxyFix reports it (TRUSTED_PROXY_HOPS), never a proxy's. If Redis is unreachable the check is
skipped and logged: a district must still be able to log in when its cache is down.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import redis
from flask import Flask, current_app
from limits import RateLimitItem, parse, strategies

from hazardloop.redis_connection import connect, rate_limit_storage

log = logging.getLogger(__name__)

# A pair's failures are forgotten a day after the last one.
PAIR_MEMORY_S = 24 * 3600


@dataclass
class LoginThrottle:
    limiter: strategies.MovingWindowRateLimiter
    per_address: RateLimitItem
    redis: redis.Redis
    prefix: str
    free_failures: int
    backoff_base_s: int
    backoff_max_s: int

    def _pair_key(self, mobile: str, address: str) -> str:
        # Hashed: Redis keeps neither numbers nor addresses, and a key of any input fits.
        digest = hashlib.sha256(f"{mobile}\0{address}".encode("utf-8", "replace")).hexdigest()[:32]
        return f"{self.prefix}:login:pair:{digest}"

    def _address_key(self, address: str) -> str:
        return f"{self.prefix}:login:address:{address}"

    def delay_after(self, failures: int) -> int:
        """Seconds a pair must wait after its ``failures``-th failure (0 while within the free ones)."""
        if failures < self.free_failures:
            return 0
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** min(failures - self.free_failures, 30))

    def retry_after(self, mobile: str, address: str) -> int | None:
        """Seconds to wait before this account may be tried again from this address, else None."""
        try:
            failures, last = self.redis.hmget(self._pair_key(mobile, address), "failures", "last")
            if failures is not None and last is not None:
                remaining = float(last) + self.delay_after(int(failures)) - time.time()
                if remaining > 0:
                    return max(1, int(remaining + 0.999))
            key = self._address_key(address)
            if not self.limiter.test(self.per_address, key):
                reset = self.limiter.get_window_stats(self.per_address, key).reset_time
                return max(1, int(reset - time.time()))
        except Exception:  # the cache being down must not lock everyone out
            log.warning("login throttle unavailable; not enforced", exc_info=True)
        return None

    def record_failure(self, mobile: str, address: str) -> None:
        try:
            key = self._pair_key(mobile, address)
            pipe = self.redis.pipeline()
            pipe.hincrby(key, "failures", 1)
            pipe.hset(key, "last", repr(time.time()))
            pipe.expire(key, PAIR_MEMORY_S)
            pipe.execute()
            self.limiter.hit(self.per_address, self._address_key(address))
        except Exception:
            log.warning("login throttle unavailable; failure not counted", exc_info=True)

    def record_success(self, mobile: str, address: str) -> None:
        """Forget the pair's failures (the address ceiling keeps counting: it is about other accounts)."""
        try:
            self.redis.delete(self._pair_key(mobile, address))
        except Exception:
            log.warning("login throttle unavailable; not reset", exc_info=True)


def init_app(app: Flask) -> None:
    # Built where every Redis client is (a Sentinel-watched Redis is followed through a failover).
    store = rate_limit_storage(app.config, socket_connect_timeout=1, socket_timeout=1)
    app.extensions["login_throttle"] = LoginThrottle(
        limiter=strategies.MovingWindowRateLimiter(store),
        per_address=parse(app.config["LOGIN_LIMIT_PER_ADDRESS"]),
        redis=connect(app.config, socket_connect_timeout=1, socket_timeout=1),
        prefix=app.config["RATELIMIT_KEY_PREFIX"],
        free_failures=app.config["LOGIN_FREE_FAILURES"],
        backoff_base_s=app.config["LOGIN_BACKOFF_BASE_S"],
        backoff_max_s=app.config["LOGIN_BACKOFF_MAX_S"],
    )


def login_throttle() -> LoginThrottle:
    return current_app.extensions["login_throttle"]
