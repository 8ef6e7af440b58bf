"""Figure: the big tables at city scale — do the per-hazard paths stay flat with 10,000,000 audit events?

Builds two throwaway PostgreSQL databases with the app's own migrations: a city-scale history
(``--events``, default 10,000,000 audit events) and a reference of ``--reference-events`` (100,000) made
the same way. Each holds three years of work over 30 streets / 300 grids / 10,000 sites: inspections (0.16 per
event, each with its ``inspection_submitted`` event, 60 % with a signature photo), hazards (0.106 per event)
found by them, each with its story of about 8–12 events (发现, 交办, 整改通知书, 签收, 催办, 延期, 逾期升级,
报告整改, 复查不通过/通过, 通报; 5 % 当场整改; a story still running today stops today), and ~3 photo rows per
10 events with their links. Events are in time order, hashed with the project's own ``event_digest``
(hazards/events.py) into the hazards' links and the 32 log chains (a hazard's events in the chain its id
points to, as ``append_event`` chooses when nobody else writes), so ``hazardloop audit verify`` passes.
Rows go in by COPY; the secondary indexes and foreign keys of the big tables are dropped while loading and
made again afterwards from their own definitions.

Then, on both databases in alternating rounds through the Flask test client as the district's
supervisor: the hazard detail (with its timeline) cold (a hazard not asked before) and warm (the same one
again), the timeline query alone, ``verify_hazard`` (``hazardloop audit verify --hazard``) and the command
itself in a subprocess, the inspection detail, the console's hazard list of one month (first page) and the
隐患台账 export of that month; the ratio big/reference of each median; EXPLAIN ANALYZE of the per-hazard
and per-inspection statements; table and index sizes; and (``--full-verify``) the whole-log ``audit verify``.
Every figure is printed with the load average (2 shared cores).

Run:  .venv/bin/python benchmarks/big_tables.py [--events 10000000] [--reference-events 100000] [--requests 100]
      [--rounds 3] [--full-verify] [--keep] [--database URL --reference-database URL (reuse kept ones)]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import heapq
import json
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from hazard_list import (
    DEFAULT_PG_SERVER,
    build_regions,
    captured_sql,
    copy_sites,
    explain,
    logged_in,
    machine,
    make_app,
    make_user,
    p95,
    throwaway_database,
)
from psycopg.copy import QueuedLibpqWriter

SEED = 20261203
SPAN_DAYS = 3 * 365
CHAINS = 32
BIG_TABLES = ("audit_events", "inspections", "photos", "photo_links")
LOCAL = dt.timezone(dt.timedelta(hours=8))


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


class Row:
    """The attributes ``event_digest`` reads, without an ORM instance per event (10 M of them)."""

    __slots__ = (
        "actor_id",
        "actor_role",
        "client_event_id",
        "client_time",
        "from_status",
        "hazard_id",
        "inspection_id",
        "kind",
        "note",
        "occurred_at",
        "payload",
        "photo_hashes",
        "prev_global_hash",
        "prev_hash",
        "to_status",
    )


# --- building ---------------------------------------------------------------------------------------------

def _secondary_definitions(conn: psycopg.Connection, table: str) -> tuple[list[tuple[str, str]], list[str]]:
    """(name, definition) of the table's foreign keys and unique constraints, and its plain indexes' DDL."""
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype IN ('f', 'u') ORDER BY contype DESC, conname", (table,)).fetchall()
    indexes = [r[0] for r in conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)", (table, table))]
    return constraints, indexes


def _drop_secondary(conn: psycopg.Connection) -> dict[str, Any]:
    saved = {t: _secondary_definitions(conn, t) for t in BIG_TABLES}
    for table, (constraints, indexes) in saved.items():
        for name, _ in constraints:
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for ddl in indexes:
            conn.execute("DROP INDEX " + ddl.split(" INDEX ", 1)[1].split(" ON ", 1)[0])
    conn.commit()
    return saved


def _restore_secondary(conn: psycopg.Connection, saved: dict[str, Any]) -> None:
    conn.execute("SET maintenance_work_mem = '256MB'")
    for table, (constraints, indexes) in saved.items():
        for ddl in indexes:
            t = time.perf_counter()
            conn.execute(ddl)
            conn.commit()
            print(f"    {ddl[:90]}  {time.perf_counter() - t:.0f} s", flush=True)
        for name, definition in sorted(constraints, key=lambda c: not c[1].startswith("UNIQUE")):
            t = time.perf_counter()
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            conn.commit()
            print(f"    {table}.{name}  {time.perf_counter() - t:.0f} s", flush=True)


def _checklist_version(app: Any, conn: psycopg.Connection) -> tuple[int, list[str]]:
    """The repository's checklists, synced as ``hazardloop checklists sync`` does; the longest one's version."""
    from hazardloop.checklists.services import sync_checklists
    from hazardloop.extensions import db

    with app.app_context():
        sync_checklists()
        db.session.commit()
    version, content = conn.execute(
        "SELECT id, content FROM checklist_versions ORDER BY item_count DESC, id LIMIT 1").fetchone()
    return version, [item["code"] for section in content["sections"] for item in section["items"]]


def _people(app: Any, tree: dict[str, Any]) -> dict[str, Any]:
    supervisor = make_user(app, "supervisor", tree["district"])
    workers = [make_user(app, "grid_worker", grid) for _, _, grid in tree["grids"][:40]]
    with psycopg.connect(_plain(app)) as conn:
        ids = dict(conn.execute("SELECT mobile, id FROM users").fetchall())
    return {"supervisor_mobile": supervisor, "supervisor": ids[supervisor],
            "workers": [ids[m] for m in workers]}


def _plain(app: Any) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://", 1)


def _copy(conn: psycopg.Connection, statement: str) -> Any:
    """COPY through a writer thread, so that hashing goes on while the server takes the rows."""
    cursor = conn.cursor()
    return cursor.copy(statement, writer=QueuedLibpqWriter(cursor))


def _photo_id(n: int, seed: int) -> str:
    return hashlib.sha256(f"{seed}-photo-{n}".encode()).hexdigest()


def _story(rng: random.Random, found: float, worker: int, supervisor: int) -> list[tuple[Any, ...]]:
    """One hazard's steps after 发现: (time, kind, from, to, actor, role, note, payload, photo kind)."""
    steps: list[tuple[Any, ...]] = []
    t = found
    if rng.random() < 0.05:
        t += rng.uniform(300, 3600)
        steps.append((t, "close_on_site", "found", "closed", worker, "grid_worker", "当场整改完毕",
                      {"before_photo_ids": ["*"], "after_photo_ids": ["*"]}, "after"))
    else:
        t += rng.uniform(3600, 2 * 86400)
        days = rng.choice((3, 7, 15, 30))
        deadline = t + days * 86400
        steps.append((t, "assign", "found", "assigned", supervisor, "supervisor", None,
                      {"deadline": _local(deadline), "department": "消防救援大队"}, None))
        t += 60
        steps.append((t, "order_issued", "assigned", "assigned", None, "system", "出具整改通知书",
                      {"document": f"责改〔{dt.datetime.fromtimestamp(t).year}〕{rng.randrange(1, 99999)}号"}, None))
        t += rng.uniform(0.5, 3) * 86400
        steps.append((t, "acknowledge", "assigned", "rectifying", worker, "grid_worker", None, {}, None))
        for _ in range(rng.randint(0, 2)):
            t += rng.uniform(1, 4) * 86400
            steps.append((t, "reminded", "rectifying", "rectifying", None, "system", "整改期限将至，请及时整改",
                          {"deadline": _local(deadline), "rung": "reminder"}, None))
        if rng.random() < 0.1:
            t += rng.uniform(1, 3) * 86400
            asked = deadline + 15 * 86400
            steps.append((t, "request_extension", "rectifying", "rectifying", worker, "grid_worker", "设备待采购",
                          {"reason": "设备待采购", "requested_deadline": _local(asked)}, None))
            t += rng.uniform(0.2, 2) * 86400
            steps.append((t, "approve_extension", "rectifying", "rectifying", supervisor, "supervisor", None,
                          {"deadline": _local(asked)}, None))
            deadline = asked
        if rng.random() < 0.1:
            t += rng.uniform(1, 5) * 86400
            steps.append((t, "escalated", "rectifying", "rectifying", None, "system", "逾期未整改，升级",
                          {"rung": "street", "overdue_days": rng.randint(1, 9)}, None))
        fails_first = rng.random() < 0.15
        for attempt in range(2 if fails_first else 1):
            t += rng.uniform(1, days) * 86400
            steps.append((t, "submit_rectification", "rectifying", "awaiting_verification", worker, "grid_worker",
                          None, {"measures": "已清理疏散通道杂物并设置标识", "photo_ids": ["*"]}, "after"))
            t += rng.uniform(0.5, 5) * 86400
            if fails_first and attempt == 0:
                steps.append((t, "verify_fail", "awaiting_verification", "rectifying", supervisor, "supervisor",
                              "仍有杂物堆放", {"note": "仍有杂物堆放", "deadline": _local(t + 7 * 86400)}, None))
            else:
                steps.append((t, "verify_pass", "awaiting_verification", "closed", supervisor, "supervisor", None,
                              {}, None))
    if steps[-1][3] == "closed" and rng.random() < 0.7:
        t += 7 * 86400
        steps.append((t, "reported", "closed", "closed", None, "system", "纳入通报", {"circular": "月度通报"}, None))
    return steps


