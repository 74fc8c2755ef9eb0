"""staff console: log-ins, sessions, the audit log, alert triage, his name, attendance

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff') as batch:
        batch.add_column(sa.Column('login', sa.String(length=80), nullable=True))
        batch.add_column(sa.Column('password_hash', sa.Text(), nullable=True))
        batch.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('last_login_at', sa.DateTime(), nullable=True))
        batch.create_unique_constraint(batch.f('uq_staff_login'), ['login'])
    with op.batch_alter_table('alerts') as batch:
        batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('closed_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('outcome', sa.String(length=30), nullable=True))
        batch.create_foreign_key(batch.f('fk_alerts_owner_id_staff'), 'staff', ['owner_id'], ['id'])
        batch.create_foreign_key(batch.f('fk_alerts_closed_by_staff'), 'staff', ['closed_by'], ['id'])
    op.create_table(
        'staff_sessions',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_seen_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_sessions_staff_id_staff')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_sessions')),
    )
    op.create_index(op.f('ix_staff_sessions_staff_id'), 'staff_sessions', ['staff_id'], unique=False)
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=80), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('participant_id', sa.String(length=16), nullable=True),
        sa.Column('alert_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_audit_log_staff_id_staff')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_audit_log_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)
    op.create_index(op.f('ix_audit_log_site_id'), 'audit_log', ['site_id'], unique=False)
    op.create_index(op.f('ix_audit_log_participant_id'), 'audit_log', ['participant_id'], unique=False)
    with op.batch_alter_table('participants') as batch:
        batch.add_column(sa.Column('name_secret', sa.Text(), nullable=True))
    op.create_table(
        'attendance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.String(length=16), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['participant_id'], ['participants.id'],
                                name=op.f('fk_attendance_participant_id_participants')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_attendance_staff_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance')),
    )
    op.create_index(op.f('ix_attendance_participant_id'), 'attendance', ['participant_id'], unique=False)


def downgrade() -> None:
    op.drop_table('attendance')
    with op.batch_alter_table('participants') as batch:
        batch.drop_column('name_secret')
    op.drop_table('audit_log')
    op.drop_table('staff_sessions')
    with op.batch_alter_table('alerts') as batch:
        batch.drop_constraint(batch.f('fk_alerts_closed_by_staff'), type_='foreignkey')
        batch.drop_constraint(batch.f('fk_alerts_owner_id_staff'), type_='foreignkey')
        for col in ('outcome', 'closed_by', 'closed_at', 'owner_id'):
            batch.drop_column(col)
    with op.batch_alter_table('staff') as batch:
        batch.drop_constraint(batch.f('uq_staff_login'), type_='unique')
        for col in ('last_login_at', 'locked_until', 'failed_logins', 'password_hash', 'login'):
            batch.drop_column(col)
