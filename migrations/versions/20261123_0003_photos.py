"""Store photo evidence, its uploads and links.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('photos',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('media_type', sa.String(length=8), nullable=False),
    sa.Column('byte_size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('orientation', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('exif_taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exif_lat', sa.Float(), nullable=True),
    sa.Column('exif_lng', sa.Float(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_lat', sa.Float(), nullable=True),
    sa.Column('recorded_lng', sa.Float(), nullable=True),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('inspector_id', sa.Integer(), nullable=True),
    sa.Column('hazard_number', sa.String(length=40), nullable=True),
    sa.Column('exif_time_offset_s', sa.Integer(), nullable=True),
    sa.Column('exif_distance_m', sa.Float(), nullable=True),
    sa.Column('exif_mismatch', sa.Boolean(), nullable=False),
    sa.Column('evidence_key', sa.String(length=200), nullable=True),
    sa.Column('thumbnail_key', sa.String(length=200), nullable=True),
    sa.Column('public_key', sa.String(length=200), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("media_type IN ('jpeg', 'png', 'webp', 'heif')", name=op.f('ck_photos_media_type_known')),
    sa.CheckConstraint('orientation BETWEEN 1 AND 8', name=op.f('ck_photos_orientation_range')),
    sa.CheckConstraint('recorded_lat IS NULL OR (recorded_lat BETWEEN -90 AND 90)', name=op.f('ck_photos_lat_range')),
    sa.CheckConstraint('recorded_lng IS NULL OR (recorded_lng BETWEEN -180 AND 180)', name=op.f('ck_photos_lng_range')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_photos_inspector_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_photos_site_id_sites'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_photos_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photos'))
    )
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photos_site_id'), ['site_id'], unique=False)

    op.create_table('photo_uploads',
    sa.Column('photo_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_photo_uploads_photo_id_photos'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_photo_uploads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('photo_id', 'user_id', name=op.f('pk_photo_uploads'))
    )
    with op.batch_alter_table('photo_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_uploads_user_id'), ['user_id'], unique=False)

    op.create_table('photo_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('photo_id', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=24), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('answers_photo_id', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("answers_photo_id IS NULL OR role = 'after'", name=op.f('ck_photo_links_only_after_answers')),
    sa.CheckConstraint("role IN ('overview', 'finding', 'before', 'after', 'signature')", name=op.f('ck_photo_links_role_known')),
    sa.CheckConstraint("subject_type IN ('site', 'inspection', 'hazard', 'rectification')", name=op.f('ck_photo_links_subject_type_known')),
    sa.CheckConstraint('answers_photo_id IS NULL OR answers_photo_id <> photo_id', name=op.f('ck_photo_links_not_self_answer')),
    sa.ForeignKeyConstraint(['answers_photo_id'], ['photos.id'], name=op.f('fk_photo_links_answers_photo_id_photos'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_photo_links_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['photo_id'], ['photos.id'], name=op.f('fk_photo_links_photo_id_photos'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_links')),
    sa.UniqueConstraint('photo_id', 'subject_type', 'subject_id', 'role', name=op.f('uq_photo_links_photo_id_subject_type_subject_id_role'))
    )
    with op.batch_alter_table('photo_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_links_answers_photo_id'), ['answers_photo_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_photo_links_photo_id'), ['photo_id'], unique=False)
        batch_op.create_index('ix_photo_links_subject', ['subject_type', 'subject_id'], unique=False)


def downgrade():
    with op.batch_alter_table('photo_links', schema=None) as batch_op:
        batch_op.drop_index('ix_photo_links_subject')
        batch_op.drop_index(batch_op.f('ix_photo_links_photo_id'))
        batch_op.drop_index(batch_op.f('ix_photo_links_answers_photo_id'))

    op.drop_table('photo_links')
    with op.batch_alter_table('photo_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_uploads_user_id'))

    op.drop_table('photo_uploads')
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photos_site_id'))

    op.drop_table('photos')
