"""What staff are told: discreet first lines, details under a spoiler, reminders that read well."""

from __future__ import annotations

import pytest

from escalation.notify import AlertView, format_info, format_sms, format_telegram

pytestmark = pytest.mark.safety

TEMPLATES = {
    "telegram": "Coach: please check now ({severity}). Code {code}\nParticipant {participant}\nHe wrote: \"{text}\"",
    "sms": "Coach: please check now ({severity}). Code {code}. Reply ACK {code}.",
    "sms_info": "{code}: \"{text}\"",
    "reminder_prefix": "Reminder {round}: ",
}
VIEW = AlertView("K7Q2MX", "P-7KQ2XM", "north", "imminent", "suicide_self_harm", "I want to end it <now>", [], [])


def test_the_first_line_is_plain_and_the_details_are_under_a_spoiler():
    text = format_telegram(TEMPLATES, VIEW, 0)
    first, rest = text.split("\n", 1)
    assert first == "Coach: please check now (IMMINENT). Code K7Q2MX"
    assert rest.startswith("<tg-spoiler>") and "&lt;now&gt;" in rest  # his words escaped for HTML


def test_sms_alerts_carry_no_message_text():
    assert "end it" not in format_sms(TEMPLATES, VIEW, 0)
    assert "end it" in format_info(TEMPLATES, VIEW)


def test_a_reminder_keeps_the_space_after_its_prefix():
    assert format_sms(TEMPLATES, VIEW, 2).startswith("Reminder 2: Coach: please check now")
    assert format_telegram(TEMPLATES, VIEW, 1).startswith("Reminder 1: Coach: please check now")
