"""Figure: latency of "the sites under region R" for three region-tree storages.

Compares, on SQLite and PostgreSQL, the three usual ways to store the region tree
(区 → 街道 → 社区 → 网格) when answering a supervisor's scope query
"sites whose grid lies in the subtree of R":

1. materialized path ("/1/4/17/") with a B-tree index range scan (what hazardloop uses),
2. closure table (ancestor_id, descendant_id, depth) with its primary key led by ancestor_id,
3. adjacency list (parent_id only) walked with a recursive CTE (no extra storage).

It also times the maintenance of each storage when a new grid is inserted and
reports the extra storage each needs. The tables are plain SQLAlchemy Core
tables created here (shaped like ``regions`` and ``sites``), not the app's
migrations. Counts from the three storages are asserted equal for every
region queried.

Run:  .venv/bin/python benchmarks/region_subtree.py [--db sqlite|postgresql|both] [--quick]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import gc
import importlib.metadata
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

STREETS = 10  # 街道/园区 per 区
COMMUNITIES = 10  # 社区 per 街道
GRIDS = 10  # 网格 per 社区
SITES = 100_000
SEED = 20240601

LEVELS = ("district", "street", "community", "grid")
STORAGES = ("path", "closure", "adjacency")
STORAGE_LABEL = {
    "path": "materialized path",
    "closure": "closure table",
    "adjacency": "adjacency + CTE",
}
# How many different regions of each level the repetitions cycle through.
SAMPLE_PER_LEVEL = {"district": 1, "street": STREETS, "community": 20, "grid": 50}
CATEGORIES = (
    "small_shop",
    "small_restaurant",
    "restaurant",
    "industry_trade",
    "rental_housing",
    "ebike_charging",
    "warehouse",
    "crowded_place",
)
RISKS = ("red", "orange", "yellow", "blue")


# --------------------------------------------------------------------------- schema


def path_string(length: int = 255) -> sa.String:
    """Byte-wise compared string, as ``hazardloop.database.path_string``."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")  # type: ignore[return-value]


def region_columns() -> list[sa.Column[Any]]:
    """The columns every region table shares (those of ``regions`` minus the boundary)."""
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("code", sa.String(32), unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]


metadata = sa.MetaData()

regions_path = sa.Table(
    "bench_regions_path",
    metadata,
    *region_columns(),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("bench_regions_path.id")),
    sa.Column("path", path_string(255), nullable=False, default=""),
    sa.UniqueConstraint("parent_id", "name"),
    sa.Index("ix_bench_regions_path_path", "path"),
)

regions_closure = sa.Table(
    "bench_regions_closure",
    metadata,
    *region_columns(),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("bench_regions_closure.id")),
    sa.UniqueConstraint("parent_id", "name"),
)

closure = sa.Table(
    "bench_region_closure",
    metadata,
    sa.Column("ancestor_id", sa.Integer, sa.ForeignKey("bench_regions_closure.id"), primary_key=True),
    sa.Column("descendant_id", sa.Integer, sa.ForeignKey("bench_regions_closure.id"), primary_key=True),
    sa.Column("depth", sa.SmallInteger, nullable=False),
    # The primary key (ancestor_id, descendant_id) is the index on ancestor; this one
    # serves the maintenance query "ancestors of the new node's parent".
    sa.Index("ix_bench_region_closure_descendant", "descendant_id"),
)

# The (parent_id, name) unique index doubles as the parent_id index the CTE walks down.
regions_adjacency = sa.Table(
    "bench_regions_adjacency",
    metadata,
    *region_columns(),
    sa.Column("parent_id", sa.Integer, sa.ForeignKey("bench_regions_adjacency.id")),
    sa.UniqueConstraint("parent_id", "name"),
)

