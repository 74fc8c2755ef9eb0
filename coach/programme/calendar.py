"""The programme calendar: which session is open for him, from his start date.

Dates are UK calendar dates (Europe/London). Pure functions of (programme, start date, today).

    week 0 (welcome)  opens on his start date (the day of his goal-setting 1:1)
    week k (1..12)    opens first_week_opens_after_days + 7*(k-1) days after the start
    the programme     ends programme_length_weeks after the start
    the booster       opens booster_opens_months_after_end months after the end
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import List, Optional
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from coach.programme.content.model import Programme

UK = ZoneInfo("Europe/London")


def uk_today(now: Optional[datetime] = None) -> date:
    """Today's date in the UK (a UTC 'now' just after midnight BST is already tomorrow)."""
    now = now or datetime.now(tz=UK)
    if now.tzinfo is None:
        now = now.replace(tzinfo=ZoneInfo("UTC"))
    return now.astimezone(UK).date()


def opens_on(programme: Programme, start: date, week: int) -> date:
    if week == 0:
        return start
    if week == programme.booster_week:
        return booster_opens_on(programme, start)
    if not 1 <= week <= programme.weekly_sessions:
        raise ValueError(f"no week {week}")
    return start + timedelta(days=programme.first_week_opens_after_days + 7 * (week - 1))


def programme_ends_on(programme: Programme, start: date) -> date:
    return start + timedelta(weeks=programme.programme_length_weeks)


def booster_opens_on(programme: Programme, start: date) -> date:
    return programme_ends_on(programme, start) + relativedelta(months=programme.booster_opens_months_after_end)


def all_weeks(programme: Programme) -> List[int]:
    """Every session in order: welcome, weekly sessions, booster."""
    return list(range(0, programme.weekly_sessions + 1)) + [programme.booster_week]


def open_weeks(programme: Programme, start: date, today: date) -> List[int]:
    return [w for w in all_weeks(programme) if opens_on(programme, start, w) <= today]


def current_week(programme: Programme, start: date, today: date) -> int:
    """The latest session open today (0 before week 1 opens; the booster once it is open)."""
    weeks = open_weeks(programme, start, today)
    return weeks[-1] if weeks else 0


def next_opening(programme: Programme, start: date, today: date) -> Optional[tuple]:
    """(week, date) of the next session to open after today, or None."""
    for w in all_weeks(programme):
        d = opens_on(programme, start, w)
        if d > today:
            return w, d
    return None


def start_for_week(programme: Programme, week: int, today: date) -> date:
    """A start date that makes ``week`` the current session today (for demo participants)."""
    if week == 0:
        return today
    if week == programme.booster_week:  # the booster opened today (or, at month ends, a day or two ago)
        return today - relativedelta(months=programme.booster_opens_months_after_end) - timedelta(
            weeks=programme.programme_length_weeks)
    return today - timedelta(days=programme.first_week_opens_after_days + 7 * (week - 1))


def format_date(d: date) -> str:
    """'Tuesday 3 March' - how dates appear in messages."""
    return f"{d:%A} {d.day} {d:%B}"


# -- UK local time <-> stored UTC -------------------------------------------------------------------

def parse_hhmm(text: Optional[str], default: str) -> time:
    h, m = (text or default).split(":")
    return time(int(h), int(m))


def local_to_utc(day: date, at: time) -> datetime:
    """A UK wall-clock time on ``day`` as naive UTC (how the database stores times).

    Across clock changes 19:00 stays 19:00 in the UK. A time that doesn't exist (01:30 on
    the last Sunday of March) comes out an hour later; one that happens twice (01:30 on the
    last Sunday of October) is the first of the two.
    """
    local = datetime.combine(day, at).replace(tzinfo=UK)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local(when: datetime) -> datetime:
    """Naive UTC from the database -> aware UK time."""
    return when.replace(tzinfo=timezone.utc).astimezone(UK)


def in_quiet_hours(when_utc: datetime, quiet_start: time, quiet_end: time) -> bool:
    return time_in_quiet_hours(utc_to_local(when_utc).time(), quiet_start, quiet_end)


def time_in_quiet_hours(t: time, quiet_start: time, quiet_end: time) -> bool:
    """A UK wall-clock time inside quiet hours (which may run overnight)."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= t < quiet_end
    return t >= quiet_start or t < quiet_end  # overnight, e.g. 21:00-09:00


def end_of_quiet(when_utc: datetime, quiet_start: time, quiet_end: time) -> datetime:
    """The first moment at or after ``when_utc`` outside quiet hours (naive UTC)."""
    if not in_quiet_hours(when_utc, quiet_start, quiet_end):
        return when_utc
    local = utc_to_local(when_utc)
    day = local.date() if local.time() < quiet_end else local.date() + timedelta(days=1)
    return local_to_utc(day, quiet_end)


def on_or_after_weekday(day: date, weekday: Optional[int]) -> date:
    if weekday is None:
        return day
    return day + timedelta(days=(weekday - day.weekday()) % 7)
