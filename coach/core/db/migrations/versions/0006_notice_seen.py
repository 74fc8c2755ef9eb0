"""notice seen: when he was first told what the coach is, who reads his answers and how to stop

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.add_column(sa.Column('notice_seen_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('notice_seen_at')
