"""批量导入 rules: upload a file, check it in a worker (试导入), confirm, apply it in batches, report each row.

A check never writes a site; applying is allowed only for a file whose check found no problem, and it
re-checks every row as it goes (the register may have changed since). Each batch of rows is one
transaction that also advances ``rows_done`` and records the rows' outcomes, so a worker killed mid-way
resumes after the last committed batch and never applies a row twice; re-importing the same file
changes nothing (sites are matched by credit code, else by name + address + grid).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from flask import current_app
from sqlalchemy import delete, func, select, update
from werkzeug.datastructures import FileStorage

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.bulk import copy_rows, insert_rows
from hazardloop.database import utcnow
from hazardloop.downloads import safe_row
from hazardloop.errors import Conflict, NotFound, ValidationFailed
from hazardloop.evidence.storage import local_file, storage
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.imports import sites as rules
from hazardloop.imports.kinds import KINDS, Kind
from hazardloop.imports.models import ImportJob, ImportProblem, ImportRowOutcome
from hazardloop.imports.reading import FileProblem, Table, open_table
from hazardloop.outbox.services import enqueue_after_commit
from hazardloop.policy import Action
from hazardloop.sites.models import Site, SiteDomain, new_qr_token
from hazardloop.taxonomy import DOMAIN_LABELS, SITE_CATEGORY_LABELS, RiskLevel

OUTCOME_LABELS = {"created": "新建", "updated": "更新", "unchanged": "未变", "error": "未导入"}
STATUS_LABELS = {"checking": "正在检查", "checked": "检查完成", "importing": "正在导入", "done": "导入完成",
                 "failed": "失败"}
KEPT_PROBLEMS = 1000  # a file with more lists the first ones and the total
SUFFIXES = {".xlsx", ".csv"}
KIND_TITLES = {"sites": "场所", "users": "用户", "grids": "网格"}


def _file_key(stored: str) -> str:
    """Where an uploaded file is kept until its job is done: the app's object store (photos' storage), so
    the worker that checks it may run on another node than the web node that received it (cluster.py)."""
    return f"imports/{stored}"


# --- starting, reading, confirming -----------------------------------------------------------------

def start_import(*, user: User, upload: FileStorage | None, kind: str = "sites") -> ImportJob:
    """Keep the uploaded file and queue its check. Raises ValidationFailed for a missing or wrong file."""
    if not policy.holds(user, Action.IMPORT_SITES):
        raise NotFound("请求的资源不存在。")
    if kind not in KIND_TITLES:
        raise ValidationFailed.field("kind", "请选择导入的内容：场所、用户或网格。", "kind_unknown")
    if upload is None or not upload.filename:
        raise ValidationFailed.field("file", "请选择要导入的文件（.xlsx 或 .csv）。", "file_missing")
    name = Path(upload.filename).name[:255]
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationFailed.field("file", "只能导入 Excel（.xlsx）或 CSV 文件；旧版 .xls 请先另存为 .xlsx。",
                                     "file_type")
    stored = f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    fd, spooled = tempfile.mkstemp(dir=storage().incoming_dir(), prefix=".import-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed.field("file", "文件是空的。", "file_empty")
        storage().put_file(_file_key(stored), spooled, upload.mimetype or "application/octet-stream")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spooled)  # put_file consumed it, unless the file was refused
    job = ImportJob(kind=kind, status="checking", filename=name, stored_path=stored,
                    file_sha256=digest.hexdigest(), created_by_id=user.id, planned={}, applied={})
    db.session.add(job)
    db.session.flush()
    enqueue_after_commit("imports.check", {"job_id": job.id}, dedupe_key=f"import-check:{job.id}")
    return job


def get_job(job_id: int, user: User, *, lock: bool = False) -> ImportJob:
    query = select(ImportJob).where(ImportJob.id == job_id)
    if lock:
        query = query.with_for_update()
    job = db.session.scalar(query)
    if job is None:
        raise NotFound("导入任务不存在。")
    policy.authorize(user, Action.IMPORT_SITES, job)
    return job


def list_jobs(user: User, limit: int = 20) -> list[ImportJob]:
    return list(db.session.scalars(select(ImportJob).where(policy.visible(user, ImportJob))
                                   .order_by(ImportJob.id.desc()).limit(limit)))


def problems_of(job: ImportJob, limit: int = 200) -> list[ImportProblem]:
    return list(db.session.scalars(select(ImportProblem).where(ImportProblem.job_id == job.id)
                                   .order_by(ImportProblem.row, ImportProblem.id).limit(limit)))


def confirm_import(job: ImportJob, user: User) -> ImportJob:
    """Apply a checked file. Raises Conflict unless its check finished without a problem (or if another
    person confirmed it first)."""
    if job.status in ("importing", "done"):
        raise Conflict("该文件已确认导入，无需重复确认。", code="import_already_confirmed")
    if job.status != "checked":
        raise Conflict("文件还没有检查完成，请稍候。" if job.status == "checking" else "该文件无法导入，请重新上传。",
                       code="import_not_checked")
    if job.problem_count:
        raise Conflict(f"文件还有 {job.problem_count} 处问题，请改正后重新上传。", code="import_has_problems")
    job.status, job.confirmed_by_id, job.confirmed_at = "importing", user.id, utcnow()
    db.session.flush()
    enqueue_after_commit("imports.apply", {"job_id": job.id}, dedupe_key=f"import-apply:{job.id}")
    return job


# --- the worker's part ------------------------------------------------------------------------------

def _batch_size() -> int:
    return int(current_app.config.get("IMPORT_BATCH_ROWS", 1000))


def _max_rows() -> int:
    return int(current_app.config.get("IMPORT_MAX_ROWS", 150_000))


def _fail(job: ImportJob, message: str) -> None:
    job.status, job.error, job.finished_at = "failed", message, utcnow()
    db.session.commit()


def _with_table(job_id: int, status: str,
                work: Callable[[ImportJob, User, Table, _Rows], None]) -> ImportJob | None:
    """Run ``work`` on a job in ``status`` with its file open and its kind's rules (a job in another status was
    done already: a repeated message is a no-op); a file that cannot be read fails the job with the reason."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != status:
        return None
    user = db.session.get(User, job.confirmed_by_id or job.created_by_id)
    with contextlib.ExitStack() as stack:
        try:
            path = stack.enter_context(local_file(storage(), _file_key(job.stored_path),
                                                  suffix=Path(job.stored_path).suffix))
            table = open_table(path)
        except FileNotFoundError:
            _fail(job, "找不到上传的文件，请重新上传。")
            return job
        except FileProblem as exc:
            _fail(job, str(exc))
            return job
        stack.callback(table.close)
        try:
            rows = _rows_of(job, user, table.headers)
        except rules.HeaderProblem as exc:
            _fail(job, str(exc))
            return job
        work(job, user, table, rows)
    return job


