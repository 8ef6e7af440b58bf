"""The one place Redis connections are built: a plain REDIS_URL, or the master that Redis Sentinel (哨兵) names.

With ``REDIS_SENTINELS`` (``host:port,host:port``) and ``REDIS_SENTINEL_MASTER`` (the name the sentinels
monitor) set, every client — the app's, RQ's queues, workers and schedulers, the rate limiter's — asks
the sentinels which server is the master when it connects, and asks again when a connection fails or
the server it reached answers READONLY (it has been demoted), so all of them follow a failover.
``REDIS_URL`` then gives only the database number and the password of the data servers; its host and
port are not used. Sentinels protected by their own ``requirepass`` are reached with
``REDIS_SENTINEL_PASSWORD`` (the data servers' password is never sent to them: a sentinel without a
password would refuse it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from redis import Redis
from redis.sentinel import Sentinel

SENTINEL_FACTORY = "hazardloop.redis_connection.sentinel_master"
# How long a client waits for a sentinel: one that is down must not hold up asking the next one.
SENTINEL_TIMEOUT_S = 0.5


def parse_sentinels(value: str | Sequence[Any] | None) -> list[tuple[str, int]]:
    """``"h1:26379,h2:26379"`` (or a list of ``(host, port)``) as a list of (host, port); raises ValueError."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    found = []
    for item in items:
        if isinstance(item, str):
            host, sep, port = item.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"REDIS_SENTINELS 的每一项应为 主机:端口，而不是 {item.strip()!r}")
            found.append((host.strip("[]"), int(port)))
        else:
            found.append((str(item[0]), int(item[1])))
    return found


def redis_settings(redis_url: str, sentinels: str | Sequence[Any] | None = None,
                   master: str | None = None, sentinel_password: str | None = None) -> dict[str, Any]:
    """The configuration keys of every Redis client (the app's, Flask-RQ's, the rate limiter's).

    Used by config.from_environment and by tests that build an app on a Sentinel-watched Redis.
    Raises ValueError when only one of the two sentinel settings is given.
    """
    addresses = parse_sentinels(sentinels)
    if bool(addresses) != bool(master):
        raise ValueError("REDIS_SENTINELS 与 REDIS_SENTINEL_MASTER 须同时设置（或都不设置）。")
    if not addresses:
        return {"REDIS_URL": redis_url, "REDIS_SENTINELS": [], "REDIS_SENTINEL_MASTER": None,
                "REDIS_SENTINEL_PASSWORD": None, "RQ_CONNECTION": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
    locations = ",".join(f"{host}:{port}" for host, port in addresses)
    return {
        "REDIS_URL": redis_url, "REDIS_SENTINELS": addresses, "REDIS_SENTINEL_MASTER": master,
        "REDIS_SENTINEL_PASSWORD": sentinel_password or None,
        # Flask-RQ calls RQ_CONNECTION_CLASS(**RQ_CONNECTION) for a mapping: a client of the current master.
        "RQ_CONNECTION": {"url": redis_url, "sentinels": addresses, "master": master,
                          **({"sentinel_password": sentinel_password} if sentinel_password else {})},
        "RQ_CONNECTION_CLASS": SENTINEL_FACTORY,
        # The limits library's own Sentinel storage; rate_limit_storage adds the database and password.
        "RATELIMIT_STORAGE_URI": f"redis+sentinel://{locations}/{master}",
    }


def _url_options(redis_url: str) -> dict[str, Any]:
    """The database number and credentials of REDIS_URL (what a Sentinel-found master is used with)."""
    parts = urlsplit(redis_url)
    options: dict[str, Any] = {"db": int(parts.path.strip("/") or 0)}
    if parts.password:
        options["password"] = unquote(parts.password)
    if parts.username:
        options["username"] = unquote(parts.username)
    return options


def _sentinel_options(password: str | None) -> dict[str, Any]:
    """How a client talks to the sentinels themselves: short timeouts, and their own password or none."""
    return {"socket_timeout": SENTINEL_TIMEOUT_S, "socket_connect_timeout": SENTINEL_TIMEOUT_S,
            "password": password or None}


def sentinel_master(*, url: str, sentinels: Sequence[Any], master: str, sentinel_password: str | None = None,
                    **options: Any) -> Redis:
    """A client of whichever server the sentinels name as ``master`` now (Flask-RQ's connection factory)."""
    # The timeouts are for the sentinels only: the master's connections keep ``options`` (a worker's
    # blocking pop must not time out).
    manager = Sentinel(parse_sentinels(sentinels), sentinel_kwargs=_sentinel_options(sentinel_password))
    return manager.master_for(master, **{**_url_options(url), **options})


def connect(config: Any, **options: Any) -> Redis:
    """The app's Redis client for ``config`` (socket timeouts etc. in ``options``)."""
    if config.get("REDIS_SENTINELS"):
        return sentinel_master(url=config["REDIS_URL"], sentinels=config["REDIS_SENTINELS"],
                               master=config["REDIS_SENTINEL_MASTER"],
                               sentinel_password=config.get("REDIS_SENTINEL_PASSWORD"), **options)
    return Redis.from_url(config["REDIS_URL"], **options)


def rate_limit_storage(config: Any, **options: Any) -> Any:
    """The limits library's storage at RATELIMIT_STORAGE_URI (a ``redis+sentinel://`` one follows a failover)."""
    from limits import storage

    uri = config["RATELIMIT_STORAGE_URI"]
    if uri.startswith("redis+sentinel://"):
        # Counts are read back at once (moving windows): from the master, never a lagging replica.
        # (limits would send the data servers' password to the sentinels unless told their own.)
        options = {**_url_options(config["REDIS_URL"]), "use_replicas": False,
                   "sentinel_kwargs": _sentinel_options(config.get("REDIS_SENTINEL_PASSWORD")), **options}
    return storage.storage_from_string(uri, **options)
