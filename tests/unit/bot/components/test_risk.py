"""The NLU component applies the risk decision; it never depends on the classifier guessing right.

- A flagged message becomes `risk_disclosure` whatever the classifier said, and the
  classifier's own `risk_disclosure` is never removed (a second signal).
- The decision made at ingress travels in the message metadata and is used as it is: the
  detector does not read the message again. Only a message without one is checked here.
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.components.risk import RiskGate
from escalation.risk import RiskDecision, Signal

pytestmark = pytest.mark.safety


def gate_process(text, intent, confidence=0.9, ranking=None, metadata=None, gate=None):
    data = {"text": text, "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": ranking or [{"name": intent, "confidence": confidence}]}
    if metadata is not None:
        data["metadata"] = metadata
    m = Message(data=data)
    (gate or RiskGate({"lexicon": None, "rescue_threshold": 0.6})).process([m])
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


class CountingGate(RiskGate):
    """A gate whose detector counts how often it reads a message."""

    def __init__(self):
        super().__init__({"lexicon": None, "rescue_threshold": 0.6})
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
    flagged = RiskDecision(Signal("harm_to_partner", "imminent", ("p.x",), "detector")).to_metadata()
    m = gate_process("ok then", "affirm", 0.99, metadata={"risk": flagged}, gate=gate)
    assert m.get("intent")["name"] == "risk_disclosure"
    assert m.get("risk")["category"] == "harm_to_partner" and m.get("risk")["severity"] == "imminent"
    m = gate_process("i want to kill myself", "inform", 0.9, metadata={"risk": RiskDecision().to_metadata()}, gate=gate)
    assert m.get("risk")["escalate"] is False  # the ingress's reading stands (the ingress raised any alert)
    assert gate.reads == 0


def test_a_message_that_never_passed_the_ingress_is_checked_here(app):
    gate = CountingGate()
    for metadata in (None, {}, {"risk": "forged"}, {"risk": {"checked": True, "escalate": True, "category": "x"}}):
        m = gate_process("i want to kill myself", "inform", 0.9, metadata=metadata, gate=gate)
        assert m.get("intent")["name"] == "risk_disclosure"
    assert gate.reads == 4
