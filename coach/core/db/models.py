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
    Float,
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
    opted_out_at = Column(DateTime)  # STOP: no messages to him until START (risk still escalates)
    opt_out_reason = Column(String(40))
    notice_seen_at = Column(DateTime)  # when he was first told what the coach is and who reads it
    # His name or initials for his site's staff (the console), encrypted like his contact ids.
    name_secret = Column(Text)

    site = relationship("Site")


class Attendance(Base):
    """What staff record in the console: his goal-setting 1:1, the video groups, and the
    coaching call after each weekly session. History is kept; the latest row per
    (participant, kind, number) is what counts."""

    __tablename__ = "attendance"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)  # one_to_one | group | call
    number = Column(Integer, nullable=False)  # 0 for the 1:1, group 1-7, the call's week 1-12
    outcome = Column(String(20), nullable=False)  # attended | missed (1:1, group); done | no_answer | rescheduled
    note = Column(Text)
    held_on = Column(Date)  # the day it happened (UK)
    staff_id = Column(Integer, ForeignKey("staff.id"))
    created_at = Column(DateTime, nullable=False, default=utcnow)


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
    # SMS: the rest of a reply turn that was longer than 4 segments, page by page, sent
    # when he replies OK ("Reply OK for more."); dropped when he writes anything else.
    held = Column(JSON(none_as_null=True), nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


# -- escalation (issue 3): staff, rota, alerts, outbox, audit ------------------------------------


class Staff(Base):
    """A facilitator, ISS worker or supervisor who can be alerted. Contact ids are encrypted."""

    __tablename__ = "staff"
    id = Column(Integer, primary_key=True)
    site_id = Column(Integer, ForeignKey("sites.id"), nullable=False)
    name = Column(String(120), nullable=False)
    role = Column(String(20), nullable=False)  # facilitator | iss | supervisor
    telegram_hash = Column(String(64), unique=True)
    telegram_secret = Column(Text)
    phone_hash = Column(String(64), unique=True)
    phone_secret = Column(Text)
    notify_telegram = Column(Boolean, nullable=False, default=False)
    notify_sms = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # The staff console (coach/web): a log-in name, an argon2 hash, lockout after failures.
    login = Column(String(80), unique=True)
    password_hash = Column(Text)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime)
    last_login_at = Column(DateTime)

    site = relationship("Site")


class StaffSession(Base):
    """A console log-in. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the database gives no one a session. Logging out deletes the row."""

    __tablename__ = "staff_sessions"
    token_hash = Column(String(64), primary_key=True)
    staff_id = Column(Integer, ForeignKey("staff.id"), nullable=False, index=True)
    csrf = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_seen_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)

    staff = relationship("Staff")


