"""A throwaway PgBouncer (Debian's, installed by ./dev test) on a free loopback port, in transaction mode.

In front of one PostgreSQL server, trust from loopback; used by the PgBouncer test and the cluster test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg

from tests.conftest import free_port

PGBOUNCER = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None)
MISSING = ("缺少 pgbouncer，无法验证经 PgBouncer（事务模式）运行：请运行 ./dev test（它会安装 Debian 的 pgbouncer），"
           "或 sudo apt-get install pgbouncer。")


class PrivateBouncer:
    """pgbouncer on its own port: pool_mode=transaction, ``pool_size`` server connections, trust from loopback.

    At least two: the audit chain heads, created on a database's first write, are inserted on a second
    connection while the first holds its transaction, which on one server connection waits forever.
    """

    def __init__(self, postgres_url: str, *, pool_size: int = 2) -> None:
        target = urlsplit(postgres_url)
        self.port = free_port()
        self.user = target.username or "postgres"
        # Its own folder, readable by the unprivileged user pgbouncer switches to when started as root.
        self.dir = Path(tempfile.mkdtemp(prefix="hazardloop-pgbouncer-"))
        self.dir.chmod(0o755)
        (self.dir / "users.txt").write_text(f'"{self.user}" ""\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host={target.hostname or '127.0.0.1'} port={target.port or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {self.dir / 'users.txt'}\n"
            f"admin_users = {self.user}\n"
            f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = 200\n"
            "query_wait_timeout = 15\n"
        )
        for name in ("users.txt", "pgbouncer.ini"):
            (self.dir / name).chmod(0o644)
        self.log = self.dir / "pgbouncer.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        if PGBOUNCER is None:
            raise RuntimeError(MISSING)
        as_user = ["-u", "nobody"] if os.geteuid() == 0 else []  # pgbouncer refuses to run as root
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([PGBOUNCER, *as_user, str(self.dir / "pgbouncer.ini")], stdout=out,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres", connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("pgbouncer did not start: " + self.log.read_text()[-2000:]) from None
                time.sleep(0.1)

    def show(self, what: str) -> list[dict[str, Any]]:
        """A SHOW command on pgbouncer's admin console (simple query protocol only)."""
        with psycopg.connect(f"postgresql://{self.user}@127.0.0.1:{self.port}/pgbouncer", autocommit=True,
                             cursor_factory=psycopg.ClientCursor) as conn, conn.cursor() as cur:
            cur.execute(f"SHOW {what}")
            names = [c.name for c in cur.description or []]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