def _local(t: float) -> str:
    return dt.datetime.fromtimestamp(t, LOCAL).isoformat(timespec="seconds")


def build(app: Any, url: str, events: int, seed: int, minutes: float | None = None) -> dict[str, Any]:
    """The history in ``url``: about ``events`` audit events; returns what the measurements need.

    With ``minutes``, the inspections stop when that time is spent (the stories already begun are finished):
    the history is then shorter than three years and says so.
    """
    from hazardloop.hazards.events import event_digest

    started = time.perf_counter()
    rng = random.Random(seed)
    tree = build_regions(app)
    site_ids = copy_sites(url, tree["grids"], 10_000, rng)
    people = _people(app, tree)
    # 0.15 inspections and 0.1 hazards per target event made 0.947 events per target event (a story averages
    # ~8 events besides the inspections' own): scaled so the history reaches ``events``.
    n_insp, n_haz = int(events * 0.15 / 0.947), int(events * 0.1 / 0.947)
    now = time.time() - 3600
    begin = now - SPAN_DAYS * 86400
    conn = psycopg.connect(url)
    version, codes = _checklist_version(app, conn)
    checklist = "@".join(conn.execute("SELECT checklist_id, version FROM checklist_versions WHERE id = %s",
                                      (version,)).fetchone())
    conn.commit()
    saved = _drop_secondary(conn)
    print(f"  [{events:,}] regions, 10,000 sites, {len(people['workers']) + 1} users; "
          f"secondary indexes and foreign keys of {', '.join(BIG_TABLES)} dropped for the load", flush=True)

    # Inspections, in time order (ids follow time), and which of them found the hazards (sorted, so ids do too).
    insp_times = sorted(rng.uniform(begin, now - 86400) for _ in range(n_insp))
    insp_site = [rng.choice(site_ids) for _ in range(n_insp)]
    insp_actor = [rng.choice(people["workers"]) for _ in range(n_insp)]
    finder = sorted(rng.randrange(n_insp) for _ in range(n_haz))
    hazards_of: dict[int, list[int]] = {}
    for h, i in enumerate(finder, 1):
        hazards_of.setdefault(i, []).append(h)

    # One ExitStack for the four COPY streams: on an error each ends (CopyFail) and its connection closes,
    # so no backend stays in COPY waiting for us (a server's DROP DATABASE would wait for it).
    stack = contextlib.ExitStack()
    conn2, conn3, conn4 = (stack.enter_context(psycopg.connect(url)) for _ in range(3))
    ev = stack.enter_context(_copy(conn,
        "COPY audit_events (id, kind, hazard_id, inspection_id, from_status, to_status, actor_id, actor_role, "
        "occurred_at, client_time, client_event_id, note, payload, photo_hashes, prev_hash, prev_global_hash, hash, "
        "chain) FROM STDIN"))
    ins = stack.enter_context(_copy(conn2,
        "COPY inspections (id, client_uuid, content_hash, site_id, checklist_version_id, mode, inspector_id, "
        "inspector_role, started_at, finished_at, saved_at, received_at, lat, lng, accuracy_m, distance_m, "
        "far_from_site, qr_scanned_at, qr_token_current, answers, notes, signature_photo_id, score_total, score_max, "
        "finding_count) FROM STDIN"))
    pho = stack.enter_context(_copy(conn3,
        "COPY photos (id, media_type, byte_size, width, height, orientation, uploaded_by_id, created_at, "
        "recorded_at, recorded_lat, recorded_lng, site_id, inspector_id, hazard_number, exif_mismatch, evidence_key, "
        "thumbnail_key, derivatives_status, derivatives_made_at) FROM STDIN"))
    lnk = stack.enter_context(_copy(conn4,
        "COPY photo_links (photo_id, subject_type, subject_id, role, answers_photo_id, created_by_id, created_at) "
        "FROM STDIN"))

    chain_last: dict[int, str] = {}
    chain_last_id: dict[int, int] = {}
    hazard_last: dict[int, str] = {}
    hazard_rows: list[tuple[Any, ...]] = []
    finding_photo: dict[int, str] = {}
    counts = {"events": 0, "photos": 0, "links": 0}
    # (time, seq, hazard, inspection, kind, from, to, actor, role, note, payload, photo, site)
    pending: list[tuple[Any, ...]] = []
    seq = 0

    def new_photo(t: float, site: int, actor: int | None, number: str | None) -> str:
        counts["photos"] += 1
        pid = _photo_id(counts["photos"], seed)
        when = dt.datetime.fromtimestamp(t, dt.UTC)
        pho.write_row((pid, "jpeg", rng.randrange(180_000, 900_000), 1600, 1200, 1, actor, when, when,
                       30.3 + rng.random() / 10, 120.1 + rng.random() / 10, site, actor, number, False,
                       f"photos/{pid[:2]}/{pid}.jpg", f"thumbs/{pid[:2]}/{pid}.jpg", "ready", when))
        return pid

    def link(pid: str, subject: str, subject_id: int, role: str, answers: str | None, actor: int | None,
             t: float) -> None:
        counts["links"] += 1
        lnk.write_row((pid, subject, subject_id, role, answers, actor, dt.datetime.fromtimestamp(t, dt.UTC)))

    def emit(t: float, hazard: int | None, inspection: int | None, kind: str, src: str | None, dst: str | None,
             actor: int | None, role: str, note: str | None, payload: dict[str, Any], photos: list[str],
             client: bool) -> None:
        counts["events"] += 1
        event_id = counts["events"]
        chain = ((hazard if hazard is not None else (actor or 0)) % CHAINS) + 1
        row = Row()
        row.kind, row.hazard_id, row.inspection_id = kind, hazard, inspection
        row.from_status, row.to_status, row.actor_id, row.actor_role = src, dst, actor, role
        row.occurred_at = dt.datetime.fromtimestamp(t, dt.UTC)
        row.client_time = dt.datetime.fromtimestamp(t - rng.uniform(1, 30), dt.UTC) if client else None
        row.client_event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if client else None
        row.note, row.payload, row.photo_hashes = note, payload, sorted(photos)
        row.prev_hash = hazard_last.get(hazard) if hazard is not None else None
        row.prev_global_hash = chain_last.get(chain)
        digest = event_digest(row)  # type: ignore[arg-type]
        ev.write_row((event_id, kind, hazard, inspection, src, dst, actor, role, row.occurred_at, row.client_time,
                      row.client_event_id, note, json.dumps(payload, ensure_ascii=False), json.dumps(row.photo_hashes),
                      row.prev_hash, row.prev_global_hash, digest, chain))
        chain_last[chain], chain_last_id[chain] = digest, event_id
        if hazard is not None:
            hazard_last[hazard] = digest

    def flush_until(limit: float) -> None:
        while pending and pending[0][0] <= limit:
            t, _, hazard, inspection, kind, src, dst, actor, role, note, payload, photo, site = heapq.heappop(pending)
            photos: list[str] = []
            if photo == "after":
                pid = new_photo(t, site, actor, f"YH{hazard:010d}")
                link(pid, "hazard", hazard, "after", finding_photo.get(hazard), actor, t)
                photos = [pid]
                payload = {k: (photos if v == ["*"] else v) for k, v in payload.items()}
            emit(t, hazard, inspection, kind, src, dst, actor, role, note, payload, photos, actor is not None)

    try:
        t0 = time.perf_counter()
        domains = ["fire", "fire", "nine_small", "construction", "hazchem", "industry_trade"]
        for i in range(n_insp):
            inspection = i + 1
            t_insp, site, actor = insp_times[i], insp_site[i], insp_actor[i]
            flush_until(t_insp)
            found_here = hazards_of.get(i, [])
            began = dt.datetime.fromtimestamp(t_insp - rng.uniform(600, 3600), dt.UTC)
            finished = dt.datetime.fromtimestamp(t_insp, dt.UTC)
            signature = new_photo(t_insp, site, actor, None) if rng.random() < 0.6 else None
            answers = [{"item_code": c, "result": "不符合" if n < len(found_here) else "符合", "finding": "",
                        "photo_ids": []} for n, c in enumerate(codes[:8])]
            role = "grid_worker"
            distance = round(rng.uniform(0, 80), 1)
            ins.write_row((inspection, str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                           hashlib.sha256(str(inspection).encode()).hexdigest(), site, version, "routine", actor, role,
                           began, finished, None, finished, 30.3 + rng.random() / 10, 120.1 + rng.random() / 10, 12.0,
                           distance, False, None, None, json.dumps(answers, ensure_ascii=False), None, signature,
                           100.0 - 5 * len(found_here), 100.0, len(found_here)))
            if signature:
                link(signature, "inspection", inspection, "signature", None, actor, t_insp)
            emit(t_insp, None, inspection, "inspection_submitted", None, None, actor, role, None,
                 {"site_id": site, "mode": "routine", "checklist": f"{checklist}",
                  "score": 100 - 5 * len(found_here), "findings": len(found_here), "distance_m": distance,
                  "far_from_site": False, "qr_scan": False, "qr_token_current": None, "replaces_client_uuid": None},
                 [signature] if signature else [], True)
            for n, hazard in enumerate(found_here):
                number = f"YH{hazard:010d}"
                found = t_insp + 1 + n
                pid = new_photo(found, site, actor, number)
                finding_photo[hazard] = pid
                link(pid, "hazard", hazard, "finding", None, actor, found)
                emit(found, hazard, inspection, "found", None, "found", actor, role, "疏散通道堵塞",
                     {"item_code": codes[n % len(codes)], "level": "general", "site_id": site}, [pid], True)
                status, deadline, closed, reported = "found", None, None, None
                for step in _story(rng, found, actor, people["supervisor"]):
                    if step[0] > now:
                        break
                    seq += 1
                    heapq.heappush(pending, (step[0], seq, hazard, None, *step[1:], site))
                    status = step[3]
                    if step[1] in ("assign", "approve_extension", "verify_fail"):
                        deadline = dt.datetime.fromisoformat(step[7]["deadline"])
                    if step[3] == "closed" and closed is None:
                        closed = dt.datetime.fromtimestamp(step[0], dt.UTC)
                    if step[1] == "reported":
                        reported = dt.datetime.fromtimestamp(step[0], dt.UTC)
                when = dt.datetime.fromtimestamp(found, dt.UTC)
                hazard_rows.append((
                    hazard, number, site, inspection, str(uuid.uuid4()), "grid_patrol", False, version,
                    codes[n % len(codes)], "疏散通道堵塞，堆放杂物", "general", rng.choice(domains), status, when,
                    actor, deadline, False, tree["department"], 0, 0, 0, False, json.dumps([finding_photo[hazard]]),
                    closed, reported, False, 1, when, closed or when))
            if minutes is not None and inspection % 1000 == 0 and time.perf_counter() - t0 > minutes * 60:
                n_insp = inspection
                print(f"    build budget of {minutes} min spent: stopping the inspections at {inspection:,} "
                      f"({dt.datetime.fromtimestamp(t_insp, LOCAL):%Y-%m-%d}), finishing the stories begun",
                      flush=True)
                break
            if inspection % 100_000 == 0:
                rate = counts["events"] / (time.perf_counter() - t0)
                print(f"    {inspection:,}/{n_insp:,} inspections, {counts['events']:,} events ({rate:,.0f}/s), "
                      f"{counts['photos']:,} photos, {load()}", flush=True)
        flush_until(float("inf"))
    except BaseException:
        stack.__exit__(*sys.exc_info())
        conn.close()
        raise
    stack.__exit__(None, None, None)
    conn.commit()
    t1 = time.perf_counter()
    print(f"  [{events:,}] {counts['events']:,} events, {n_insp:,} inspections, {counts['photos']:,} photos, "
          f"{counts['links']:,} photo links hashed and COPYed in {t1 - t0:.0f} s "
          f"({counts['events'] / (t1 - t0):,.0f} events/s), {load()}", flush=True)

    with conn.cursor().copy(
        "COPY hazards (id, number, site_id, inspection_id, client_uuid, source, covert, checklist_version_id, "
        "item_code, description, level, domain, status, found_at, found_by_id, deadline_at, deadline_estimated, "
        "department_id, rejection_count, repeat_count, recurrence_count, supervised, photo_ids, closed_at, "
        "reported_at, exposed_publicly, version, created_at, updated_at, last_event_hash) FROM STDIN") as copy:
        for row in hazard_rows:
            copy.write_row((*row, hazard_last[row[0]]))
    for table in ("audit_events", "inspections", "hazards", "photo_links"):
        conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    conn.execute("DELETE FROM audit_chain_heads")
    with conn.cursor().copy("COPY audit_chain_heads (id, last_event_id, last_hash) FROM STDIN") as copy:
        for chain in range(1, CHAINS + 1):
            copy.write_row((chain, chain_last_id.get(chain), chain_last.get(chain)))
    conn.commit()
    t2 = time.perf_counter()
    print(f"  [{events:,}] {len(hazard_rows):,} hazards COPYed in {t2 - t1:.0f} s; making the indexes and keys again:",
          flush=True)
    _restore_secondary(conn, saved)
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.close()
    t3 = time.perf_counter()
    print(f"  [{events:,}] indexes, keys and VACUUM ANALYZE in {t3 - t2:.0f} s; built in {t3 - started:.0f} s total, "
          f"{load()}", flush=True)
    return {"district": tree["district"], "supervisor": people["supervisor_mobile"], "hazards": len(hazard_rows),
            "inspections": n_insp, "events": counts["events"]}


