"""群众举报 merged as duplicates (并案) and decisions on the ladder's supervision proposals.

A report may be merged into an earlier report or an existing hazard: status 'merged' with the one
it follows. A supervision proposal (挂牌督办建议) records who accepted or dismissed it, when, and
the reason a dismissal must give. Readable tracking codes need no schema change (same column).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

OLD_STATUSES = "status IN ('received', 'accepted', 'rejected')"
NEW_STATUSES = "status IN ('received', 'accepted', 'rejected', 'merged')"
MERGED = "status <> 'merged' OR duplicate_of_report_id IS NOT NULL OR duplicate_of_hazard_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duplicate_of_report_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('duplicate_of_hazard_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_public_reports_duplicate_of_report_id_public_reports'),
                                    'public_reports', ['duplicate_of_report_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_public_reports_duplicate_of_hazard_id_hazards'),
                                    'hazards', ['duplicate_of_hazard_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_index(batch_op.f('ix_public_reports_duplicate_of_report_id'), ['duplicate_of_report_id'],
                              unique=False)
        batch_op.drop_constraint(op.f('ck_public_reports_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_public_reports_status_known'), sa.text(NEW_STATUSES))
        batch_op.create_check_constraint(op.f('ck_public_reports_merged_has_original'), sa.text(MERGED))
    with op.batch_alter_table('escalation_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decided_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decision_note', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_escalation_cases_decided_by_id_users'), 'users',
                                    ['decided_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(op.f('ck_escalation_cases_dismissal_has_reason'),
                                         sa.text("status <> 'dismissed' OR decision_note IS NOT NULL"))


def downgrade():
    with op.batch_alter_table('escalation_cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_escalation_cases_dismissal_has_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_escalation_cases_decided_by_id_users'), type_='foreignkey')
        batch_op.drop_column('decision_note')
        batch_op.drop_column('decided_by_id')
        batch_op.drop_column('decided_at')
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_public_reports_merged_has_original'), type_='check')
        batch_op.drop_constraint(op.f('ck_public_reports_status_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_public_reports_status_known'), sa.text(OLD_STATUSES))
        batch_op.drop_index(batch_op.f('ix_public_reports_duplicate_of_report_id'))
        batch_op.drop_constraint(batch_op.f('fk_public_reports_duplicate_of_hazard_id_hazards'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_public_reports_duplicate_of_report_id_public_reports'),
                                 type_='foreignkey')
        batch_op.drop_column('duplicate_of_hazard_id')
        batch_op.drop_column('duplicate_of_report_id')
