"""Index inspections by site and finish time for the patrol plan (巡查计划).

The field app's 待巡查 list asks, per site of a grid, for its latest patrol; the supervisor's
coverage asks whether each site had a patrol in a time window. Both are a range on finished_at
within one site's inspections, which this index answers without reading the other rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23

"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NAME = 'ix_inspections_site_finished'


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        # Built without blocking writes on a live, large table.
        with op.get_context().autocommit_block():
            op.create_index(NAME, 'inspections', ['site_id', 'finished_at'], unique=False,
                            postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(NAME, 'inspections', ['site_id', 'finished_at'], unique=False)


def downgrade():
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            op.drop_index(NAME, table_name='inspections', postgresql_concurrently=True, if_exists=True)
    else:
        op.drop_index(NAME, table_name='inspections')
