"""Create regions, departments, sites, users, role grants and sessions.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('regions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=True),
    sa.Column('path', sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql'), nullable=False),
    sa.Column('boundary', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('district', 'street', 'park', 'community', 'grid')", name=op.f('ck_regions_level_known')),
    sa.ForeignKeyConstraint(['parent_id'], ['regions.id'], name=op.f('fk_regions_parent_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_regions')),
    sa.UniqueConstraint('code', name=op.f('uq_regions_code')),
    sa.UniqueConstraint('parent_id', 'name', name=op.f('uq_regions_parent_id_name'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index('ix_regions_path', ['path'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('display_name', sa.String(length=50), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('mobile', name=op.f('uq_users_mobile'))
    )
    op.create_table('departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_departments_region_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('region_id', 'code', name=op.f('uq_departments_region_id_code'))
    )
    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('credit_code_check_failed', sa.Boolean(), nullable=False),
    sa.Column('credit_code_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('credit_code_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('risk_level', sa.String(length=8), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_mobile', sa.String(length=11), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('qr_token', sa.String(length=64), nullable=False),
    sa.Column('qr_rotated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('small_shop', 'small_restaurant', 'small_hotel', 'small_entertainment', 'small_internet_cafe', 'small_beauty_bath', 'small_workshop', 'small_clinic', 'small_school', 'restaurant', 'industry_trade', 'construction_site', 'hazchem_unit', 'crowded_place', 'rental_housing', 'ebike_charging', 'elevator_user', 'warehouse')", name=op.f('ck_sites_category_known')),
    sa.CheckConstraint("risk_level IN ('red', 'orange', 'yellow', 'blue')", name=op.f('ck_sites_risk_level_known')),
    sa.CheckConstraint('credit_code_check_failed = false OR credit_code_confirmed_by_id IS NOT NULL', name=op.f('ck_sites_credit_code_override_recorded')),
    sa.CheckConstraint('lat IS NULL OR (lat BETWEEN -90 AND 90)', name=op.f('ck_sites_lat_range')),
    sa.CheckConstraint('lng IS NULL OR (lng BETWEEN -180 AND 180)', name=op.f('ck_sites_lng_range')),
    sa.ForeignKeyConstraint(['credit_code_confirmed_by_id'], ['users.id'], name=op.f('fk_sites_credit_code_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['grid_id'], ['regions.id'], name=op.f('fk_sites_grid_id_regions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_sites_credit_code')),
    sa.UniqueConstraint('qr_token', name=op.f('uq_sites_qr_token'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index('ix_sites_grid_category', ['grid_id', 'category'], unique=False)
        batch_op.create_index(batch_op.f('ix_sites_grid_id'), ['grid_id'], unique=False)

    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_user_sessions_user_active', ['user_id', 'revoked_at'], unique=False)

    op.create_table('department_domains',
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_department_domains_department_id_departments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('department_id', 'domain', name=op.f('pk_department_domains'))
    )
    op.create_table('role_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'grid_worker' AND region_id IS NOT NULL AND department_id IS NULL   AND site_id IS NULL) OR (role = 'inspector' AND region_id IS NOT NULL AND department_id IS NOT NULL   AND site_id IS NULL) OR (role = 'supervisor' AND region_id IS NOT NULL AND department_id IS NULL   AND site_id IS NULL) OR (role = 'enterprise_user' AND site_id IS NOT NULL AND region_id IS NULL   AND department_id IS NULL) OR (role = 'admin' AND region_id IS NULL AND department_id IS NULL AND site_id IS NULL)", name=op.f('ck_role_grants_scope_matches_role')),
    sa.CheckConstraint("role IN ('grid_worker', 'inspector', 'supervisor', 'enterprise_user', 'admin')", name=op.f('ck_role_grants_role_known')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_role_grants_department_id_departments'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_role_grants_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_role_grants_site_id_sites'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_role_grants_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_grants')),
    sa.UniqueConstraint('user_id', 'role', 'region_id', 'department_id', 'site_id', name=op.f('uq_role_grants_user_id_role_region_id_department_id_site_id'))
    )
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_role_grants_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_role_grants_user_id'), ['user_id'], unique=False)

    op.create_table('site_domains',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_domains_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'domain', name=op.f('pk_site_domains'))
    )
    with op.batch_alter_table('site_domains', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_domains_domain'), ['domain'], unique=False)



def downgrade():
    with op.batch_alter_table('site_domains', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_domains_domain'))

    op.drop_table('site_domains')
    with op.batch_alter_table('role_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_role_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_role_grants_site_id'))

    op.drop_table('role_grants')
    op.drop_table('department_domains')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_user_sessions_user_active')

    op.drop_table('user_sessions')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sites_grid_id'))
        batch_op.drop_index('ix_sites_grid_category')

    op.drop_table('sites')
    op.drop_table('departments')
    op.drop_table('users')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index('ix_regions_path')

    op.drop_table('regions')
