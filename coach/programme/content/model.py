"""What the content files mean, as plain data (no YAML, no Rasa).

A *flow* is a list of steps the coach walks him through: a session (week 0-12, the
booster) or a toolkit tool. ``Content`` is everything loaded from ``content/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

STEP_TYPES = ("message", "question", "number", "yesno", "quiz", "choice")
INTERACTIVE = frozenset({"question", "number", "yesno", "quiz", "choice"})
WHEN_VALUES = ("has_goal", "no_goal", "goal_from_before", "new_goal", "checkin_today", "no_checkin_today")

CHECKIN_FIELDS = ("mood", "craving", "alcohol_free_days", "drug_free_days")
RESERVED_SAVES = {
    "checkin.mood": "number",
    "checkin.craving": "number",
    "checkin.alcohol_free_days": "number",
    "checkin.drug_free_days": "number",
    "goal.text": "question",
    "goal.rating": "number",
    "goal.next_step": "question",
}

WELCOME_WEEK = 0
TOOLKIT = "toolkit"

# Every everyday message, with the placeholders it may use.
MESSAGE_PLACEHOLDERS: Mapping[str, Tuple[str, ...]] = {
    "help": (),
    "help_urgent": (),
    "start_session": ("week", "title"),
    "start_welcome": (),
    "start_booster": (),
    "resume_session": ("week", "title"),
    "catch_up": ("week", "title"),
    "other_weeks_waiting": ("weeks",),
    "up_to_date": ("next_date",),
    "all_finished": (),
    "not_open_yet": ("week", "date"),
    "no_such_week": ("last",),
    "already_done": ("week", "title"),
    "progress_in_session": ("title", "week", "step", "steps", "done", "total"),
    "progress_idle": ("done", "total", "next"),
    "progress_next_open": ("next_date",),
    "progress_next_ready": ("week", "title"),
    "back_to_session": ("title", "week"),
    "skipped": (),
    "cannot_skip": (),
    "reask_number": ("min", "max"),
    "reask_number_dunno": ("min", "max"),
    "reask_number_vague": ("min", "max"),
    "reask_number_unclear": ("min", "max"),
    "reask_number_words": ("min", "max"),
    "reask_goal_text": (),
    "goal_change": (),
    "reask_goal_next_step": (),
    "reask_yesno": (),
    "reask_choice": ("keys",),
    "reask_empty": (),
    "moving_on": (),
    "wait_hint": (),
    "paused": (),
    "paused_idle": (),
    "no_problem": (),
    "fallback": (),
    "fallback_paused": ("week", "title"),
    "goodbye": (),
    "thanks": (),
    "toolkit_back": ("title", "week"),
    "not_enrolled": (),
    # the notice, and real answers to real questions (coach/programme/questions.py)
    "notice": (),
    "question_privacy": (),
    "question_person": (),
    "question_data": (),
    "question_stop": (),
    "question_schedule": ("group", "session"),
    "question_group_next": ("date", "time"),
    "question_group_unknown": (),
    "question_goal": ("goal",),
    "question_goal_none": (),
    "question_video": ("week", "link"),
    "question_video_none": ("session",),
    # channels
    "join_ok": (),
    "join_wrong": (),
    "join_expired": (),
    "join_used": (),
    "join_rate_limited": (),
    "unknown_sender": (),
    "unknown_sender_urgent": (),
    "stopped": (),
    "started": (),
    "still_stopped": (),
    "sms_help": (),
    "sms_more": (),
    "non_text": (),
    "edited": (),
    # reminders
    "reminder_set": ("when",),
    "reminder_unclear": (),
    "reminders_paused": ("date",),
    "reminders_resumed": (),
    "reminders_avoid": ("days", "day"),
    "reminder_in_quiet_hours": ("start", "end"),
    "quiet_hours_set": ("start", "end"),
}
# Placeholders that step texts may use ({answer:NAME|fallback} is handled separately).
STEP_PLACEHOLDERS = ("goal", "week", "title")


@dataclass(frozen=True)
class Source:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Option:
    key: str
    text: str
    correct: bool = False


@dataclass(frozen=True)
class Step:
    id: str
    type: str
    text: str
    source: Source
    save_as: Optional[str] = None
    min: Optional[int] = None
    max: Optional[int] = None
    options: Tuple[Option, ...] = ()
    right: Optional[str] = None
    wrong: Optional[str] = None
    on_yes: Optional[str] = None
    on_no: Optional[str] = None
    wait: bool = False
    skippable: bool = True
    when: Optional[str] = None
    reask: Optional[str] = None

    @property
    def interactive(self) -> bool:
        return self.type in INTERACTIVE or (self.type == "message" and self.wait)

    def texts(self) -> List[Tuple[str, str]]:
        """(field, text) for every text he might be sent from this step."""
        out = [("text", self.text)]
        for name in ("right", "wrong", "on_yes", "on_no", "reask"):
            value = getattr(self, name)
            if value:
                out.append((name, value))
        return out


@dataclass(frozen=True)
class Flow:
    key: str  # "week:3", "booster", "toolkit:breathing"
    title: str
    steps: Tuple[Step, ...]
    source: Source
    week: Optional[int] = None  # 0-12 for sessions, booster_week for the booster
    summary: str = ""
    video: str = ""  # a link to this week's video, if the service has one (sessions' "video:")

    def index(self, step_id: str) -> int:
        for i, step in enumerate(self.steps):
            if step.id == step_id:
                return i
        raise KeyError(step_id)

    def step(self, step_id: str) -> Step:
        return self.steps[self.index(step_id)]

    @property
    def interactive_steps(self) -> List[Step]:
        return [s for s in self.steps if s.interactive]


@dataclass(frozen=True)
class Tool:
    key: str
    id: str
    name: str
    flow: Flow


@dataclass(frozen=True)
class Toolkit:
    intro: str
    after: str
    tools: Tuple[Tool, ...]
    source: Source

    def menu_text(self) -> str:
        lines = [self.intro.strip()]
        lines += [f"{t.key} {t.name}" for t in self.tools]
        return "\n".join(lines)

    def tool(self, key_or_id: str) -> Optional[Tool]:
        k = key_or_id.strip().lower()
        for t in self.tools:
            if t.key.lower() == k or t.id == k:
                return t
        return None


@dataclass(frozen=True)
class Programme:
    name: str
    weekly_sessions: int
    first_week_opens_after_days: int
    programme_length_weeks: int
    booster_opens_months_after_end: int

    @property
    def booster_week(self) -> int:
        return self.weekly_sessions + 1


@dataclass
class Content:
    programme: Programme
    messages: Dict[str, str]
    sessions: Dict[int, Flow]  # by week number (booster under programme.booster_week)
    toolkit: Toolkit
    language: Dict[str, List[str]]  # intent -> examples
    fingerprint: str = ""
    extra: Dict[str, object] = field(default_factory=dict)  # other loaded files (safety, reminders)

    def flow(self, key: str) -> Flow:
        if key.startswith("week:"):
            return self.sessions[int(key.split(":", 1)[1])]
        if key.startswith("toolkit:"):
            tool = self.toolkit.tool(key.split(":", 1)[1])
            if tool is None:
                raise KeyError(key)
            return tool.flow
        raise KeyError(key)

    def session_title(self, week: int) -> str:
        flow = self.sessions.get(week)
        return flow.title if flow else f"week {week}"
