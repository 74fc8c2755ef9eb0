"""What facilitators need about the men at their site: the roster, the brief before a
coaching call, and the case-management review. Read-only; the console audits each view.

- ``roster``: every man at a site with his week, last contact, sessions done, a behind flag
  and open alerts (a few grouped queries, whatever the number of men).
- ``brief``: one man's week for his coaching call, with talking points drawn from the data.
- ``review``: men whose risk changed since a date (the case-management meeting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Dict, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coach.core.db.models import (
    Alert,
    Answer,
    Attendance,
    Checkin,
    Goal,
    GoalRating,
    Participant,
    RiskCheck,
    SessionProgress,
)
from coach.core.identity import IdentityVault
from coach.programme.calendar import current_week, opens_on
from coach.programme.content.model import Content

CHECKIN_FIELDS = (("mood", "Mood (0-10)"), ("craving", "Craving (0-10)"),
                  ("alcohol_free_days", "Alcohol-free days"), ("drug_free_days", "Drug-free days"))
BIG_CHANGE = 3  # a change in mood or craving this big between weeks is a talking point


def name_of(vault: IdentityVault, p: Participant) -> str:
    if not p.name_secret:
        return ""
    try:
        return vault.decrypt(p.name_secret)
    except Exception:  # a rotated key: show nothing rather than fail the page
        return ""


def names_of(s: Session, vault: IdentityVault, pids) -> Dict[str, str]:
    """pid -> his name or initials, for those that have one."""
    wanted = sorted({p for p in pids if p})
    if not wanted:
        return {}
    men = s.execute(select(Participant).where(Participant.id.in_(wanted), Participant.name_secret.is_not(None)))
    return {p.id: n for p in men.scalars() if (n := name_of(vault, p))}


def set_name(s: Session, vault: IdentityVault, pid: str, name: str) -> None:
    name = " ".join((name or "").split())
    if len(name) > 80:
        raise ValueError("Keep it to his name or initials (80 characters at most).")
    s.get(Participant, pid).name_secret = vault.encrypt(name) if name else None


def _weekly(content: Content, start: date, today: date) -> List[int]:
    """Weekly sessions (1..12) open by today."""
    programme = content.programme
    return [w for w in range(1, programme.weekly_sessions + 1) if opens_on(programme, start, w) <= today]


@dataclass
class RosterRow:
    pid: str
    name: str
    week: int
    last_contact: Optional[datetime]
    done: int
    behind: List[int]  # weekly sessions open for more than a week and not finished
    open_alerts: int
    checks_to_review: int
    start: Optional[date] = None


def roster(s: Session, content: Content, vault: IdentityVault, site_id: int, today: date) -> List[RosterRow]:
    men = list(s.execute(select(Participant).where(Participant.site_id == site_id, Participant.status == "active")
                         .order_by(Participant.created_at)).scalars())
    pids = [p.id for p in men]
    if not pids:
        return []
    completed: Dict[str, set] = {}
    for pid, week in s.execute(select(SessionProgress.participant_id, SessionProgress.week).where(
            SessionProgress.participant_id.in_(pids), SessionProgress.completed_at.is_not(None))):
        completed.setdefault(pid, set()).add(week)
    alerts = dict(s.execute(select(Alert.participant_id, func.count()).where(
        Alert.participant_id.in_(pids), Alert.closed_at.is_(None)).group_by(Alert.participant_id)).all())
    checks = dict(s.execute(select(RiskCheck.participant_id, func.count()).where(
        RiskCheck.participant_id.in_(pids), RiskCheck.status == "review", RiskCheck.reviewed_at.is_(None))
        .group_by(RiskCheck.participant_id)).all())
    rows = []
    for p in men:
        done = completed.get(p.id, set())
        behind = [w for w in _weekly(content, p.start_date, today - timedelta(days=7)) if w not in done]
        rows.append(RosterRow(p.id, name_of(vault, p), current_week(content.programme, p.start_date, today),
                              p.last_contact_at, len([w for w in done if 1 <= w <= content.programme.weekly_sessions]),
                              behind, alerts.get(p.id, 0), checks.get(p.id, 0), p.start_date))
    return rows


@dataclass
class Written:
    week: int
    question: str
    answer: str
    when: datetime


@dataclass
class Brief:
    pid: str
    name: str
    week: int
    title: str
    start: date
    last_contact: Optional[datetime]
    checkins: Dict[int, Dict[str, Optional[int]]]  # week -> field -> value
    answers: List[Written]
    goal: Optional[str]
    goal_set_week: Optional[int]
    ratings: List[Tuple[int, Optional[int], Optional[str]]]  # (week, rating, next step)
    quiz_wrong: List[Written]
    alerts: List[Alert]
    checks: List[RiskCheck]
    missed: List[int]
    unfinished: List[int]
    calls: List[Attendance]
    since: Optional[datetime]  # the last coaching call done, or his start
    points: List[str] = field(default_factory=list)


def _question(content: Content, week: int, step_id: str) -> Tuple[str, Optional[object]]:
    flow = content.sessions.get(week)
    if flow is None:
        return step_id, None
    try:
        step = flow.step(step_id)
    except KeyError:
        return step_id, None
    lines = [line.strip() for line in step.text.strip().splitlines() if line.strip()]
    asked = next((line for line in lines if "?" in line), lines[0] if lines else step_id)
    return asked, step  # the question itself, not its lead-in or examples


def brief(s: Session, content: Content, vault: IdentityVault, pid: str, today: date) -> Brief:
    p = s.get(Participant, pid)
    weekly = content.programme.weekly_sessions
    week = current_week(content.programme, p.start_date, today)
    calls = list(s.execute(select(Attendance).where(Attendance.participant_id == pid, Attendance.kind == "call")
                           .order_by(Attendance.created_at.desc(), Attendance.id.desc())).scalars())
    last_call = next((c for c in calls if c.outcome == "done"), None)
    since = last_call.created_at if last_call else None
    checkins = {c.week: {f: getattr(c, f) for f, _ in CHECKIN_FIELDS} for c in s.execute(
        select(Checkin).where(Checkin.participant_id == pid).order_by(Checkin.week)).scalars()}
    answers, wrong = [], []
    for a in s.execute(select(Answer).where(Answer.participant_id == pid)
                       .order_by(Answer.week, Answer.created_at, Answer.id)).scalars():
        question, step = _question(content, a.week, a.step_id)
        if step is not None and step.type == "quiz":
            if a.text.endswith("(not right)"):
                key = a.text.split(" ", 1)[0]
                chosen = next((o.text for o in step.options if o.key == key), key)
                right = next((o.text for o in step.options if o.correct), "")
                wrong.append(Written(a.week, question, f"{chosen} (the answer: {right})", a.updated_at))
            continue
        answers.append(Written(a.week, question, a.text, a.updated_at))
    goal = s.execute(select(Goal).where(Goal.participant_id == pid, Goal.active.is_(True))
                     .order_by(Goal.id.desc())).scalars().first()
    ratings = [(r.week, r.rating, r.next_step) for r in s.execute(
        select(GoalRating).where(GoalRating.participant_id == pid).order_by(GoalRating.week)).scalars()]
    started = {w: c for w, c in s.execute(select(SessionProgress.week, SessionProgress.completed_at).where(
        SessionProgress.participant_id == pid))}
    opened = _weekly(content, p.start_date, today)
    missed = [w for w in opened if w not in started and w < week]
    unfinished = [w for w in opened if w in started and started[w] is None]
    cutoff = since or datetime.combine(p.start_date, datetime.min.time())
    alerts = list(s.execute(select(Alert).where(Alert.participant_id == pid, Alert.created_at >= cutoff)
                            .order_by(Alert.created_at)).scalars())
    checks = list(s.execute(select(RiskCheck).where(RiskCheck.participant_id == pid, RiskCheck.created_at >= cutoff)
                            .order_by(RiskCheck.created_at)).scalars())
    b = Brief(pid, name_of(vault, p), week, content.session_title(week) if 1 <= week <= weekly else "",
              p.start_date, p.last_contact_at, checkins, answers, goal.text if goal else None,
              goal.week_set if goal else None, ratings, wrong, alerts, checks, missed, unfinished, calls, since)
    b.points = talking_points(b)
    return b


def talking_points(b: Brief) -> List[str]:
    """Two or three things worth raising, most important first."""
    points: List[str] = []
    if b.alerts:
        points.append(f"{len(b.alerts)} alert{'s' if len(b.alerts) > 1 else ''} since the last call: "
                      "check how he is and what happened.")
    open_checks = [c for c in b.checks if c.status in ("review", "open")]
    if open_checks:
        points.append("A safety check he did not clearly answer: ask him about it.")
    weeks = sorted(b.checkins)
    if len(weeks) >= 2:
        last, before = b.checkins[weeks[-1]], b.checkins[weeks[-2]]
        for key, label, worse in (("craving", "craving", 1), ("mood", "mood", -1)):
            a, z = before.get(key), last.get(key)
            if a is not None and z is not None and (z - a) * worse >= BIG_CHANGE:
                points.append(f"{label.capitalize()} {'up' if z > a else 'down'} from {a} to {z} "
                              f"(week {weeks[-2]} to week {weeks[-1]}).")
    if b.unfinished:
        points.append(f"Hasn't finished week {_weeks(b.unfinished)}.")
    if b.missed:
        points.append(f"Hasn't started week {_weeks(b.missed)}.")
    if b.ratings and b.ratings[-1][1] is not None and b.ratings[-1][1] <= 3:
        points.append(f"Rated his goal {b.ratings[-1][1]} out of 10 in week {b.ratings[-1][0]}: what got in the way?")
    if b.quiz_wrong:
        points.append(f"{len(b.quiz_wrong)} quiz answer{'s' if len(b.quiz_wrong) > 1 else ''} to go over.")
    if not points:
        points.append("Nothing stands out: ask what went well and what he will practise next week.")
    return points[:3]


def _weeks(weeks: List[int]) -> str:
    return weeks[0] if len(weeks) == 1 else ", ".join(map(str, weeks[:-1])) + f" and {weeks[-1]}"


@dataclass
class ReviewRow:
    row: RosterRow
    alerts: List[Alert]
    checks: List[RiskCheck]
    change: List[str]  # check-in changes worth raising
    fell_behind: List[int] = field(default_factory=list)  # weeks that became overdue since the date


def review(s: Session, content: Content, vault: IdentityVault, site_id: int, since: datetime, today: date,
           iss: bool = False) -> List[ReviewRow]:
    """Men whose risk changed since ``since``: alerts, safety checks, a big check-in change, or
    sessions missed. For an ISS worker (``iss``): only partner and child alerts, and no
    check-ins or safety checks."""
    rows = {r.pid: r for r in roster(s, content, vault, site_id, today)}
    out: List[ReviewRow] = []
    q = select(Alert).where(Alert.site_id == site_id, Alert.created_at >= since)
    if iss:
        q = q.where(Alert.needs_iss.is_(True))
    alerts: Dict[str, List[Alert]] = {}
    for a in s.execute(q.order_by(Alert.created_at)).scalars():
        alerts.setdefault(a.participant_id, []).append(a)
    checks: Dict[str, List[RiskCheck]] = {}
    changes: Dict[str, List[str]] = {}
    if not iss:
        for c in s.execute(select(RiskCheck).where(RiskCheck.site_id == site_id, RiskCheck.created_at >= since)
                           .order_by(RiskCheck.created_at)).scalars():
            checks.setdefault(c.participant_id, []).append(c)
        by_man: Dict[str, List[Checkin]] = {}
        for c in s.execute(select(Checkin).where(Checkin.participant_id.in_(list(rows)))
                           .order_by(Checkin.participant_id, Checkin.week)).scalars():
            by_man.setdefault(c.participant_id, []).append(c)
        for pid, cs in by_man.items():
            if len(cs) >= 2 and cs[-1].updated_at >= since:
                a, z = cs[-2], cs[-1]
                if a.craving is not None and z.craving is not None and z.craving - a.craving >= BIG_CHANGE:
                    changes.setdefault(pid, []).append(f"craving {a.craving} → {z.craving}")
                if a.mood is not None and z.mood is not None and a.mood - z.mood >= BIG_CHANGE:
                    changes.setdefault(pid, []).append(f"mood {a.mood} → {z.mood}")
    for pid, row in rows.items():
        # a session he fell behind on since then (a week past its opening, not finished)
        fell_behind = [] if iss else [w for w in row.behind if opens_on(content.programme, row.start, w)
                                      + timedelta(days=7) >= since.date()]
        if alerts.get(pid) or checks.get(pid) or changes.get(pid) or fell_behind:
            out.append(ReviewRow(row, alerts.get(pid, []), checks.get(pid, []), changes.get(pid, []), fell_behind))
    out.sort(key=lambda r: (-len(r.alerts), -len(r.checks), -len(r.change), r.row.pid))
    return out


def participant_at(s: Session, pid: str, site_id: int) -> Optional[Participant]:
    p = s.get(Participant, pid)
    return p if p is not None and p.site_id == site_id else None


def since_default(today: date) -> datetime:
    return datetime.combine(today - timedelta(days=14), datetime.min.time())

