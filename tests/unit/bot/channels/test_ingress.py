"""Escalation never depends on the dialogue model: the channel raises the alert first.

- A flagged message gives exactly one alert before Rasa is even called, whatever the
  dialogue then predicts (here: nothing at all, or the risk action as well).
- The NLU component turns a flagged message into `risk_disclosure` whatever the classifier
  said, and never removes the classifier's own `risk_disclosure` (a second signal).
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from rasa.shared.nlu.training_data.message import Message
from sqlalchemy import func, select

from bot.actions.safety import _respond
from bot.channels.ingress import Ingress
from bot.components.risk import RiskGate
from coach.core.db import session_scope
from coach.core.db.models import Alert, AlertEvent
from coach.programme.enrolment import enrol
from escalation.alerts import Signal

pytestmark = pytest.mark.safety


@pytest.fixture
def pid(app):
    with session_scope() as s:
        return enrol(s, site="north", start=date(2026, 1, 5)).id


def alerts(pid):
    with session_scope() as s:
        return s.execute(select(func.count()).select_from(Alert).where(Alert.participant_id == pid)).scalar()


def test_a_flagged_message_raises_exactly_one_alert_before_and_without_the_dialogue(app, pid):
    ingress = Ingress.from_settings(app.settings)
    alert_id = asyncio.run(ingress.before_dialogue(pid, "I'm going to end my life tonight", "msg-1"))
    assert alert_id is not None and alerts(pid) == 1  # the dialogue has not run at all
    # the dialogue then does its own thing (the risk action, for instance): still one alert
    info = _respond(pid, "msg-1", "I'm going to end my life tonight", Signal("unclassified", "high", (), "classifier"))
    assert info["id"] == alert_id and alerts(pid) == 1
    # the same update delivered again: still one
    asyncio.run(ingress.before_dialogue(pid, "I'm going to end my life tonight", "msg-1"))
    assert alerts(pid) == 1


def test_the_classifier_alone_can_add_an_alert(app, pid):
    info = _respond(pid, "msg-9", "something the word list missed", Signal("unclassified", "high", (), "classifier"))
    assert alerts(pid) == 1
    with session_scope() as s:
        alert = s.get(Alert, info["id"])
        assert alert.source == "classifier" and alert.category == "unclassified" and alert.needs_iss


def test_benign_messages_raise_nothing_and_later_messages_are_followups(app, pid):
    ingress = Ingress.from_settings(app.settings)
    assert asyncio.run(ingress.before_dialogue(pid, "my back is killing me", "m1")) is None
    assert alerts(pid) == 0
    asyncio.run(ingress.before_dialogue(pid, "i want to kill myself", "m2"))
    asyncio.run(ingress.before_dialogue(pid, "only joking, you misunderstood", "m3"))
    with session_scope() as s:
        alert = s.execute(select(Alert).where(Alert.participant_id == pid)).scalar_one()
        assert alert.status == "open"
        notes = [e.detail.get("text") for e in s.execute(select(AlertEvent).where(
            AlertEvent.alert_id == alert.id, AlertEvent.kind == "participant_followup")).scalars()]
    assert notes == ["only joking, you misunderstood"]


def gate_process(text, intent, confidence=0.9, ranking=None):
    m = Message(data={"text": text, "intent": {"name": intent, "confidence": confidence},
                      "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]})
    RiskGate({"lexicon": None, "rescue_threshold": 0.6}).process([m])
    return m


def test_risk_gate_overrides_whatever_the_classifier_predicted(app):
    m = gate_process("i grabbed her by the throat last night", "inform", 0.97)
    assert m.get("intent")["name"] == "risk_disclosure"
    assert m.get("risk")["source"] == "detector" and m.get("risk")["category"] == "harm_to_partner"


def test_risk_gate_keeps_the_classifiers_risk_and_never_removes_it(app):
    m = gate_process("everything is pointless and i have a plan", "risk_disclosure", 0.8)
    assert m.get("intent")["name"] == "risk_disclosure"
    m = gate_process("hmm", "nlu_fallback", 1.0, ranking=[{"name": "nlu_fallback", "confidence": 1.0},
                                                         {"name": "risk_disclosure", "confidence": 0.7}])
    assert m.get("intent")["name"] == "risk_disclosure" and m.get("risk")["source"] == "classifier"


def test_risk_gate_leaves_benign_messages_alone(app):
    m = gate_process("my back is killing me", "inform", 0.6)
    assert m.get("intent")["name"] == "inform" and m.get("risk")["escalate"] is False


def test_the_classifiers_confidence_is_recorded_with_its_signal(app):
    """A risk_disclosure only ranked below the rescue threshold is recorded, not alerted."""
    m = gate_process("things are a lot right now", "inform", 0.5,
                     ranking=[{"name": "inform", "confidence": 0.5}, {"name": "risk_disclosure", "confidence": 0.4}])
    assert m.get("risk") == {"escalate": False, "classifier_confidence": 0.4}
    assert m.get("intent")["name"] == "inform"
    m = gate_process("things are a lot right now", "inform", 0.3,
                     ranking=[{"name": "inform", "confidence": 0.3}, {"name": "risk_disclosure", "confidence": 0.6}])
    assert m.get("risk")["source"] == "classifier" and m.get("risk")["classifier_confidence"] == 0.6
    assert m.get("intent") == {"name": "risk_disclosure", "confidence": 1.0}


def test_an_update_that_cannot_be_stored_asks_the_provider_to_retry(app, monkeypatch):
    """Database down before the inbox row exists: 503 (Telegram and Twilio redeliver), not a lost message."""
    from bot.channels.base import Inbound, NotStored
    from bot.channels.telegram import TelegramInput

    channel = TelegramInput(Ingress.from_settings(app.settings))

    def broken(*_a, **_k):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(channel, "_first_time", broken)
    with pytest.raises(NotStored):
        asyncio.run(channel.handle(Inbound("1", "42", "text", "hi"), on_new_message=None))
