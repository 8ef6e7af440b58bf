"""Redis with Sentinel: the app, RQ's workers and the rate limiter follow a failover; lost jobs come back.

A master, its replica and three sentinels (tests/support/sentinel.py); the app in this process and a
`hazardloop worker` process are given only REDIS_SENTINELS and REDIS_SENTINEL_MASTER. Photos uploaded
just before the master dies get derivative jobs that exist only on that master (replication is cut
first, as when a master dies with writes its replica never saw); after the failover the outbox relay
(run by the worker's cron scheduler) finds them missing on the new master and queues them again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from rq.job import Job
from sqlalchemy import select

from hazardloop.redis_connection import parse_sentinels, redis_settings
from tests.conftest import PASSWORD, ApiClient, build_district, make_test_config, new_user
from tests.support.cli import HAZARDLOOP
from tests.support.imagefiles import jpeg
from tests.support.sentinel import MASTER_NAME, SentinelRedis


def test_sentinel_settings_build_every_client_from_the_sentinels():
    settings = redis_settings("redis://:s3cret@ignored:6379/2", "10.0.0.1:26379, 10.0.0.2:26379", "city")
    assert settings["REDIS_SENTINELS"] == [("10.0.0.1", 26379), ("10.0.0.2", 26379)]
    assert settings["RQ_CONNECTION"] == {"url": "redis://:s3cret@ignored:6379/2",
                                         "sentinels": [("10.0.0.1", 26379), ("10.0.0.2", 26379)], "master": "city"}
    assert settings["RATELIMIT_STORAGE_URI"] == "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/city"
    plain = redis_settings("redis://cache:6379/0")
    assert plain["RQ_CONNECTION"] == plain["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    with pytest.raises(ValueError, match="同时设置"):
        redis_settings("redis://cache:6379/0", "10.0.0.1:26379")
    with pytest.raises(ValueError, match="主机:端口"):
        parse_sentinels("10.0.0.1")


@pytest.fixture
def sentinel_redis(tmp_path: Path) -> Iterator[SentinelRedis]:
    cluster = SentinelRedis(tmp_path / "redis")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _wait_until(what: str, check: object, timeout: float) -> float:
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        assert time.monotonic() - started < timeout, f"timed out after {timeout} s waiting for {what}"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.postgresql_only  # a worker process on the shared database, as a second machine runs it
def test_app_workers_and_limiter_follow_a_sentinel_failover_and_lost_jobs_are_queued_again(
        app, sentinel_redis, tmp_path):
    from hazardloop import create_app
    from hazardloop.evidence.models import Photo
    from hazardloop.evidence.services import receive_photo
    from hazardloop.extensions import db
    from hazardloop.outbox.models import OutboxMessage

    cluster = sentinel_redis
    redis_url = f"redis://127.0.0.1:{cluster.master_port}/0"  # only its database number is used
    config = {**make_test_config(app.config["SQLALCHEMY_DATABASE_URI"], redis_url, tmp_path),
              **redis_settings(redis_url, cluster.sentinels, MASTER_NAME),
              "LOGIN_FREE_FAILURES": 1, "LOGIN_LIMIT_PER_ADDRESS": "3 per minute", "SCHEMA_CHECK": False}
    node = create_app(config)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
           "REDIS_SENTINELS": cluster.sentinels, "REDIS_SENTINEL_MASTER": MASTER_NAME,
           "STORAGE_DIR": config["STORAGE_DIR"], "HAZARDLOOP_INSTANCE_PATH": str(tmp_path / "worker-instance"),
           "VAPID_PRIVATE_KEY_FILE": config["VAPID_PRIVATE_KEY_FILE"], "PHOTO_DERIVATIVES_HOLD_S": "0"}
    worker_log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115 - read back in the messages below
    worker = subprocess.Popen([HAZARDLOOP, "worker", "--processes", "1", "--name", "failover"], env=env,
                              stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)

    def log() -> str:
        worker_log.seek(0)
        return worker_log.read()[-4000:]

    with node.app_context():
        try:
            district = build_district()
            grid_worker = new_user("grid_worker", region=district.grid_a1)
            shade = iter(range(10, 250, 10))

            def upload() -> tuple[str, int]:
                photo, _ = receive_photo(jpeg(color=(200, next(shade), 40)), uploader=grid_worker)
                db.session.commit()  # the derivative job is handed to RQ after the commit
                message = db.session.scalar(select(OutboxMessage.id).where(
                    OutboxMessage.dedupe_key.startswith(f"photo.derivatives:{photo.id}:")))
                assert message is not None
                return photo.id, message

            def derived(photo_ids: list[str]) -> bool:
                db.session.expire_all()
                return all(db.session.get(Photo, p).derivatives_status == "ready" for p in photo_ids)

            before = [upload()]
            # Generous: a worker builds the app and imports every module first (slow on a busy machine).
            _wait_until("the worker to make the first photo's derivatives",
                        lambda: derived([p for p, _ in before]), 120)

            # A photo whose derivative job waits a few seconds (RQ's scheduled jobs), replicated before the failover:
            # RQ's scheduler must queue it on the new master when it is due.
            node.config["PHOTO_DERIVATIVES_HOLD_S"] = 8
            survivor = [upload()]
            replica = cluster.client(cluster.replica_port)
            _wait_until("the replica to hold the scheduled job",
                        lambda: Job.exists(f"outbox-{survivor[0][1]}", connection=replica), 10)
            # Photos whose derivative jobs wait for their inspection (PHOTO_DERIVATIVES_HOLD_S), written only to
            # the master: then it dies.
            node.config["PHOTO_DERIVATIVES_HOLD_S"] = 60
            cluster.cut_replication()
            lost = [upload() for _ in range(3)]
            old_master = cluster.client(cluster.master_port)
            assert all(Job.exists(f"outbox-{m}", connection=old_master) for _, m in lost)
            cluster.kill_master_and_thaw_replica()
            failover_s = cluster.wait_for_failover()
            new_master = cluster.client(cluster.replica_port)
            assert not any(Job.exists(f"outbox-{m}", connection=new_master) for _, m in lost), \
                "the replica received the jobs after all: nothing was lost, so nothing proves the relay"

            # The app's own client: the health check answers from the new master.
            client = ApiClient(node.test_client())
            health = client.get("/api/v1/health").get_json()
            assert health["redis"] == "ok", health

            # The rate limiter counts on the new master: one free failure, then the wait.
            assert client.login(grid_worker.mobile, "wrong").status_code == 401
            refused = client.login(grid_worker.mobile, PASSWORD)
            assert refused.status_code == 429, refused.get_json()
            prefix = node.config["RATELIMIT_KEY_PREFIX"]
            assert new_master.keys(f"{prefix}:login:pair:*")  # the throttle's own client
            assert new_master.keys(f"*{prefix}:login:address:*")  # the limits library's moving window

            # RQ from the app and the running worker: new work is queued on the new master and done.
            node.config["PHOTO_DERIVATIVES_HOLD_S"] = 0
            after = [upload()]
            assert Job.exists(f"outbox-{after[0][1]}", connection=new_master)
            after_s = _wait_until("the worker to take new work from the new master",
                                  lambda: derived([p for p, _ in after]), 40)
            # The lost jobs: the relay (every 10 s, in the worker's cron scheduler) queues them again.
            relay_s = _wait_until("the relay to queue the lost jobs again", lambda: derived([p for p, _ in lost]), 90)
            _wait_until("RQ's scheduler to queue the replicated scheduled job on the new master",
                        lambda: derived([p for p, _ in survivor]), 30)
            assert worker.poll() is None, log()
            db.session.expire_all()
            statuses = {m: db.session.get(OutboxMessage, m).status for _, m in before + survivor + lost + after}
            assert set(statuses.values()) == {"done"}, (statuses, log())
            print(f"\nfailover {failover_s:.1f} s; new work done {after_s:.1f} s later; "
                  f"lost jobs re-queued and done {relay_s:.1f} s after that")
        except BaseException:
            print(log())
            raise
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(10)
            worker_log.close()
            db.session.remove()
            db.engine.dispose()


def test_password_protected_sentinels_are_reached_with_their_own_password_through_a_failover(tmp_path):
    """Sentinels with their own requirepass, data servers with another: REDIS_SENTINEL_PASSWORD reaches the
    sentinels, REDIS_URL's password the master, for the app's client, RQ's connection and the limiter — before
    and after the master dies. Without the sentinels' password no client finds a master."""
    from limits import RateLimitItemPerMinute
    from limits.strategies import MovingWindowRateLimiter
    from redis.sentinel import MasterNotFoundError

    from hazardloop.redis_connection import connect, rate_limit_storage, sentinel_master

    cluster = SentinelRedis(tmp_path / "redis", data_password="data-secret", sentinel_password="sentinel-secret")
    try:
        cluster.start()
        redis_url = "redis://:data-secret@ignored:6379/3"
        config = redis_settings(redis_url, cluster.sentinels, MASTER_NAME, "sentinel-secret")
        assert config["REDIS_SENTINEL_PASSWORD"] == "sentinel-secret"
        app_client = connect(config, socket_timeout=2)
        rq_client = sentinel_master(**config["RQ_CONNECTION"])
        limiter = MovingWindowRateLimiter(rate_limit_storage(config))
        per_minute = RateLimitItemPerMinute(100)

        def all_reach_the_master(value: str) -> bool:
            try:
                app_client.set("probe", value)
                return (rq_client.get("probe") == value.encode() and limiter.hit(per_minute, "login", value)
                        and app_client.info("replication")["role"] == "master")
            except (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError, MasterNotFoundError):
                return False

        assert all_reach_the_master("before")
        # The data servers' password is not the sentinels': without theirs nobody learns the master.
        unauthorised = redis_settings(redis_url, cluster.sentinels, MASTER_NAME)
        with pytest.raises((MasterNotFoundError, redis.AuthenticationError, redis.ResponseError)):
            connect(unauthorised, socket_timeout=2).ping()

        cluster.procs["master"].kill()
        cluster.procs["master"].wait(10)
        cluster.wait_for_failover()
        _wait_until("every client to reach the new master", lambda: all_reach_the_master("after"), 20)
        assert app_client.connection_pool.get_master_address()[1] == cluster.replica_port
    finally:
        cluster.stop()
