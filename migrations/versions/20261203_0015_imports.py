"""Bulk imports (批量导入) of sites: the uploaded file's job, the problems its check found, each row's outcome.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'import_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('stored_path', sa.String(length=255), nullable=False),
        sa.Column('file_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('rows_total', sa.Integer(), nullable=False),
        sa.Column('rows_done', sa.Integer(), nullable=False),
        sa.Column('planned', sa.JSON(), nullable=False),
        sa.Column('applied', sa.JSON(), nullable=False),
        sa.Column('problem_count', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('checking', 'checked', 'importing', 'done', 'failed')",
                           name=op.f('ck_import_jobs_status_known')),
        sa.CheckConstraint("kind IN ('sites')", name=op.f('ck_import_jobs_kind_known')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_jobs_created_by_id_users'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'],
                                name=op.f('fk_import_jobs_confirmed_by_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_jobs')),
    )
    op.create_index(op.f('ix_import_jobs_created_by_id'), 'import_jobs', ['created_by_id'], unique=False)
    op.create_table(
        'import_problems',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('row', sa.Integer(), nullable=False),
        sa.Column('column_title', sa.String(length=64), nullable=True),
        sa.Column('message', sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], name=op.f('fk_import_problems_job_id_import_jobs'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_problems')),
    )
    op.create_index('ix_import_problems_job_row', 'import_problems', ['job_id', 'row'], unique=False)
    op.create_table(
        'import_row_outcomes',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('row', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=10), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=True),
        sa.Column('message', sa.String(length=500), nullable=True),
        sa.CheckConstraint("outcome IN ('created', 'updated', 'unchanged', 'error')",
                           name=op.f('ck_import_row_outcomes_outcome_known')),
        sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'],
                                name=op.f('fk_import_row_outcomes_job_id_import_jobs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'row', name=op.f('pk_import_row_outcomes')),
    )


def downgrade():
    op.drop_table('import_row_outcomes')
    op.drop_index('ix_import_problems_job_row', table_name='import_problems')
    op.drop_table('import_problems')
    op.drop_index(op.f('ix_import_jobs_created_by_id'), table_name='import_jobs')
    op.drop_table('import_jobs')
