"""Store checklists and their immutable versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checklists',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklists'))
    )
    op.create_table('checklist_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('checklist_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('domains', sa.JSON(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('source_file', sa.String(length=200), nullable=False),
    sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checklist_id'], ['checklists.id'], name=op.f('fk_checklist_versions_checklist_id_checklists'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_versions')),
    sa.UniqueConstraint('checklist_id', 'content_hash', name=op.f('uq_checklist_versions_checklist_id_content_hash')),
    sa.UniqueConstraint('checklist_id', 'version', name=op.f('uq_checklist_versions_checklist_id_version'))
    )
    # The two tables point at each other: the checklist → current version link comes last.
    with op.batch_alter_table('checklists') as batch_op:
        batch_op.create_foreign_key(
            op.f('fk_checklists_current_version_id_checklist_versions'), 'checklist_versions',
            ['current_version_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('checklists') as batch_op:
        batch_op.drop_constraint(
            op.f('fk_checklists_current_version_id_checklist_versions'), type_='foreignkey')
    op.drop_table('checklist_versions')
    op.drop_table('checklists')
