"""`hazardloop checklists validate|sync`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from hazardloop.checklists.format import ChecklistFormatError, validate_directory
from hazardloop.checklists.services import PROJECT_CHECKLISTS
from hazardloop.extensions import db

checklists_cli = AppGroup("checklists", help="三标融合检查表：校验与同步入库。")

DIRECTORY = click.argument("directory", required=False, type=click.Path(path_type=Path))


@checklists_cli.command("validate", with_appcontext=False)
@DIRECTORY
def validate_command(directory: Path | None) -> None:
    """Check every checklist file; print each problem as file:line: reason."""
    directory = directory or PROJECT_CHECKLISTS
    problems = validate_directory(directory)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} 处问题。")
    files = sorted(p.name for p in directory.glob("*.y*ml"))
    click.echo(f"检查表校验通过：{len(files)} 个文件。")


@checklists_cli.command("sync")
@DIRECTORY
def sync_command(directory: Path | None) -> None:
    """Load the checklist files into the database as versions (all or nothing; idempotent)."""
    from hazardloop.checklists.services import sync_checklists
    from hazardloop.cli import require_current_schema

    require_current_schema()
    try:
        report = sync_checklists(directory)
    except ChecklistFormatError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException("同步失败，数据库未作任何修改。") from exc
    db.session.commit()
    click.echo(report.describe())
