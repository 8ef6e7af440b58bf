"""The long authenticated OpenAPI fuzz: every operation as 管理员, 街道监管 and 网格员; prints the counts.

    python scripts/fuzz.py                         # SQLite in a temporary folder, until 21,000
                                                   # requests (each generated case sent as 3 roles)
    python scripts/fuzz.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python scripts/fuzz.py --only 'hazards' --target-cases 3000 --mode negative

It runs in rounds: every operation gets ``--examples`` new cases per mode in each round, until
``--target-cases`` requests were sent or ``--minutes`` have passed, so a time limit still covers
every operation.

With --database-url a throwaway database is created next to the one named and dropped at the end.
The demo district (hazardloop.demo) is seeded first so generated ids often name real objects.
Exit status 1 when any server error or schema violation was seen.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "backend"))


def _throwaway_postgres(admin_url: str) -> tuple[str, str]:
    import psycopg

    name = f"hazardloop_fuzz_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rsplit('/', 1)[0]}/{name}", name


def _drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL admin URL (a throwaway database is made); "
                                               "default: SQLite in a temporary folder")
    parser.add_argument("--examples", type=int, default=5, help="new cases per operation and mode in each round")
    parser.add_argument("--target-cases", type=int, default=21000, help="stop after this many requests")
    parser.add_argument("--minutes", type=float, default=120, help="stop starting rounds after this long")
    parser.add_argument("--mode", choices=["both", "positive", "negative"], default="both")
    parser.add_argument("--only", help="regular expression on 'METHOD /path' to fuzz a subset")
    parser.add_argument("--seed", type=int, default=None, help="derandomize (same cases every run)")
    parser.add_argument("--show", type=int, default=40, help="distinct failures to print")
    args = parser.parse_args(argv)

    os.environ.setdefault("SECRET_KEY", "fuzz-" + uuid.uuid4().hex)
    from flask_migrate import upgrade
    from schemathesis import GenerationMode

    from hazardloop import create_app
    from hazardloop.demo.seed import seed_demo
    from hazardloop.extensions import db
    from tests.support.fuzzing import DEMO_PASSWORD, FUZZ_ROLES, FuzzReport, fuzz, log_in

    modes = list(GenerationMode) if args.mode == "both" else [GenerationMode(args.mode)]

    tmp = Path(tempfile.mkdtemp(prefix="hazardloop-fuzz-"))
    pg_name = None
    if args.database_url:
        url, pg_name = _throwaway_postgres(args.database_url)
    else:
        url = f"sqlite:///{tmp / 'fuzz.db'}"
    config = {
        "SQLALCHEMY_DATABASE_URI": url,
        "STORAGE_DIR": str(tmp / "storage"),
        "RATELIMIT_KEY_PREFIX": f"fuzz{uuid.uuid4().hex[:8]}",
        "PASSWORD_HASH_MEMORY_KIB": 1024,
        "PASSWORD_HASH_TIME_COST": 1,
    }
    try:
        started = time.monotonic()
        with create_app({**config, "SCHEMA_CHECK": False}).app_context():
            upgrade()
        app = create_app(config)
        with app.app_context():
            seed_demo(password=DEMO_PASSWORD)
            db.session.commit()
            identities = [log_in(app, role) for role in FUZZ_ROLES]
            report, rounds = FuzzReport(), 0
            while report.cases < args.target_cases and time.monotonic() - started < args.minutes * 60:
                fuzz(app, identities, examples=args.examples, modes=modes, only=args.only, seed=args.seed,
                     report=report)
                rounds += 1
                print(f"round {rounds}: {report.summary()}", flush=True)
            db.session.remove()
            db.engine.dispose()
        elapsed = time.monotonic() - started
    finally:
        if pg_name:  # WITH (FORCE) also ends the app's pooled connections
            _drop_postgres(args.database_url, pg_name)
    print(f"database={'postgresql' if pg_name else 'sqlite'} roles={','.join(FUZZ_ROLES)} mode={args.mode} "
          f"rounds={rounds} examples_per_round={args.examples} seconds={elapsed:.0f}")
    print(report.summary())
    slowest = ", ".join(f"{label} {seconds:.0f}s" for label, seconds in report.seconds.most_common(8))
    print(f"slowest operations: {slowest}")
    if report.findings:
        print(report.describe_findings(args.show))
    return 1 if report.server_errors or report.schema_violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
