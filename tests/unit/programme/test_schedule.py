"""The weekly rhythm with a controllable clock: no sleeping, 14 weeks plus the booster in seconds.

A fake sender stands in for Rasa's trigger_intent and records what would reach him and
when. His behaviour (starting and finishing sessions) is written to the database at the
simulated times, as the real session engine would.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time, timedelta
from typing import List, Optional

from sqlalchemy import select

from coach.core.db.models import (
    Participant,
    Preferences,
    ScheduledMessage,
    SessionProgress,
)
from coach.core.identity import IdentityVault, link_identity
from coach.programme import calendar as cal
from coach.programme.enrolment import enrol
from coach.programme.schedule import Scheduler, SendResult
from tests.conftest import content, db_session

START = date(2026, 3, 2)  # a Monday; the clocks go forward on 29 March


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeSender:
    def __init__(self, clock: Clock):
        self.clock = clock
        self.sent: List[tuple] = []  # (message id, when)
        self.fail: List[SendResult] = []
        self.rasa_has: set = set()

    async def send(self, pid, channel, message_id, text):
        if self.fail:
            return self.fail.pop(0)
        self.sent.append((message_id, self.clock()))
        self.rasa_has.add(message_id)
        return SendResult("sent")

    async def delivered(self, pid, message_id):
        return message_id in self.rasa_has


def make(app, start=START, prefs: Optional[dict] = None):
    vault = IdentityVault.from_settings(app.settings)
    with db_session() as s:
        pid = enrol(s, site="north", start=start).id
        link_identity(s, vault, pid, "telegram", "777")
        if prefs:
            s.add(Preferences(participant_id=pid, **prefs))
    clock = Clock(cal.local_to_utc(start, time(0, 0)))
    sender = FakeSender(clock)
    return pid, clock, sender, scheduler(app, clock, sender)


def scheduler(app, clock, sender):
    return Scheduler(app.db, app.settings, content, sender, clock=clock, plan_every=timedelta(hours=1))


def progress(pid, week, started: datetime, completed: Optional[datetime] = None):
    with db_session() as s:
        row = s.execute(select(SessionProgress).where(SessionProgress.participant_id == pid,
                                                      SessionProgress.week == week)).scalar_one_or_none()
        if row is None:
            row = SessionProgress(participant_id=pid, week=week, started_at=started, last_activity_at=started)
            s.add(row)
        row.completed_at = completed


def _next_due(after: datetime) -> Optional[datetime]:
    with db_session() as s:
        return s.execute(select(ScheduledMessage.next_attempt_at).where(
            ScheduledMessage.status == "pending", ScheduledMessage.next_attempt_at > after)
            .order_by(ScheduledMessage.next_attempt_at)).scalars().first()


def run_until(sched, clock, until: datetime, step=timedelta(hours=6), events=(), skip=None, on_tick=None):
    """Advance the clock to ``until``, waking the worker at every due time, every behaviour
    event and at least every ``step`` (so planning happens day by day). ``skip(now)``: the
    worker is down then."""
    events = sorted(e for e in events if e > clock.now)
    while clock.now < until:
        candidates = [clock.now + step, until]
        due = _next_due(clock.now)
        if due:
            candidates.append(due)
        candidates += [e for e in events if e > clock.now][:1]
        if skip:
            # wake up exactly when the worker comes back
            probe = clock.now + timedelta(minutes=1)
            while probe < min(candidates) and skip(probe):
                probe += timedelta(minutes=1)
            if skip(clock.now + timedelta(minutes=1)):
                candidates.append(probe)
        clock.now = min(candidates)
        if on_tick:
            on_tick(clock.now)
        if skip and skip(clock.now):
            continue  # the worker is down
        asyncio.run(sched.run_once())


def received(sender) -> List[tuple]:
    """(kind, week, UK local time) of everything that reached him, in order."""
    out = []
    with db_session() as s:
        for mid, when in sender.sent:
            m = s.get(ScheduledMessage, mid)
            out.append((m.kind, m.week, cal.utc_to_local(when).replace(tzinfo=None)))
    return out


def local(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm))


def opens(week: int, start=START) -> date:
    return cal.opens_on(content().programme, start, week)


def test_a_whole_programme_day_by_day(app):
    """Week 2 never started (follow-up), week 3 started but not finished (pick-up), the rest
    finished the day after they open (coaching-call prompts); then the booster."""
    pid, clock, sender, sched = make(app)
    booster = content().programme.booster_week

    def behave(now):
        for week in range(1, 13):
            day = opens(week)
            if week == 2:
                continue
            if week == 3:
                if now == cal.local_to_utc(day + timedelta(days=1), time(12)):
                    progress(pid, 3, now)
                if now == cal.local_to_utc(day + timedelta(days=4), time(12)):
                    progress(pid, 3, now - timedelta(days=3), now)
                continue
            if now == cal.local_to_utc(day + timedelta(days=1), time(12)):
                progress(pid, week, now - timedelta(minutes=20), now)

    end = cal.local_to_utc(cal.opens_on(content().programme, START, booster) + timedelta(days=3), time(0))
    moments = [cal.local_to_utc(opens(w) + timedelta(days=d), time(12)) for w in range(1, 13) for d in (1, 4)]
    run_until(sched, clock, end, events=moments, on_tick=behave)

    expected = []
    for week in range(1, 13):
        day = opens(week)
        expected.append(("session_open", week, local(day, 18)))
        if week == 2:
            expected.append(("follow_up", 2, local(day + timedelta(days=2), 18)))
        elif week == 3:
            expected.append(("pick_up", 3, local(day + timedelta(days=2), 18)))
            expected.append(("coaching_call", 3, local(day + timedelta(days=4), 12, 5)))
        else:
            expected.append(("coaching_call", week, local(day + timedelta(days=1), 12, 5)))  # 5 minutes after
    expected.append(("booster", booster, local(opens(booster), 18)))
    assert received(sender) == expected
    # 18:00 UK is 18:00 UTC before 29 March and 17:00 UTC after: the clock change is followed
    assert [w for _, w in sender.sent][:1] == [datetime(2026, 3, 9, 18, 0)]
    with db_session() as s:
        statuses = {(m.kind, m.week): m.status for m in s.execute(select(ScheduledMessage)).scalars()}
    assert statuses[("pick_up", 2)] == "skipped" and statuses[("follow_up", 3)] == "skipped"


def test_restart_in_the_middle_neither_repeats_nor_misses(app):
    pid, clock, sender, sched = make(app)
    half = cal.local_to_utc(opens(6), time(0))
    run_until(sched, clock, half)
    first_half = len(sender.sent)
    restarted = scheduler(app, clock, sender)  # a new worker process, same database
    run_until(restarted, clock, cal.local_to_utc(opens(12) + timedelta(days=3), time(0)))
    ids = [m for m, _ in sender.sent]
    assert len(ids) == len(set(ids)) and first_half > 0
    kinds = [(k, w) for k, w, _ in received(sender)]
    for week in range(1, 13):
        assert ("session_open", week) in kinds and ("follow_up", week) in kinds


def test_worker_down_at_due_time_catches_up_within_grace_and_skips_stale(app):
    pid, clock, sender, sched = make(app)
    w1, w2 = opens(1), opens(2)
    down_1 = (cal.local_to_utc(w1, time(17)), cal.local_to_utc(w1, time(19, 30)))  # back 1.5 h late
    down_2 = (cal.local_to_utc(w2, time(17)), cal.local_to_utc(w2 + timedelta(days=1), time(9)))  # back next morning

    def skip(now):
        return down_1[0] <= now < down_1[1] or down_2[0] <= now < down_2[1]

    run_until(sched, clock, cal.local_to_utc(w2 + timedelta(days=1), time(23)), skip=skip)
    got = [(k, w, t) for k, w, t in received(sender) if k == "session_open"]
    assert got[0] == ("session_open", 1, local(w1, 19, 30))  # caught up as soon as it was back
    with db_session() as s:
        week2 = s.execute(select(ScheduledMessage).where(ScheduledMessage.kind == "session_open",
                                                         ScheduledMessage.week == 2)).scalar_one()
    # 18:00 missed; the worker came back at 09:00 next day: 15 h late > 12 h grace -> skipped, not sent
    assert week2.status == "skipped" and "stale" in week2.detail
    assert ("session_open", 2) not in [(k, w) for k, w, _ in received(sender)]


def test_quiet_hours_defer_and_his_preferences_are_followed(app):
    pid, clock, sender, sched = make(app, prefs={"nudge_weekday": 1, "nudge_time": "19:00",
                                                 "quiet_start": "22:00", "quiet_end": "08:00"})
    run_until(sched, clock, cal.local_to_utc(opens(3) + timedelta(days=7), time(0)))
    opens_sent = [t for k, w, t in received(sender) if k == "session_open"]
    assert all(t.weekday() == 1 and t.hour == 19 for t in opens_sent)  # Tuesdays at 7pm
    assert len(opens_sent) == 3


def test_a_nudge_due_in_quiet_hours_waits_for_the_morning(app):
    pid, clock, sender, sched = make(app, prefs={"nudge_time": "23:00", "quiet_start": "22:00", "quiet_end": "08:00"})
    run_until(sched, clock, cal.local_to_utc(opens(1) + timedelta(days=1), time(12)))
    first = received(sender)[0]
    assert first[0] == "session_open" and first[2] == local(opens(1) + timedelta(days=1), 8)


def test_opted_out_and_paused_men_get_nothing(app):
    pid, clock, sender, sched = make(app)
    run_until(sched, clock, cal.local_to_utc(opens(2), time(0)))
    before = len(sender.sent)
    with db_session() as s:
        s.get(Participant, pid).opted_out_at = clock.now
    run_until(sched, clock, cal.local_to_utc(opens(4), time(0)))
    assert len(sender.sent) == before
    with db_session() as s:
        p = s.get(Participant, pid)
        p.opted_out_at = None
        s.add(Preferences(participant_id=pid, paused_until=opens(4) + timedelta(days=6)))
    run_until(sched, clock, cal.local_to_utc(opens(5) - timedelta(days=1), time(0)))
    assert len(sender.sent) == before  # paused for week 4
    run_until(sched, clock, cal.local_to_utc(opens(5), time(20)))
    assert received(sender)[-1][:2] == ("session_open", 5)


def test_clock_change_in_october_keeps_uk_time(app):
    start = date(2026, 10, 5)  # week 3 opens after the clocks go back on 25 October
    pid, clock, sender, sched = make(app, start=start)
    run_until(sched, clock, cal.local_to_utc(opens(3, start), time(20)))
    opens_sent = [(w, t) for (k, w, t), (_, utc) in zip(received(sender), sender.sent) if k == "session_open"]
    assert [t.hour for _, t in opens_sent] == [18, 18, 18]
    utc_hours = [utc.hour for (mid, utc) in sender.sent if cal.utc_to_local(utc).hour == 18]
    assert utc_hours[0] == 17 and utc_hours[-1] == 18  # BST before, GMT after


def test_retries_with_backoff_and_in_doubt_settled_from_the_tracker(app):
    pid, clock, sender, sched = make(app)
    sender.fail = [SendResult("retry", "Rasa down", 60.0)]
    run_until(sched, clock, cal.local_to_utc(opens(1), time(18)))
    assert sender.sent == []
    run_until(sched, clock, cal.local_to_utc(opens(1), time(19)))
    assert len(sender.sent) == 1 and received(sender)[0][2] == local(opens(1), 18, 1)  # one minute later
    # a send that may have reached Rasa: settled by asking Rasa, never blindly repeated
    run_until(sched, clock, cal.local_to_utc(opens(2), time(17)))
    sender.fail = [SendResult("in_doubt", "timeout")]
    run_until(sched, clock, cal.local_to_utc(opens(2), time(18)))
    with db_session() as s:
        m = s.execute(select(ScheduledMessage).where(ScheduledMessage.kind == "session_open",
                                                     ScheduledMessage.week == 2)).scalar_one()
        mid = m.id
        assert m.status == "in_doubt"
    sender.rasa_has.add(mid)  # Rasa did get it
    run_until(sched, clock, cal.local_to_utc(opens(2), time(19)))
    with db_session() as s:
        assert s.get(ScheduledMessage, mid).status == "sent"
    assert [m for m, _ in sender.sent].count(mid) == 0  # counted as sent without sending again


def test_two_workers_share_the_work_without_double_sends(app):
    clock = Clock(cal.local_to_utc(START, time(0)))
    sender = FakeSender(clock)
    vault = IdentityVault.from_settings(app.settings)
    with db_session() as s:
        for i in range(60):
            p = enrol(s, site="north", start=START)
            link_identity(s, vault, p.id, "telegram", f"9{i:04d}")
    a, b = scheduler(app, clock, sender), scheduler(app, clock, sender)
    clock.now = cal.local_to_utc(opens(1), time(18))

    async def both():
        await asyncio.gather(a.run_once(), b.run_once())

    asyncio.run(both())
    ids = [m for m, _ in sender.sent]
    assert len(ids) == 60 and len(set(ids)) == 60