def check_import(job_id: int) -> None:
    """试导入: read every row, record each problem by row and column and what applying would do."""
    _with_table(job_id, "checking", _check_rows)


def apply_import(job_id: int) -> None:
    """Apply a confirmed file batch by batch from where it stopped; record each row's outcome."""
    job = _with_table(job_id, "importing", _apply_rows)
    if job is not None and job.status == "done":
        storage().delete(_file_key(job.stored_path))


@dataclass
class _Rows:
    """How one kind of file's rows are checked and written; the check and apply loops below serve every kind."""

    title: str  # 场所 / 用户 / 网格
    event_kind: str
    index: dict[str, int]
    ignored: list[str]
    # One row on its own (and against the rows before it in the file): the checked record, or its problems.
    check: Callable[[int, list[Any]], tuple[Any, list[rules.Problem]]]
    # A batch of checked records against the current register: sets each one's outcome, returns refusals.
    settle: Callable[[list[Any]], list[rules.Problem]]
    # A batch of checked records written: their outcome rows (without the job id).
    write: Callable[[list[Any]], list[dict[str, Any]]]


def _rows_of(job: ImportJob, user: User, headers: list[str]) -> _Rows:
    """The rules for the job's kind. Raises rules.HeaderProblem for a header that lacks required columns."""
    if job.kind in KINDS:
        return _kind_rows(KINDS[job.kind], user, headers)
    index, ignored = rules.map_headers(headers)
    grids, register = rules.Grids.for_user(user), rules.Register.load()

    def check(number: int, values: list[Any]) -> tuple[rules.SiteRow | None, list[rules.Problem]]:
        site, found = rules.check_row(number, values, index, grids)
        return site, found + register.match(site) if site is not None else found

    return _Rows(KIND_TITLES["sites"], "sites_imported", index, ignored, check,
                 lambda batch: rules.compare(batch, user), lambda checked: _write_sites(checked, user, register))


