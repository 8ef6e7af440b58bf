"""The reminder and escalation ladder, read from the policy file (config/escalation.yaml by default)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from hazardloop.notifications.services import RECIPIENT_GROUPS, REPORT_RECIPIENT_GROUPS

DEFAULT_POLICY = Path(__file__).resolve().parents[3] / "config" / "escalation.yaml"
CASE_KINDS = ("supervision_proposal", "blacklist_candidate")


@dataclass(frozen=True)
class Reminder:
    kind: str
    label: str
    working_days_before: int
    notify: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    overdue_working_days: int
    level: str | None = None

    def holds(self, level: str, overdue_working_days: int) -> bool:
        return overdue_working_days >= self.overdue_working_days and self.level in (None, level)


@dataclass(frozen=True)
class Rung:
    rung: str
    label: str
    when: tuple[Condition, ...]
    notify: tuple[str, ...]
    open_cases: tuple[str, ...] = ()

    def due(self, level: str, overdue_working_days: int) -> bool:
        return any(c.holds(level, overdue_working_days) for c in self.when)


@dataclass(frozen=True)
class Ladder:
    reminders: tuple[Reminder, ...]
    rungs: tuple[Rung, ...]
    report_rungs: tuple[Rung, ...] = ()  # 群众举报 past their triage deadline


class PolicyError(ValueError):
    """The policy file is malformed; the message names the entry."""


def _groups(entry: dict[str, Any], where: str, known: tuple[str, ...] = RECIPIENT_GROUPS) -> tuple[str, ...]:
    groups = tuple(entry.get("notify") or ())
    unknown = set(groups) - set(known)
    if unknown:
        raise PolicyError(f"{where}: unknown recipients {sorted(unknown)}")
    return groups


def parse_ladder(data: dict[str, Any]) -> Ladder:
    """Validate the policy mapping; raises PolicyError naming the first bad entry."""
    reminders = []
    for entry in data.get("reminders") or []:
        where = f"reminder {entry.get('kind')!r}"
        days = entry.get("working_days_before")
        if not entry.get("kind") or not isinstance(days, int) or days < 0:
            raise PolicyError(f"{where}: needs kind and working_days_before >= 0")
        reminders.append(Reminder(entry["kind"], entry.get("label") or entry["kind"], days, _groups(entry, where)))
    rungs = _parse_rungs(data.get("rungs") or [], "rung", RECIPIENT_GROUPS)
    report_rungs = _parse_rungs(data.get("report_rungs") or [], "report rung", REPORT_RECIPIENT_GROUPS)
    if any(r.open_cases for r in report_rungs):
        raise PolicyError("report_rungs: open_cases apply to hazards only")
    return Ladder(tuple(sorted(reminders, key=lambda r: -r.working_days_before)), rungs, report_rungs)


def _parse_rungs(entries: list[dict[str, Any]], what: str, known: tuple[str, ...]) -> tuple[Rung, ...]:
    rungs, seen = [], set()
    for entry in entries:
        where = f"{what} {entry.get('rung')!r}"
        if not entry.get("rung") or entry["rung"] in seen or not entry.get("when"):
            raise PolicyError(f"{where}: needs a unique name and at least one condition")
        seen.add(entry["rung"])
        conditions = []
        for cond in entry["when"]:
            days = cond.get("overdue_working_days")
            if not isinstance(days, int) or days < 0 or cond.get("level") not in (None, "general", "major"):
                raise PolicyError(f"{where}: condition {cond} needs overdue_working_days >= 0 and a known level")
            conditions.append(Condition(days, cond.get("level")))
        cases = tuple(entry.get("open_cases") or ())
        if set(cases) - set(CASE_KINDS):
            raise PolicyError(f"{where}: open_cases must be among {CASE_KINDS}")
        rungs.append(Rung(entry["rung"], entry.get("label") or entry["rung"], tuple(conditions),
                          _groups(entry, where, known), cases))
    return tuple(rungs)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Ladder:
    with open(path, encoding="utf-8") as f:
        return parse_ladder(yaml.safe_load(f) or {})


def load_ladder(path: str | None = None) -> Ladder:
    """The ladder from ``path`` (or ESCALATION_POLICY / the default file), re-read when the file changes."""
    file = Path(path or DEFAULT_POLICY)
    return _load(str(file), file.stat().st_mtime)