# Shaped like ``sites``; grid ids are the same in the three region tables, so no FK.
sites = sa.Table(
    "bench_sites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("credit_code", sa.String(18), unique=True),
    sa.Column("address", sa.String(300), nullable=False),
    sa.Column("grid_id", sa.Integer, nullable=False, index=True),
    sa.Column("lng", sa.Float),
    sa.Column("lat", sa.Float),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("risk_level", sa.String(8), nullable=False),
    sa.Column("qr_token", sa.String(64), nullable=False, unique=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_bench_sites_grid_category", "grid_id", "category"),
)

REGION_TABLES = {"path": regions_path, "closure": regions_closure, "adjacency": regions_adjacency}


# --------------------------------------------------------------------------- data


@dataclass
class Node:
    id: int
    parent_id: int | None
    level: str
    name: str
    path: str


@dataclass
class Tree:
    nodes: list[Node]
    by_level: dict[str, list[Node]]
    site_grid_ids: list[int]
    sites_per_grid: Counter[int] = field(default_factory=Counter)

    def grid_ids_under(self, node: Node) -> set[int]:
        return {n.id for n in self.by_level["grid"] if n.path.startswith(node.path)}

    def expected_sites(self, node: Node) -> int:
        return sum(self.sites_per_grid[g] for g in self.grid_ids_under(node))

    def expected_page(self, node: Node, size: int) -> tuple[int, ...]:
        """Ids of the first ``size`` sites under ``node`` (site ids are 1-based positions)."""
        grids = self.grid_ids_under(node)
        ids = (i for i, g in enumerate(self.site_grid_ids, start=1) if g in grids)
        return tuple(next(ids) for _ in range(min(size, self.expected_sites(node))))


def build_tree(n_sites: int, rng: random.Random) -> Tree:
    """1 区 → 10 街道 → 10 社区 each → 10 网格 each; ids in creation (breadth-first) order."""
    nodes: list[Node] = []

    def add(parent: Node | None, level: str, name: str) -> Node:
        node_id = len(nodes) + 1
        path = f"{parent.path if parent else '/'}{node_id}/"
        node = Node(node_id, parent.id if parent else None, level, name, path)
        nodes.append(node)
        return node

    district = add(None, "district", "拱墅区")
    streets = [add(district, "street", f"第{s + 1}街道") for s in range(STREETS)]
    communities = [add(st, "community", f"第{c + 1}社区") for st in streets for c in range(COMMUNITIES)]
    grids = [add(co, "grid", f"第{g + 1}网格") for co in communities for g in range(GRIDS)]
    # Uneven density, as in a real district: a few dense grids, many sparse ones.
    weights = [rng.lognormvariate(0, 0.8) for _ in grids]
    site_grid_ids = rng.choices([g.id for g in grids], weights=weights, k=n_sites)
    by_level = {lvl: [n for n in nodes if n.level == lvl] for lvl in LEVELS}
    return Tree(nodes, by_level, site_grid_ids, Counter(site_grid_ids))


def site_rows(tree: Tree, rng: random.Random) -> Iterator[dict[str, Any]]:
    now = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    for i, grid_id in enumerate(tree.site_grid_ids, start=1):
        yield {
            "id": i,
            "name": f"场所{i:06d}",
            "credit_code": f"91330105{i:09d}X" if i % 3 else None,
            "address": f"杭州市拱墅区某某路{i % 997}号",
            "grid_id": grid_id,
            "lng": 120.1 + rng.random() / 10,
            "lat": 30.3 + rng.random() / 10,
            "category": CATEGORIES[i % len(CATEGORIES)],
            "risk_level": RISKS[i % len(RISKS)],
            "qr_token": base64.urlsafe_b64encode(rng.randbytes(24)).decode(),
            "active": True,
            "created_at": now,
        }


def batched(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load(engine: Engine, tree: Tree, rng: random.Random) -> float:
    """Create the tables and fill them; returns the seconds it took."""
    t0 = time.perf_counter()
    metadata.create_all(engine)
    now = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    base = [
        {
            "id": n.id,
            "parent_id": n.parent_id,
            "level": n.level,
            "name": n.name,
            "code": None,
            "created_at": now,
        }
        for n in tree.nodes
    ]
    base[0]["code"] = "330105"
    by_id = {n.id: n for n in tree.nodes}
    closure_rows = []
    for n in tree.nodes:
        ancestors = [int(p) for p in n.path.strip("/").split("/")]
        for depth, anc in enumerate(reversed(ancestors)):
            closure_rows.append({"ancestor_id": anc, "descendant_id": n.id, "depth": depth})
    assert all(by_id[r["ancestor_id"]].path in by_id[r["descendant_id"]].path for r in closure_rows)
    with engine.begin() as conn:
        # Parents before children (ids are breadth-first), so the FKs hold row by row.
        conn.execute(
            regions_path.insert(), [{**b, "path": n.path} for b, n in zip(base, tree.nodes, strict=True)]
        )
        conn.execute(regions_closure.insert(), base)
        conn.execute(closure.insert(), closure_rows)
        conn.execute(regions_adjacency.insert(), base)
        for batch in batched(site_rows(tree, rng), 10_000):
            conn.execute(sites.insert(), batch)
        if engine.dialect.name == "postgresql":
            # Explicit ids were inserted: move the sequences on, as the app's would be.
            for table in REGION_TABLES.values():
                seq = f"pg_get_serial_sequence('{table.name}', 'id')"
                conn.execute(sa.text(f"SELECT setval({seq}, (SELECT max(id) FROM {table.name}))"))
    # Statistics as autovacuum/ANALYZE would leave them in production.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return time.perf_counter() - t0


# --------------------------------------------------------------------------- queries


def grids_under(storage: str) -> sa.Select[Any]:
    """Ids of the grids in the subtree of the region given by the bound parameters."""
    if storage == "path":
        t = regions_path
        return sa.select(t.c.id).where(
            t.c.path >= sa.bindparam("low"), t.c.path < sa.bindparam("high"), t.c.level == "grid"
        )
    if storage == "closure":
        t = regions_closure
        return (
            sa.select(closure.c.descendant_id)
            .join(t, t.c.id == closure.c.descendant_id)
            .where(closure.c.ancestor_id == sa.bindparam("rid"), t.c.level == "grid")
        )
    t = regions_adjacency
    sub = sa.select(t.c.id, t.c.level).where(t.c.id == sa.bindparam("rid")).cte("sub", recursive=True)
    sub = sub.union_all(sa.select(t.c.id, t.c.level).join(sub, t.c.parent_id == sub.c.id))
    return sa.select(sub.c.id).where(sub.c.level == "grid")


def count_query(storage: str) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(sites).where(sites.c.grid_id.in_(grids_under(storage)))


PAGE = 50


def page_query(storage: str) -> sa.Select[Any]:
    """The first page of the site list, as the API would serve it."""
    return (
        sa.select(sites.c.id, sites.c.name, sites.c.category, sites.c.risk_level)
        .where(sites.c.grid_id.in_(grids_under(storage)))
        .order_by(sites.c.id)
        .limit(PAGE)
    )


def params(storage: str, node: Node) -> dict[str, Any]:
    if storage == "path":
        # As hazardloop.regions.services.subtree_range: [path, path[:-1] + '0').
        return {"low": node.path, "high": node.path[:-1] + "0"}
    return {"rid": node.id}


# --------------------------------------------------------------------------- timing


@dataclass
class Stat:
    median_ms: float
    p90_ms: float
    n: int


def stat(samples_ns: Sequence[int]) -> Stat:
    ms = sorted(s / 1e6 for s in samples_ns)
    p90 = statistics.quantiles(ms, n=10, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return Stat(statistics.median(ms), p90, len(ms))


@contextmanager
def no_gc() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def time_queries(
    conn: Connection, tree: Tree, op: str, reps: int, rng: random.Random
) -> tuple[dict[tuple[str, str], Stat], dict[str, float]]:
    """Per (level, storage): latency of ``op`` ("count" or "page"); per level: mean sites under R.

    Repetitions cycle through several regions of the level; the three storages run
    interleaved in a rotating order so drift affects them alike.
    """
    make = count_query if op == "count" else page_query
    stmts = {s: make(s) for s in STORAGES}
    results: dict[tuple[str, str], Stat] = {}
    sizes: dict[str, float] = {}

    def run(storage: str, node: Node) -> int | tuple[int, ...]:
        result = conn.execute(stmts[storage], params(storage, node))
        return int(result.scalar_one()) if op == "count" else tuple(row.id for row in result)

    for level in LEVELS:
        candidates = tree.by_level[level]
        sample = rng.sample(candidates, min(SAMPLE_PER_LEVEL[level], len(candidates)))
        # Correctness (and warm-up): every storage gives the true count for every region.
        for node in sample:
            expected = tree.expected_sites(node) if op == "count" else tree.expected_page(node, PAGE)
            got = {s: run(s, node) for s in STORAGES}
            assert all(v == expected for v in got.values()), f"{op} {level} {node.id}: {got} != {expected}"
        sizes[level] = statistics.mean(tree.expected_sites(n) for n in sample)
        samples: dict[str, list[int]] = {s: [] for s in STORAGES}
        with no_gc():
            for i in range(reps):
                node = sample[i % len(sample)]
                order = STORAGES[i % 3 :] + STORAGES[: i % 3]
                for storage in order:
                    t0 = time.perf_counter_ns()
                    run(storage, node)
                    samples[storage].append(time.perf_counter_ns() - t0)
        for storage in STORAGES:
            results[(level, storage)] = stat(samples[storage])
    return results, sizes


def insert_grid(conn: Connection, storage: str, parent: Node, name: str) -> None:
    """Add a grid under ``parent`` the way each storage must."""
    table = REGION_TABLES[storage]
    values = {"parent_id": parent.id, "level": "grid", "name": name, "created_at": dt.datetime.now(dt.UTC)}
    if storage == "path":
        # As hazardloop.regions.services.create_region: the id is part of the path.
        new_id = conn.execute(table.insert().values(**values, path="")).inserted_primary_key[0]
        conn.execute(table.update().where(table.c.id == new_id).values(path=f"{parent.path}{new_id}/"))
    elif storage == "closure":
        new_id = conn.execute(table.insert().values(**values)).inserted_primary_key[0]
        new = sa.literal(new_id, sa.Integer)
        rows = sa.select(closure.c.ancestor_id, new, closure.c.depth + 1).where(
            closure.c.descendant_id == parent.id
        )
        rows = rows.union_all(sa.select(new, new, sa.literal(0, sa.SmallInteger)))
        conn.execute(closure.insert().from_select(["ancestor_id", "descendant_id", "depth"], rows))
    else:
        conn.execute(table.insert().values(**values))


def time_inserts(engine: Engine, tree: Tree, reps: int) -> dict[str, Stat]:
    """Statement time per new grid, inside one transaction that is rolled back.

    The commit (identical for the three, and on SQLite dominated by fsync) is excluded.
    """
    samples: dict[str, list[int]] = {s: [] for s in STORAGES}
    communities = tree.by_level["community"]
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            with no_gc():
                for i in range(reps + 5):
                    parent = communities[i % len(communities)]
                    order = STORAGES[i % 3 :] + STORAGES[: i % 3]
                    for storage in order:
                        t0 = time.perf_counter_ns()
                        insert_grid(conn, storage, parent, f"新网格{i}")
                        elapsed = time.perf_counter_ns() - t0
                        if i >= 5:  # the first few warm the statement cache
                            samples[storage].append(elapsed)
            # The closure insert must have produced the right ancestry.
            new_rows = conn.execute(
                sa.select(sa.func.count())
                .select_from(closure)
                .where(closure.c.descendant_id > len(tree.nodes))
            ).scalar_one()
            assert new_rows == (reps + 5) * 4, new_rows  # self + community + street + district
        finally:
            trans.rollback()
    return {s: stat(v) for s, v in samples.items()}


def storage_facts(engine: Engine) -> list[tuple[str, str]]:
    """Rows and bytes of the extra structure each storage needs."""
    with engine.connect() as conn:
        closure_rows = conn.execute(sa.select(sa.func.count()).select_from(closure)).scalar_one()
        region_rows = conn.execute(sa.select(sa.func.count()).select_from(regions_path)).scalar_one()
        if engine.dialect.name == "postgresql":

            def size(expr: str) -> int:
                return int(conn.execute(sa.text(f"SELECT {expr}")).scalar_one())

            path_bytes = size("pg_relation_size('ix_bench_regions_path_path')")
            closure_bytes = size("pg_total_relation_size('bench_region_closure')")
        else:

            def pages(names: Sequence[str]) -> int:
                q = sa.text("SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN :names").bindparams(
                    sa.bindparam("names", expanding=True)
                )
                return int(conn.execute(q, {"names": list(names)}).scalar_one())

            try:
                path_bytes = pages(["ix_bench_regions_path_path"])
                closure_bytes = pages(
                    [
                        "bench_region_closure",
                        "sqlite_autoindex_bench_region_closure_1",
                        "ix_bench_region_closure_descendant",
                    ]
                )
            except sa.exc.OperationalError:  # SQLite built without dbstat
                path_bytes = closure_bytes = -1

    def kib(n: int) -> str:
        return "n/a" if n < 0 else f"{n / 1024:.0f} KiB"

    return [
        ("materialized path", f"path column on {region_rows} region rows + path index {kib(path_bytes)}"),
        (
            "closure table",
            f"{closure_rows} closure rows for {region_rows} regions, with indexes {kib(closure_bytes)}",
        ),
        ("adjacency + CTE", "nothing (parent_id and its index already exist)"),
    ]


# --------------------------------------------------------------------------- report


@dataclass
class DbResult:
    name: str
    version: str
    load_s: float
    queries: dict[str, dict[tuple[str, str], Stat]]
    sizes: dict[str, float]
    inserts: dict[str, Stat]
    storage: list[tuple[str, str]]
    notes: list[str]


def machine_facts() -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        ("nproc", f"{usable} (os.cpu_count {os.cpu_count()})"),
        ("CPU", cpu),
        ("OS", platform.platform()),
        ("Python", sys.version.split()[0]),
        ("SQLite", sqlite3.sqlite_version),
        ("SQLAlchemy", sa.__version__),
        ("psycopg", importlib.metadata.version("psycopg")),
    ]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], right_from: int) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def fmt(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(widths[i]) if i >= right_from else c.ljust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    print(fmt(headers))
    print(fmt(["-" * w for w in widths]))
    for r in rows:
        print(fmt(r))


def report(results: list[DbResult], reps: int, insert_reps: int, n_sites: int, tree: Tree) -> None:
    print()
    print(
        f"Tree: 1 district → {STREETS} streets → {COMMUNITIES} communities each → {GRIDS} grids each "
        f"= {len(tree.nodes)} regions, {len(tree.by_level['grid'])} grids; {n_sites} sites "
        f"(lognormal density per grid, seed {SEED})."
    )
    print(
        f"{reps} repetitions per storage × level × database, cycling over "
        + ", ".join(f"{SAMPLE_PER_LEVEL[lvl]} {lvl}" for lvl in LEVELS)
        + " region(s); latencies in ms, client-side, one autocommit statement each,"
        " the three storages interleaved."
    )
    print(
        "Materialized path gets R's path (the app holds the Region row), closure and CTE get R's id; "
        "every region queried returned identical results from all three (asserted). "
        "'sites' = mean sites under R; ×MP = ratio to materialized path."
    )
    for op, title in (
        ("count", "Count: SELECT count(*) of the sites under R"),
        ("page", f"First page: SELECT id, name, category, risk_level … ORDER BY id LIMIT {PAGE}"),
    ):
        print()
        print(f"== {title}")
        rows = []
        for res in results:
            for level in LEVELS:
                base = res.queries[op][(level, "path")]
                for storage in STORAGES:
                    s = res.queries[op][(level, storage)]
                    rows.append(
                        [
                            res.name,
                            level,
                            f"{res.sizes[level]:.0f}",
                            STORAGE_LABEL[storage],
                            f"{s.median_ms:.3f}",
                            f"{s.p90_ms:.3f}",
                            f"{s.median_ms / base.median_ms:.2f}",
                            f"{s.p90_ms / base.p90_ms:.2f}",
                        ]
                    )
        print_table(
            ["database", "level", "sites", "storage", "median ms", "p90 ms", "×MP med", "×MP p90"],
            rows,
            right_from=4,
        )
    print()
    print(
        f"== Maintenance: insert one new grid under a community ({insert_reps} inserts, statement time, "
        "commit excluded)"
    )
    rows = []
    for res in results:
        base = res.inserts["path"]
        for storage in STORAGES:
            s = res.inserts[storage]
            stmts = {
                "path": "INSERT + UPDATE path",
                "closure": "INSERT + INSERT…SELECT ancestors",
                "adjacency": "INSERT",
            }[storage]
            rows.append(
                [
                    res.name,
                    STORAGE_LABEL[storage],
                    stmts,
                    f"{s.median_ms:.3f}",
                    f"{s.p90_ms:.3f}",
                    f"{s.median_ms / base.median_ms:.2f}",
                ]
            )
    print_table(["database", "storage", "statements", "median ms", "p90 ms", "×MP med"], rows, right_from=3)
    print()
    print("== Extra storage")
    rows = [[res.name, label, what] for res in results for label, what in res.storage]
    print_table(["database", "storage", "extra"], rows, right_from=99)
    print()
    print("== Machine and databases")
    facts = machine_facts() + [(res.name, res.version) for res in results]
    facts += [(f"{res.name} load", f"{res.load_s:.1f} s (create, bulk insert, ANALYZE)") for res in results]
    facts += [(res.name, note) for res in results for note in res.notes]
    width = max(len(k) for k, _ in facts)
    for key, value in facts:
        print(f"{key.ljust(width)}  {value}")


# --------------------------------------------------------------------------- databases


@contextmanager
def sqlite_engine() -> Iterator[tuple[Engine, str, list[str]]]:
    with tempfile.TemporaryDirectory(prefix="hazardloop-bench-") as tmp:
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            with engine.connect() as conn:
                journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar_one()
            yield (
                engine,
                f"SQLite {sqlite3.sqlite_version}",
                [f"file in a temp dir, journal_mode={journal}, default pragmas (as the app)"],
            )
        finally:
            engine.dispose()


@contextmanager
def postgresql_engine(server_url: str) -> Iterator[tuple[Engine, str, list[str]]]:
    server = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    dbname = f"hazardloop_bench_{uuid.uuid4().hex[:10]}"
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE \"{dbname}\" TEMPLATE template0 ENCODING 'UTF8'")
        engine = sa.create_engine(sa.make_url(server_url).set(database=dbname))
        try:
            with engine.connect() as conn:
                version = conn.exec_driver_sql("SHOW server_version").scalar_one()
                settings = {
                    k: conn.exec_driver_sql(f"SHOW {k}").scalar_one()
                    for k in ("shared_buffers", "work_mem", "jit")
                }
            notes = [
                f"throwaway database {dbname} (dropped afterwards), TCP 127.0.0.1, "
                + ", ".join(f"{k}={v}" for k, v in settings.items())
            ]
            yield engine, f"PostgreSQL {version}", notes
        finally:
            engine.dispose()
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        server.dispose()


