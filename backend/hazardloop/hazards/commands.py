"""`hazardloop audit verify`: recompute the hash chains of the event log."""

from __future__ import annotations

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="执法全过程记录：校验哈希链。")


@audit_cli.command("verify")
@click.option("--hazard", "hazard_id", type=int, default=None,
              help="只校验这一隐患（编号为其 id）的事件及其在日志链中的位置，耗时与日志总量无关。")
def verify_command(hazard_id: int | None) -> None:
    """Recompute every event hash (or one hazard's); name the first broken link and fail if there is one."""
    from hazardloop.cli import require_current_schema
    from hazardloop.extensions import db
    from hazardloop.hazards.events import verify_chains, verify_hazard
    from hazardloop.hazards.models import Hazard

    require_current_schema()
    if hazard_id is not None:
        checked, broken = verify_hazard(hazard_id)  # first, so that it opens the transaction (one snapshot)
        if checked == 0 and db.session.get(Hazard, hazard_id) is None:
            raise click.ClickException(f"没有 id 为 {hazard_id} 的隐患。")
        if broken is not None:
            raise click.ClickException(f"隐患 {hazard_id} 的哈希链断裂（已校验 {checked} 个事件）：{broken}")
        click.echo(f"隐患 {hazard_id} 的哈希链完整：共校验 {checked} 个事件。")
        return
    checked, broken = verify_chains()
    if broken is not None:
        raise click.ClickException(f"哈希链断裂（已校验 {checked} 个事件）：{broken}")
    click.echo(f"哈希链完整：共校验 {checked} 个事件。")
