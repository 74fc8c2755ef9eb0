"""The one risk decision: tiers from the lexicon and the model, normalised text, and metadata.

The decision is made once where a message comes in and carried into Rasa in its metadata.
What travels must come back the same; anything that is not a decision we wrote comes back
as None, so the NLU component reads the message itself instead of trusting it.
"""

from __future__ import annotations

import json

import pytest

from coach.core.risk import CATEGORIES, SEVERITIES
from escalation.detector import Detection
from escalation.model.classifier import Guess, Thresholds
from escalation.risk import NOTHING, RiskContext, RiskDecision, decide, prepare

pytestmark = pytest.mark.safety

THRESHOLDS = Thresholds(check=0.3, alert=0.8, imminent=0.7)


class Detector:
    def __init__(self, detection=None):
        self.read = []
        self.detection = detection or Detection(text="", escalate=False)

    def detect(self, text):
        self.read.append(text)
        return self.detection


class Model:
    thresholds = THRESHOLDS

    def __init__(self, probability=0.0, category="harm_to_partner", imminent=0.0):
        self.guess = Guess(probability, category, probability, imminent)
        self.read = []

    def predict(self, text):
        self.read.append(text)
        return self.guess


LEXICON_HIT = Detection(text="x", escalate=True, category="harm_to_child", severity="imminent",
                        matched=["child.hurt:hurt him"])


# -- tiers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [None, "", "   ", "\u200b\u200b"])
def test_nothing_to_read_is_no_risk_and_nobody_is_asked(text):
    detector, model = Detector(), Model(0.99)
    assert decide(text, detector, model) is NOTHING
    assert detector.read == [] and model.read == []


def test_the_lexicon_is_an_alert_whatever_the_model_says():
    d = decide("x", Detector(LEXICON_HIT), Model(0.01))
    assert (d.tier, d.category, d.severity, d.source) == ("alert", "harm_to_child", "imminent", "detector")
    assert d.signals == ("lexicon child.hurt:hurt him", "model harm_to_partner 0.01")
    assert d.escalate and d.signal.category == "harm_to_child"


@pytest.mark.parametrize("p, imminent, tier", [
    (0.95, 0.1, "alert"), (0.8, 0.1, "alert"),  # above the alert threshold
    (0.5, 0.9, "alert"),  # between the thresholds, but reads as imminent: never just a check
    (0.5, 0.1, "check"), (0.3, 0.69, "check"),
    (0.29, 0.99, "none"), (0.0, 0.0, "none"),
])
def test_the_model_alone(p, imminent, tier):
    d = decide("some words", Detector(), Model(p, "suicide_self_harm", imminent))
    assert d.tier == tier and d.probability == p
    if tier != "none":
        assert d.category == "suicide_self_harm" and d.source == "model"
        assert d.severity == ("imminent" if imminent >= THRESHOLDS.imminent else "high")
        assert d.signals == (f"model suicide_self_harm {p:.2f}",)


def test_without_a_model_the_lexicon_decides_alone():
    assert decide("words", Detector(), None) is NOTHING
    assert decide("words", Detector(LEXICON_HIT), None).tier == "alert"


def test_no_to_an_open_check_is_an_alert_about_what_was_checked():
    d = decide("no", Detector(), Model(0.0), RiskContext(open_check="harm_to_partner", answered_no=True))
    assert (d.tier, d.category, d.severity, d.source) == ("alert", "harm_to_partner", "imminent", "check")
    assert d.signals == ("answered NO to the safety check",)


def test_more_risk_while_a_check_is_open_is_an_alert():
    d = decide("still bad", Detector(), Model(0.5, "suicide_self_harm"), RiskContext(open_check="suicide_self_harm"))
    assert d.tier == "alert" and d.source == "check"
    assert decide("yes im ok", Detector(), Model(0.1), RiskContext(open_check="suicide_self_harm")).tier == "none"


# -- normalising -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, read", [
    ("i want to k i l l myself", "i want to kill myself"),
    ("going to d.i.e tonight", "going to die tonight"),
    ("kil\u200bl my\u200dself", "kill myself"),
    ("\uff4b\uff49\uff4c\uff4c myself", "kill myself"),  # full-width letters
    ("end it\u0007 all", "end it  all"),  # control characters become spaces
    ("a b c", "abc"),
    ("i am ok", "i am ok"),  # words of one and two letters are left alone
])
def test_text_is_normalised_before_any_check(raw, read):
    assert prepare(raw) == read


def test_both_nets_read_the_normalised_text():
    detector, model = Detector(), Model(0.0)
    decide("k i l l\u200b", detector, model)
    assert detector.read == ["kill"] and model.read == ["kill"]


# -- metadata ---------------------------------------------------------------------------------------------

def test_no_risk_round_trips():
    back = RiskDecision.from_metadata(NOTHING.to_metadata())
    assert back == NOTHING and back.escalate is False and back.signal is None


@pytest.mark.parametrize("tier", ["alert", "check"])
@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("severity", SEVERITIES)
def test_every_tier_category_and_severity_round_trips_through_json(tier, category, severity):
    decision = RiskDecision(tier, category, severity, 0.42, ("model x 0.42", "lexicon a:b"), "model")
    meta = json.loads(json.dumps({"risk": decision.to_metadata()}))["risk"]  # as Rasa's tracker store keeps it
    assert RiskDecision.from_metadata(meta) == decision
    assert meta["escalate"] is (tier == "alert")


@pytest.mark.parametrize("data", [
    None, "", "escalate", 1, [], {},
    {"tier": "alert", "escalate": True, "category": "suicide_self_harm", "severity": "high", "signals": []},
    {"checked": "true", "tier": "none", "escalate": False},
    {"checked": True, "tier": "maybe", "escalate": False},
    {"checked": True, "tier": "alert", "escalate": False, "category": "suicide_self_harm", "severity": "high",
     "signals": []},  # escalate must agree with the tier
    {"checked": True, "tier": "none", "escalate": 0},
    {"checked": True, "tier": "check", "escalate": False, "category": "bogus", "severity": "high", "signals": []},
    {"checked": True, "tier": "check", "escalate": False, "category": "suicide_self_harm", "severity": "low",
     "signals": []},
    {"checked": True, "tier": "alert", "escalate": True, "category": "suicide_self_harm", "severity": "high",
     "signals": 5},
], ids=repr)
def test_anything_that_is_not_a_decision_we_wrote_is_none(data):
    assert RiskDecision.from_metadata(data) is None


def test_with_the_real_lexicon(detector):
    flagged = decide("I'm going to end my life tonight", detector)
    assert flagged.tier == "alert" and flagged.category == "suicide_self_harm" and flagged.source == "detector"
    assert RiskDecision.from_metadata(flagged.to_metadata()) == flagged
    assert decide("my back is killing me", detector) is NOTHING
    assert decide("i want to k i l l myself", detector).tier == "alert"
    assert decide("k i l l m y s e l f", detector).tier == "alert"  # joined, then the lexicon's spellings
    assert decide("\uff49 \uff57\uff41\uff4e\uff4e\uff41 \uff44\uff49\uff45", detector).tier == "alert"  # full width


def test_a_check_minutes_after_an_alert_joins_the_alert_instead():
    d = decide("still feel awful", Detector(), Model(0.5), RiskContext(recent_alert=True))
    assert d.tier == "none" and "added to the open alert" in d.signals
    assert decide("x", Detector(LEXICON_HIT), Model(0.0), RiskContext(recent_alert=True)).tier == "alert"
