"""The weekly rhythm: which proactive messages are due, and sending them exactly once.

Rasa's ``ReminderScheduled`` lives in memory and is lost on restart, so the schedule lives
here, in the app database, one row per participant, kind and week (a unique key: the same
message can never be planned twice). The worker calls ``Scheduler.run_once()`` in a loop:

1. **plan**: for every active participant, insert (or ignore) the rows falling due soon:
   ``session_open`` (week k opens; on his chosen day, at his time), ``follow_up`` (not
   started N days later), ``pick_up`` (started, not finished, N days later),
   ``coaching_call`` (just finished a session), ``booster`` (a month after the end);
2. **claim** due rows with a token (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: several
   workers never take the same row);
3. **check** at send time: still needed? opted out or paused? too stale (worker was
   down longer than the grace window)? quiet hours (then later, or skipped if too late)?
4. **send** through Rasa's ``trigger_intent`` on his own channel, so his reply continues the
   dialogue, paced to the channel's rate limit;
5. **record** sent / retry with backoff / in doubt. An in-doubt row (the request may have
   reached Rasa, but the worker died before recording it) is settled by looking in his
   Rasa tracker for that row's id: sent if it's there, sent again if not.

Time comes from an injected clock, so tests run 14 weeks in seconds without sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Dict, List, Optional, Protocol, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coach.core.db import Database
from coach.core.db.claims import claim_due
from coach.core.db.models import (
    Alert,
    ChannelIdentity,
    Participant,
    Preferences,
    ScheduledMessage,
    SessionProgress,
    SiteGroup,
    utcnow,
)
from coach.core.text.render import render
from coach.programme import calendar as cal
from coach.programme.content.model import Content

log = logging.getLogger(__name__)

KINDS = ("session_open", "follow_up", "pick_up", "coaching_call", "booster")
ACTIVE_WINDOW = timedelta(minutes=20)  # he is chatting right now: don't interrupt
ACTIVE_DEFER = timedelta(minutes=30)
ALERT_QUIET = timedelta(hours=24)  # after a risk alert, no "your session is ready" messages
PUSH_CHANNELS = ("telegram", "sms")


# -- pure timing ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    """His timing preferences, falling back to the service defaults."""

    weekday: Optional[int]
    nudge: "cal.time"
    quiet_start: "cal.time"
    quiet_end: "cal.time"
    paused_until: Optional[date]

    @classmethod
    def of(cls, prefs: Optional[Preferences], settings) -> "Timing":
        return cls(
            weekday=prefs.nudge_weekday if prefs else None,
            nudge=cal.parse_hhmm(prefs.nudge_time if prefs else None, settings.schedule_nudge_time),
            quiet_start=cal.parse_hhmm(prefs.quiet_start if prefs else None, settings.schedule_quiet_start),
            quiet_end=cal.parse_hhmm(prefs.quiet_end if prefs else None, settings.schedule_quiet_end),
            paused_until=prefs.paused_until if prefs else None,
        )


def nudge_day(content: Content, start: date, week: int, timing: Timing) -> date:
    return cal.on_or_after_weekday(cal.opens_on(content.programme, start, week), timing.weekday)


def due_times(content: Content, start: date, week: int, timing: Timing, follow_up_days: int) -> Dict[str, datetime]:
    """When each time-based message for ``week`` falls due (naive UTC)."""
    day = nudge_day(content, start, week, timing)
    if week == content.programme.booster_week:
        return {"booster": cal.local_to_utc(day, timing.nudge)}
    later = cal.local_to_utc(day + timedelta(days=follow_up_days), timing.nudge)
    return {"session_open": cal.local_to_utc(day, timing.nudge), "follow_up": later, "pick_up": later}


def next_group(s: Session, site_id: int, after: datetime) -> Optional[datetime]:
    return s.execute(select(SiteGroup.starts_at).where(SiteGroup.site_id == site_id, SiteGroup.starts_at > after)
                     .order_by(SiteGroup.starts_at)).scalars().first()


def render_message(s: Session, content: Content, m: ScheduledMessage, p: Participant, now: datetime) -> str:
    """The words he gets (content/reminders.yml), with his week and his site's next group."""
    from coach.programme.preferences import say_time

    reminders = content.extra["reminders"]
    group = next_group(s, p.site_id, now)
    group_text = ""
    if group is not None:
        local = cal.utc_to_local(group)
        group_text = render(reminders["next_group"], {"date": cal.format_date(local.date()),
                                                      "time": say_time(local.strftime("%H:%M"))})
    week = "booster" if m.week == content.programme.booster_week else m.week
    return render(reminders[m.kind], {"week": week, "next_group": group_text})