class AuditEntry(Base):
    """Who did what, when, in the console and the CLI: every view of a man's record, every
    acknowledgement, note, export and change. Never updated or deleted by the app."""

    __tablename__ = "audit_log"
    id = Column(Integer, primary_key=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    staff_id = Column(Integer, ForeignKey("staff.id"))
    actor = Column(String(80), nullable=False)  # staff:12 | cli | system
    site_id = Column(Integer, ForeignKey("sites.id"), index=True)
    action = Column(String(40), nullable=False)  # login | view_alert | ack | note | close | ...
    participant_id = Column(String(16), index=True)
    alert_id = Column(Integer)
    detail = Column(JSON, nullable=False, default=dict)


class RotaEntry(Base):
    """Who is on call for a site, in order. Entries without times apply always."""

    __tablename__ = "rota"
    id = Column(Integer, primary_key=True)
    site_id = Column(Integer, ForeignKey("sites.id"), nullable=False)
    staff_id = Column(Integer, ForeignKey("staff.id"), nullable=False)
    role = Column(String(20), nullable=False)  # facilitator | iss
    position = Column(Integer, nullable=False)
    starts_at = Column(DateTime)  # UTC; None = no start
    ends_at = Column(DateTime)  # UTC; None = no end
    staff = relationship("Staff")


class Alert(Base):
    __tablename__ = "alerts"
    id = Column(Integer, primary_key=True)
    code = Column(String(8), nullable=False, unique=True)  # what staff type to acknowledge
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False, index=True)
    site_id = Column(Integer, ForeignKey("sites.id"), nullable=False)
    message_id = Column(String(64), nullable=False)  # the inbound message that raised it
    category = Column(String(40), nullable=False)
    severity = Column(String(20), nullable=False)  # imminent | high
    source = Column(String(20), nullable=False)  # detector | classifier
    text = Column(Text, nullable=False)
    matched = Column(JSON, nullable=False, default=list)
    context = Column(JSON, nullable=False, default=list)  # the last few turns before it
    needs_iss = Column(Boolean, nullable=False, default=False)
    status = Column(String(20), nullable=False, default="open")  # open | acknowledged
    created_at = Column(DateTime, nullable=False, default=utcnow)
    last_round = Column(Integer, nullable=False, default=0)  # the latest notification round queued
    last_round_at = Column(DateTime, nullable=False, default=utcnow)
    acknowledged_at = Column(DateTime)
    acknowledged_by = Column(Integer, ForeignKey("staff.id"))
    acknowledged_via = Column(String(20))  # telegram | sms | cli | web
    # Triage in the console: who owns it, and how it was closed (escalation/triage.py).
    owner_id = Column(Integer, ForeignKey("staff.id"))
    closed_at = Column(DateTime)
    closed_by = Column(Integer, ForeignKey("staff.id"))
    outcome = Column(String(30))  # see escalation.triage.OUTCOMES; false_alarm feeds the risk model
    __table_args__ = (UniqueConstraint("participant_id", "message_id", name="uq_alerts_message"),)

    site = relationship("Site")


class AlertNotification(Base):
    """The outbox: one row per message to one staff member on one channel in one round."""

    __tablename__ = "alert_notifications"
    id = Column(Integer, primary_key=True)
    alert_id = Column(Integer, ForeignKey("alerts.id"), nullable=False, index=True)
    staff_id = Column(Integer, ForeignKey("staff.id"), nullable=False)
    channel = Column(String(20), nullable=False)  # telegram | sms
    round = Column(Integer, nullable=False)
    # pending -> claimed -> sending -> sent | failed | in_doubt (or back to pending to retry); cancelled on ack
    status = Column(String(20), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_at = Column(DateTime)
    claim_token = Column(String(32))
    sent_at = Column(DateTime)
    provider_id = Column(String(64))
    last_error = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (
        UniqueConstraint("alert_id", "staff_id", "channel", "round", name="uq_alert_notifications_once"),
        Index("ix_alert_notifications_due", "status", "next_attempt_at"),
    )
    staff = relationship("Staff")


class AlertEvent(Base):
    """Audit: every detection, send, failure, re-notify, follow-up and acknowledgement."""

    __tablename__ = "alert_events"
    id = Column(Integer, primary_key=True)
    alert_id = Column(Integer, ForeignKey("alerts.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    kind = Column(String(40), nullable=False)
    actor = Column(String(80), nullable=False)  # system | worker | rasa | staff:12 | participant | cli
    detail = Column(JSON, nullable=False, default=dict)


class RiskCheck(Base):
    """A calm safety check: the risk model was unsure, so he was asked (not staff paged).

    status: open (asked, no answer yet) -> safe (he said he is safe; the session carried on)
            | alert (he said NO, or more risk: an alert was raised) | review (no clear answer
            in time: his facilitator looks at it before the next coaching call).
    """

    __tablename__ = "risk_checks"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False, index=True)
    site_id = Column(Integer, ForeignKey("sites.id"), nullable=False)
    message_id = Column(String(64), nullable=False)  # the message that raised it
    category = Column(String(40), nullable=False)
    probability = Column(Float)  # the model's probability of risk
    text = Column(Text, nullable=False)
    signals = Column(JSON, nullable=False, default=list)
    context = Column(JSON, nullable=False, default=list)  # the last few turns before it
    status = Column(String(20), nullable=False, default="open")
    created_at = Column(DateTime, nullable=False, default=utcnow)
    answered_at = Column(DateTime)
    answer = Column(Text)  # what he replied, as he wrote it
    review_reason = Column(String(80))
    reviewed_at = Column(DateTime)  # a facilitator looked at it
    alert_id = Column(Integer, ForeignKey("alerts.id"))
    __table_args__ = (
        UniqueConstraint("participant_id", "message_id", name="uq_risk_checks_message"),
        Index("ix_risk_checks_status", "status", "created_at"),
    )


# -- channels (issue 4): inbox, enrolment codes, join rate limits ---------------------------------


class InboundMessage(Base):
    """The inbox: every provider update once (unique provider id), kept until processed.

    Written before the provider gets its 200, so a crash after that loses nothing; the
    unique key makes a redelivered update a no-op, across restarts too. Only the
    pseudonymous participant id is kept, and the text is cleared once processed.
    """

    __tablename__ = "inbound_messages"
    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    external_id = Column(String(80), nullable=False)  # Telegram update_id, Twilio MessageSid
    participant_id = Column(String(16), ForeignKey("participants.id"))
    message_id = Column(String(64), nullable=False)  # what Rasa and alerts know the message by
    text = Column(Text)
    status = Column(String(20), nullable=False, default="received")  # received | processing | done | ignored
    received_at = Column(DateTime, nullable=False, default=utcnow)
    processed_at = Column(DateTime)
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_inbound_messages_provider"),
        Index("ix_inbound_messages_status", "status", "received_at"),
    )


class EnrolmentCode(Base):
    """A single-use JOIN code (only its hash is stored)."""

    __tablename__ = "enrolment_codes"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False)
    code_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False)
    used_at = Column(DateTime)
    used_channel = Column(String(20))


