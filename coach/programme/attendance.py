"""Attendance as in the pilot report's Figure 4: of the 32 sessions (the goal-setting 1:1,
7 video groups, 12 weekly web sessions with the coach, 12 coaching calls), how many each
man attended or completed. Staff record the 1:1, groups and calls (the console); the web
sessions come from his progress with the coach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coach.core.db.models import Attendance, Participant, SessionProgress, utcnow
from coach.programme.content.model import Content

GROUPS = 7
KINDS = {"one_to_one": ("attended", "missed"), "group": ("attended", "missed"),
         "call": ("done", "no_answer", "rescheduled")}
COUNTS = {"one_to_one": "attended", "group": "attended", "call": "done"}
NOTE_LIMIT = 2000


class AttendanceError(ValueError):
    """Why a record was refused; the message says what to fix."""


def total(content: Content) -> int:
    return 1 + GROUPS + 2 * content.programme.weekly_sessions


def record(s: Session, pid: str, kind: str, number: int, outcome: str, staff_id: Optional[int] = None,
           note: Optional[str] = None, held_on: Optional[date] = None, weekly: int = 12) -> Attendance:
    if kind not in KINDS:
        raise AttendanceError("Choose the 1:1, a group or a coaching call.")
    if outcome not in KINDS[kind]:
        raise AttendanceError("Choose what happened from the list.")
    top = {"one_to_one": 0, "group": GROUPS, "call": weekly}[kind]
    if not (0 if kind == "one_to_one" else 1) <= number <= top:
        raise AttendanceError(f"Choose a number from 1 to {top}." if top else "The 1:1 has no number.")
    note = (note or "").strip() or None
    if note and len(note) > NOTE_LIMIT:
        raise AttendanceError(f"The note is too long ({len(note)} characters); keep it under {NOTE_LIMIT}.")
    if s.get(Participant, pid) is None:
        raise AttendanceError("There is no such participant.")
    row = Attendance(participant_id=pid, kind=kind, number=number, outcome=outcome, note=note, held_on=held_on,
                     staff_id=staff_id, created_at=utcnow())
    s.add(row)
    s.flush()
    return row


def latest(s: Session, pids: Iterable[str]) -> Dict[Tuple[str, str, int], Attendance]:
    """The latest record per (participant, kind, number)."""
    pids = list(pids)
    if not pids:
        return {}
    newest = (select(func.max(Attendance.id)).where(Attendance.participant_id.in_(pids))
              .group_by(Attendance.participant_id, Attendance.kind, Attendance.number))
    rows = s.execute(select(Attendance).where(Attendance.id.in_(newest))).scalars()
    return {(a.participant_id, a.kind, a.number): a for a in rows}


@dataclass
class Counts:
    pid: str
    one_to_one: int
    groups: int
    web: int
    calls: int

    @property
    def total(self) -> int:
        return self.one_to_one + self.groups + self.web + self.calls


def counts(s: Session, content: Content, pids: List[str]) -> List[Counts]:
    weekly = content.programme.weekly_sessions
    marks = latest(s, pids)
    done: Dict[str, int] = dict(s.execute(
        select(SessionProgress.participant_id, func.count()).where(
            SessionProgress.participant_id.in_(pids), SessionProgress.completed_at.is_not(None),
            SessionProgress.week.between(1, weekly)).group_by(SessionProgress.participant_id)).all()) if pids else {}
    per: Dict[str, Dict[str, int]] = {p: {"one_to_one": 0, "group": 0, "call": 0} for p in pids}
    for (pid, kind, _number), a in marks.items():
        if a.outcome == COUNTS[kind]:
            per[pid][kind] += 1
    return [Counts(p, per[p]["one_to_one"], per[p]["group"], done.get(p, 0), per[p]["call"]) for p in pids]


CSV_COLUMNS = ["participant", "goal_setting_1to1", "video_groups", "web_sessions", "coaching_calls",
               "total"]


def csv_rows(rows: List[Counts]) -> List[list]:
    return [[c.pid, c.one_to_one, c.groups, c.web, c.calls, c.total] for c in rows]