def _kind_rows(kind: Kind, user: User, headers: list[str]) -> _Rows:
    index, ignored = rules.map_headers(headers, kind.columns)
    context = kind.prepare(user)
    titles = {c.key: c.title for c in kind.columns}

    def check(number: int, values: list[Any]) -> tuple[Any, list[rules.Problem]]:
        formulas = [rules.Problem(number, titles[key], "是公式，请在 Excel 中复制后“粘贴为数值”再上传")
                    for key, i in index.items()
                    if i < len(values) and isinstance(values[i], str) and values[i].startswith("=")]
        checked, found = kind.check(number, _reader(values, index), context, user)
        return checked, formulas + found

    def write(checked: list[Any]) -> list[dict[str, Any]]:
        kind.apply(checked, user, context)
        return [{"row": c.row, "outcome": c.outcome if c.match_id else "error",
                 "site_id": c.match_id, "label": c.label[:200],
                 "message": None if c.match_id else "上级区域不能设网格"} for c in checked]

    return _Rows(kind.title, kind.event_kind, index, ignored, check, lambda batch: [], write)


def _reader(values: list[Any], index: dict[str, int]) -> Callable[[str], Any]:
    return lambda key: values[index[key]] if key in index and index[key] < len(values) else None


def _check_rows(job: ImportJob, user: User, table: Table, rows: _Rows) -> None:
    counts: Counter[str] = Counter()
    kept: list[dict[str, Any]] = []
    total = problem_count = 0
    batch: list[Any] = []

    def note(found: list[rules.Problem]) -> None:
        nonlocal problem_count
        problem_count += len(found)
        kept.extend({"job_id": job.id, "row": p.row, "column_title": p.column, "message": p.message[:500]}
                    for p in found[:max(0, KEPT_PROBLEMS - len(kept))])

    def settle() -> None:
        note(rows.settle(batch))
        counts.update(r.outcome for r in batch)
        batch.clear()

    try:
        for number, values in table.rows:
            total += 1
            if total > _max_rows():
                _fail(job, f"文件超过 {_max_rows():,} 行，请拆分成几个文件分别导入。")
                return
            found: list[rules.Problem] = []
            if number in table.merged_rows:
                merged = table.merged_rows[number]
                found.append(rules.Problem(number, None, f"含合并单元格（{merged}），请取消合并后重新上传"))
            checked, row_problems = rows.check(number, values)
            found += row_problems
            if found:
                counts["invalid"] += 1
                note(found)
            elif checked is not None:
                batch.append(checked)
                if len(batch) >= _batch_size():
                    settle()
    except FileProblem as exc:
        _fail(job, str(exc))
        return
    settle()
    if total == 0:
        _fail(job, "文件只有表头，没有数据行。")
        return
    if kept:
        insert_rows(ImportProblem, kept)
    job.rows_total, job.problem_count = total, problem_count
    job.planned = {"created": counts["created"], "updated": counts["updated"], "unchanged": counts["unchanged"],
                   "invalid": counts["invalid"], "ignored_columns": rows.ignored,
                   "ignored_sheets": table.ignored_sheets}
    job.status, job.checked_at = "checked", utcnow()
    db.session.commit()


