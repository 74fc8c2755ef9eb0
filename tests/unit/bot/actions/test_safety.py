"""The crisis reply: the right reply for the category, and no loop when he writes about it again."""

from __future__ import annotations

import time

import pytest
from rasa_sdk.events import SlotSet

from bot.actions.safety import ActionRiskResponse
from escalation.risk import RiskDecision
from tests.conftest import content
from tests.unit.bot.actions.test_session import make_participant, run, texts, tracker

pytestmark = pytest.mark.safety


def risk(category, severity="high"):
    return RiskDecision("alert", category, severity, None, ("lexicon x:y",), "detector").to_metadata()


def disclosure(pid, text, category, earlier=(), message_id="m9"):
    now = time.time()
    events = []
    for cat, ago in earlier:
        events += [{"event": "user", "timestamp": now - ago, "text": "earlier", "parse_data": {"risk": risk(cat)}},
                   {"event": "action", "name": "action_risk_response", "timestamp": now - ago + 0.1}]
    events.append({"event": "user", "timestamp": now, "text": text, "parse_data": {"risk": risk(category)}})
    t = tracker(pid, text, "risk_disclosure", events=events)
    t.latest_message.update({"risk": risk(category), "message_id": message_id})
    return run(ActionRiskResponse(), t)


def test_the_reply_for_the_category_and_the_safety_question(app):
    pid = make_participant()
    d, events = disclosure(pid, "i want to kill myself", "suicide_self_harm")
    assert texts(d) == [content().extra["safety_replies"]["suicide_self_harm.high"]["text"]]
    assert SlotSet("safety_check", True) in events


def test_the_same_kind_of_risk_again_within_minutes_gets_a_short_answer_not_a_loop(app):
    pid = make_participant()
    d, events = disclosure(pid, "i want to die", "suicide_self_harm", earlier=[("suicide_self_harm", 120)])
    assert texts(d) == [content().extra["safety_replies"]["repeat"]]
    assert SlotSet("safety_check", False) in events


def test_a_different_risk_or_a_long_while_later_gets_the_whole_reply(app):
    pid = make_participant()
    d, _ = disclosure(pid, "i hit her", "harm_to_partner", earlier=[("suicide_self_harm", 60)])
    assert texts(d) == [content().extra["safety_replies"]["harm_to_partner.high"]["text"]]
    d, _ = disclosure(pid, "i want to die", "suicide_self_harm", earlier=[("suicide_self_harm", 3600)],
                      message_id="m10")
    assert texts(d) == [content().extra["safety_replies"]["suicide_self_harm.high"]["text"]]


def test_no_to_the_calm_check_gets_the_crisis_reply_without_the_same_question_again(app):
    pid = make_participant()
    decision = RiskDecision("alert", "suicide_self_harm", "imminent", None, ("answered NO to the safety check",),
                            "check").to_metadata()
    t = tracker(pid, "no", "risk_disclosure", active_loop="check_form")
    t.latest_message.update({"risk": decision, "message_id": "m11"})
    d, events = run(ActionRiskResponse(), t)
    assert texts(d) == [content().extra["safety_replies"]["suicide_self_harm.imminent"]["text"]]
    assert SlotSet("safety_check", False) in events  # he was just asked "are you safe right now?"
    t = tracker(pid, "just took the lot", "risk_disclosure", active_loop="check_form")  # more risk: still asked
    t.latest_message.update({"risk": risk("suicide_self_harm"), "message_id": "m12"})
    _, events = run(ActionRiskResponse(), t)
    asks = content().extra["safety_replies"]["suicide_self_harm.high"]["ask_safe"]
    assert asks and SlotSet("safety_check", True) in events
