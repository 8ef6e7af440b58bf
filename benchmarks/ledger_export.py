"""Figure: peak memory and time of the 隐患台账 export (GET /api/v1/hazards/export.xlsx) of 100,000 rows.

Generates 100,000 hazards over 2,000 sites into a throwaway PostgreSQL database (the same
generator as ``hazard_list.py``), then runs the export in a fresh subprocess through the Flask
test client as an administrator, streaming the response to a file. The child reports its peak
resident set (``getrusage(RUSAGE_SELF).ru_maxrss``) before and after the export; the parent
counts the rows of the file it wrote. Goal: peak < 200 MB.

Run:  .venv/bin/python benchmarks/ledger_export.py [--hazards 100000] [--sites 2000]
      [--pg-server postgresql://postgres@127.0.0.1:5432/]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

from hazard_list import DEFAULT_PG_SERVER, generate, logged_in, machine, make_app, make_user, throwaway_database


def child(url: str, mobile: str, out_path: str) -> None:
    """Runs in the subprocess: one export, streamed to ``out_path``; prints JSON figures."""
    from hazardloop import create_app

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                      "SCHEMA_CHECK": False, "TESTING": True, "RATELIMIT_STORAGE_URI": redis_url,
                      "RATELIMIT_KEY_PREFIX": "benchledger", "PASSWORD_HASH_MEMORY_KIB": 1024,
                      "PASSWORD_HASH_TIME_COST": 1})
    client = logged_in(app, mobile)
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get("/api/v1/hazards/export.xlsx", buffered=False)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    size = 0
    with open(out_path, "wb") as out:
        for chunk in response.response:
            out.write(chunk)
            size += len(chunk)
    response.close()
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "bytes": size, "before_kib": before_kib, "peak_kib": peak_kib}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=2_000)
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--child", nargs=3, metavar=("URL", "MOBILE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(machine())
    with throwaway_database(args.pg_server) as url, tempfile.TemporaryDirectory() as tmp:
        app = make_app(url)
        generate(app, url, sites=args.sites, hazards=args.hazards)
        mobile = make_user(app, "admin", None)
        with app.app_context():
            from hazardloop.extensions import db

            db.engine.dispose()
        out_path = os.path.join(tmp, "ledger.xlsx")
        result = subprocess.run([sys.executable, __file__, "--child", url, mobile, out_path],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            sys.exit(result.stderr)
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        from openpyxl import load_workbook

        book = load_workbook(out_path, read_only=True)
        rows = sum(1 for _ in book.active.iter_rows(values_only=True)) - 1
        book.close()
        peak_mb, before_mb = figures["peak_kib"] / 1024, figures["before_kib"] / 1024
        print(f"export of {rows:,} rows: {figures['seconds']:.1f} s, file {figures['bytes'] / 1e6:.1f} MB")
        print(f"child process peak RSS: {peak_mb:.0f} MB (after app start and login: "
              f"{before_mb:.0f} MB; export added {peak_mb - before_mb:.0f} MB)")
        print(f"goal < 200 MB peak: {'met' if peak_mb < 200 else 'NOT met'}")


if __name__ == "__main__":
    main()