def run_db(
    name: str,
    engine_cm: Callable[[], Any],
    tree: Tree,
    reps: int,
    insert_reps: int,
) -> DbResult:
    with engine_cm() as (engine, version, notes):
        print(f"[{name}] loading …", file=sys.stderr, flush=True)
        load_s = load(engine, tree, random.Random(SEED + 1))
        queries: dict[str, dict[tuple[str, str], Stat]] = {}
        sizes: dict[str, float] = {}
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for op in ("count", "page"):
                print(f"[{name}] timing {op} ×{reps} …", file=sys.stderr, flush=True)
                queries[op], sizes = time_queries(conn, tree, op, reps, random.Random(SEED + 2))
        print(f"[{name}] timing inserts ×{insert_reps} …", file=sys.stderr, flush=True)
        inserts = time_inserts(engine, tree, insert_reps)
        facts = storage_facts(engine)
        return DbResult(name, version, load_s, queries, sizes, inserts, facts, notes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (~20 s)")
    parser.add_argument(
        "--pg-server",
        default=os.environ.get("BENCH_PG_SERVER", DEFAULT_PG_SERVER),
        help="SQLAlchemy URL of a PostgreSQL server where a throwaway database may be created",
    )
    args = parser.parse_args(argv)

    reps = 30 if args.quick else 200
    insert_reps = 30 if args.quick else 200
    tree = build_tree(SITES, random.Random(SEED))
    assert len(tree.site_grid_ids) == SITES and len(tree.by_level["grid"]) == STREETS * COMMUNITIES * GRIDS

    started = time.perf_counter()
    results = []
    if args.db in ("sqlite", "both"):
        results.append(run_db("sqlite", sqlite_engine, tree, reps, insert_reps))
    if args.db in ("postgresql", "both"):
        results.append(
            run_db("postgresql", lambda: postgresql_engine(args.pg_server), tree, reps, insert_reps)
        )
    report(results, reps, insert_reps, SITES, tree)
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
