"""His reminder preferences, from what he types ("remind me Tuesdays at 7pm").

Pure parsing plus the database write. Understood:

- a day and/or time for reminders: "remind me tuesdays at 7pm", "text me on fri", "at half 7",
  "make it 19:30", "mondays";
- quiet hours: "don't text me after 10pm", "not before 9am", "quiet hours 10pm to 8am",
  "no messages between 22:00 and 07:30";
- a pause: "no reminders this week", "pause reminders for 2 weeks", "reminders back on";
- parts of the day: "sunday mornings" (10am), "after work" (6pm), "afternoons" (2pm),
  "evenings" (7pm), "lunchtime" (12.30pm); "at night" makes a bare hour pm;
- days to avoid: "dont message me at weekends", "no texts on sundays" (a reminder day he
  rules out moves to Monday, or Tuesday if Monday is the one).

    change = parse_preference("remind me tuesdays at 7pm")   # Change(weekday=1, time="19:00")
    apply_change(session, pid, change, today)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Optional, Tuple

from sqlalchemy.orm import Session

from coach.core.db.models import Preferences, utcnow

DAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tues": 1, "tue": 1, "wednesday": 2, "wed": 2, "weds": 2,
        "thursday": 3, "thurs": 3, "thur": 3, "thu": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
        "sunday": 6, "sun": 6}
DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
         "ten": 10, "eleven": 11, "twelve": 12}
MAX_PAUSE_WEEKS = 4

# Parts of the day, as a reminder time (UK local).
PARTS_OF_DAY = ((r"after work|after i finish|when i finish work|after my shift", "18:00"),
                (r"mornings?|first thing", "10:00"), (r"lunch ?times?|lunch|dinner ?time", "12:30"),
                (r"afternoons?", "14:00"), (r"evenings?|tea ?time|after tea|(?<=day )nights?", "19:00"))
WEEKENDS = re.compile(r"\b(?:not|no|dont|do not|never|nothing)\b[^.]*?\b(?:at|on|over|during)?\s*(?:the\s+)?"
                      r"weekends?\b|\bweekdays? only\b|\bonly (?:on )?weekdays\b")

_TIME = (r"(?:(?P<half>half\s+)?(?P<h>\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
         r"(?:[:.](?P<m>\d{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?|(?P<noon>noon|midday))")


@dataclass(frozen=True)
class Change:
    weekday: Optional[int] = None
    time: Optional[str] = None  # "19:00"
    quiet_start: Optional[str] = None
    quiet_end: Optional[str] = None
    pause_days: Optional[int] = None
    resume: bool = False
    avoid: Tuple[int, ...] = ()  # days he doesn't want reminders on: (5, 6) for "not at weekends"

    @property
    def empty(self) -> bool:
        return self == Change()


def _time(m: re.Match, evening_default: bool = True, pm_up_to: int = 8) -> Optional[str]:
    if m.group("noon"):
        return "12:00"
    raw = m.group("h")
    h = int(raw) if raw.isdigit() else WORDS[raw]
    minutes = int(m.group("m") or 0)
    if m.group("half"):
        minutes = 30
    ampm = (m.group("ampm") or "").replace(".", "")
    if h > 23 or minutes > 59:
        return None
    if ampm == "pm" and h < 12:
        h += 12
    elif ampm == "am" and h == 12:
        h = 0
    elif not ampm and h <= 12 and evening_default and 1 <= h <= pm_up_to:
        h += 12  # "at 7" means 7pm for a reminder: nobody wants a 7am nudge by default
    return f"{h:02d}:{minutes:02d}"


def _times(text: str):
    return list(re.finditer(rf"(?<![\w:]){_TIME}(?![\w:])", text))


def parse_preference(text: str) -> Change:
    t = " " + re.sub(r"\s+", " ", (text or "").lower().replace("'", "").replace("’", "")) + " "
    if re.search(r"\b(reminders?|texts|messages|nudges)\s+(back on|on again|again)\b"
                 r"|\b(start|turn on|resume)\s+(the\s+)?reminders?\b|\b(start )?remind(ing)? me again\b", t):
        return Change(resume=True)
    pause = re.search(r"\b(no|pause|stop|skip|hold)\b[^.]*?\b(reminders?|nudges|texts|messages)\b[^.]*?"
                      r"\b(this week|for a week|a week|for (\d+|one|two|three|four) (weeks?|days?))\b", t)
    if pause:
        amount, unit = pause.group(4), pause.group(5)
        if amount:
            n = int(amount) if amount.isdigit() else WORDS[amount]
            days = n * 7 if unit.startswith("week") else n
        else:
            days = 7
        return Change(pause_days=max(1, min(days, MAX_PAUSE_WEEKS * 7)))
    pause = re.search(r"\b(?:pause|hold|mute|stop|skip|no)\b[^.]*?\b(?:reminders?|nudges|texts|messages)\b[^.]*?"
                      r"\b(?:(?:til|till|until) next week|while i(?:m| am) away|on holiday"
                      r"|for a (?:few|couple of) days)"
                      r"|\b(?:pause|hold|mute)\s+(?:my\s+|the\s+|all\s+)?(?:reminders?|nudges|texts|messages)\b", t)
    if pause:
        days = 3 if "few days" in pause.group() else 2 if "couple of days" in pause.group() else 7
        return Change(pause_days=days)
    between = re.search(rf"\b(?:between|from|quiet hours?)\s+{_TIME}\s*(?:and|to|till|until|-)\s*(?P<rest>.*)", t)
    if between and re.search(r"\b(quiet|no (texts|messages|reminders)|dont (text|message))\b", t):
        first = _times(t[between.start():])
        if len(first) >= 2:
            start, end = _time(first[0]), _time(first[1], evening_default=False)
            if start and end:
                return Change(quiet_start=start, quiet_end=end)
    after = re.search(r"\b(?:dont|do not|no|not|quiet)\s+(?:text|message|remind|contact)?\w*\s*(?:me\s+)?"
                      rf"(?:messages\s+|texts\s+|anything\s+)?after\s+{_TIME}", t)
    if after:
        start = _time(after, pm_up_to=11)  # "not after 9": 9pm
        if start:
            return Change(quiet_start=start)
    before = re.search(rf"\b(?:not|dont|do not|no)\b[^.]*?\bbefore\s+{_TIME}", t)
    if before:
        end = _time(before, evening_default=False)
        if end:
            return Change(quiet_end=end)
    if WEEKENDS.search(t):
        return Change(avoid=(5, 6))
    weekday = None
    for m in re.finditer(r"[a-z]+", t):
        word = m.group()
        base = word[:-1] if word.endswith("s") and word[:-1] in DAYS else word
        if base in DAYS:
            if re.search(r"\b(?:no|not|dont|do not|never|nothing)\b[^.,]*$", t[:m.start()]):
                return Change(avoid=(DAYS[base],))  # "dont text me on sundays"
            weekday = DAYS[base]
            break
    clock = None
    found = [m for m in _times(t) if m.group("ampm") or m.group("m") or m.group("half") or m.group("noon")
             or re.search(r"\b(at|for|by|around|about|make it|after|to)\s*$", t[:m.start()])]
    if found:
        morning = re.search(r"\b(in the morning|of a morning|a morning)\b", t[found[0].end():])
        clock = _time(found[0], evening_default=not morning)
        if clock and re.search(r"\b(at night|tonight|in the evening)\b", t) and int(clock[:2]) < 12:
            clock = f"{int(clock[:2]) + 12:02d}{clock[2:]}"
    if clock is None:
        clock = _part_of_day(t)
    if weekday is None and clock is None:
        return Change()
    return Change(weekday=weekday, time=clock)


def _part_of_day(t: str) -> Optional[str]:
    """The part of the day he asks for, skipping any he rules out ("no texts in the morning",
    "mornings are no good, remind me in the evening")."""
    found = []
    for words, at in PARTS_OF_DAY:
        for m in re.finditer(rf"\b(?:{words})", t):
            clause_start = max(t.rfind(",", 0, m.start()), t.rfind(".", 0, m.start()), t.rfind(" but ", 0, m.start()))
            before, after = t[clause_start + 1:m.start()], t[m.end():m.end() + 20]
            if re.search(r"\b(?:no|not|dont|never|nothing|cant|can not)\b", before) or re.search(
                    r"^\s*(?:are|is|'?s)?\s*(?:no good|not good|bad|rubbish|no use|dont work|not great)", after):
                continue
            found.append((m.start(), at))
    return min(found)[1] if found else None


def describe(change: Change) -> str:
    """'on Tuesdays at 7pm' - for the confirmation."""
    parts = []
    if change.weekday is not None:
        parts.append(f"on {DAY_NAMES[change.weekday]}s")
    if change.time:
        parts.append(f"at {say_time(change.time)}")
    return " ".join(parts)


def say_time(hhmm: str) -> str:
    h, m = (int(x) for x in hhmm.split(":"))
    suffix = "am" if h < 12 else "pm"
    h12 = h % 12 or 12
    return f"{h12}{suffix}" if m == 0 else f"{h12}.{m:02d}{suffix}"


def apply_change(s: Session, pid: str, change: Change, today: date, weekend_day: Optional[int] = None) -> Preferences:
    """Save ``change``. ``weekend_day``: the day his reminders come now (for "not on Sundays")."""
    prefs = s.get(Preferences, pid)
    if prefs is None:
        prefs = Preferences(participant_id=pid)
        s.add(prefs)
    if change.resume:
        prefs.paused_until = None
    if change.pause_days:
        prefs.paused_until = today + timedelta(days=change.pause_days - 1)
    if change.weekday is not None:
        prefs.nudge_weekday = change.weekday
    if change.time:
        prefs.nudge_time = change.time
    if change.quiet_start:
        prefs.quiet_start = change.quiet_start
    if change.quiet_end:
        prefs.quiet_end = change.quiet_end
    if change.avoid and weekend_day is not None and weekend_day in change.avoid:
        prefs.nudge_weekday = next(d for d in range(7) if d not in change.avoid)  # Monday, or Tuesday
    prefs.updated_at = utcnow()
    s.flush()
    return prefs



