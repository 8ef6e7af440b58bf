"""投递记录: each delivery's status (待发送, sent, refused with the provider's code, held for SMS quiet hours or a
rate limit, folded into a digest), for reporters' SMS and digests too (no notice: ``dedupe_key``).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

T = 'notification_deliveries'
STATUSES = "status IN ('pending', 'sent', 'delivered', 'refused', 'quiet_hold', 'rate_hold', 'folded')"
CHANNELS = "channel IN ('email', 'wecom', 'dingtalk', 'sms')"
NEW_COLUMNS = [
    ('report_id', sa.Integer(), True, None),
    ('dedupe_key', sa.String(length=200), True, None),
    ('kind', sa.String(length=40), False, ''),
    ('title', sa.String(length=200), False, ''),
    ('status', sa.String(length=16), False, 'sent'),  # every row so far was a sent message
    ('reason_code', sa.String(length=64), True, None),
    ('reason', sa.Text(), True, None),
    ('provider_ref', sa.String(length=100), True, None),
    ('attempts', sa.Integer(), False, '1'),
    ('holds', sa.Integer(), False, '0'),
    ('hold_until', sa.DateTime(timezone=True), True, None),
    ('folded_into_id', sa.Integer(), True, None),
    ('created_at', sa.DateTime(timezone=True), True, None),
    ('updated_at', sa.DateTime(timezone=True), True, None),
]


def _new_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notification_id', sa.Integer(), nullable=True),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('dedupe_key', sa.String(length=200), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('address', sa.String(length=500), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('reason_code', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('provider_ref', sa.String(length=100), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('holds', sa.Integer(), nullable=False),
        sa.Column('hold_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('folded_into_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(CHANNELS, name=op.f('ck_notification_deliveries_channel_known')),
        sa.CheckConstraint(STATUSES, name=op.f('ck_notification_deliveries_status_known')),
        sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                name=op.f('fk_notification_deliveries_notification_id_notifications'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['report_id'], ['public_reports.id'],
                                name=op.f('fk_notification_deliveries_report_id_public_reports'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['folded_into_id'], [f'{T}.id'], name='fk_notification_deliveries_folded_into',
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_notification_deliveries_dedupe_key')),
        sa.UniqueConstraint('notification_id', 'channel', 'address',
                            name=op.f('uq_notification_deliveries_notification_id_channel_address')),
    )


def _indexes() -> None:
    op.create_index('ix_notification_deliveries_status_hold', T, ['status', 'hold_until'])
    op.create_index('ix_notification_deliveries_address_sent', T, ['address', 'sent_at'])


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite cannot change a column's nullability in place: a new table with every row copied.
        _new_table('notification_deliveries_v2')
        op.execute(f"""INSERT INTO notification_deliveries_v2 (id, notification_id, channel, address, kind, title,
            status, attempts, holds, created_at, sent_at)
            SELECT d.id, d.notification_id, d.channel, d.address, COALESCE(n.kind, ''), COALESCE(n.title, ''),
                   'sent', 1, 0, d.sent_at, d.sent_at
            FROM {T} d LEFT JOIN notifications n ON n.id = d.notification_id""")
        op.drop_table(T)
        op.rename_table('notification_deliveries_v2', T)
        _indexes()
        return
    for name, type_, nullable, default in NEW_COLUMNS:
        op.add_column(T, sa.Column(name, type_, nullable=True if default is not None else nullable,
                                   server_default=default))
    op.execute(f"UPDATE {T} d SET kind = n.kind, title = LEFT(n.title, 200), created_at = d.sent_at "
               f"FROM notifications n WHERE n.id = d.notification_id")
    op.execute(f"UPDATE {T} SET created_at = sent_at WHERE created_at IS NULL")
    for name, _, nullable, default in NEW_COLUMNS:
        if default is not None:
            op.alter_column(T, name, server_default=None, nullable=nullable)
    op.alter_column(T, 'created_at', nullable=False)
    op.alter_column(T, 'notification_id', nullable=True)
    op.alter_column(T, 'sent_at', nullable=True)
    op.create_check_constraint(op.f('ck_notification_deliveries_status_known'), T, STATUSES)
    op.create_foreign_key(op.f('fk_notification_deliveries_report_id_public_reports'), T, 'public_reports',
                          ['report_id'], ['id'], ondelete='CASCADE')
    op.create_foreign_key('fk_notification_deliveries_folded_into', T, T, ['folded_into_id'], ['id'],
                          ondelete='SET NULL')
    op.create_unique_constraint(op.f('uq_notification_deliveries_dedupe_key'), T, ['dedupe_key'])
    _indexes()


def downgrade():
    # Only sent notices can be kept in the old shape (a row per notice, channel and address that went out).
    op.execute(f"DELETE FROM {T} WHERE notification_id IS NULL OR status NOT IN ('sent', 'delivered', 'folded') "
               "OR sent_at IS NULL")
    op.drop_index('ix_notification_deliveries_address_sent', table_name=T)
    op.drop_index('ix_notification_deliveries_status_hold', table_name=T)
    if op.get_bind().dialect.name == 'sqlite':
        op.create_table(
            'notification_deliveries_v1',
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('notification_id', sa.Integer(), nullable=False),
            sa.Column('channel', sa.String(length=16), nullable=False),
            sa.Column('address', sa.String(length=500), nullable=False),
            sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
            sa.CheckConstraint(CHANNELS, name=op.f('ck_notification_deliveries_channel_known')),
            sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'],
                                    name=op.f('fk_notification_deliveries_notification_id_notifications'),
                                    ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
            sa.UniqueConstraint('notification_id', 'channel', 'address',
                                name=op.f('uq_notification_deliveries_notification_id_channel_address')),
        )
        op.execute(f"INSERT INTO notification_deliveries_v1 SELECT id, notification_id, channel, address, sent_at "
                   f"FROM {T}")
        op.drop_table(T)
        op.rename_table('notification_deliveries_v1', T)
        return
    op.drop_constraint(op.f('uq_notification_deliveries_dedupe_key'), T, type_='unique')
    op.drop_constraint('fk_notification_deliveries_folded_into', T, type_='foreignkey')
    op.drop_constraint(op.f('fk_notification_deliveries_report_id_public_reports'), T, type_='foreignkey')
    op.drop_constraint(op.f('ck_notification_deliveries_status_known'), T, type_='check')
    for name, *_ in NEW_COLUMNS:
        op.drop_column(T, name)
    op.alter_column(T, 'notification_id', nullable=False)
    op.alter_column(T, 'sent_at', nullable=False)