# -- planning ---------------------------------------------------------------------------------------

def _insert_ignore(s: Session, rows: List[dict]) -> int:
    if not rows:
        return 0
    if s.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(ScheduledMessage).on_conflict_do_nothing(index_elements=["participant_id", "kind", "week"])
    total = 0
    for i in range(0, len(rows), 1000):
        total += s.execute(stmt, rows[i:i + 1000]).rowcount or 0
    return total


def plan(db: Database, settings, content: Content, now: datetime, horizon: timedelta = timedelta(days=2)) -> int:
    """Insert the rows due between (now - grace) and (now + horizon). Returns how many were new."""
    grace = timedelta(hours=settings.schedule_grace_hours)
    low, high = now - grace, now + horizon
    weeks = list(range(1, content.programme.weekly_sessions + 1)) + [content.programme.booster_week]
    rows: List[dict] = []
    with db.session() as s:
        people = s.execute(select(Participant.id, Participant.start_date)
                           .where(Participant.status == "active", Participant.opted_out_at.is_(None))).all()
        prefs = {p.participant_id: p for p in s.execute(select(Preferences)).scalars()}
        completed = s.execute(select(SessionProgress.participant_id, SessionProgress.week, SessionProgress.completed_at)
                              .where(SessionProgress.completed_at >= low)).all()
        delay = timedelta(minutes=settings.schedule_coaching_delay_minutes)
        for pid, start in people:
            timing = Timing.of(prefs.get(pid), settings)
            for week in weeks:
                opens = cal.opens_on(content.programme, start, week)
                if opens > high.date() + timedelta(days=1):
                    break  # later weeks open later still
                if opens + timedelta(days=settings.schedule_follow_up_days + 8) < low.date():
                    continue  # everything for this week fell due long ago
                for kind, due in due_times(content, start, week, timing, settings.schedule_follow_up_days).items():
                    if low <= due <= high:
                        rows.append(dict(participant_id=pid, kind=kind, week=week, due_at=due, next_attempt_at=due,
                                         status="pending", attempts=0, created_at=now))
        for pid, week, done_at in completed:
            if 1 <= week <= content.programme.weekly_sessions:
                due = done_at + delay
                rows.append(dict(participant_id=pid, kind="coaching_call", week=week, due_at=due, next_attempt_at=due,
                                 status="pending", attempts=0, created_at=now))
        return _insert_ignore(s, rows)


# -- sending ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SendResult:
    outcome: str  # sent | retry | in_doubt | permanent
    detail: str = ""
    retry_after: float = 0.0


class Sender(Protocol):
    async def send(self, pid: str, channel: str, message_id: int, text: str) -> SendResult: ...

    async def delivered(self, pid: str, message_id: int) -> Optional[bool]:
        """Did Rasa receive this message's trigger? None if it can't tell right now."""


@dataclass
class ScheduleStats:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    deferred: int = 0
    retried: int = 0
    in_doubt: int = 0
    reasons: Dict[str, int] = field(default_factory=dict)


