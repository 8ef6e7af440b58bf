"""Accounts created by an administrator must choose their own password at first login.

A user row gains must_change_password; existing accounts are left as they are (false), since
their passwords were chosen before this rule existed.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('must_change_password')