def describe(url: str) -> dict[str, Any]:
    """What a kept database holds (for ``--database``)."""
    with psycopg.connect(url) as conn:
        district = conn.execute("SELECT id FROM regions WHERE level = 'district' ORDER BY id LIMIT 1").fetchone()[0]
        mobile = conn.execute("SELECT u.mobile FROM users u JOIN role_grants g ON g.user_id = u.id "
                              "WHERE g.role = 'supervisor' ORDER BY u.id LIMIT 1").fetchone()[0]
        return {"district": district, "supervisor": mobile,
                "hazards": conn.execute("SELECT max(id) FROM hazards").fetchone()[0],
                "inspections": conn.execute("SELECT max(id) FROM inspections").fetchone()[0],
                "events": conn.execute("SELECT max(id) FROM audit_events").fetchone()[0]}


# --- measuring --------------------------------------------------------------------------------------------

class Subject:
    """One database under measurement: its app, a logged-in supervisor, and what it holds."""

    def __init__(self, label: str, url: str, info: dict[str, Any], app: Any) -> None:
        self.label, self.url, self.info, self.app = label, url, info, app
        self.client = logged_in(app, info["supervisor"])
        self.rng = random.Random(SEED + info["events"])
        self.figures: dict[str, list[float]] = {}
        with psycopg.connect(url) as conn:  # a month half a year before the history's last hazard
            last = conn.execute("SELECT max(found_at) FROM hazards").fetchone()[0]
        start = (last.astimezone(LOCAL) - dt.timedelta(days=170)).replace(day=1, hour=0, minute=0, second=0,
                                                                           microsecond=0)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        self.month = f"found_from={start.strftime('%Y-%m-%dT%H:%M:%S')}&found_to={end.strftime('%Y-%m-%dT%H:%M:%S')}"
        with psycopg.connect(url) as conn:  # the export's size grows with the month's hazards, not with the log
            rows = conn.execute("SELECT count(*) FROM hazards WHERE found_at >= %s AND found_at < %s",
                                (start, end)).fetchone()[0]
        print(f"  [{label}] the measured month {start:%Y-%m}: {rows:,} hazards (the 台账 export's rows)", flush=True)

    def fresh_hazard(self) -> int:
        return self.rng.randrange(1, self.info["hazards"] + 1)

    def fresh_inspection(self) -> int:
        return self.rng.randrange(1, self.info["inspections"] + 1)

    def add(self, name: str, ms: list[float]) -> None:
        self.figures.setdefault(name, []).extend(ms)


