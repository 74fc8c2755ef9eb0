"""The risk decision made once where a message comes in, and carried into Rasa in its metadata.

What travels must come back the same; anything that is not a decision we wrote comes back
as None, so the NLU component reads the message itself instead of trusting it.
"""

from __future__ import annotations

import json

import pytest

from coach.core.risk import CATEGORIES, SEVERITIES, UNCLASSIFIED
from escalation.detector import Detection
from escalation.risk import NOTHING, RiskDecision, Signal, assess

pytestmark = pytest.mark.safety

SIGNAL = Signal("suicide_self_harm", "high", ("suicide.kill_myself:kill myself",), "detector")


# -- metadata ---------------------------------------------------------------------------------------

def test_no_risk_round_trips():
    meta = NOTHING.to_metadata()
    assert meta == {"checked": True, "escalate": False}
    back = RiskDecision.from_metadata(meta)
    assert back == NOTHING and back.escalate is False and back.signal is None


@pytest.mark.parametrize("category", CATEGORIES + (UNCLASSIFIED,))
@pytest.mark.parametrize("severity", SEVERITIES)
def test_every_category_and_severity_round_trips(category, severity):
    decision = RiskDecision(Signal(category, severity, ("a:b", "c:d"), "classifier"))
    meta = decision.to_metadata()
    assert meta == {"checked": True, "escalate": True, "category": category, "severity": severity,
                    "matched": ["a:b", "c:d"], "source": "classifier"}
    assert RiskDecision.from_metadata(meta) == decision


def test_the_metadata_survives_json_as_rasa_stores_it():
    """Rasa keeps the metadata in its tracker store as JSON: lists, not tuples."""
    meta = json.loads(json.dumps({"risk": RiskDecision(SIGNAL).to_metadata()}))
    back = RiskDecision.from_metadata(meta["risk"])
    assert back == RiskDecision(SIGNAL) and back.escalate
    assert back.signal.matched == SIGNAL.matched


def test_a_decision_without_a_source_is_taken_as_the_detectors():
    meta = RiskDecision(SIGNAL).to_metadata()
    del meta["source"]
    assert RiskDecision.from_metadata(meta).signal.source == "detector"


@pytest.mark.parametrize("data", [
    None, "", "escalate", 1, [], ["checked"], {},
    {"escalate": True, "category": "suicide_self_harm", "severity": "high"},  # never checked
    {"checked": "true", "escalate": False},  # not ours: checked is always the boolean True
    {"checked": 1, "escalate": False},
    {"checked": False, "escalate": False},
], ids=repr)
def test_anything_that_is_not_a_checked_decision_is_none(data):
    assert RiskDecision.from_metadata(data) is None


@pytest.mark.parametrize("data", [
    {"checked": True, "escalate": True},  # escalate, but no category or severity
    {"checked": True, "escalate": True, "category": "suicide_self_harm"},
    {"checked": True, "escalate": True, "category": "bogus", "severity": "high"},
    {"checked": True, "escalate": True, "category": "suicide_self_harm", "severity": "low"},
    {"checked": True, "escalate": True, "category": "suicide_self_harm", "severity": "HIGH"},
    {"checked": True, "escalate": True, "category": ["suicide_self_harm"], "severity": "high"},
    {"checked": True, "escalate": "false", "category": "x", "severity": "y"},  # a string is not False
], ids=repr)
def test_a_malformed_escalation_is_none_so_the_message_is_read_again(data):
    assert RiskDecision.from_metadata(data) is None


@pytest.mark.parametrize("data", [
    {"checked": True},
    {"checked": True, "escalate": None},
    {"checked": True, "escalate": 0},
    {"checked": True, "escalate": ""},
], ids=repr)
def test_a_decision_without_a_boolean_escalate_is_not_one_we_wrote(data):
    """to_metadata always writes a boolean; taking these as "checked, no risk" would stop the NLU
    component reading the message."""
    assert RiskDecision.from_metadata(data) is None


@pytest.mark.parametrize("matched", [5, "kill myself", {"a": 1}, True])
def test_a_malformed_matched_list_is_none_not_an_exception(matched):
    """An exception here would fail the whole message in the NLU component."""
    data = {"checked": True, "escalate": True, "category": "suicide_self_harm", "severity": "high",
            "matched": matched}
    assert RiskDecision.from_metadata(data) is None


def test_matched_entries_come_back_as_text():
    data = {"checked": True, "escalate": True, "category": "harm_to_partner", "severity": "imminent",
            "matched": ["p:w", 3], "source": "detector"}
    assert RiskDecision.from_metadata(data).signal.matched == ("p:w", "3")


def test_escalate_and_signal_agree():
    assert RiskDecision(SIGNAL).escalate is True and RiskDecision().escalate is False


# -- assess -------------------------------------------------------------------------------------------

class RecordingDetector:
    def __init__(self, detection=None):
        self.read = []
        self.detection = detection or Detection(text="", escalate=False)

    def detect(self, text):
        self.read.append(text)
        return self.detection


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t"])
def test_nothing_to_read_is_no_risk_and_the_detector_is_not_asked(text):
    detector = RecordingDetector()
    assert assess(detector, text) is NOTHING
    assert detector.read == []


def test_the_detector_is_asked_once_and_its_detection_becomes_the_signal():
    detection = Detection(text="x", escalate=True, category="harm_to_child", severity="imminent",
                          matched=["child.hurt:hurt him"])
    detector = RecordingDetector(detection)
    decision = assess(detector, "x")
    assert detector.read == ["x"]
    assert decision.signal == Signal("harm_to_child", "imminent", ("child.hurt:hurt him",), "detector")


def test_a_quiet_detection_is_no_risk():
    assert assess(RecordingDetector(), "had a good week") is NOTHING


def test_with_the_real_lexicon(detector):
    flagged = assess(detector, "I'm going to end my life tonight")
    assert flagged.escalate and flagged.signal.category == "suicide_self_harm" and flagged.signal.source == "detector"
    assert RiskDecision.from_metadata(flagged.to_metadata()) == flagged
    assert assess(detector, "my back is killing me") is NOTHING
