"""风险分级管控: risk template versions, sites' risk points, their assessments and the sites' computed levels.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'risk_catalog_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('catalog_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('current', sa.Boolean(), nullable=False),
        sa.Column('synced_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_catalog_versions')),
        sa.UniqueConstraint('catalog_id', 'content_hash',
                            name=op.f('uq_risk_catalog_versions_catalog_id_content_hash')),
    )
    op.create_index(op.f('ix_risk_catalog_versions_catalog_id'), 'risk_catalog_versions', ['catalog_id'])
    op.create_table(
        'risk_points',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('template_code', sa.String(length=40), nullable=True),
        sa.Column('catalog_version_id', sa.Integer(), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('hazard_source', sa.String(length=300), nullable=False),
        sa.Column('accident_types', sa.JSON(), nullable=False),
        sa.Column('measures', sa.JSON(), nullable=False),
        sa.Column('default_assessment', sa.JSON(), nullable=True),
        sa.Column('responsible', sa.String(length=50), nullable=True),
        sa.Column('level', sa.String(length=8), nullable=True),
        sa.Column('basis', sa.String(length=200), nullable=True),
        sa.Column('accepted_assessment_id', sa.Integer(), nullable=True),
        sa.Column('reassess_due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_risk_points_site_id_sites'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['catalog_version_id'], ['risk_catalog_versions.id'],
                                name=op.f('fk_risk_points_catalog_version_id_risk_catalog_versions')),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_risk_points_created_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_points')),
        sa.UniqueConstraint('site_id', 'template_code', name=op.f('uq_risk_points_site_id_template_code')),
    )
    op.create_index('ix_risk_points_site_active', 'risk_points', ['site_id', 'active'])
    op.create_table(
        'risk_assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('risk_point_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('inputs', sa.JSON(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('score_level', sa.String(length=8), nullable=False),
        sa.Column('major_condition', sa.String(length=32), nullable=True),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('basis', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('assessed_by_id', sa.Integer(), nullable=False),
        sa.Column('assessed_role', sa.String(length=24), nullable=False),
        sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['risk_point_id'], ['risk_points.id'],
                                name=op.f('fk_risk_assessments_risk_point_id_risk_points'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'],
                                name=op.f('fk_risk_assessments_assessed_by_id_users')),
        sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'],
                                name=op.f('fk_risk_assessments_reviewed_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_assessments')),
    )
    op.create_index('ix_risk_assessments_point', 'risk_assessments', ['risk_point_id', 'id'])
    op.create_index('ix_risk_assessments_state', 'risk_assessments', ['state'])
    op.create_table(
        'site_risk_levels',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('computed_level', sa.String(length=8), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('summary', sa.String(length=500), nullable=False),
        sa.Column('override_level', sa.String(length=8), nullable=True),
        sa.Column('override_reason', sa.Text(), nullable=True),
        sa.Column('override_by_id', sa.Integer(), nullable=True),
        sa.Column('override_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_risk_levels_site_id_sites'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['override_by_id'], ['users.id'],
                                name=op.f('fk_site_risk_levels_override_by_id_users')),
        sa.PrimaryKeyConstraint('site_id', name=op.f('pk_site_risk_levels')),
    )
    op.create_index(op.f('ix_site_risk_levels_level'), 'site_risk_levels', ['level'])


def downgrade():
    op.drop_index(op.f('ix_site_risk_levels_level'), table_name='site_risk_levels')
    op.drop_table('site_risk_levels')
    op.drop_index('ix_risk_assessments_state', table_name='risk_assessments')
    op.drop_index('ix_risk_assessments_point', table_name='risk_assessments')
    op.drop_table('risk_assessments')
    op.drop_index('ix_risk_points_site_active', table_name='risk_points')
    op.drop_table('risk_points')
    op.drop_index(op.f('ix_risk_catalog_versions_catalog_id'), table_name='risk_catalog_versions')
    op.drop_table('risk_catalog_versions')
