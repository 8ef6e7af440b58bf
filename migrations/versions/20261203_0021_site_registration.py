"""Sites registered in the field (provisional), merged and closed sites, 一企一档 basics, enterprise applications.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

_SITE_COLUMNS = [
    sa.Column('provisional', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('client_uuid', sa.String(length=36), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('closure', sa.String(length=16), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('closure_reason', sa.String(length=500), nullable=True),
    sa.Column('major_hazard_source', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('hazardous_chemicals', sa.Boolean(), server_default=sa.false(), nullable=False),
]


def upgrade():
    with op.batch_alter_table('sites') as batch:
        for column in _SITE_COLUMNS:
            batch.add_column(column)
        batch.create_unique_constraint(op.f('uq_sites_client_uuid'), ['client_uuid'])
        batch.create_foreign_key(op.f('fk_sites_registered_by_id_users'), 'users', ['registered_by_id'], ['id'],
                                 ondelete='SET NULL')
        batch.create_foreign_key(op.f('fk_sites_merged_into_id_sites'), 'sites', ['merged_into_id'], ['id'],
                                 ondelete='SET NULL')
    op.create_index(op.f('ix_sites_provisional'), 'sites', ['provisional'])
    op.create_table(
        'site_licences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('number', sa.String(length=100), nullable=False),
        sa.Column('valid_from', sa.Date(), nullable=True),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_licences_site_id_sites'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_licences')),
    )
    op.create_index(op.f('ix_site_licences_site_id'), 'site_licences', ['site_id'])
    op.create_table(
        'site_responsible_persons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('duty', sa.String(length=50), nullable=False),
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('mobile', sa.String(length=11), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_responsible_persons_site_id_sites'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_site_responsible_persons')),
    )
    op.create_index(op.f('ix_site_responsible_persons_site_id'), 'site_responsible_persons', ['site_id'])
    op.create_table(
        'enterprise_applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('region_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('credit_code', sa.String(length=18), nullable=True),
        sa.Column('address', sa.String(length=300), nullable=True),
        sa.Column('contact_name', sa.String(length=50), nullable=False),
        sa.Column('mobile', sa.String(length=11), nullable=False),
        sa.Column('mobile_verified', sa.Boolean(), nullable=False),
        sa.Column('licence_photo_id', sa.String(length=64), nullable=True),
        sa.Column('category', sa.String(length=32), nullable=True),
        sa.Column('refusal_reason', sa.String(length=500), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('claim', 'apply')", name=op.f('ck_enterprise_applications_kind_known')),
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused')",
                           name=op.f('ck_enterprise_applications_status_known')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_enterprise_applications_site_id_sites'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['region_id'], ['regions.id'],
                                name=op.f('fk_enterprise_applications_region_id_regions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_enterprise_applications_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enterprise_applications_user_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_applications')),
    )
    op.create_index('ix_enterprise_applications_status_region', 'enterprise_applications', ['status', 'region_id'])


def downgrade():
    op.drop_index('ix_enterprise_applications_status_region', table_name='enterprise_applications')
    op.drop_table('enterprise_applications')
    op.drop_index(op.f('ix_site_responsible_persons_site_id'), table_name='site_responsible_persons')
    op.drop_table('site_responsible_persons')
    op.drop_index(op.f('ix_site_licences_site_id'), table_name='site_licences')
    op.drop_table('site_licences')
    op.drop_index(op.f('ix_sites_provisional'), table_name='sites')
    with op.batch_alter_table('sites') as batch:
        batch.drop_constraint(op.f('fk_sites_merged_into_id_sites'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_sites_registered_by_id_users'), type_='foreignkey')
        batch.drop_constraint(op.f('uq_sites_client_uuid'), type_='unique')
        for column in reversed(_SITE_COLUMNS):
            batch.drop_column(column.name)
