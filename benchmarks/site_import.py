"""Figure: 批量导入 of 100,000 sites from one XLSX file — the check (试导入) and the import, on PostgreSQL.

Builds a throwaway database with the app's migrations and a district of 10 streets × 4 communities ×
5 grids with an administrator, writes an XLSX file of N site rows (valid 统一社会信用代码, spread over
the 200 grids), uploads it through ``imports.services.start_import`` and runs the two outbox jobs the
worker would run (``imports.check``, then ``imports.apply`` after confirming), each in a fresh Python
process so that its peak memory (ru_maxrss) is the job's own, as in a worker's forked work-horse.
The same run reads the file alone with openpyxl's streaming reader as the reference (the floor for
any import of this file) and prints each phase's time, rows per second, peak memory and its ratio to
the reference, against the goals: check < 60 s, import < 120 s, memory < 300 MB. A second check of the
same file after the import (everything unchanged) is timed too.

Run:  .venv/bin/python benchmarks/site_import.py [--rows 100000] [--pg-server URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

DEFAULT_PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
GOALS = {"check": 60.0, "apply": 120.0, "memory_mb": 300.0}


def _app(url: str, storage: str) -> Any:
    from hazardloop import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": storage, "SCHEMA_CHECK": False,
                       "RQ_ASYNC": False})


def build(url: str, storage: str) -> None:
    from flask_migrate import upgrade

    from hazardloop.accounts.services import GrantSpec, create_user
    from hazardloop.extensions import db
    from hazardloop.regions.services import create_region
    from hazardloop.taxonomy import Role

    app = _app(url, storage)
    with app.app_context():
        upgrade()
        district = create_region(name="基准区", level="district", code="330199")
        for s in range(10):
            street = create_region(name=f"街道{s}", level="street", parent=district)
            for c in range(4):
                community = create_region(name=f"社区{s}-{c}", level="community", parent=street)
                for g in range(5):
                    create_region(name=f"网格{s}-{c}-{g}", level="grid", parent=community)
        create_user(mobile="13800000001", display_name="管理员", password="Bench@2026",
                    grants=[GrantSpec(Role.ADMIN, None, None, None)])
        db.session.commit()


def write_file(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    from hazardloop.sites.credit_code import make_credit_code

    book = Workbook(write_only=True)
    sheet = book.create_sheet("场所")
    sheet.append(["场所名称", "统一社会信用代码", "地址", "所属网格", "场所类别", "监管领域", "经度", "纬度", "联系人",
                  "联系电话", "备注"])
    categories = ["小商店", "小餐饮", "小生产加工", "餐饮", "出租房"]
    for n in range(rows):
        s, c, g = n % 10, (n // 10) % 4, (n // 40) % 5
        sheet.append([f"基准商户{n}", make_credit_code("92330199", f"{n:08d}"), f"基准路{n}号",
                      f"街道{s}/社区{s}-{c}/网格{s}-{c}-{g}", categories[n % 5], "", 120.1 + (n % 1000) / 10000,
                      30.2 + (n % 997) / 10000, "店主", f"139{n % 100_000_000:08d}", ""])
    book.save(path)


def reference(path: Path) -> tuple[float, int]:
    """Seconds to stream every cell of the file with openpyxl, and the row count."""
    from openpyxl import load_workbook

    start = time.perf_counter()
    book = load_workbook(path, read_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True)) - 1
    book.close()
    return time.perf_counter() - start, count


def phase(args: argparse.Namespace) -> None:
    """Child process: run one outbox job of the import and print seconds and peak memory."""
    import resource

    from sqlalchemy import select

    from hazardloop.extensions import db
    from hazardloop.outbox.models import OutboxMessage
    from hazardloop.outbox.services import run_message

    app = _app(args.db, args.storage)
    with app.app_context():
        message_id = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.kind == f"imports.{args.phase}", OutboxMessage.status == "pending"))
        start = time.perf_counter()
        run_message(message_id)
        seconds = time.perf_counter() - start
    print(f"{seconds:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


def _run_phase(name: str, url: str, storage: str) -> tuple[float, float]:
    out = subprocess.run([sys.executable, __file__, "--phase", name, "--db", url, "--storage", storage],
                         capture_output=True, text=True, check=True, env=os.environ)
    seconds, memory = out.stdout.split()[-2:]
    return float(seconds), float(memory)


def upload(url: str, storage: str, path: Path) -> int:
    from sqlalchemy import select
    from werkzeug.datastructures import FileStorage

    from hazardloop.accounts.models import User
    from hazardloop.extensions import db
    from hazardloop.imports.services import start_import

    app = _app(url, storage)
    with app.app_context(), path.open("rb") as f:
        user = db.session.scalar(select(User).where(User.mobile == "13800000001"))
        job = start_import(user=user, upload=FileStorage(f, filename="场所.xlsx"))
        db.session.commit()
        return job.id


def confirm(url: str, storage: str, job_id: int) -> dict[str, Any]:
    from hazardloop.extensions import db
    from hazardloop.imports.models import ImportJob
    from hazardloop.imports.services import confirm_import

    app = _app(url, storage)
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        planned = dict(job.planned)
        problems = job.problem_count
        confirm_import(job, _user(job.created_by_id))
        db.session.commit()
        return {"planned": planned, "problems": problems}


def _user(user_id: int) -> Any:
    from hazardloop.accounts.models import User
    from hazardloop.extensions import db

    return db.session.get(User, user_id)


def applied(url: str, storage: str, job_id: int) -> dict[str, Any]:
    from hazardloop.extensions import db
    from hazardloop.imports.models import ImportJob

    with _app(url, storage).app_context():
        job = db.session.get(ImportJob, job_id)
        return {"status": job.status, "applied": dict(job.applied), "planned": dict(job.planned),
                "problems": job.problem_count}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--phase", choices=["check", "apply"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--storage", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args)
        return
    name = f"hazardloop_bench_import_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.pg_server.rsplit('/', 1)[0]}/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            storage = str(Path(tmp) / "storage")
            build(url, storage)
            path = Path(tmp) / "sites.xlsx"
            write_file(path, args.rows)
            print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                  f"load average {os.getloadavg()[0]:.2f}; file {path.stat().st_size / 1e6:.1f} MB, {args.rows:,} rows")
            ref_seconds, counted = reference(path)
            assert counted == args.rows
            print(f"reference  read every cell with openpyxl (streaming): {ref_seconds:6.1f} s "
                  f"({args.rows / ref_seconds:,.0f} rows/s)")
            figures = []
            job = upload(url, storage, path)
            seconds, memory = _run_phase("check", url, storage)
            state = confirm(url, storage, job)
            assert state["problems"] == 0 and state["planned"]["created"] == args.rows, state
            figures.append(("check (试导入)", seconds, memory, GOALS["check"]))
            seconds, memory = _run_phase("apply", url, storage)
            result = applied(url, storage, job)
            assert result["status"] == "done" and result["applied"]["created"] == args.rows, result
            figures.append(("import (导入)", seconds, memory, GOALS["apply"]))
            again = upload(url, storage, path)
            seconds, memory = _run_phase("check", url, storage)
            result = applied(url, storage, again)
            assert result["planned"]["unchanged"] == args.rows, result
            figures.append(("check again (all unchanged)", seconds, memory, GOALS["check"]))
            for label, seconds, memory, goal in figures:
                ok = "met" if seconds < goal and memory < GOALS["memory_mb"] else "NOT met"
                print(f"{label:<28} {seconds:6.1f} s  {args.rows / seconds:8,.0f} rows/s  "
                      f"×{seconds / ref_seconds:4.1f} of reference  peak {memory:6.1f} MB  "
                      f"(goal < {goal:.0f} s, < {GOALS['memory_mb']:.0f} MB: {ok})")
    finally:
        with psycopg.connect(args.pg_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
