"""企业隐患自查自报: one monthly report per site, and the reminders sent for it (once per site and month).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'self_check_reports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('client_uuid', sa.String(length=36), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('zero_report', sa.Boolean(), nullable=False),
        sa.Column('inspection_ids', sa.JSON(), nullable=False),
        sa.Column('hazard_ids', sa.JSON(), nullable=False),
        sa.Column('inspection_count', sa.Integer(), nullable=False),
        sa.Column('finding_count', sa.Integer(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('reported_by_id', sa.Integer(), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('on_time', sa.Boolean(), nullable=False),
        sa.Column('event_hash', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'],
                                name=op.f('fk_self_check_reports_reported_by_id_users')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_self_check_reports_site_id_sites'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_self_check_reports')),
        sa.UniqueConstraint('client_uuid', name=op.f('uq_self_check_reports_client_uuid')),
        sa.UniqueConstraint('site_id', 'period', name=op.f('uq_self_check_reports_site_id_period')),
    )
    op.create_index(op.f('ix_self_check_reports_site_id'), 'self_check_reports', ['site_id'])
    op.create_table(
        'self_check_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_self_check_reminders_site_id_sites'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_self_check_reminders')),
        sa.UniqueConstraint('site_id', 'period', name=op.f('uq_self_check_reminders_site_id_period')),
    )


def downgrade():
    op.drop_table('self_check_reminders')
    op.drop_index(op.f('ix_self_check_reports_site_id'), table_name='self_check_reports')
    op.drop_table('self_check_reports')
