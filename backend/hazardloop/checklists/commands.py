"""`hazardloop checklists validate|sync|stats`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from hazardloop.checklists.format import (
    DEFAULT_REFERENCE_DIR,
    ChecklistFormatError,
    validate_directory,
)
from hazardloop.checklists.services import PROJECT_CHECKLISTS

checklists_cli = AppGroup("checklists", help="三标融合检查表：校验、统计与同步入库。")

DIRECTORY = click.argument("directory", required=False, type=click.Path(path_type=Path))
REFERENCE = click.option(
    "--reference", type=click.Path(path_type=Path, file_okay=False),
    help="法规原文目录（shared/reference）；默认为仓库旁的 ../shared/reference（存在时）。",
)


def _reference(given: Path | None) -> Path | None:
    if given is not None:
        return given
    return DEFAULT_REFERENCE_DIR if DEFAULT_REFERENCE_DIR.is_dir() else None


@checklists_cli.command("validate", with_appcontext=False)
@DIRECTORY
@REFERENCE
def validate_command(directory: Path | None, reference: Path | None) -> None:
    """Check every checklist file; print each problem as file:line: reason."""
    directory = directory or PROJECT_CHECKLISTS
    reference = _reference(reference)
    problems = validate_directory(directory, reference)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} 处问题。")
    files = sorted(p.name for p in directory.glob("*.y*ml"))
    checked = f"重大隐患判定依据已对照 {reference} 中的原文" if reference else "未提供法规原文目录，未核对引文"
    click.echo(f"检查表校验通过：{len(files)} 个文件；{checked}。")


@checklists_cli.command("stats", with_appcontext=False)
@DIRECTORY
@REFERENCE
def stats_command(directory: Path | None, reference: Path | None) -> None:
    """Lists, rows, distinct requirements, verified share, per domain and per list, and the 重大 items."""
    from hazardloop.checklists.stats import collect_stats

    directory = directory or PROJECT_CHECKLISTS
    try:
        stats = collect_stats(directory, _reference(reference))
    except ChecklistFormatError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException("检查表未通过校验，无法统计。") from exc
    click.echo(stats.describe())


@checklists_cli.command("sync")
@DIRECTORY
def sync_command(directory: Path | None) -> None:
    """Load the checklist files into the database as versions (all or nothing; idempotent)."""
    from hazardloop.checklists.services import sync_checklists
    from hazardloop.cli import sync_all_or_nothing

    sync_all_or_nothing(lambda: sync_checklists(directory), ChecklistFormatError)
