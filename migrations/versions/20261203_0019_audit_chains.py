"""The event log as several hash chains: one head row per chain, each event records its chain.

The single ``audit_chain_head`` row becomes chain 1 of ``audit_chain_heads`` (every existing event
is in chain 1, which continues from them); chains 2–32 start empty. See ``hazards/events.py``.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

CHAINS = 32


def upgrade():
    op.create_table(
        'audit_chain_heads',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('last_event_id', sa.Integer(), nullable=True),
        sa.Column('last_hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_heads')),
    )
    op.execute("INSERT INTO audit_chain_heads (id, last_event_id, last_hash) "
               "SELECT id, last_event_id, last_hash FROM audit_chain_head WHERE id = 1")
    op.execute("INSERT INTO audit_chain_heads (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM audit_chain_heads)")
    op.execute("INSERT INTO audit_chain_heads (id) VALUES " + ", ".join(f"({i})" for i in range(2, CHAINS + 1)))
    op.add_column('audit_events', sa.Column('chain', sa.SmallInteger(), server_default='1', nullable=False))
    op.drop_table('audit_chain_head')


def downgrade():
    # Only possible while the log is still one chain (no event outside chain 1).
    op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('last_event_id', sa.Integer(), nullable=True),
        sa.Column('last_hash', sa.String(length=64), nullable=True),
        sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_singleton')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
    )
    op.execute("INSERT INTO audit_chain_head (id, last_event_id, last_hash) "
               "SELECT id, last_event_id, last_hash FROM audit_chain_heads WHERE id = 1")
    with op.batch_alter_table('audit_events') as batch:
        batch.drop_column('chain')
    op.drop_table('audit_chain_heads')
