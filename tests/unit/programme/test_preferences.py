"""'Remind me Tuesdays at 7pm': parsing his reminder preferences and storing them."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.rhythm import ActionSetReminder
from coach.core.db.models import Preferences
from coach.programme.enrolment import enrol
from coach.programme.preferences import Change, parse_preference
from tests.conftest import db_session


@pytest.mark.parametrize("text, change", [
    ("remind me Tuesdays at 7pm", Change(weekday=1, time="19:00")),
    ("text me on fri", Change(weekday=4)),
    ("at half 7", Change(time="19:30")),
    ("make it 19:30", Change(time="19:30")),
    ("remind me at 8", Change(time="20:00")),
    ("can you remind me sundays about 6", Change(weekday=6, time="18:00")),
    ("remind me mondays at 9am", Change(weekday=0, time="09:00")),
    ("dont text me after 10pm", Change(quiet_start="22:00")),
    ("not before 9am please", Change(quiet_end="09:00")),
    ("quiet hours 10pm to 8am", Change(quiet_start="22:00", quiet_end="08:00")),
    ("no messages between 22:00 and 07:30", Change(quiet_start="22:00", quiet_end="07:30")),
    ("no reminders this week", Change(pause_days=7)),
    ("pause reminders for 2 weeks", Change(pause_days=14)),
    ("no reminders for 10 weeks", Change(pause_days=28)),  # at most 4 weeks
    ("reminders back on", Change(resume=True)),
    ("no texts this week mate", Change(pause_days=7)),
    ("can u text me sunday mornings instead", Change(weekday=6, time="10:00")),
    ("text me after work on fridays", Change(weekday=4, time="18:00")),
    ("evenings are best", Change(time="19:00")),
    ("lunchtime wednesdays", Change(weekday=2, time="12:30")),
    ("remind me at 9 at night", Change(time="21:00")),
    ("not after 9 at night", Change(quiet_start="21:00")),
    ("dont message me at weekends", Change(avoid=(5, 6))),
    ("nothing on the weekend please", Change(avoid=(5, 6))),
    ("weekdays only", Change(avoid=(5, 6))),
    ("mornings are no good, remind me in the evening", Change(time="19:00")),
    ("dont text me on sundays", Change(avoid=(6,))),
    ("remind me at 7 in the morning", Change(time="07:00")),
    ("remind me after 6", Change(time="18:00")),
    ("quiet after 10pm", Change(quiet_start="22:00")),
    ("pause my reminders", Change(pause_days=7)),
    ("no reminders for a few days", Change(pause_days=3)),
    ("you can start reminding me again", Change(resume=True)),
    ("remind me sunday night", Change(weekday=6, time="19:00")),
    ("move my reminder to 7", Change(time="19:00")),
])
def test_parses(text, change):
    assert parse_preference(text) == change


@pytest.mark.parametrize("text", ["hello", "i had 7 days off the drink", "6", "my mood is 4 out of 10", "",
                                  "i work nights", "i am ok", "had a good weekend", "no texts in the morning"])
def test_leaves_other_messages_alone(text):
    assert parse_preference(text).empty


def run(pid, text):
    d = CollectingDispatcher()
    t = Tracker(sender_id=pid, slots={}, latest_message={"text": text, "intent": {"name": "set_reminder"}},
                events=[], paused=False, followup_action=None, active_loop={}, latest_action_name="action_listen")
    asyncio.run(ActionSetReminder().run(d, t, {}))
    return d.messages[0]["text"]


def test_the_action_stores_and_confirms(app):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 1, 5)).id
    assert run(pid, "remind me tuesdays at 7pm") == "OK. I'll send your reminders on Tuesdays at 7pm."
    assert "between 10pm and" in run(pid, "dont text me after 10pm")
    assert "No reminders until after" in run(pid, "no reminders this week")
    assert "Tell me a day and time" in run(pid, "whenever")
    with db_session() as s:
        prefs = s.get(Preferences, pid)
        assert (prefs.nudge_weekday, prefs.nudge_time, prefs.quiet_start) == (1, "19:00", "22:00")
        assert prefs.paused_until is not None


def test_a_reminder_inside_his_quiet_hours_is_told_back_to_him(app):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 1, 5)).id
    run(pid, "not before 10am")
    said = run(pid, "remind me mondays at 8am")
    assert said.startswith("OK. I'll send your reminders on Mondays at 8am.")
    assert "That's in your quiet hours (9pm to 10am), so it will come at 10am." in said
    assert run(pid, "remind me mondays at 11am") == "OK. I'll send your reminders on Mondays at 11am."


def test_no_reminders_at_weekends_moves_a_weekend_day_to_monday(app):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 1, 3)).id  # a Saturday: his sessions open on Saturdays
    assert run(pid, "dont message me at weekends").startswith("OK, nothing at weekends. Your reminders will come "
                                                               "on Mondays.")
    with db_session() as s:
        assert s.get(Preferences, pid).nudge_weekday == 0
    run(pid, "remind me thursdays at 7pm")
    assert "on Thursdays" in run(pid, "no texts at the weekend")  # already a weekday: nothing moves


def test_a_day_he_rules_out_moves_his_reminders(app):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 1, 4)).id  # a Sunday
    assert run(pid, "dont text me on sundays").startswith("OK, nothing on Sundays. Your reminders will come on "
                                                           "Mondays.")
