"""投递记录 for Web Push too (channel 'push', status 'gone' = 订阅已失效，已移除), and the per-number row that
the SMS 频次限制 count locks.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

T = 'notification_deliveries'
OLD_CHANNELS = "channel IN ('email', 'wecom', 'dingtalk', 'sms')"
NEW_CHANNELS = "channel IN ('email', 'wecom', 'dingtalk', 'sms', 'push')"
OLD_STATUSES = "status IN ('pending', 'sent', 'delivered', 'refused', 'quiet_hold', 'rate_hold', 'folded')"
NEW_STATUSES = "status IN ('pending', 'sent', 'delivered', 'refused', 'quiet_hold', 'rate_hold', 'folded', 'gone')"


def _constraints(channels: str, statuses: str) -> None:
    with op.batch_alter_table(T) as batch:
        batch.drop_constraint(op.f('ck_notification_deliveries_channel_known'), type_='check')
        batch.drop_constraint(op.f('ck_notification_deliveries_status_known'), type_='check')
        batch.create_check_constraint(op.f('ck_notification_deliveries_channel_known'), channels)
        batch.create_check_constraint(op.f('ck_notification_deliveries_status_known'), statuses)


def upgrade():
    _constraints(NEW_CHANNELS, NEW_STATUSES)
    op.create_table(
        'sms_rate_counters',
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('touched_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_sms_rate_counters')),
    )


def downgrade():
    op.drop_table('sms_rate_counters')
    op.execute(f"DELETE FROM {T} WHERE channel = 'push' OR status = 'gone'")
    _constraints(OLD_CHANNELS, OLD_STATUSES)
