"""The `hazardloop` console script and a real RQ worker running a job in the app context."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hazardloop.system.jobs import health_check
from tests.support.cli import HAZARDLOOP, run_cli


def test_help_lists_the_commands():
    result = subprocess.run([HAZARDLOOP, "--help"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 0, result.stderr
    for command in ("db", "seed-demo", "create-user", "run", "worker"):
        assert command in result.stdout


def test_serving_commands_refuse_an_unmigrated_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'old.db'}"}
    result = subprocess.run([HAZARDLOOP, "run"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "hazardloop db upgrade" in result.stderr


def test_db_upgrade_builds_a_fresh_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    result = subprocess.run([HAZARDLOOP, "db", "upgrade"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.db").exists()


def test_create_user_then_log_in(app, cli_env, api):
    result = run_cli("create-user", "--mobile", "13712345678", "--name", "管理员", "--role", "admin",
                     env={**cli_env, "HAZARDLOOP_PASSWORD": "Adm1n-pass"})
    assert result.returncode == 0, result.stderr
    assert "已创建用户" in result.stdout
    assert api.login("13712345678", "Adm1n-pass").status_code == 200


def test_create_user_reports_bad_input_without_a_traceback(app, cli_env):
    result = run_cli("create-user", "--mobile", "123", "--name", "x", "--role", "admin",
                     env={**cli_env, "HAZARDLOOP_PASSWORD": "Adm1n-pass"})
    assert result.returncode != 0
    assert "手机号" in result.stderr and "Traceback" not in result.stderr


def test_worker_runs_the_health_check_job_with_the_database(app, cli_env):
    job = health_check.enqueue("ping-123")
    result = run_cli("worker", "--burst", env=cli_env, timeout=120)
    assert result.returncode == 0, result.stderr
    job.refresh()
    assert job.get_status() == "finished", result.stderr
    assert job.return_value() == {"token": "ping-123", "database": app.config["SQLALCHEMY_DATABASE_URI"]
                                  .split(":")[0].split("+")[0]}


def test_data_folder_syncs_are_all_or_nothing_with_their_problems_listed(app, cli_env, tmp_path):
    broken = Path(__file__).resolve().parents[1] / "checklists" / "broken" / "dangling-ref"
    refused = run_cli("checklists", "sync", str(broken), env=cli_env)
    assert refused.returncode != 0
    assert "checklist.yaml:" in refused.stderr and "同步失败，数据库未作任何修改" in refused.stderr
    assert "Traceback" not in refused.stderr
    for command, words in ((("checklists", "sync"), "新检查表"), (("risks", "sync"), "风险点模板")):
        done = run_cli(*command, env=cli_env)
        assert done.returncode == 0, done.stderr
        assert words in done.stdout
