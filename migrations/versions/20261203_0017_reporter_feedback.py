"""Reporters hear back: SMS consent on a 群众举报, and the reporter's answer to 「问题解决了吗？」 (a 'no' reopens triage).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_consent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('reopen_count', sa.Integer(), nullable=False, server_default='0'))
    op.create_table(
        'report_feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('hazard_id', sa.Integer(), nullable=True),
        sa.Column('solved', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['public_reports.id'], name=op.f('fk_report_feedback_report_id_public_reports'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_report_feedback_hazard_id_hazards'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_feedback')),
        sa.UniqueConstraint('report_id', 'hazard_id', name=op.f('uq_report_feedback_report_id_hazard_id')),
    )


def downgrade():
    op.drop_table('report_feedback')
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.drop_column('reopen_count')
        batch_op.drop_column('sms_consent')