def _get(client: Any, path: str) -> float:
    t = time.perf_counter()
    response = client.get(path)
    ms = (time.perf_counter() - t) * 1000
    assert response.status_code == 200, (path, response.status_code, response.get_data()[:300])
    return ms


def measure_round(s: Subject, requests: int) -> None:
    from hazardloop.extensions import db
    from hazardloop.hazards.detail import _timeline_query
    from hazardloop.hazards.events import verify_hazard

    c = s.client
    s.add("hazard detail, cold", [_get(c, f"/api/v1/hazards/{s.fresh_hazard()}") for _ in range(requests)])
    warm = s.fresh_hazard()
    _get(c, f"/api/v1/hazards/{warm}")
    s.add("hazard detail, warm", [_get(c, f"/api/v1/hazards/{warm}") for _ in range(requests)])
    with s.app.app_context():
        out_cold, out_warm, ver_cold, ver_warm = [], [], [], []
        for _ in range(requests):
            hazard = s.fresh_hazard()
            t = time.perf_counter()
            rows = list(db.session.scalars(_timeline_query(), {"hazard_id": hazard}))
            out_cold.append((time.perf_counter() - t) * 1000)
            assert rows
            t = time.perf_counter()
            list(db.session.scalars(_timeline_query(), {"hazard_id": hazard}))
            out_warm.append((time.perf_counter() - t) * 1000)
            db.session.rollback()
            hazard = s.fresh_hazard()
            t = time.perf_counter()
            checked, broken = verify_hazard(hazard)
            ver_cold.append((time.perf_counter() - t) * 1000)
            assert broken is None and checked > 0, (hazard, broken)
            db.session.rollback()
            t = time.perf_counter()
            verify_hazard(hazard)
            ver_warm.append((time.perf_counter() - t) * 1000)
            db.session.rollback()
        s.add("timeline query alone, cold", out_cold)
        s.add("timeline query alone, warm", out_warm)
        s.add("verify_hazard (audit verify --hazard), cold", ver_cold)
        s.add("verify_hazard (audit verify --hazard), warm", ver_warm)
        db.session.remove()
    s.add("inspection detail, cold", [_get(c, f"/api/v1/inspections/{s.fresh_inspection()}")
                                      for _ in range(max(5, requests // 5))])
    month_list = f"/api/v1/hazards?{s.month}&limit=50"
    s.add("console hazard list of a month (first page)", [_get(c, month_list) for _ in range(max(5, requests // 5))])
    s.add("台账 export of that month (XLSX)", [_get(c, f"/api/v1/hazards/export.xlsx?{s.month}") for _ in range(3)])


def cli_verify_hazard(s: Subject, runs: int) -> list[float]:
    """``hazardloop audit verify --hazard`` as an operator runs it (a new process: app start included)."""
    hazardloop = str(Path(sys.executable).with_name("hazardloop"))
    env = {**os.environ, "DATABASE_URL": s.url}
    out = []
    for _ in range(runs):
        hazard = s.fresh_hazard()
        t = time.perf_counter()
        result = subprocess.run([hazardloop, "audit", "verify", "--hazard", str(hazard)], env=env,
                                capture_output=True, text=True, timeout=120)
        out.append((time.perf_counter() - t) * 1000)
        assert result.returncode == 0 and "哈希链完整" in result.stdout, result.stderr
    return out


def plans(s: Subject) -> None:
    """EXPLAIN ANALYZE of the statements whose cost could grow with the log."""
    hazard, inspection = s.fresh_hazard(), s.fresh_inspection()
    with captured_sql(s.app) as statements:
        s.client.get(f"/api/v1/hazards/{hazard}")
    timeline = next((st, p) for st, p in statements if "FROM audit_events" in st)
    with captured_sql(s.app) as statements:
        s.client.get(f"/api/v1/inspections/{inspection}")
    by_inspection = [(st, p) for st, p in statements if "FROM audit_events" in st]
    with captured_sql(s.app) as statements:
        s.client.get(f"/api/v1/hazards?{s.month}&limit=50")
    month = [(st, p) for st, p in statements if "FROM hazards" in st]
    print(f"\n[{s.label}] EXPLAIN ANALYZE — hazard {hazard}'s timeline (hazard detail):\n" + explain(s.app, *timeline))
    for st, p in by_inspection:
        print(f"\n[{s.label}] EXPLAIN ANALYZE — inspection {inspection}'s events ({' '.join(st.split())[:90]}…):\n"
              + explain(s.app, st, p))
    for st, p in month[:2]:
        print(f"\n[{s.label}] EXPLAIN ANALYZE — month list ({' '.join(st.split())[:90]}…):\n" + explain(s.app, st, p))
    chain_step = ("SELECT hash FROM audit_events WHERE chain = %(c)s AND id < %(i)s ORDER BY id DESC LIMIT 1",
                  {"c": 7, "i": s.info["events"] // 2})
    print(f"\n[{s.label}] EXPLAIN ANALYZE — verify_hazard's step to the previous event of a chain:\n"
          + explain(s.app, *chain_step))


def sizes(url: str, label: str) -> None:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname, pg_size_pretty(pg_table_size(c.oid)), pg_size_pretty(pg_indexes_size(c.oid)), "
            "c.reltuples::bigint FROM pg_class c WHERE c.relname IN ('audit_events', 'inspections', 'photos', "
            "'photo_links', 'hazards') ORDER BY c.relname").fetchall()
        total = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    print(f"\n[{label}] database {total}; table / indexes / rows:")
    for name, table, indexes, n in rows:
        print(f"  {name:<14} {table:>10} {indexes:>10} {n:>12,}")


def full_verify(s: Subject) -> None:
    from hazardloop.extensions import db
    from hazardloop.hazards.events import verify_chains

    with s.app.app_context():
        t = time.perf_counter()
        checked, broken = verify_chains()
        seconds = time.perf_counter() - t
        db.session.remove()
    print(f"[{s.label}] whole-log audit verify: {checked:,} events in {seconds:.1f} s "
          f"({checked / seconds:,.0f} events/s), broken: {broken}, {load()}", flush=True)


def summary(ms: list[float]) -> str:
    return f"n={len(ms):4d}  p50 {statistics.median(ms):8.2f}  p95 {p95(ms) if len(ms) > 1 else ms[0]:8.2f}  " \
           f"max {max(ms):8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--reference-events", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="per round and figure")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-minutes", type=float, default=None,
                        help="stop adding inspections to the big history after this long (then it is smaller)")
    parser.add_argument("--full-verify", action="store_true", help="also time the whole-log audit verify")
    parser.add_argument("--pg-server", default=DEFAULT_PG_SERVER)
    parser.add_argument("--keep", action="store_true", help="keep the generated databases")
    parser.add_argument("--database", help="reuse a big database kept by an earlier --keep run")
    parser.add_argument("--reference-database", help="reuse a reference database kept by an earlier --keep run")
    args = parser.parse_args()
    print(machine() + f" · {load()}")
    with throwaway_database(args.pg_server, args.keep) as small_url, \
            throwaway_database(args.pg_server, args.keep) as big_url:
        subjects = []
        for label, events, reuse, url in (("reference", args.reference_events, args.reference_database, small_url),
                                          ("big", args.events, args.database, big_url)):
            if reuse:
                app = make_app(reuse)
                subjects.append(Subject(f"{label} {events:,}", reuse, describe(reuse), app))
                continue
            app = make_app(url)
            print(f"\nbuilding the {label} history ({events:,} events) {load()}", flush=True)
            info = build(app, url, events, SEED + events, args.build_minutes if label == "big" else None)
            subjects.append(Subject(f"{label} {info['events']:,} events", url, info, app))
        for s in subjects:
            sizes(s.url, s.label)
        for r in range(args.rounds):
            for s in subjects:
                print(f"round {r + 1}: {s.label} … {load()}", flush=True)
                measure_round(s, args.requests)
        for s in subjects:
            s.add("hazardloop audit verify --hazard (new process)", cli_verify_hazard(s, 5))
        small, big = subjects
        print(f"\nfigures ({args.rounds} alternating rounds; ms; {load()}):")
        for name in small.figures:
            a, b = small.figures[name], big.figures[name]
            print(f"  {name}\n    {small.label:<28} {summary(a)}\n    {big.label:<28} {summary(b)}"
                  f"\n    ratio of medians big/reference: {statistics.median(b) / statistics.median(a):.2f}")
        for s in subjects:
            plans(s)
        if args.full_verify:
            print()
            for s in subjects:
                full_verify(s)
        for s in subjects:
            with s.app.app_context():
                from hazardloop.extensions import db

                db.engine.dispose()
        if args.keep:
            print(f"reuse with: --reference-database {small.url} --database {big.url}")
    print(f"done {load()}")


if __name__ == "__main__":
    main()
