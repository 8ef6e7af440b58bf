"""Hazard workflow steps: 治理方案 review, 挂牌督办 details and 摘牌, and extension requests and decisions.

A hazard gains the state of its 治理方案 review (submitted / approved / returned, with the
reviewer's note); the 挂牌督办 deadline, requirements, listing and lifting (摘牌) times; and, for
its one extension request, when it was asked, whether after the deadline, when and how it was decided.
Plans already on file count as submitted (awaiting review), so none is taken as approved unseen.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

PLAN_STATES = "governance_plan_state IS NULL OR governance_plan_state IN ('submitted', 'approved', 'returned')"


def upgrade():
    with op.batch_alter_table('hazards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('governance_plan_state', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('governance_plan_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('supervision_deadline_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('supervision_requirements', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('supervision_listed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('supervision_lifted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extension_requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extension_after_deadline', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('extension_decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('extension_decision_note', sa.Text(), nullable=True))
    # SQLite adds columns in place, but a CHECK would rebuild the table and drop the triggers that keep
    # hazard_status_counts (see 0010); the application never writes another value, so SQLite goes without.
    if op.get_context().dialect.name == 'postgresql':
        op.create_check_constraint(op.f('ck_hazards_governance_plan_state_known'), 'hazards', PLAN_STATES)
    # The one data step of this change, kept here so no deployment ever sees a plan without a state.
    # An absent plan may be stored as SQL NULL or as JSON null.
    op.execute("UPDATE hazards SET governance_plan_state = 'submitted' "
               "WHERE governance_plan IS NOT NULL AND CAST(governance_plan AS TEXT) <> 'null'")


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        op.drop_constraint(op.f('ck_hazards_governance_plan_state_known'), 'hazards', type_='check')
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the hazard_status_counts triggers.
    for column in ('extension_decision_note', 'extension_decided_at', 'extension_after_deadline',
                   'extension_requested_at', 'supervision_lifted_at', 'supervision_listed_at',
                   'supervision_requirements', 'supervision_deadline_at', 'governance_plan_note',
                   'governance_plan_state'):
        op.drop_column('hazards', column)
