"""A throwaway Redis master, its replica and three Redis Sentinels (哨兵) on free loopback ports.

The machine's own ``redis-server`` plays every part (``--sentinel`` makes it a sentinel), nothing is
persisted, and every process is stopped at the end. Short sentinel timeouts (1 s to call the master
down) keep a failover to a few seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import redis

from tests.conftest import free_port

MASTER_NAME = "city"
DOWN_AFTER_MS = 1000


def _wait(what: str, check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except (redis.ConnectionError, redis.ResponseError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class SentinelRedis:
    """Master + replica + 3 sentinels (quorum 2), each its own process."""

    def __init__(self, directory: Path, *, data_password: str | None = None,
                 sentinel_password: str | None = None) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise RuntimeError("缺少 redis-server：请运行 ./dev test（它会安装 Debian 的 redis-server）。")
        self.server = server
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.master_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        # Each a separate secret, as an operator sets them: the data servers' requirepass (+ masterauth)
        # and the sentinels' own requirepass.
        self.data_password, self.sentinel_password = data_password, sentinel_password

    @property
    def sentinels(self) -> str:
        """REDIS_SENTINELS as an operator writes it."""
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def client(self, port: int) -> redis.Redis:
        password = self.sentinel_password if port in self.sentinel_ports else self.data_password
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, password=password)

    def _start(self, name: str, *args: str) -> None:
        with open(self.dir / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
            self.procs[name] = subprocess.Popen([self.server, *args], stdout=log, stderr=subprocess.STDOUT,
                                                cwd=self.dir)

    def _data_node(self, name: str, port: int, *extra: str) -> None:
        node_dir = self.dir / name
        node_dir.mkdir(exist_ok=True)
        auth = ["--requirepass", self.data_password, "--masterauth", self.data_password] if self.data_password else []
        self._start(name, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                    "--dir", str(node_dir), *auth, *extra)

    def start(self) -> None:
        self._data_node("master", self.master_port)
        _wait("the master", lambda: self.client(self.master_port).ping())
        self._data_node("replica", self.replica_port, "--replicaof", "127.0.0.1", str(self.master_port))
        _wait("the replica's sync", lambda: self.client(self.replica_port).info("replication")
              .get("master_link_status") == "up")
        for i, port in enumerate(self.sentinel_ports):
            conf = self.dir / f"sentinel-{i}.conf"  # a sentinel rewrites its file: one each
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.dir}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
                f"sentinel failover-timeout {MASTER_NAME} 10000\n"
                f"sentinel parallel-syncs {MASTER_NAME} 1\n"
                + (f"sentinel auth-pass {MASTER_NAME} {self.data_password}\n" if self.data_password else "")
                + (f"requirepass {self.sentinel_password}\nsentinel sentinel-pass {self.sentinel_password}\n"
                   if self.sentinel_password else ""))
            self._start(f"sentinel-{i}", str(conf), "--sentinel")
        # Ready when each sentinel knows the replica and the two other sentinels (hello messages, every 2 s).
        for port in self.sentinel_ports:
            sentinel = self.client(port)
            _wait(f"sentinel {port} to know the replica",
                  lambda s=sentinel: any(int(r.get("port", 0)) == self.replica_port
                                         for r in s.sentinel_slaves(MASTER_NAME)))
            _wait(f"sentinel {port} to know the others",
                  lambda s=sentinel: len(s.sentinel_sentinels(MASTER_NAME)) == 2)

    def master_port_now(self) -> int:
        """The master's port as the first sentinel that answers names it."""
        for port in self.sentinel_ports:
            try:
                return int(self.client(port).sentinel_get_master_addr_by_name(MASTER_NAME)[1])
            except redis.ConnectionError:
                continue
        raise AssertionError("no sentinel answers")

    def wait_for_failover(self, timeout: float = 30.0) -> float:
        """Seconds until every sentinel names the replica as the master."""
        started = time.monotonic()
        _wait("the failover", lambda: all(
            int(self.client(p).sentinel_get_master_addr_by_name(MASTER_NAME)[1]) == self.replica_port
            for p in self.sentinel_ports) and self.client(self.replica_port).info("replication")["role"] == "master",
            timeout)
        return time.monotonic() - started

    def cut_replication(self) -> None:
        """From now on the master's writes reach only the master (until it dies): the replica is frozen and
        its link closed, so it can neither read them nor reconnect."""
        os.kill(self.procs["replica"].pid, signal.SIGSTOP)
        self.client(self.master_port).client_kill_filter(_type="slave")  # redis-py: "slave" = a replica

    def kill_master_and_thaw_replica(self) -> None:
        self.procs["master"].kill()  # SIGKILL: no goodbye, whatever it held and did not replicate is gone
        self.procs["master"].wait(10)
        os.kill(self.procs["replica"].pid, signal.SIGCONT)

    def stop(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is None:
                if name == "replica":
                    os.kill(proc.pid, signal.SIGCONT)
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
