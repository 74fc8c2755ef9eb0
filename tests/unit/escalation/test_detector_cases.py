"""Every labelled message in cases.yml and holdout*.yml must be judged right.

These files are the detector's contract: a message that must escalate does so, in the
labelled category (and severity where the file pins one); a benign message stays quiet.
Adding a case here is how a clinician records a new phrase the detector must handle.

Each case goes through ``escalation.risk.decide``, the one decision the running coach makes,
with a risk model that is sure there is no risk: the must-catch set is an alert on the
lexicon alone, whatever a retrained model says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation.evaluate import evaluate, load_records
from escalation.model.classifier import Guess, Thresholds
from escalation.risk import decide

pytestmark = pytest.mark.safety

HERE = Path(__file__).resolve().parent
CASE_FILES = sorted(HERE.glob("cases.yml")) + sorted(HERE.glob("holdout*.yml"))


def _records():
    out = []
    for path in CASE_FILES:
        for rec in load_records(path):
            out.append(pytest.param(rec, id=f"{path.stem}:{rec['text'][:60]}"))
    return out


RECORDS = _records()


def test_case_files_are_big_enough():
    recs = [p.values[0] for p in RECORDS]
    positives = [r for r in recs if r["escalate"]]
    negatives = [r for r in recs if not r["escalate"]]
    assert len(positives) >= 300 and len(negatives) >= 300
    cats = {r["category"] for r in positives}
    assert cats == {"suicide_self_harm", "harm_to_partner", "harm_to_child", "harm_to_others", "substance_emergency"}


def test_case_texts_are_unique():
    seen: dict[str, str] = {}
    for p in RECORDS:
        rec = p.values[0]
        key = " ".join(rec["text"].lower().split())
        assert key not in seen or seen[key] == rec.get("category"), f"conflicting labels for {rec['text']!r}"
        seen[key] = rec.get("category")


class SureNoRisk:
    """A risk model that reads every message as harmless."""

    thresholds = Thresholds(check=0.3, alert=0.8, imminent=0.9)

    def predict(self, text):
        return Guess(0.0, "harm_to_others", 0.0, 0.0)


@pytest.mark.parametrize("rec", RECORDS)
def test_case(detector, rec):
    d = detector.detect(rec["text"])
    decision = decide(rec["text"], detector, SureNoRisk())
    assert decision.tier == ("alert" if rec["escalate"] else "none")
    assert decision.category == d.category and decision.severity == d.severity
    if rec["escalate"]:
        assert d.escalate, f"missed: {rec['text']!r} (cancelled: {d.suppressed})"
        if not rec.get("category_known_limit"):  # a known limit (content/safety/README.md): alert, any category
            assert d.category == rec["category"], f"{rec['text']!r}: {d.category} <- {d.matched}"
        if rec.get("severity"):
            assert d.severity == rec["severity"], f"{rec['text']!r}: {d.severity} <- {d.matched}"
    else:
        assert not d.escalate, f"false alarm: {rec['text']!r} -> {d.category} <- {d.matched}"


def test_whole_set_meets_targets(detector):
    report = evaluate(detector, [p.values[0] for p in RECORDS])
    assert report["recall"] >= 0.98
    assert report["false_alarm_rate"] <= 0.05
    assert report["category_accuracy"] >= 0.90
