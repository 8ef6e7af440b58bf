"""Stored circulars (通报) with review and archive; webhook subscribers.

Circulars gain a status (draft / published / archived), a scope and period, their drafted content,
a version for review edits and a key that makes each scheduled draft unique; untriaged 群众举报
get their own escalation rungs (report_escalations), each fired once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('circulars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='published'))
        batch_op.add_column(sa.Column('scope_kind', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('period_kind', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('period_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('period_end', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('content', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('schedule_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('published_by_id', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('published_at', existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_circulars_department_id_departments'), 'departments',
                                    ['department_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_circulars_created_by_id_users'), 'users', ['created_by_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_circulars_schedule_key'), ['schedule_key'])
        batch_op.create_check_constraint(op.f('ck_circulars_status_known'), "status IN ('draft', 'published', 'archived')")
        batch_op.create_check_constraint(op.f('ck_circulars_published_has_time'), "status = 'draft' OR published_at IS NOT NULL")
        batch_op.create_index('ix_circulars_status_id', ['status', 'id'], unique=False)
    # Circulars published before this revision were created when they were published.
    op.execute("UPDATE circulars SET created_at = published_at WHERE created_at IS NULL")
    with op.batch_alter_table('circulars', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('status', existing_type=sa.String(length=12), server_default=None)
        batch_op.alter_column('version', existing_type=sa.Integer(), server_default=None)

    op.create_table('report_escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('rung', sa.String(length=32), nullable=False),
    sa.Column('triage_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('overdue_working_days', sa.Integer(), nullable=False),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['public_reports.id'], name=op.f('fk_report_escalations_report_id_public_reports'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_escalations')),
    sa.UniqueConstraint('report_id', 'rung', name=op.f('uq_report_escalations_report_id_rung'))
    )

    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_webhook_subscriptions_created_by_id_users'), 'users',
                                    ['created_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('webhook_subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_webhook_subscriptions_created_by_id_users'), type_='foreignkey')
        batch_op.drop_column('disabled_at')
        batch_op.drop_column('created_by_id')

    op.drop_table('report_escalations')

    # Drafts and archived circulars did not exist before; published ones keep their rows.
    op.execute("DELETE FROM circulars WHERE published_at IS NULL")
    with op.batch_alter_table('circulars', schema=None) as batch_op:
        batch_op.drop_index('ix_circulars_status_id')
        batch_op.drop_constraint(op.f('ck_circulars_published_has_time'), type_='check')
        batch_op.drop_constraint(op.f('ck_circulars_status_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_circulars_schedule_key'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_circulars_created_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_circulars_department_id_departments'), type_='foreignkey')
        batch_op.alter_column('published_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('published_by_id', existing_type=sa.Integer(), nullable=False)
        for column in ('archived_at', 'created_at', 'created_by_id', 'version', 'schedule_key', 'content',
                       'period_end', 'period_start', 'period_kind', 'department_id', 'scope_kind', 'status'):
            batch_op.drop_column(column)
