"""Where the engine keeps what he has done: SQL (the app database) or memory (previews, tests).

    with db.session() as s:                  # one transaction per engine call
        Coach(content, SqlStore(s)).answer(pid, "6")
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable, Dict, List, Optional, Protocol, Set, Tuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coach.core.db.models import (
    Answer,
    Checkin,
    ConversationState,
    Goal,
    GoalRating,
    Participant,
    SessionProgress,
    StepProgress,
    utcnow,
)
from coach.programme import calendar as cal


class Store(Protocol):
    """What the engine needs to remember. SqlStore and MemoryStore below implement it."""

    def start_date(self, pid: str) -> date: ...
    def notice_seen(self, pid: str) -> bool: ...
    def next_group(self, pid: str, after: datetime) -> Optional[datetime]: ...
    def mark_notice_seen(self, pid: str) -> None: ...
    def get_stack(self, pid: str) -> List[dict]: ...
    def set_stack(self, pid: str, stack: List[dict]) -> None: ...
    def session_started(self, pid: str, week: int, step_id: str) -> None: ...
    def session_position(self, pid: str, week: int, step_id: Optional[str]) -> None: ...
    def session_completed(self, pid: str, week: int) -> None: ...
    def session_step(self, pid: str, week: int) -> Optional[str]: ...
    def completed_weeks(self, pid: str) -> Set[int]: ...
    def started_weeks(self, pid: str) -> Set[int]: ...
    def step_done(self, pid: str, week: int, step_id: str, status: str) -> None: ...
    def steps_done(self, pid: str, week: int) -> Set[str]: ...
    def save_text(self, pid: str, week: int, step_id: str, name: str, text: str) -> None: ...
    def save_checkin(self, pid: str, week: int, field_name: str, value: int) -> None: ...
    def checkin_weeks_on(self, pid: str, day: date) -> Set[int]: ...
    def set_goal(self, pid: str, week: int, text: str) -> None: ...
    def rate_goal(self, pid: str, week: int, rating: Optional[int] = None, next_step: Optional[str] = None) -> None: ...
    def goal(self, pid: str) -> Optional[str]: ...
    def goal_week(self, pid: str) -> Optional[int]: ...
    def answer(self, pid: str, name: str) -> Optional[str]: ...


class UnknownParticipant(LookupError):
    pass


class SqlStore:
    """The engine's Store on an open SQLAlchemy session (the caller commits)."""

    def __init__(self, session: Session):
        self.s = session

    # participant and position

    def _participant(self, pid: str) -> Participant:
        p = self.s.get(Participant, pid)
        if p is None:
            raise UnknownParticipant(pid)
        return p

    def start_date(self, pid: str) -> date:
        return self._participant(pid).start_date

    def notice_seen(self, pid: str) -> bool:
        return self._participant(pid).notice_seen_at is not None

    def mark_notice_seen(self, pid: str) -> None:
        p = self._participant(pid)
        p.notice_seen_at = p.notice_seen_at or utcnow()

    def next_group(self, pid: str, after: datetime) -> Optional[datetime]:
        """His site's next video group after ``after`` (naive UTC), if the site has dates."""
        from coach.programme.schedule import next_group

        return next_group(self.s, self._participant(pid).site_id, after)

    def get_stack(self, pid: str) -> List[dict]:
        row = self.s.get(ConversationState, pid)
        return copy.deepcopy(row.stack) if row and row.stack else []

    def set_stack(self, pid: str, stack: List[dict]) -> None:
        row = self.s.get(ConversationState, pid)
        if row is None:
            row = ConversationState(participant_id=pid, stack=[])
            self.s.add(row)
        row.stack = copy.deepcopy(stack)  # a new object, so SQLAlchemy sees the change
        row.updated_at = utcnow()

    # sessions and steps

    def _progress(self, pid: str, week: int) -> Optional[SessionProgress]:
        return self.s.execute(
            select(SessionProgress).where(SessionProgress.participant_id == pid, SessionProgress.week == week)
        ).scalar_one_or_none()

    def session_started(self, pid: str, week: int, step_id: str) -> None:
        row = self._progress(pid, week)
        now = utcnow()
        if row is None:
            self.s.add(SessionProgress(participant_id=pid, week=week, started_at=now, last_activity_at=now,
                                       current_step=step_id))
        else:
            row.last_activity_at = now
            row.current_step = step_id
        self.s.flush()

    def session_position(self, pid: str, week: int, step_id: Optional[str]) -> None:
        row = self._progress(pid, week)
        if row is None:
            self.session_started(pid, week, step_id)
            return
        if row.completed_at is None:
            row.current_step = step_id
        row.last_activity_at = utcnow()

    def session_completed(self, pid: str, week: int) -> None:
        row = self._progress(pid, week)
        now = utcnow()
        if row is None:
            row = SessionProgress(participant_id=pid, week=week, started_at=now, last_activity_at=now)
            self.s.add(row)
        if row.completed_at is None:
            row.completed_at = now
        row.current_step = None
        row.last_activity_at = now
        self.s.flush()

    def session_step(self, pid: str, week: int) -> Optional[str]:
        row = self._progress(pid, week)
        return row.current_step if row else None

    def completed_weeks(self, pid: str) -> Set[int]:
        return set(self.s.execute(
            select(SessionProgress.week).where(SessionProgress.participant_id == pid,
                                               SessionProgress.completed_at.isnot(None))
        ).scalars())

    def started_weeks(self, pid: str) -> Set[int]:
        return set(self.s.execute(select(SessionProgress.week).where(SessionProgress.participant_id == pid)).scalars())

    def step_done(self, pid: str, week: int, step_id: str, status: str) -> None:
        row = self.s.execute(
            select(StepProgress).where(StepProgress.participant_id == pid, StepProgress.week == week,
                                       StepProgress.step_id == step_id)
        ).scalar_one_or_none()
        if row is None:
            self.s.add(StepProgress(participant_id=pid, week=week, step_id=step_id, status=status,
                                    completed_at=utcnow()))
        else:
            row.status = status
            row.completed_at = utcnow()
        self.s.flush()

    def steps_done(self, pid: str, week: int) -> Set[str]:
        return set(self.s.execute(
            select(StepProgress.step_id).where(StepProgress.participant_id == pid, StepProgress.week == week)
        ).scalars())

    # answers, check-ins, goals

    def save_text(self, pid: str, week: int, step_id: str, name: str, text: str) -> None:
        row = self.s.execute(
            select(Answer).where(Answer.participant_id == pid, Answer.week == week, Answer.step_id == step_id)
        ).scalar_one_or_none()
        if row is None:
            self.s.add(Answer(participant_id=pid, week=week, step_id=step_id, name=name, text=text))
        else:
            row.text, row.name, row.updated_at = text, name, utcnow()
        self.s.flush()

    def save_checkin(self, pid: str, week: int, field_name: str, value: int) -> None:
        row = self.s.execute(
            select(Checkin).where(Checkin.participant_id == pid, Checkin.week == week)
        ).scalar_one_or_none()
        if row is None:
            row = Checkin(participant_id=pid, week=week)
            self.s.add(row)
        setattr(row, field_name, value)
        row.updated_at = utcnow()
        self.s.flush()

    def checkin_weeks_on(self, pid: str, day: date) -> Set[int]:
        """Weeks whose check-in he answered on this UK day."""
        start, end = cal.local_to_utc(day, time(0)), cal.local_to_utc(day + timedelta(days=1), time(0))
        return set(self.s.execute(select(Checkin.week).where(
            Checkin.participant_id == pid, Checkin.updated_at >= start, Checkin.updated_at < end)).scalars())

    def _active_goal(self, pid: str) -> Optional[Goal]:
        return self.s.execute(
            select(Goal).where(Goal.participant_id == pid, Goal.active.is_(True)).order_by(Goal.id.desc())
        ).scalars().first()

    def set_goal(self, pid: str, week: int, text: str) -> None:
        self.s.execute(update(Goal).where(Goal.participant_id == pid).values(active=False))
        self.s.add(Goal(participant_id=pid, text=text, week_set=week, active=True))
        self.s.flush()

    def rate_goal(self, pid: str, week: int, rating: Optional[int] = None, next_step: Optional[str] = None) -> None:
        goal = self._active_goal(pid)
        if goal is None:
            return
        row = self.s.execute(
            select(GoalRating).where(GoalRating.goal_id == goal.id, GoalRating.week == week)
        ).scalar_one_or_none()
        if row is None:
            row = GoalRating(goal_id=goal.id, participant_id=pid, week=week)
            self.s.add(row)
        if rating is not None:
            row.rating = rating
        if next_step is not None:
            row.next_step = next_step
        row.updated_at = utcnow()
        self.s.flush()

    def goal(self, pid: str) -> Optional[str]:
        g = self._active_goal(pid)
        return g.text if g else None

    def goal_week(self, pid: str) -> Optional[int]:
        g = self._active_goal(pid)
        return g.week_set if g else None

    def answer(self, pid: str, name: str) -> Optional[str]:
        row = self.s.execute(
            select(Answer.text).where(Answer.participant_id == pid, Answer.name == name)
            .order_by(Answer.updated_at.desc(), Answer.id.desc())
        ).first()
        return row[0] if row else None


