"""Reminder preferences: "remind me Tuesdays at 7pm", quiet hours, a week's pause.

(Scheduled messages themselves need no action: the worker renders them and Rasa relays
the text with the `utter_nudge` response; see bot/domain/rhythm.yml.)"""

from __future__ import annotations

import asyncio
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.common import digress, is_his_answer, latest_text
from bot.runtime import runtime
from coach.core.db.models import Participant, Preferences
from coach.core.text.render import render
from coach.programme import calendar as cal
from coach.programme.preferences import (
    DAY_NAMES,
    apply_change,
    describe,
    parse_preference,
    say_time,
)


def _set(pid: str, text: str) -> str:
    messages = runtime().content().messages
    change = parse_preference(text)
    if change.empty:
        return messages["reminder_unclear"]
    with runtime().db.session() as s:
        if s.get(Participant, pid) is None:
            return messages["not_enrolled"]
        current = s.get(Preferences, pid)
        day = current.nudge_weekday if current is not None and current.nudge_weekday is not None else None
        if day is None:  # by default his reminder comes on the day his session opens
            day = s.get(Participant, pid).start_date.weekday()
        prefs = apply_change(s, pid, change, cal.uk_today(), weekend_day=day)
        if change.avoid:
            now = prefs.nudge_weekday if prefs.nudge_weekday is not None else day
            days = "at weekends" if change.avoid == (5, 6) else "on " + " or ".join(
                f"{DAY_NAMES[d]}s" for d in change.avoid)
            return render(messages["reminders_avoid"], {"days": days, "day": DAY_NAMES[now]})
        if change.resume:
            return messages["reminders_resumed"]
        if change.pause_days:
            return render(messages["reminders_paused"], {"date": cal.format_date(prefs.paused_until)})
        if change.quiet_start or change.quiet_end:
            start = say_time(prefs.quiet_start or get_default("quiet_start"))
            end = say_time(prefs.quiet_end or get_default("quiet_end"))
            return render(messages["quiet_hours_set"], {"start": start, "end": end})
        when = describe(change)
        if change.weekday is None and prefs.nudge_weekday is not None:
            when = f"on {DAY_NAMES[prefs.nudge_weekday]}s {when}"
        said = render(messages["reminder_set"], {"when": when})
        quiet = (prefs.quiet_start or get_default("quiet_start"), prefs.quiet_end or get_default("quiet_end"))
        at, start, end = (cal.parse_hhmm(x, x) for x in (prefs.nudge_time or "12:00", *quiet))
        if prefs.nudge_time and cal.time_in_quiet_hours(at, start, end):  # "Mondays at 8am", quiet until 10am
            said += " " + render(messages["reminder_in_quiet_hours"],
                                 {"start": say_time(quiet[0]), "end": say_time(quiet[1])})
        return said


def get_default(name: str) -> str:
    return getattr(runtime().settings, f"schedule_{name}")


class ActionSetReminder(Action):
    """'Remind me Tuesdays at 7pm', 'not before 9am', 'no reminders this week'."""

    def name(self) -> Text:
        return "action_set_reminder"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        if is_his_answer(tracker):  # mid-session, an unsure guess: his answer ("after work" as when he'll practise)
            await digress(tracker, dispatcher, None, as_answer=True)
            return []
        dispatcher.utter_message(text=await asyncio.to_thread(_set, tracker.sender_id, latest_text(tracker)))
        return []
