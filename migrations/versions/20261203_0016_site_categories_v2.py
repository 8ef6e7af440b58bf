"""More 场所类别 for the v2 checklists (高层民用建筑, 住宅小区, 学校, 医疗/养老机构, 特种设备, 道路运输, 燃气, 户外广告).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_OLD = (
    'small_shop', 'small_restaurant', 'small_hotel', 'small_entertainment', 'small_internet_cafe',
    'small_beauty_bath', 'small_workshop', 'small_clinic', 'small_school', 'restaurant',
    'industry_trade', 'construction_site', 'hazchem_unit', 'crowded_place', 'rental_housing',
    'ebike_charging', 'elevator_user', 'warehouse',
)
_NEW = (
    *_OLD,
    'high_rise', 'residential_community', 'school', 'clinic', 'elderly_care', 'boiler_user',
    'transport_company', 'gas_user', 'outdoor_advertising',
)


def _check(values: tuple[str, ...]) -> str:
    return "category IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sites_category_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sites_category_known'), _check(_NEW))


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sites_category_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_sites_category_known'), _check(_OLD))
