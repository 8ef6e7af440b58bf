"""Figure: what one inspection of the sync rush costs the server — statements, flushes and CPU per request.

The sync rush (sync_rush.py) is a closed loop on two cores: its latencies follow from the CPU a round costs,
so a change to the inspection request is measured here, in-process and alone, where a few milliseconds
show. Builds the sync rush's world on a throwaway PostgreSQL database (one grid, 8 small restaurants, a grid
worker), then POSTs --rounds inspections through the WSGI app, each after uploading its photos as the PWA
does (1600 px JPEGs): every answer 不符合 with one photo, items drawn from the checklist's 符合/不符合 items,
so after the first rounds most findings are hazards the site already has open (重复发现), as in a rush.

Prints, over the second half of the rounds: the median and mean CPU of the inspection request (this
process: the app's Python, not PostgreSQL), its statements and session flushes, and the statements of the
last request by kind. To compare two commits, run it once from each checkout (or with
PYTHONPATH=<checkout>/backend), alternating, on a quiet machine.

Run:  .venv/bin/python benchmarks/inspection_cost.py [--rounds 60] [--photos 3]
      [--pg-server postgresql://postgres@127.0.0.1:5432/]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hazard_list import DEFAULT_PG_SERVER, PASSWORD, machine, make_app, throwaway_database
from photo_derivatives import realistic_jpeg
from photo_upload import BOUNDARY, multipart, variant
from sync_rush import CHECKLIST, build, inspection_body, pwa_jpeg


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--photos", type=int, default=3, help="photos (and 不符合 answers) per inspection")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    args = parser.parse_args()
    print(f"machine: {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    with throwaway_database(args.pg_server) as url:
        app = make_app(url)
        mobiles, sites = build(app, 1)
        client = app.test_client()
        login = client.post("/api/v1/auth/login", json={"mobile": mobiles[0], "password": PASSWORD})
        headers = {"X-CSRF-Token": login.get_json()["csrf_token"]}
        content = client.get("/api/v1/checklists/{}/versions/{}".format(*CHECKLIST)).get_json()["content"]
        items = [i for s in content["sections"] for i in s["items"] if i["answer"]["type"] == "compliance"]
        with app.app_context():
            from hazardloop.extensions import db

            engine = db.engine

        recording = False
        statements: Counter[str] = Counter()
        flushes = 0

        def on_statement(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if recording:
                statements[" ".join(statement.split())[:100]] += 1

        def on_flush(*rest: Any) -> None:
            nonlocal flushes
            if recording:
                flushes += 1

        event.listen(engine, "before_cursor_execute", on_statement)
        event.listen(Session, "after_flush", on_flush)
        photo = pwa_jpeg(realistic_jpeg())
        rng = random.Random(1)
        cpu, counts, flush_counts = [], [], []
        uploaded = 0
        for n in range(args.rounds):
            photo_ids = []
            for _ in range(args.photos):
                uploaded += 1
                response = client.post("/api/v1/photos", data=multipart(variant(photo, uploaded)),
                                       headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
                photo_ids.append(response.get_json()["id"])
            body = inspection_body(sites[0], rng.sample(items, args.photos), photo_ids)
            statements.clear()
            flushes, recording = 0, True
            started = time.process_time()
            response = client.post("/api/v1/inspections", json=body, headers=headers)
            spent = time.process_time() - started
            recording = False
            assert response.status_code == 201, response.get_json()
            if n >= args.rounds // 2:
                cpu.append(1000 * spent)
                counts.append(sum(statements.values()))
                flush_counts.append(flushes)
        repeats = sum(h["how"] == "observed_again" for h in response.get_json()["hazards"])
        print(f"{args.rounds} inspections of {args.photos} 不符合 answers with a photo each, {len(items)} items to "
              f"draw from (the last one: {repeats} of {args.photos} findings seen again); over the last {len(cpu)}:")
        print(f"  inspection request CPU (this process): median {statistics.median(cpu):.1f} ms, "
              f"mean {statistics.mean(cpu):.1f} ms")
        print(f"  statements: median {statistics.median(counts):.0f}; session flushes: median "
              f"{statistics.median(flush_counts):.0f}")
        print("  the last request's statements by kind:")
        for statement, count in statements.most_common():
            print(f"    {count:3d}  {statement}")
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