class Scheduler:
    def __init__(self, db: Database, settings, content_fn: Callable[[], Content], sender: Sender,
                 clock: Callable[[], datetime] = utcnow,
                 plan_every: timedelta = timedelta(minutes=1), batch: int = 200):
        self.db = db
        self.settings = settings
        self.content = content_fn
        self.sender = sender
        self.clock = clock
        self.plan_every = plan_every
        self.batch = batch
        self._last_plan: Optional[datetime] = None

    # claiming

    def claim(self, limit: int) -> Tuple[List[int], str]:
        now = self.clock()
        return claim_due(self.db, ScheduledMessage, ScheduledMessage.next_attempt_at <= now,
                         order_by=[ScheduledMessage.next_attempt_at, ScheduledMessage.id], limit=limit, now=now)

    # deciding

    def _decide(self, message_id: int, token: str) -> Optional[dict]:
        """Check a claimed row against the world now: skip, defer, or mark it sending."""
        now = self.clock()
        content = self.content()
        with self.db.session() as s:
            m = s.get(ScheduledMessage, message_id)
            if m is None or m.status != "claimed" or m.claim_token != token:
                return None
            p = s.get(Participant, m.participant_id)
            timing = Timing.of(s.get(Preferences, m.participant_id), self.settings)
            grace = timedelta(hours=self.settings.schedule_grace_hours)
            reason = self._skip_reason(s, m, p, timing, now, content)
            if reason:
                return self._finish(m, "skipped", reason)
            if now > m.due_at + grace:
                return self._finish(m, "skipped", "stale: the worker was down past the grace window")
            later = None
            if cal.in_quiet_hours(now, timing.quiet_start, timing.quiet_end):
                later = cal.end_of_quiet(now, timing.quiet_start, timing.quiet_end)
            elif p.last_contact_at and now - p.last_contact_at < ACTIVE_WINDOW:
                later = now + ACTIVE_DEFER
            if later is not None:
                if later > m.due_at + grace:
                    return self._finish(m, "skipped", "stale: quiet hours until past the grace window")
                m.status, m.next_attempt_at, m.claim_token, m.detail = "pending", later, None, "deferred"
                return {"deferred": True}
            channel = self._channel(s, m.participant_id)
            if channel is None:
                return self._finish(m, "skipped", "no Telegram or SMS link")
            m.status, m.channel, m.claimed_at = "sending", channel, now
            return {"id": m.id, "pid": m.participant_id, "channel": channel, "token": token, "kind": m.kind,
                    "text": render_message(s, content, m, p, now)}

    @staticmethod
    def _finish(m: ScheduledMessage, status: str, detail: str) -> dict:
        m.status, m.detail, m.claim_token = status, detail[:200], None
        return {"skipped": detail}

    def _skip_reason(self, s: Session, m: ScheduledMessage, p: Participant, timing: Timing, now: datetime,
                     content: Content) -> Optional[str]:
        if p is None or p.status != "active":
            return "not an active participant"
        if p.opted_out_at is not None:
            return "opted out"
        if timing.paused_until and cal.utc_to_local(now).date() <= timing.paused_until:
            return "reminders paused"
        if s.execute(select(Alert.id).where(Alert.participant_id == p.id, Alert.status == "open",
                                            Alert.created_at >= now - ALERT_QUIET)).first():
            return "an alert is open: staff are in touch"
        if m.kind == "coaching_call":
            return None
        progress = s.execute(select(SessionProgress).where(SessionProgress.participant_id == p.id,
                                                           SessionProgress.week == m.week)).scalar_one_or_none()
        started = progress is not None
        done = started and progress.completed_at is not None
        if m.kind in ("session_open", "booster") and done:
            return "already done"
        if m.kind == "follow_up" and started:
            return "already started"
        if m.kind == "pick_up" and (not started or done):
            return "not started" if not started else "already done"
        return None

    @staticmethod
    def _channel(s: Session, pid: str) -> Optional[str]:
        row = s.execute(select(ChannelIdentity.channel).where(ChannelIdentity.participant_id == pid,
                                                              ChannelIdentity.channel.in_(PUSH_CHANNELS))
                        .order_by(ChannelIdentity.created_at.desc(), ChannelIdentity.id.desc())).first()
        return row[0] if row else None

    def _record(self, job: dict, result: SendResult, stats: ScheduleStats) -> None:
        now = self.clock()
        with self.db.session() as s:
            m = s.get(ScheduledMessage, job["id"])
            if m.status != "sending" or m.claim_token != job["token"]:
                return
            if result.outcome == "sent":
                m.status, m.sent_at, m.detail = "sent", now, None
                stats.sent += 1
            elif result.outcome == "retry" and m.attempts < 8:
                m.status, m.claim_token = "pending", None
                m.next_attempt_at = now + timedelta(seconds=result.retry_after or min(600.0, 5.0 * 2 ** m.attempts))
                m.detail = result.detail[:200]
                stats.retried += 1
            elif result.outcome == "in_doubt":
                m.status, m.detail = "in_doubt", result.detail[:200]
                stats.in_doubt += 1
            else:
                m.status, m.detail, m.claim_token = "failed", result.detail[:200], None

    async def _send(self, message_id: int, token: str, stats: ScheduleStats) -> None:
        job = await asyncio.to_thread(self._decide, message_id, token)
        if not job:
            return
        if job.get("skipped"):
            stats.skipped += 1
            stats.reasons[job["skipped"]] = stats.reasons.get(job["skipped"], 0) + 1
            return
        if job.get("deferred"):
            stats.deferred += 1
            return
        try:
            result = await self.sender.send(job["pid"], job["channel"], job["id"], job["text"])
        except Exception as exc:  # unknown: it may have reached Rasa
            log.exception("sending a scheduled message failed")
            result = SendResult("in_doubt", repr(exc))
        await asyncio.to_thread(self._record, job, result, stats)

    # recovery

    def _stale(self, status: str) -> List[Tuple[int, str]]:
        lease = timedelta(seconds=self.settings.alert_claim_lease_seconds)
        with self.db.session() as s:
            return [(m.id, m.participant_id) for m in s.execute(
                select(ScheduledMessage).where(ScheduledMessage.status == status,
                                               ScheduledMessage.claimed_at < self.clock() - lease)).scalars()]

    async def recover(self) -> None:
        """Claimed-but-untried rows go back; rows that may have reached Rasa are checked there."""
        with self.db.session() as s:
            lease = timedelta(seconds=self.settings.alert_claim_lease_seconds)
            s.execute(update(ScheduledMessage).where(ScheduledMessage.status == "claimed",
                                                     ScheduledMessage.claimed_at < self.clock() - lease)
                      .values(status="pending", claim_token=None).execution_options(synchronize_session=False))
        doubtful = await asyncio.to_thread(self._stale, "sending")
        with self.db.session() as s:
            for m in s.execute(select(ScheduledMessage).where(ScheduledMessage.status == "in_doubt")).scalars():
                doubtful.append((m.id, m.participant_id))
        for message_id, pid in doubtful:
            known = await self.sender.delivered(pid, message_id)
            if known is None:
                continue  # can't tell now (Rasa down?): ask again next pass
            await asyncio.to_thread(self._settle, message_id, known)

    def _settle(self, message_id: int, delivered: bool) -> None:
        with self.db.session() as s:
            m = s.get(ScheduledMessage, message_id)
            if m.status not in ("sending", "in_doubt"):
                return
            if delivered:
                m.status, m.sent_at, m.detail = "sent", m.claimed_at, "confirmed in his conversation after a crash"
            else:
                m.status, m.claim_token, m.next_attempt_at, m.detail = ("pending", None, self.clock(),
                                                                        "never reached Rasa: retried")

    # the loop

    async def run_once(self, stats: Optional[ScheduleStats] = None) -> ScheduleStats:
        stats = stats or ScheduleStats()
        now = self.clock()
        if self._last_plan is None or now - self._last_plan >= self.plan_every or now < self._last_plan:
            stats.planned += await asyncio.to_thread(plan, self.db, self.settings, self.content(), now)
            self._last_plan = now
        await self.recover()
        while True:
            ids, token = await asyncio.to_thread(self.claim, self.batch)
            if not ids:
                break
            await asyncio.gather(*(self._send(i, token, stats) for i in ids))
            if len(ids) < self.batch:
                break
        return stats