def _apply_rows(job: ImportJob, user: User, table: Table, rows: _Rows) -> None:
    already, seen = job.rows_done, 0
    pending: list[tuple[int, list[Any]]] = []

    def flush() -> None:
        """One transaction: the batch's writes, its rows' outcomes and the resume point."""
        outcomes: list[dict[str, Any]] = []
        good: list[Any] = []
        for number, values in pending:
            checked, found = rows.check(number, values)
            if found or checked is None:
                outcomes.append({"job_id": job.id, "row": number, "outcome": "error", "site_id": None,
                                 "label": str(_reader(values, rows.index)("name") or "")[:200] or None,
                                 "message": "；".join(f"「{p.column}」{p.message}" if p.column else p.message
                                                     for p in found)[:500] or None})
            else:
                good.append(checked)
        outcomes += [{"job_id": job.id, **outcome} for outcome in rows.write(good)]
        copy_rows(ImportRowOutcome, outcomes)
        job.rows_done += len(pending)
        db.session.commit()
        pending.clear()

    for number, values in table.rows:
        seen += 1
        if seen <= already:
            continue  # applied by a run that stopped after committing this batch
        pending.append((number, values))
        if len(pending) >= _batch_size():
            flush()
    if pending:
        flush()
    applied = {outcome: count for outcome, count in db.session.execute(
        select(ImportRowOutcome.outcome, func.count()).where(ImportRowOutcome.job_id == job.id)
        .group_by(ImportRowOutcome.outcome))}
    job.applied = {k: applied.get(k, 0) for k in ("created", "updated", "unchanged", "error")}
    job.status, job.finished_at = "done", utcnow()
    role = policy.acting_role(user, Action.IMPORT_SITES, job)
    append_event(kind=rows.event_kind, actor=user, actor_role=role.value if role else None,
                 note=f"批量导入{rows.title}：{job.filename}",
                 payload={"import_id": job.id, "file_sha256": job.file_sha256, **job.applied})
    db.session.commit()


def _write_sites(checked: list[rules.SiteRow], user: User, register: rules.Register) -> list[dict[str, Any]]:
    """The batch's new sites and changed sites (a matched site the user may not change is refused)."""
    refused = {p.row: p.message for p in rules.compare(checked, user)}
    now = utcnow()
    creates = [s for s in checked if s.outcome == "created"]
    ids = insert_rows(Site, [{
        "name": s.fields["name"], "credit_code": s.fields["credit_code"], "credit_code_check_failed": False,
        "credit_code_confirmed_by_id": None, "credit_code_confirmed_at": None, "address": s.fields["address"],
        "grid_id": s.fields["grid_id"], "lng": s.fields["lng"], "lat": s.fields["lat"],
        "category": s.fields["category"], "risk_level": RiskLevel.BLUE.value,
        "contact_name": s.fields["contact_name"], "contact_mobile": s.fields["contact_mobile"],
        "notes": s.fields["notes"], "qr_token": new_qr_token(), "qr_rotated_at": None, "active": True,
        "created_at": now, "updated_at": now} for s in creates])
    copy_rows(SiteDomain, rules.domain_rows(ids, (s.domains for s in creates)))
    for site, site_id in zip(creates, ids, strict=True):
        site.match_id = site_id
        register.remember(site, site_id)
    outcomes: list[dict[str, Any]] = []
    for site in checked:
        if site.outcome == "updated":
            changes = {k: v for k, v in site.fields.items() if k in rules.COMPARED and v is not None}
            db.session.execute(update(Site).where(Site.id == site.match_id).values(**changes, updated_at=now))
            if site.domains_given:
                db.session.execute(delete(SiteDomain).where(SiteDomain.site_id == site.match_id))
                db.session.execute(SiteDomain.__table__.insert(),
                                   rules.domain_rows([site.match_id], [site.domains]))
        outcomes.append({"row": site.row, "site_id": site.match_id,
                         "outcome": "error" if site.row in refused else site.outcome,
                         "label": site.fields["name"], "message": refused.get(site.row)})
    from hazardloop.risk.catalog import attach_template_points  # 风险点 of new sites and changed categories

    attach_template_points([s.match_id for s in checked if s.match_id and s.row not in refused], actor=user)
    return outcomes


