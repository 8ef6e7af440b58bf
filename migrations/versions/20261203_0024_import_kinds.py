"""批量导入 of users and grids besides sites: widen the import job's kind.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03

"""
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_jobs') as batch:
        batch.drop_constraint(op.f('ck_import_jobs_kind_known'), type_='check')
        batch.create_check_constraint(op.f('ck_import_jobs_kind_known'), "kind IN ('sites', 'users', 'grids')")


def downgrade():
    op.execute("DELETE FROM import_jobs WHERE kind <> 'sites'")
    with op.batch_alter_table('import_jobs') as batch:
        batch.drop_constraint(op.f('ck_import_jobs_kind_known'), type_='check')
        batch.create_check_constraint(op.f('ck_import_jobs_kind_known'), "kind IN ('sites')")
