"""The app database: people, progress, answers, goals.

The app database is the source of truth for everything the programme reports on.
Rasa's tracker store holds conversations; nothing here depends on it.

Participant ids are pseudonymous (``P-7KQ2XM``). Phone numbers and Telegram ids never
live in these tables in the clear: see ``ChannelIdentity``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

# Stable constraint names so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
Base = declarative_base(metadata=MetaData(naming_convention=NAMING))


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC (the same on SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Site(Base):
    __tablename__ = "sites"
    id = Column(Integer, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class Participant(Base):
    __tablename__ = "participants"
    id = Column(String(16), primary_key=True)  # pseudonymous, e.g. P-7KQ2XM
    site_id = Column(Integer, ForeignKey("sites.id"), nullable=False)
    start_date = Column(Date, nullable=False)  # day of his goal-setting 1:1
    status = Column(String(20), nullable=False, default="active")  # active | withdrawn
    is_demo = Column(Boolean, nullable=False, default=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_contact_at = Column(DateTime)

    site = relationship("Site")


class ChannelIdentity(Base):
    """Links a provider's user id (phone number, Telegram chat id, REST handle) to a participant.

    ``lookup_hash`` is an HMAC of channel + provider id (find him without decrypting);
    ``secret`` is the provider id encrypted with Fernet (needed to message him).
    """

    __tablename__ = "channel_identities"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False, index=True)
    channel = Column(String(20), nullable=False)  # rest | telegram | sms
    lookup_hash = Column(String(64), nullable=False)
    secret = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (UniqueConstraint("channel", "lookup_hash", name="uq_channel_identities_lookup"),)


class SessionProgress(Base):
    """One row per participant per session (week 0 welcome, 1-12, 13 booster)."""

    __tablename__ = "session_progress"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False)
    week = Column(Integer, nullable=False)
    started_at = Column(DateTime, nullable=False, default=utcnow)
    completed_at = Column(DateTime)
    last_activity_at = Column(DateTime, nullable=False, default=utcnow)
    current_step = Column(String(80))  # step id he is on; None once completed
    __table_args__ = (UniqueConstraint("participant_id", "week", name="uq_session_progress_pw"),)


class StepProgress(Base):
    __tablename__ = "step_progress"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False)
    week = Column(Integer, nullable=False)
    step_id = Column(String(80), nullable=False)
    status = Column(String(10), nullable=False)  # done | skipped | n/a (its `when:` did not apply)
    shown_at = Column(DateTime)
    completed_at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (
        UniqueConstraint("participant_id", "week", "step_id", name="uq_step_progress_pws"),
    )


class Checkin(Base):
    __tablename__ = "checkins"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False)
    week = Column(Integer, nullable=False)
    mood = Column(Integer)
    craving = Column(Integer)
    alcohol_free_days = Column(Integer)
    drug_free_days = Column(Integer)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (UniqueConstraint("participant_id", "week", name="uq_checkins_pw"),)


class Answer(Base):
    """What he wrote in an exercise, stored exactly as given."""

    __tablename__ = "answers"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False)
    week = Column(Integer, nullable=False)
    step_id = Column(String(80), nullable=False)
    name = Column(String(80), nullable=False)  # the content's save_as
    text = Column(Text, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (
        UniqueConstraint("participant_id", "week", "step_id", name="uq_answers_pws"),
        Index("ix_answers_participant_name", "participant_id", "name"),
    )


class Goal(Base):
    __tablename__ = "goals"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False, index=True)
    text = Column(Text, nullable=False)
    week_set = Column(Integer, nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)


class GoalRating(Base):
    __tablename__ = "goal_ratings"
    id = Column(Integer, primary_key=True)
    goal_id = Column(Integer, ForeignKey("goals.id"), nullable=False)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False)
    week = Column(Integer, nullable=False)
    rating = Column(Integer)
    next_step = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (UniqueConstraint("goal_id", "week", name="uq_goal_ratings_gw"),)


class ConversationState(Base):
    """Where he is: the stack of flows (a session, maybe the toolkit on top) and re-ask state."""

    __tablename__ = "conversation_state"
    participant_id = Column(String(16), ForeignKey("participants.id"), primary_key=True)
    stack = Column(JSON, nullable=False, default=list)
    updated_at = Column(DateTime, nullable=False, default=utcnow)
