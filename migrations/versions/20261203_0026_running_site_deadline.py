"""The hazard list's running deadlines per site: the overdue list (and due before) of a scope reads a few index
entries per site instead of every hazard of every site in scope, and counts them by status from the index alone.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

NAME = 'ix_hazards_running_site_deadline'
RUNNING = "status IN ('assigned', 'rectifying')"


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        # Built without blocking writes on a live, large table.
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'hazards', ['site_id', 'deadline_at'], unique=False, postgresql_include=['status'],
                            postgresql_where=sa.text(RUNNING), postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(NAME, 'hazards', ['site_id', 'deadline_at'], unique=False, sqlite_where=sa.text(RUNNING))


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name='hazards', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, table_name='hazards')
