"""The cluster test, short: a city on this machine loses a web node, a worker mid-job, its Redis master and its
PostgreSQL primary during a sync burst, and no acknowledged write is lost or doubled.

Runs ``scripts/cluster.py`` (what ``./dev cluster`` runs, README "Running a city") with few phones and a short
burst: 2 web nodes behind nginx, 2 workers, PostgreSQL primary + synchronous streaming standby each behind its
PgBouncer (transaction mode), Redis master + replica + 3 Sentinels, moto's S3 server — separate processes on
loopback ports. The script waits here only briefly for the killed worker's job (RQ abandons it after its
execution's 90 s heartbeat; the full run prints that recovery).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.nginx import NGINX
from tests.support.pgbouncer import PGBOUNCER
from tests.support.postgres import PG_BIN

ROOT = Path(__file__).resolve().parents[2]


def test_a_sync_burst_through_four_faults_loses_and_doubles_nothing_and_the_backup_verifies(tmp_path):
    programs = (("PostgreSQL", PG_BIN), ("pgbouncer", PGBOUNCER), ("nginx", NGINX))
    missing = [name for name, found in programs if not found]
    if missing:
        pytest.fail(f"缺少 {'、'.join(missing)}：请运行 ./dev test（它会安装 Debian 的这些软件包）。")
    figures = tmp_path / "cluster.json"
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "cluster.py"), "--phones", "4", "--duration", "24",
                          "--drain-timeout", "5", "--recovery-timeout", "15", "--json", str(figures)],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    print(run.stdout[-6000:], run.stderr[-3000:])
    assert figures.exists(), run.stdout[-3000:] + run.stderr[-5000:]
    result = json.loads(figures.read_text())

    assert result["acknowledged"]["inspections"] > 0 and result["acknowledged"]["photos"] > 0, run.stdout[-3000:]
    assert result["lost"] == {"inspections": 0, "photos": 0, "total": 0}
    assert result["duplicates"] == 0
    assert result["gave_up"] == []  # every error a phone saw was one the outbox retries
    faults = {f["name"]: f for f in result["faults"]}
    assert len(faults) == 4
    assert any("while running job" in note for note in faults["worker killed mid-job"]["notes"]), faults
    assert faults["Redis master killed, Sentinel failover"]["recovered_s"] is not None
    assert faults["PostgreSQL primary lost, standby promoted"]["recovered_s"] is not None
    assert faults["web node killed"]["recovered_s"] is not None
    assert result["audit_verify"]["returncode"] == 0 and "哈希链完整" in result["audit_verify"]["output"]
    backup = result["backup_verify"]
    assert backup["returncode"] == 0 and "结论：备份可用。" in backup["output"], backup["output"]
    assert "缺失 0 张，内容与哈希不符 0 张" in backup["output"]
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
