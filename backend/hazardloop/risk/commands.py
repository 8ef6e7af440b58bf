"""`hazardloop risks validate|sync|recompute`: 风险点模板 with the same discipline as checklists."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from hazardloop.checklists.format import DEFAULT_REFERENCE_DIR
from hazardloop.extensions import db
from hazardloop.risk.format import PROJECT_RISKS, RiskFormatError, validate_risk_directory

risks_cli = AppGroup("risks", help="风险分级管控：风险点模板的校验与同步，风险等级重算。")

DIRECTORY = click.argument("directory", required=False, type=click.Path(path_type=Path))


@risks_cli.command("validate", with_appcontext=False)
@DIRECTORY
@click.option("--reference", type=click.Path(path_type=Path, file_okay=False),
              help="法规原文目录（shared/reference），用于核对事故类型的引文；"
                   "默认为仓库旁的 ../shared/reference（存在时）。")
def validate_command(directory: Path | None, reference: Path | None) -> None:
    """Check every risk point file; print each problem as file:line: reason."""
    directory = directory or PROJECT_RISKS
    reference = reference or (DEFAULT_REFERENCE_DIR if DEFAULT_REFERENCE_DIR.is_dir() else None)
    problems = validate_risk_directory(directory, reference)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} 处问题。")
    files = [p for p in directory.glob("*.y*ml") if p.name != "vocabulary.yaml"]
    checked = "事故类型引文已核对原文" if reference else "未提供法规原文目录，未核对引文"
    click.echo(f"风险点模板校验通过：{len(files)} 个文件；检查条目均存在；{checked}。")


@risks_cli.command("sync")
@DIRECTORY
def sync_command(directory: Path | None) -> None:
    """Load the templates, give every active site its category's risk points, recompute levels (all or nothing)."""
    from hazardloop.cli import sync_all_or_nothing
    from hazardloop.risk.catalog import sync_catalogs

    sync_all_or_nothing(lambda: sync_catalogs(directory), RiskFormatError)


@risks_cli.command("recompute")
def recompute_command() -> None:
    """Recompute every site's level by the current config/risk.yaml (each change recorded)."""
    from hazardloop.cli import require_current_schema
    from hazardloop.risk.levels import recompute_all

    require_current_schema()
    changed = recompute_all()
    db.session.commit()
    click.echo(f"风险等级已重算：{changed} 家场所等级变化。")
