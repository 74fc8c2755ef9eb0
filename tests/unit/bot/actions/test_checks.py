"""The calm safety check in the dialogue: his answer settles it, and nothing is dropped silently.

YES -> safe, the session carries on; NO -> an alert (if the channel hadn't raised it);
unclear or "only joking" -> a review item for his facilitator. "Only joking" never cancels.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from bot.actions.checks import ActionCheckDone, ActionRetract, ActionRiskCheck, ValidateCheckForm
from bot.actions.session import ActionBegin, AskFlowAnswer
from coach.core.db.models import Alert, RiskCheck, utcnow
from escalation.checks import record_check
from escalation.risk import RiskDecision
from tests.conftest import content, db_session
from tests.unit.bot.actions.test_session import make_participant, run, texts, tracker

pytestmark = pytest.mark.safety

UNSURE = RiskDecision("check", "suicide_self_harm", "high", 0.5, ("model suicide_self_harm 0.50",), "model")


def ask(pid: str, message_id: str = "m1") -> None:
    with db_session() as s:
        record_check(s, pid, None, message_id, "everything feels a bit much", UNSURE,
                     [{"who": "coach", "text": "How strong have your cravings been?"}])


def answer(pid: str, text: str, intent: str):
    d = CollectingDispatcher()
    t = tracker(pid, text, intent, active_loop="check_form")
    t.latest_message["message_id"] = "m2"
    result = asyncio.run(ValidateCheckForm().validate_check_answer(text, d, t, {}))
    return texts(d), result


def status(pid: str):
    with db_session() as s:
        check = s.execute(select(RiskCheck).where(RiskCheck.participant_id == pid)).scalar_one()
        return check.status, check.answer, check.review_reason


def alerts(pid: str) -> int:
    with db_session() as s:
        return s.execute(select(func.count()).select_from(Alert).where(Alert.participant_id == pid)).scalar()


def replies():
    return content().extra["safety_replies"]


def test_yes_settles_it_as_safe(app):
    pid = make_participant()
    ask(pid)
    said, result = answer(pid, "yeah im safe", "affirm")
    assert said == [replies()["check_safe"]] and result == {"check_answer": "yeah im safe"}
    assert status(pid) == ("safe", "yeah im safe", None) and alerts(pid) == 0


@pytest.mark.parametrize("text, intent, reason, reply", [
    ("dunno really", "dunno", "no clear answer", "check_unclear"),
    ("6", "number", "no clear answer", "check_unclear"),
    ("only joking mate", "retract", "he said he was joking or misunderstood", "retract_check"),
])
def test_anything_else_is_a_review_item(app, text, intent, reason, reply):
    pid = make_participant()
    ask(pid)
    said, _ = answer(pid, text, intent)
    assert said == [replies()[reply]]
    assert status(pid) == ("review", text, reason) and alerts(pid) == 0


def test_no_is_an_alert_even_when_the_channel_did_not_raise_it(app):
    pid = make_participant()
    ask(pid)
    said, _ = answer(pid, "no", "deny")
    assert said == [replies()["safe_no"]] and alerts(pid) == 1
    assert status(pid)[0] == "alert"
    with db_session() as s:
        alert = s.execute(select(Alert).where(Alert.participant_id == pid)).scalar_one()
        assert alert.category == "suicide_self_harm" and alert.source == "check"


def test_the_session_waits_for_the_check_and_carries_on(app):
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    _, events = run(ActionRiskCheck(), tracker(pid, "everything feels a bit much", "risk_check"))
    assert events == [SlotSet("check_answer", None)]
    _, events = run(ActionCheckDone(), tracker(pid))
    assert events == [SlotSet("check_answer", None), SlotSet("has_flow", True)]
    fresh = make_participant(week=1)
    _, events = run(ActionCheckDone(), tracker(fresh))
    assert events[-1] == SlotSet("has_flow", False)


def test_only_joking_after_an_alert_or_a_check_gets_a_caring_answer_and_cancels_nothing(app):
    pid = make_participant()
    d, _ = run(ActionRetract(), tracker(pid, "only joking", "retract"))
    assert texts(d) == [content().messages["fallback"]]  # nothing to take back
    ask(pid)
    d, _ = run(ActionRetract(), tracker(pid, "only joking", "retract"))
    assert texts(d) == [replies()["retract_check"]] and status(pid)[0] == "review"
    with db_session() as s:
        s.add(Alert(code="ABCDEF", participant_id=pid, site_id=1, message_id="x", category="harm_to_partner",
                    severity="high", source="detector", text="t", matched=[], context=[], status="open",
                    created_at=utcnow() - timedelta(minutes=5), last_round=0, last_round_at=utcnow()))
    d, _ = run(ActionRetract(), tracker(pid, "you misunderstood", "retract"))
    assert texts(d) == [replies()["retract_alert"]] and alerts(pid) == 1


def test_with_nothing_to_take_back_mid_session_it_is_his_answer(app):
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid, "hi", "greet", active_loop="flow_form"))  # the mood question
    d, _ = run(ActionRetract(), tracker(pid, "not like that", "retract", active_loop="flow_form"))
    assert texts(d) and texts(d) != [content().messages["fallback"]]  # the mood question's re-ask
    assert "number from 0 to 10" in texts(d)[0]
    assert alerts(pid) == 0
