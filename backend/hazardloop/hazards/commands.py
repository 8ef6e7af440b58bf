"""`hazardloop audit verify`: recompute the hash chains of the event log."""

from __future__ import annotations

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="执法全过程记录：校验哈希链。")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute every event hash; name the first broken link and fail if there is one."""
    from hazardloop.cli import require_current_schema
    from hazardloop.hazards.events import verify_chains

    require_current_schema()
    checked, broken = verify_chains()
    if broken is not None:
        raise click.ClickException(f"哈希链断裂（已校验 {checked} 个事件）：{broken}")
    click.echo(f"哈希链完整：共校验 {checked} 个事件。")
