"""Throwaway PostgreSQL servers on loopback ports: a primary and its streaming standby (``pg_basebackup -R``).

The machine's own PostgreSQL programs (/usr/lib/postgresql/*/bin), TCP only, trust from loopback, run as the
``postgres`` user when the caller is root (PostgreSQL refuses to run as root). Used by the hot-standby tests
and the cluster test (scripts/cluster.py).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import free_port

PG_BIN = max(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), default=None)


def _as_postgres() -> dict[str, Any]:
    """PostgreSQL refuses to run as root: its programs then run as the postgres user."""
    return {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
    """Poll ``condition`` until it holds; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class LocalPostgres:
    """One PostgreSQL data directory on its own loopback port (TCP only, trust from loopback)."""

    def __init__(self, root: Path, name: str) -> None:
        self.port = free_port()
        self.data = root / name
        self.log = root / f"{name}.log"

    def run(self, program: str, *args: str, timeout: float = 60) -> str:
        # From a folder the postgres user may enter (the checkout may be closed to it).
        result = subprocess.run([f"{PG_BIN}/{program}", *args], capture_output=True, text=True, timeout=timeout,
                                cwd=self.data.parent, **_as_postgres())
        assert result.returncode == 0, f"{program} {' '.join(args)}: {result.stderr}\n{self.tail()}"
        return result.stdout

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                 "-o", f"-p {self.port}", "start")

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def promote(self) -> None:
        """``pg_ctl promote``: the standby ends recovery and accepts writes."""
        self.run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, query: str, database: str = "postgres") -> Any:
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{database}", autocommit=True,
                             connect_timeout=5) as conn:
            cursor = conn.execute(query)
            row = cursor.fetchone() if cursor.description else None
            return row[0] if row else None


class Pair:
    """A primary and its streaming standby."""

    def __init__(self, *, max_connections: int = 60) -> None:
        if PG_BIN is None:
            raise RuntimeError("缺少 PostgreSQL 服务器程序（/usr/lib/postgresql/*/bin）：请运行 ./dev test 安装。")
        self.max_connections = max_connections
        self.root = Path(tempfile.mkdtemp(prefix="hazardloop-standby-"))
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self.primary = LocalPostgres(self.root, "primary")
        self.standby = LocalPostgres(self.root, "standby")

    def start(self) -> None:
        self.primary.run("initdb", "-D", str(self.primary.data), "-U", "postgres", "--auth=trust", "--no-sync",
                         "--encoding=UTF8", "--locale=C.UTF-8")
        with (self.primary.data / "postgresql.conf").open("a") as conf:
            # fsync off: a test cluster; a stop -m immediate below is a process crash, the OS keeps the files.
            conf.write("listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nfsync = off\n"
                       f"shared_buffers = 32MB\nmax_connections = {self.max_connections}\n"
                       "hot_standby_feedback = on\nwal_receiver_status_interval = 1s\n")
        self.primary.start()
        self.primary.run("pg_basebackup", "-D", str(self.standby.data), "-R", "-X", "stream", "--checkpoint=fast",
                         "-d", f"host=127.0.0.1 port={self.primary.port} user=postgres")
        self.standby.start()
        self.wait_caught_up()

    def wait_caught_up(self) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        target = self.primary.sql("SELECT pg_current_wal_lsn()::text")
        wait_for(lambda: self.standby.sql(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"), "standby replay")

    def synchronous(self) -> None:
        """Synchronous replication: a commit is acknowledged once it is on the standby's disk too.

        Set after the base backup, so the standby's own configuration never waits for a standby of its own.
        """
        self.primary.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.primary.sql("SELECT pg_reload_conf()")
        wait_for(lambda: self.primary.sql("SELECT sync_state FROM pg_stat_replication") == "sync", "a sync standby")

    def url(self, database: str) -> str:
        hosts = f"host=127.0.0.1:{self.primary.port}&host=127.0.0.1:{self.standby.port}"
        return f"postgresql+psycopg://postgres@/{database}?{hosts}&target_session_attrs=read-write"

    def stop(self) -> None:
        for node in (self.standby, self.primary):
            # Already gone (a crashed primary): the folder goes next either way.
            with contextlib.suppress(AssertionError, subprocess.TimeoutExpired):
                node.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
