"""Index hazards by site, status and deadline for the scoped, overdue hazard list.

A supervisor's list (region subtree + status + overdue) reaches hazards through the sites of
the scope; with this index each site contributes only its running, overdue hazards. Without
it PostgreSQL's generic plan for the prepared query scanned every overdue hazard of the city
(benchmarks/hazard_list.py: p95 well over 50 ms at 1,000,000 hazards).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

NAME = 'ix_hazards_site_status_deadline'


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        # Built without blocking writes on a live, large table.
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'hazards', ['site_id', 'status', 'deadline_at'], unique=False,
                            postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(NAME, 'hazards', ['site_id', 'status', 'deadline_at'], unique=False)


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name='hazards', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, table_name='hazards')
