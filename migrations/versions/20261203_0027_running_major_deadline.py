"""The overdue tracker's 重大-first sort: running 重大 hazards in deadline order, so its first page walks a few
index entries instead of reading and sorting every running hazard of the window.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

NAME = 'ix_hazards_running_major_deadline'
RUNNING_MAJOR = "level = 'major' AND status IN ('assigned', 'rectifying')"


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        # Built without blocking writes on a live, large table.
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'hazards', ['deadline_at', 'id'], unique=False, postgresql_include=['site_id'],
                            postgresql_where=sa.text(RUNNING_MAJOR), postgresql_concurrently=True,
                            if_not_exists=True)
    else:
        op.create_index(NAME, 'hazards', ['deadline_at', 'id'], unique=False, sqlite_where=sa.text(RUNNING_MAJOR))


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name='hazards', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, table_name='hazards')
