"""The NLU component applies the one risk decision; the dialogue's classifier decides nothing.

- alert -> `risk_disclosure`, check -> `risk_check`, whatever the classifier said;
- no risk -> the classifier's intent stands, unless it guessed a risk intent itself: those
  only the decision may set, so its next guess is used;
- the decision made at ingress travels in the metadata and is used as it is: the message is
  not read again. Only a message without one is decided here (by the same function).
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.risk import RiskGate
from escalation.risk import NOTHING, RiskDecision

pytestmark = pytest.mark.safety


def gate_process(text, intent, confidence=0.9, ranking=None, metadata=None, gate=None):
    data = {"text": text, "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
    if metadata is not None:
        data["metadata"] = metadata
    m = Message(data=data)
    (gate or RiskGate({"lexicon": None})).process([m])
    return m


def carried(tier, category="harm_to_partner", severity="high"):
    return {"risk": RiskDecision(tier, category, severity, 0.5, ("model x 0.50",), "model").to_metadata()}


def test_an_alert_overrides_whatever_the_classifier_predicted(app):
    m = gate_process("i grabbed her by the throat last night", "inform", 0.97)
    assert m.get("intent") == {"name": "risk_disclosure", "confidence": 1.0}
    assert m.get("risk")["tier"] == "alert" and m.get("risk")["category"] == "harm_to_partner"


def test_a_check_becomes_risk_check(app):
    m = gate_process("not sure what i'd do", "inform", 0.9, metadata=carried("check"))
    assert m.get("intent")["name"] == "risk_check" and m.get("risk")["tier"] == "check"
    assert [r["name"] for r in m.get("intent_ranking")][:2] == ["risk_check", "inform"]


def test_the_classifier_cannot_raise_risk_on_its_own(app):
    none = {"risk": NOTHING.to_metadata()}
    ranking = [{"name": "risk_disclosure", "confidence": 0.9}, {"name": "greet", "confidence": 0.1}]
    m = gate_process("I see a cup of coffee animation", "risk_disclosure", 0.9, ranking=ranking, metadata=none)
    assert m.get("intent") == {"name": "greet", "confidence": 0.1}
    assert all(r["name"] not in ("risk_disclosure", "risk_check") for r in m.get("intent_ranking"))
    m = gate_process("hmm", "risk_check", 0.9, ranking=[{"name": "risk_check", "confidence": 0.9}], metadata=none)
    assert m.get("intent")["name"] == "nlu_fallback"


def test_benign_messages_are_left_alone(app):
    m = gate_process("my back is killing me", "inform", 0.6)
    assert m.get("intent")["name"] == "inform" and m.get("risk")["tier"] == "none"


class CountingGate(RiskGate):
    """A gate whose detector counts how often it reads a message."""

    def __init__(self):
        super().__init__({"lexicon": None})
        self.reads = 0

    def _detector(self):
        gate, real = self, super()._detector()

        class Counting:
            def detect(self, text):
                gate.reads += 1
                return real.detect(text)

        return Counting()


def test_the_decision_made_at_ingress_is_used_and_the_message_is_not_read_again(app):
    gate = CountingGate()
    m = gate_process("ok then", "affirm", 0.99, metadata=carried("alert", severity="imminent"), gate=gate)
    assert m.get("intent")["name"] == "risk_disclosure"
    assert m.get("risk")["category"] == "harm_to_partner" and m.get("risk")["severity"] == "imminent"
    m = gate_process("i want to kill myself", "inform", 0.9, metadata={"risk": NOTHING.to_metadata()}, gate=gate)
    assert m.get("risk")["tier"] == "none"  # the ingress's reading stands (the ingress raised any alert)
    assert gate.reads == 0


def test_a_message_that_never_passed_the_ingress_is_decided_here(app):
    gate = CountingGate()
    for metadata in (None, {}, {"risk": "forged"}, {"risk": {"checked": True, "tier": "alert", "escalate": True}}):
        m = gate_process("i want to kill myself", "inform", 0.9, metadata=metadata, gate=gate)
        assert m.get("intent")["name"] == "risk_disclosure"
    assert gate.reads == 4
