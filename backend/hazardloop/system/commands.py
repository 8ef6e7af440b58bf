"""`hazardloop backup verify`: restore a backup into a scratch database and verify it (备份校验)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

backup_cli = AppGroup("backup", help="备份：恢复到临时库并校验审计哈希链和照片原图。")


@backup_cli.command("verify")
@click.argument("dump", required=False, type=click.Path(path_type=Path))
@click.option("--database-url", help="已恢复副本的数据库地址（pg_basebackup + WAL 归档恢复出的库），不建临时库。")
@click.option("--server", help="在哪个 PostgreSQL 上建临时库（默认 DATABASE_URL 所在的服务器；需要 CREATEDB 权限）。")
@click.option("--keep", is_flag=True, help="校验后保留临时库，便于查看。")
def verify_command(dump: Path | None, database_url: str | None, server: str | None, keep: bool) -> None:
    """Restore DUMP (a pg_dump file) into a scratch database, or read --database-url, and verify it.

    Prints a Chinese summary; fails when the audit chain is broken or a photo original is missing or altered.
    """
    from hazardloop.config import sqlalchemy_url
    from hazardloop.system.backup import BackupError, verify_backup

    try:
        report = verify_backup(
            settings=current_app.config, dump=dump, database_url=sqlalchemy_url(database_url) if database_url else None,
            server_url=sqlalchemy_url(server or current_app.config["SQLALCHEMY_DATABASE_URI"]), keep=keep)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise click.ClickException("备份校验未通过，见上文。")
