"""The hazard list: filters, sorts and cursor pagination over the caller's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, or_, select

from hazardloop import cursors, policy
from hazardloop.accounts.models import User
from hazardloop.database import utcnow
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import HazardStatus
from hazardloop.regions.models import Region
from hazardloop.regions.services import grid_ids_under
from hazardloop.sites.models import Site

FAR_FUTURE = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
RUNNING = [HazardStatus.ASSIGNED.value, HazardStatus.RECTIFYING.value]
# The running statuses as SQL literals, not parameters: psycopg prepares a statement run often, and
# PostgreSQL's generic plan for it may use the partial indexes on running hazards (ix_hazards_running_*,
# whose WHERE names these values) only if the query names them too; with parameters it reads every
# hazard of every site in scope.
IS_RUNNING: ColumnElement[bool] = Hazard.status.in_([literal_column(f"'{s}'") for s in RUNNING])


def filters(user: User, args: dict[str, Any]) -> list[ColumnElement[bool]]:
    """Every WHERE condition of a list request, scope first."""
    now = utcnow()
    where: list[ColumnElement[bool]] = [policy.visible(user, Hazard)]
    if statuses := args.get("status"):
        where.append(Hazard.status.in_(statuses))
    for key, column in (("level", Hazard.level), ("domain", Hazard.domain), ("source", Hazard.source),
                        ("site", Hazard.site_id), ("department", Hazard.department_id),
                        ("supervised", Hazard.supervised)):
        if args.get(key) is not None:
            where.append(column == args[key])
    if region_id := args.get("region"):
        region = db.session.get(Region, region_id)
        if region is None:
            where.append(literal(False))
        else:
            where.append(Hazard.site_id.in_(select(Site.id).where(Site.grid_id.in_(grid_ids_under(region.path)))))
    if args.get("overdue") is True:
        where += [IS_RUNNING, Hazard.deadline_at < now]
    elif args.get("overdue") is False:
        where.append(or_(Hazard.status.not_in(RUNNING), Hazard.deadline_at.is_(None), Hazard.deadline_at >= now))
    if due := args.get("due_before"):
        where += [IS_RUNNING, Hazard.deadline_at < due]
    if args.get("found_from"):
        where.append(Hazard.found_at >= args["found_from"])
    if args.get("found_to"):
        where.append(Hazard.found_at < args["found_to"])
    if args.get("loop") == "closed_unreported":
        where += [Hazard.status == HazardStatus.CLOSED.value, Hazard.reported_at.is_(None)]
    elif args.get("loop") == "complete":
        where += [Hazard.status == HazardStatus.CLOSED.value, Hazard.reported_at.is_not(None)]
    if q := args.get("q"):
        where.append(or_(Hazard.description.contains(q), Hazard.number == q.upper(),
                         Hazard.site_id.in_(select(Site.id).where(Site.name.contains(q)))))
    return where


def _sort_column(sort: str, every_row_has_a_deadline: bool = False) -> tuple[Any, bool]:
    name = sort.lstrip("-")
    # Where the filters keep only running deadlines (overdue, due before), the plain column sorts the same rows
    # the same way, and PostgreSQL can hand a page over in order from the running-deadline index instead of
    # reading and sorting every row of the scope.
    deadline = Hazard.deadline_at if every_row_has_a_deadline else func.coalesce(Hazard.deadline_at, FAR_FUTURE)
    column = {"found_at": Hazard.found_at, "id": Hazard.id, "deadline_at": deadline}[name]
    return column, sort.startswith("-")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, int]:
    def parse(values: list[Any]) -> tuple[Any, int]:
        value, hazard_id = values
        if sort.lstrip("-") != "id":
            value = dt.datetime.fromisoformat(value)
        return value, int(hazard_id)
    return cursors.decode(cursor, parse)


# The list's columns, named as HazardSchema's fields (tests/hazards/test_list.py keeps the two equal):
# reading plain columns instead of ORM objects is most of what makes a page cheap.
LIST_COLUMNS: list[Any] = [
    Hazard.id, Hazard.number, Hazard.site_id, Site.name.label("site_name"), Hazard.source, Hazard.covert,
    Hazard.item_code, Hazard.description, Hazard.level, Hazard.domain, Hazard.status, Hazard.found_at,
    Hazard.deadline_at, Hazard.deadline_estimated, Hazard.department_id, Hazard.rejection_count,
    Hazard.repeat_count, Hazard.recurrence_of_id, Hazard.recurrence_count, Hazard.extension_state,
    Hazard.supervised, Hazard.supervising_authority, Hazard.closed_at, Hazard.reported_at, Hazard.photo_ids,
    Hazard.lat, Hazard.lng,
]


def page_query(where: list[ColumnElement[bool]], args: dict[str, Any]) -> Select[Any]:
    """The statement of one page: ``limit + 1`` rows after the cursor in the sort's order."""
    column, descending = _sort_column(args["sort"], args.get("overdue") is True or bool(args.get("due_before")))
    query: Select[Any] = select(*LIST_COLUMNS).join(Site, Site.id == Hazard.site_id).where(*where)
    if cursor := args.get("cursor"):
        value, after_id = decode_cursor(cursor, args["sort"])
        if descending:
            query = query.where(or_(column < value, (column == value) & (Hazard.id < after_id)))
        else:
            query = query.where(or_(column > value, (column == value) & (Hazard.id > after_id)))
    order = [column.desc(), Hazard.id.desc()] if descending else [column.asc(), Hazard.id.asc()]
    return query.order_by(*order).limit(args["limit"] + 1)


def page(user: User, args: dict[str, Any]) -> dict[str, Any]:
    """One page of hazards (as rows named like HazardSchema), the next cursor, and counts by status (first page)."""
    where = filters(user, args)
    limit = args["limit"]
    rows = [dict(r) for r in db.session.execute(page_query(where, args)).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        key = {"found_at": last["found_at"], "id": last["id"],
               "deadline_at": last["deadline_at"] or FAR_FUTURE}[args["sort"].lstrip("-")]
        next_cursor = cursors.encode([key, last["id"]])
    now = utcnow()
    for row in rows:
        row["overdue"] = row["status"] in RUNNING and row["deadline_at"] is not None and row["deadline_at"] < now
    return {"items": rows, "next_cursor": next_cursor,
            # Later pages repeat the first page's filters: the client already has the counts.
            "counts": None if args.get("cursor") else status_counts(where)}


def status_counts(where: list[ColumnElement[bool]]) -> dict[str, int]:
    """How many hazards per status match ``where`` (every status present, zeros included)."""
    counts = dict(db.session.execute(select(Hazard.status, func.count()).where(*where)
                                     .group_by(Hazard.status)).all())
    return {s.value: counts.get(s.value, 0) for s in HazardStatus}
