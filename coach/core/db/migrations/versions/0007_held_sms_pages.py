"""held SMS pages: the rest of a reply turn longer than 4 segments, until he replies OK

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversation_state') as batch:
        batch.add_column(sa.Column('held', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('conversation_state') as batch:
        batch.drop_column('held')
