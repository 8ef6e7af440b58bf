"""`hazardloop photos rebuild`: remake derivatives from the stored originals."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from hazardloop.extensions import db

photos_cli = AppGroup("photos", help="照片证据：从原图重建缩略图、证据副本和公开副本。")


@photos_cli.command("rebuild")
@click.argument("photo_ids", nargs=-1)
@click.option("--missing-only", is_flag=True, help="只处理缺少派生文件或派生版本过旧的照片。")
def rebuild_command(photo_ids: tuple[str, ...], missing_only: bool) -> None:
    """Rebuild the derivatives of the given photos (default: all), one commit per photo."""
    from hazardloop import cli
    from hazardloop.errors import ApiError
    from hazardloop.evidence import services
    from hazardloop.evidence.models import Photo
    from hazardloop.evidence.storage import storage

    cli.require_current_schema()
    query = select(Photo.id).order_by(Photo.created_at)
    if photo_ids:
        query = query.where(Photo.id.in_([p.lower() for p in photo_ids]))
    done = failed = skipped = 0
    for photo_id in db.session.scalars(query).all():
        photo = db.session.get(Photo, photo_id)
        assert photo is not None
        if missing_only and services.derivatives_current(photo, storage()):
            skipped += 1
            continue
        try:
            services.rebuild_derivatives(photo)
            db.session.commit()
            done += 1
        except (ApiError, services.DerivativesFailed) as exc:
            db.session.rollback()
            failed += 1
            click.echo(f"{photo_id}: {getattr(exc, 'detail', None) or exc}", err=True)
    click.echo(f"已重建 {done} 张，跳过 {skipped} 张，失败 {failed} 张。")
    if failed:
        raise click.ClickException(f"{failed} 张照片重建失败。")
