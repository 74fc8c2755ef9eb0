"""risk checks: the calm safety check when the risk model is unsure

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('risk_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.String(length=16), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('review_reason', sa.String(length=80), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('alert_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_risk_checks_alert_id_alerts')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_risk_checks_participant_id_participants')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_risk_checks_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_checks')),
    sa.UniqueConstraint('participant_id', 'message_id', name='uq_risk_checks_message')
    )
    op.create_index('ix_risk_checks_status', 'risk_checks', ['status', 'created_at'], unique=False)
    op.create_index(op.f('ix_risk_checks_participant_id'), 'risk_checks', ['participant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_risk_checks_participant_id'), table_name='risk_checks')
    op.drop_index('ix_risk_checks_status', table_name='risk_checks')
    op.drop_table('risk_checks')