@dataclass
class MemoryStore:
    """Everything in dictionaries: for `coach content preview` and unit tests."""

    start: date = field(default_factory=date.today)
    stacks: Dict[str, List[dict]] = field(default_factory=dict)
    started: Set[Tuple[str, int]] = field(default_factory=set)
    completed: Set[Tuple[str, int]] = field(default_factory=set)
    positions: Dict[Tuple[str, int], Optional[str]] = field(default_factory=dict)
    steps: Dict[Tuple[str, int, str], str] = field(default_factory=dict)
    answers: Dict[Tuple[str, int, str], Tuple[str, str]] = field(default_factory=dict)
    checkins: Dict[Tuple[str, int], Dict[str, int]] = field(default_factory=dict)
    goals: Dict[str, List[str]] = field(default_factory=dict)
    ratings: Dict[Tuple[str, int], Dict[str, object]] = field(default_factory=dict)
    noticed: Set[str] = field(default_factory=set)
    groups: List[datetime] = field(default_factory=list)  # his site's group dates (UTC)
    goal_weeks: Dict[str, int] = field(default_factory=dict)
    checkin_days: Dict[Tuple[str, int], date] = field(default_factory=dict)
    clock: Callable[[], date] = cal.uk_today  # the day a check-in is saved on

    def start_date(self, pid: str) -> date:
        return self.start

    def notice_seen(self, pid: str) -> bool:
        return pid in self.noticed

    def mark_notice_seen(self, pid: str) -> None:
        self.noticed.add(pid)

    def next_group(self, pid: str, after: datetime) -> Optional[datetime]:
        return next((g for g in sorted(self.groups) if g > after), None)

    def get_stack(self, pid: str) -> List[dict]:
        return copy.deepcopy(self.stacks.get(pid, []))

    def set_stack(self, pid: str, stack: List[dict]) -> None:
        self.stacks[pid] = copy.deepcopy(stack)

    def session_started(self, pid: str, week: int, step_id: str) -> None:
        self.started.add((pid, week))
        self.positions[(pid, week)] = step_id

    def session_position(self, pid: str, week: int, step_id: Optional[str]) -> None:
        self.started.add((pid, week))
        self.positions[(pid, week)] = step_id

    def session_completed(self, pid: str, week: int) -> None:
        self.started.add((pid, week))
        self.completed.add((pid, week))
        self.positions[(pid, week)] = None

    def session_step(self, pid: str, week: int) -> Optional[str]:
        return self.positions.get((pid, week))

    def completed_weeks(self, pid: str) -> Set[int]:
        return {w for p, w in self.completed if p == pid}

    def started_weeks(self, pid: str) -> Set[int]:
        return {w for p, w in self.started if p == pid}

    def step_done(self, pid: str, week: int, step_id: str, status: str) -> None:
        self.steps[(pid, week, step_id)] = status

    def steps_done(self, pid: str, week: int) -> Set[str]:
        return {s for p, w, s in self.steps if p == pid and w == week}

    def save_text(self, pid: str, week: int, step_id: str, name: str, text: str) -> None:
        self.answers[(pid, week, step_id)] = (name, text)

    def save_checkin(self, pid: str, week: int, field_name: str, value: int) -> None:
        self.checkins.setdefault((pid, week), {})[field_name] = value
        self.checkin_days[(pid, week)] = self.clock()

    def checkin_weeks_on(self, pid: str, day: date) -> Set[int]:
        return {w for (p, w), d in self.checkin_days.items() if p == pid and d == day}

    def set_goal(self, pid: str, week: int, text: str) -> None:
        self.goals.setdefault(pid, []).append(text)
        self.goal_weeks[pid] = week

    def rate_goal(self, pid: str, week: int, rating: Optional[int] = None, next_step: Optional[str] = None) -> None:
        if not self.goals.get(pid):
            return
        row = self.ratings.setdefault((pid, week), {})
        if rating is not None:
            row["rating"] = rating
        if next_step is not None:
            row["next_step"] = next_step

    def goal(self, pid: str) -> Optional[str]:
        goals = self.goals.get(pid)
        return goals[-1] if goals else None

    def goal_week(self, pid: str) -> Optional[int]:
        return self.goal_weeks.get(pid) if self.goals.get(pid) else None

    def answer(self, pid: str, name: str) -> Optional[str]:
        found = [text for (p, _w, _s), (n, text) in self.answers.items() if p == pid and n == name]
        return found[-1] if found else None