class SenderCounter(Base):
    """Rate limits for senders we don't know: a keyed hash and a count, nothing else."""

    __tablename__ = "sender_counters"
    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, unique=True)  # HMAC of channel + provider id + purpose
    window_start = Column(DateTime, nullable=False, default=utcnow)
    count = Column(Integer, nullable=False, default=0)


# -- the weekly rhythm (issue 5): preferences, group dates, the durable schedule ------------------


class Preferences(Base):
    """When he wants to hear from the coach. Times are UK local."""

    __tablename__ = "participant_preferences"
    participant_id = Column(String(16), ForeignKey("participants.id"), primary_key=True)
    nudge_weekday = Column(Integer)  # 0 = Monday; None: the day his session opens
    nudge_time = Column(String(5))  # "19:00"; None: the programme default
    quiet_start = Column(String(5))  # "21:00": no messages from here...
    quiet_end = Column(String(5))  # "09:00": ...until here
    paused_until = Column(Date)  # no reminders up to and including this date
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class SiteGroup(Base):
    """A fortnightly video group session at a site (UK local start time, stored as UTC)."""

    __tablename__ = "site_groups"
    id = Column(Integer, primary_key=True)
    site_id = Column(Integer, ForeignKey("sites.id"), nullable=False)
    starts_at = Column(DateTime, nullable=False)
    __table_args__ = (UniqueConstraint("site_id", "starts_at", name="uq_site_groups_when"),)


class ScheduledMessage(Base):
    """A proactive message: one row per participant, kind and week, so it can only happen once.

    kinds: session_open | follow_up | pick_up | coaching_call | booster
    status: pending -> claimed -> sending -> sent | skipped (stale, opted out, not needed) |
            failed | in_doubt (resolved against Rasa's tracker)
    """

    __tablename__ = "scheduled_messages"
    id = Column(Integer, primary_key=True)
    participant_id = Column(String(16), ForeignKey("participants.id"), nullable=False)
    kind = Column(String(20), nullable=False)
    week = Column(Integer, nullable=False)
    due_at = Column(DateTime, nullable=False)  # UTC
    status = Column(String(20), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_at = Column(DateTime)
    claim_token = Column(String(32))
    channel = Column(String(20))
    sent_at = Column(DateTime)
    detail = Column(String(200))  # why it was skipped or failed
    created_at = Column(DateTime, nullable=False, default=utcnow)
    __table_args__ = (
        UniqueConstraint("participant_id", "kind", "week", name="uq_scheduled_messages_once"),
        Index("ix_scheduled_messages_due", "status", "next_attempt_at"),
    )
