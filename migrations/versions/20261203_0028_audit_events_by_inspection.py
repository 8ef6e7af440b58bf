"""Index the event log by inspection: an inspection's page reads its events (its arrival record, the hazards it found)
by this index instead of reading the whole log (a sequential scan that grows with the log: seconds at 10 M events).

Partial: only the events that name an inspection (about a quarter of the log) are in it.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None

NAME = 'ix_audit_events_inspection'
NAMED = 'inspection_id IS NOT NULL'


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        # Built without blocking writes on a live, large table.
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'audit_events', ['inspection_id', 'id'], unique=False,
                            postgresql_where=sa.text(NAMED), postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(NAME, 'audit_events', ['inspection_id', 'id'], unique=False, sqlite_where=sa.text(NAMED))


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name='audit_events', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, table_name='audit_events')
