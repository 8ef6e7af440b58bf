"""Figure: what writing JSON answers with orjson (hazardloop/json_provider.py) saves per request.

Seeds the demo into a throwaway SQLite database (its own redis-server), logs in as the 区安委办
supervisor and, in one process through the test client, alternates Flask's own JSON provider and
ours over the same requests — the hazard list (first page, up to 50 rows, with counts) and one
hazard's page — for --rounds rounds of --requests each. Prints the process CPU per request of each
(median and spread of the rounds), the share saved and the answer's bytes.

In-process on purpose: under wrk through gunicorn (read_concurrency.py) a few per cent vanish in the
spread of a loaded 2-core machine; the process CPU of the same requests in alternating rounds does not.

Run:  .venv/bin/python benchmarks/json_answers.py [--rounds 10] [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from photo_upload import start_redis, stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} · {os.cpu_count()} CPUs · Python {platform.python_version()}; "
          f"load average {os.getloadavg()[0]:.2f}")
    redis_proc, redis_url = start_redis()
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            env = {"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "REDIS_URL": redis_url,
                   "HAZARDLOOP_INSTANCE_PATH": str(tmp / "instance"), "STORAGE_DIR": str(tmp / "storage")}
            os.environ.update(env)
            cli = Path(sys.executable).with_name("hazardloop")
            for command in (["db", "upgrade"], ["checklists", "sync"], ["seed-demo"]):
                subprocess.run([str(cli), *command], check=True, capture_output=True, cwd=tmp)
            measure(args)
    finally:
        stop(redis_proc)


def measure(args: argparse.Namespace) -> None:
    from flask.json.provider import DefaultJSONProvider

    from hazardloop import create_app
    from hazardloop.json_provider import FastJSONProvider

    app = create_app()
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"mobile": "13800000002", "password": "Demo@2026"})
    assert login.status_code == 200, login.get_data()
    listed = client.get("/api/v1/hazards?limit=50").get_json()["items"]
    urls = {"list": "/api/v1/hazards?limit=50", "detail": f"/api/v1/hazards/{listed[0]['id']}"}
    providers = {"Flask's own": DefaultJSONProvider(app), "orjson": FastJSONProvider(app)}
    cpu: dict[tuple[str, str], list[float]] = {(p, u): [] for p in providers for u in urls}
    size: dict[tuple[str, str], int] = {}
    for _ in range(args.rounds):
        for provider_name, provider in providers.items():
            app.json = provider
            for url_name, url in urls.items():
                for _ in range(20):  # warm: the same statements, caches and connections for both
                    client.get(url)
                start = time.process_time()
                for _ in range(args.requests):
                    answer = client.get(url)
                    assert answer.status_code == 200
                cpu[(provider_name, url_name)].append((time.process_time() - start) / args.requests * 1000)
                size[(provider_name, url_name)] = len(answer.get_data())
    print(f"{len(listed)} rows in the list; {args.rounds} alternating rounds of {args.requests} requests")
    for url_name in urls:
        old, new = (cpu[(p, url_name)] for p in providers)
        old_bytes, new_bytes = (size[(p, url_name)] for p in providers)
        ratio = 100 * statistics.median(new) / statistics.median(old)
        print(f"  {url_name:7s} CPU/request: Flask's own {statistics.median(old):.2f} ms [{min(old):.2f}–"
              f"{max(old):.2f}], orjson {statistics.median(new):.2f} ms [{min(new):.2f}–{max(new):.2f}]"
              f" = {ratio:.0f} % of it; bytes {old_bytes:,} → {new_bytes:,}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
