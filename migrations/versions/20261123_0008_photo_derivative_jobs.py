"""Photo derivatives made in the background: derivative state per photo.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Photos uploaded before this revision had their derivatives made in the request: "ready".
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('derivatives_status', sa.String(length=12), server_default='ready',
                                      nullable=False))
        batch_op.add_column(sa.Column('derivatives_made_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('derivatives_error', sa.Text(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_photos_derivatives_status_known'), "derivatives_status IN ('pending', 'ready', 'failed')")


def downgrade():
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_photos_derivatives_status_known'), type_='check')
        batch_op.drop_column('derivatives_error')
        batch_op.drop_column('derivatives_made_at')
        batch_op.drop_column('derivatives_status')
