"""Public reports (群众举报) with their triage and reward, and the public identity of exposed hazards (曝光台).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hazard_exposures',
    sa.Column('hazard_id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_hazard_exposures_hazard_id_hazards'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_hazard_exposures_published_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('hazard_id', name=op.f('pk_hazard_exposures')),
    sa.UniqueConstraint('public_id', name=op.f('uq_hazard_exposures_public_id'))
    )
    op.create_table('public_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tracking_code', sa.String(length=32), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('text_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('photo_ids', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('triage_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('triaged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('triaged_by_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('hazard_id', sa.Integer(), nullable=True),
    sa.Column('reward_amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('reward_status', sa.String(length=16), nullable=True),
    sa.Column('reward_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reward_updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("reward_status IS NULL OR reward_status IN ('pending', 'approved', 'paid')", name=op.f('ck_public_reports_reward_status_known')),
    sa.CheckConstraint("status <> 'accepted' OR hazard_id IS NOT NULL", name=op.f('ck_public_reports_accepted_has_hazard')),
    sa.CheckConstraint("status <> 'rejected' OR rejection_reason IS NOT NULL", name=op.f('ck_public_reports_rejection_has_reason')),
    sa.CheckConstraint("status = 'received' OR triaged_at IS NOT NULL", name=op.f('ck_public_reports_triaged_has_time')),
    sa.CheckConstraint("status IN ('received', 'accepted', 'rejected')", name=op.f('ck_public_reports_status_known')),
    sa.CheckConstraint('lat IS NULL OR (lat BETWEEN -90 AND 90)', name=op.f('ck_public_reports_lat_range')),
    sa.CheckConstraint('lng IS NULL OR (lng BETWEEN -180 AND 180)', name=op.f('ck_public_reports_lng_range')),
    sa.CheckConstraint('reward_amount IS NULL OR reward_amount >= 0', name=op.f('ck_public_reports_reward_not_negative')),
    sa.ForeignKeyConstraint(['hazard_id'], ['hazards.id'], name=op.f('fk_public_reports_hazard_id_hazards'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_public_reports_region_id_regions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reward_updated_by_id'], ['users.id'], name=op.f('fk_public_reports_reward_updated_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_public_reports_site_id_sites'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['triaged_by_id'], ['users.id'], name=op.f('fk_public_reports_triaged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_reports')),
    sa.UniqueConstraint('hazard_id', name=op.f('uq_public_reports_hazard_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_public_reports_public_id')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_public_reports_tracking_code'))
    )
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.create_index('ix_public_reports_duplicate', ['text_hash', 'received_at'], unique=False)
        batch_op.create_index('ix_public_reports_region_received', ['region_id', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_reports_site_id'), ['site_id'], unique=False)
        batch_op.create_index('ix_public_reports_status_due', ['status', 'triage_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('public_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_public_reports_status_due')
        batch_op.drop_index(batch_op.f('ix_public_reports_site_id'))
        batch_op.drop_index('ix_public_reports_region_received')
        batch_op.drop_index('ix_public_reports_duplicate')

    op.drop_table('public_reports')
    op.drop_table('hazard_exposures')
