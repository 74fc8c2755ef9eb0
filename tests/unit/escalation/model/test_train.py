"""Training: thresholds set on cross-validated guesses, the report, and knowing when it is fresh."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from escalation.model import train as training
from escalation.model.classifier import NONE, Guess, Thresholds
from escalation.model.train import TrainingError, choose_thresholds, figures, is_fresh, tier, train_model
from tests.unit.escalation.model.test_data import full, write

pytestmark = pytest.mark.safety


def guesses(pos, neg, imminent=()):
    gs = [Guess(p, "suicide_self_harm", 0.9, 0.1) for p in pos] + [Guess(p, "suicide_self_harm", 0.9, 0.1) for p in neg]
    gs += [Guess(p, "suicide_self_harm", 0.9, i) for p, i in imminent]
    labels = ["suicide_self_harm"] * len(pos) + [NONE] * len(neg) + ["suicide_self_harm"] * len(imminent)
    severities = ["high"] * len(pos) + [""] * len(neg) + ["imminent"] * len(imminent)
    return gs, labels, severities


LOOKALIKE = training.BUDGETS["lookalike"]


def test_the_check_threshold_catches_the_recall_goal_and_the_alert_threshold_keeps_false_alerts_rare():
    gs, labels, sev = guesses(pos=[0.1 + 0.9 * i / 100 for i in range(100)], neg=[i / 10000 for i in range(1000)])
    t = choose_thresholds(gs, labels, sev)
    assert sum(g.probability >= t.check for g, c in zip(gs, labels) if c != NONE) / 100 >= training.RECALL_GOAL
    assert sum(g.probability >= t.alert for g, c in zip(gs, labels) if c == NONE) / 1000 <= LOOKALIKE["alert"]
    assert t.alert >= training.ALERT_FLOOR and t.check <= t.alert


def test_the_check_threshold_rises_rather_than_check_too_many_ordinary_messages():
    gs, labels, sev = guesses(pos=[0.05] * 10 + [0.9] * 90, neg=[0.06] * 200 + [0.01] * 800)
    t = choose_thresholds(gs, labels, sev)
    false_any = sum(g.probability >= t.check for g, c in zip(gs, labels) if c == NONE) / 1000
    assert false_any <= LOOKALIKE["any"]


def test_everyday_texts_have_a_tighter_budget_than_look_alikes():
    gs, labels, sev = guesses(pos=[0.2] * 5 + [0.9] * 95, neg=[0.3] * 40 + [0.01] * 960)
    everyday = ["" if c != NONE else "everyday" for c in labels]
    as_lookalikes, as_everyday = choose_thresholds(gs, labels, sev), choose_thresholds(gs, labels, sev, everyday)
    assert as_lookalikes.check <= 0.3 < as_everyday.check  # 4% any tier: within the look-alike budget only


def test_imminent_messages_the_model_catches_are_alerts():
    gs, labels, sev = guesses(pos=[0.9] * 50, neg=[0.01] * 500, imminent=[(0.5, 0.95)] * 20 + [(0.5, 0.2)])
    t = choose_thresholds(gs, labels, sev)
    report = figures(gs, labels, sev, t)
    assert report["imminent_as_alert"] >= training.IMMINENT_ALERT_GOAL
    assert tier(Guess(0.5, "x", 1, 0.95), t) == "alert" and tier(Guess(0.0, "x", 1, 1.0), t) == "none"


def test_training_end_to_end_saves_the_model_and_its_report(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "FOLDS", 3)
    content = write(tmp_path, full())
    out = tmp_path / "models" / "risk.joblib"
    assert not is_fresh(out, content)
    report = train_model(content, out)
    assert out.exists() and json.loads(out.with_suffix(".json").read_text())["thresholds"] == report["thresholds"]
    assert report["counts"][NONE] == 30 and report["cross_validated"]["messages"] == 180
    assert set(report["thresholds"]) == {"check", "alert", "imminent"}
    assert is_fresh(out, content)
    write(tmp_path, full('  more:\n    - "another ordinary message"\n'))
    assert not is_fresh(out, content)


def test_training_refuses_data_with_problems(tmp_path):
    content = write(tmp_path, "escalate:\n  sad:\n    - \"x\"\n")
    with pytest.raises(TrainingError, match="not a risk category"):
        train_model(content, tmp_path / "risk.joblib")


def test_thresholds_round_trip():
    t = Thresholds(0.3, 0.8, 0.6)
    assert Thresholds(**t.to_dict()) == t and Path