def import_failed(job_id: int, error: str) -> None:
    """Called when the worker gave up on a job (after retries): the person sees it failed."""
    job = db.session.get(ImportJob, job_id)
    if job is not None and job.status in ("checking", "importing"):
        job.status, job.finished_at = "failed", utcnow()
        job.error = "导入过程中出错，已导入的部分保留，请稍后重新上传同一文件继续（不会重复导入）。"


# --- files for people ---------------------------------------------------------------------------------

def _workbook_file(prefix: str) -> IO[bytes]:
    return tempfile.TemporaryFile(prefix=prefix, suffix=".xlsx")  # send_file closes it


def template_xlsx(user: User) -> IO[bytes]:
    """The site template: the columns with an example row, and a sheet of the allowed values."""
    grids = sorted({p for p in rules.Grids.for_user(user).by_path if p.count("/") >= 1})
    example_grid = min(grids, key=len, default="A街道/A社区/A1网格")
    lines: list[list[Any]] = [["场所类别（填写名称）"], *[[label] for label in SITE_CATEGORY_LABELS.values()], [],
                              ["监管领域（填写名称，可多个）"], *[[label] for label in DOMAIN_LABELS.values()], [],
                              ["您可导入的网格（完整路径）"], *[[path] for path in grids]]
    return _template(KIND_TITLES["sites"], rules.COLUMNS, [28, 22, 30, 28, 14, 22, 10, 10, 10, 14, 20],
                     ["示例便利店", "", "某某路1号", example_grid, "小商店", "九小场所、消防安全", 120.15, 30.28,
                      "张三", "13800138000", ""], lines)


def kind_template_xlsx(user: User, kind_name: str) -> IO[bytes]:
    """The users or grids template: the columns with an example row, and a sheet of what may be filled in."""
    kind = KINDS[kind_name]
    return _template(kind.title, kind.columns, [30] * len(kind.columns), kind.example,
                     kind.help_lines(user, kind.prepare(user)))


def _template(title: str, columns: tuple[rules.Column, ...], widths: list[int], example: list[Any],
              lines: list[list[Any]]) -> IO[bytes]:
    """A template workbook: the columns (required ones starred) and a 填写说明 sheet with an example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([f"{c.title}{'*' if c.required else ''}" for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    sheet.freeze_panes = "A2"
    help_sheet = book.create_sheet("填写说明")
    help_sheet.append(["列", "是否必填", "说明"])
    for column in columns:
        help_sheet.append(safe_row([column.title, "必填" if column.required else "选填", column.hint]))
    help_sheet.append([])
    help_sheet.append([f"示例（填在“{title}”表第 2 行起）"])
    help_sheet.append(safe_row(example))
    help_sheet.append([])
    for line in lines:
        help_sheet.append(safe_row(line))
    help_sheet.column_dimensions["A"].width = 40
    help_sheet.column_dimensions["C"].width = 60
    out = _workbook_file("hazardloop-template-")
    book.save(out)
    out.seek(0)
    return out


def result_xlsx(job: ImportJob) -> IO[bytes]:
    """Each row's outcome, streamed from the outcomes table in row order."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("导入结果")
    sheet.column_dimensions["B"].width = 30
    sheet.column_dimensions["E"].width = 60
    sheet.freeze_panes = "A2"
    kind = KINDS.get(job.kind)
    sheet.append(["行号", "场所名称", "结果", "场所编号", "说明"] if kind is None
                 else ["行号", f"{kind.title}名称" if kind.name == "grids" else "姓名", "结果", kind.id_title, "说明"])
    rows = db.session.execute(select(ImportRowOutcome).where(ImportRowOutcome.job_id == job.id)
                              .order_by(ImportRowOutcome.row).execution_options(yield_per=2000)).scalars()
    for outcome in rows:
        sheet.append(safe_row([outcome.row, outcome.label, OUTCOME_LABELS[outcome.outcome], outcome.site_id,
                               outcome.message]))
    out = _workbook_file("hazardloop-import-")
    book.save(out)
    out.seek(0)
    return out
