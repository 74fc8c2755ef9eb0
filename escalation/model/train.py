"""Training the risk model (``make train`` / ``coach train``), with a fixed seed.

1. Read the labelled messages in content/safety/model/ (``escalation.model.data``).
2. Cross-validate (stratified, ``FOLDS`` folds): every message is predicted by a model that
   never saw it, so the thresholds below are set on honest probabilities.
3. Set the thresholds on those predictions, with a false-alarm budget for each kind of
   must-not-escalate message (``BUDGETS``: look-alikes, and everyday texts, which files
   named ``everyday*.yml`` hold; the coach's own phrases from content/language/ count
   against neither):
   - **check**: the highest probability that still catches ``RECALL_GOAL`` of must-escalate
     messages (alert or check), unless that would go over a budget for any tier;
   - **alert**: the lowest probability at which staff would be paged within the alert
     budgets, never below ``ALERT_FLOOR``;
   - **imminent**: a check-level message whose probability of being imminent is at least
     this becomes an alert, set so that ``IMMINENT_ALERT_GOAL`` of imminent messages the
     model catches are alerts, unless that would go over an alert budget.
4. Fit the final model on everything and save it with its thresholds and the figures.

    report = train_model(content_dir, models_dir / "risk.joblib")
    is_fresh(models_dir / "risk.joblib", content_dir)
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from escalation.model.classifier import FORMAT, NONE, Guess, RiskModel, Thresholds
from escalation.model.data import data_fingerprint, read_examples

SEED = 20261126
FOLDS = 4
RECALL_GOAL = 0.97
# False-alarm budgets on cross-validated predictions, per kind of must-not-escalate message
# (the goals for new text, a little tighter for alerts). Recall gives way to them: measured on
# the project's earlier labelled rounds, tightening the everyday budget from 2% to 0.8% cost
# 7 points of recall for 0.4 points fewer flags on ordinary text.
BUDGETS = {
    "lookalike": {"alert": 0.02, "any": 0.08},  # sounds alarming, isn't (goals: 3% alerts, 8% checks)
    "everyday": {"alert": 0.003, "any": 0.02},  # ordinary texts (goals: 0.5% alerts, 2% any tier)
}
ALERT_FLOOR = 0.5
IMMINENT_ALERT_GOAL = 0.95
EVERYDAY_FILES = "everyday"  # files named everyday*.yml hold ordinary texts; other must-nots are look-alikes
RECIPE = f"{FORMAT}:{FOLDS}:{RECALL_GOAL}:{BUDGETS}:{ALERT_FLOOR}:{IMMINENT_ALERT_GOAL}"


def _kind(e) -> str:
    """Which false-alarm budget a must-not-escalate example counts against. The coach's own
    phrases (content/language/, group language_*) train the model but count against none:
    thousands of short, easy phrases would dilute the look-alike budget and let the
    thresholds fall for everything else."""
    if e.escalate:
        return ""
    if e.group.startswith("language_"):
        return "language"
    return "everyday" if Path(e.file).name.startswith(EVERYDAY_FILES) else "lookalike"


class TrainingError(RuntimeError):
    """The training data has problems (each one 'file:line: what, how to fix')."""


def _rate(values: Sequence[float], at: float) -> float:
    return sum(v >= at for v in values) / max(1, len(values))


def _lowest_within(values: Sequence[float], budget: float) -> float:
    """The lowest threshold at which at most ``budget`` of ``values`` reach it."""
    if not values:
        return 0.0
    for v in sorted(set(values)) + [1.0]:
        if _rate(values, v + 1e-9) <= budget:
            return round(v + 1e-4, 4)
    return 1.0


def choose_thresholds(guesses: Sequence[Guess], labels: Sequence[str], severities: Sequence[str],
                      kinds: Sequence[str] = ()) -> Thresholds:
    """The thresholds, from cross-validated guesses and the true labels (see the module's doc).

    ``kinds`` says, for each must-not-escalate message, whether it is ``everyday`` (ordinary
    text) or a ``lookalike`` (sounds alarming, is not); each kind has its own false-alarm
    budget (``BUDGETS``)."""
    kinds = list(kinds) or ["lookalike" if c == NONE else "" for c in labels]
    pos = [g.probability for g, c in zip(guesses, labels) if c != NONE]
    negs = {k: [g.probability for g, c, kind in zip(guesses, labels, kinds) if c == NONE and kind == k]
            for k in BUDGETS}
    recall_t = max((t for t in sorted(set(pos)) if _rate(pos, t) >= RECALL_GOAL), default=0.0)
    check = max([recall_t] + [_lowest_within(negs[k], BUDGETS[k]["any"]) for k in BUDGETS])
    alert = max([ALERT_FLOOR, check] + [_lowest_within(negs[k], BUDGETS[k]["alert"]) for k in BUDGETS])
    caught_imminent = [g for g, s in zip(guesses, severities) if s == "imminent" and g.probability >= check]
    imminent = 1.0
    for t in sorted({round(g.imminent, 4) for g in caught_imminent}, reverse=True):
        as_alert = sum(g.probability >= alert or g.imminent >= t for g in caught_imminent)
        if as_alert / max(1, len(caught_imminent)) >= IMMINENT_ALERT_GOAL:
            imminent = t
            break
    while imminent < 1.0 and any(
            _false_alerts(guesses, labels, kinds, k, check, alert, imminent) > BUDGETS[k]["alert"] for k in BUDGETS):
        imminent = round(imminent + 0.01, 4)
    return Thresholds(check=check, alert=alert, imminent=min(imminent, 1.0))


def _false_alerts(guesses, labels, kinds, kind, check, alert, imminent) -> float:
    neg = [g for g, c, k in zip(guesses, labels, kinds) if c == NONE and k == kind]
    return sum(g.probability >= alert or (g.probability >= check and g.imminent >= imminent) for g in neg) / max(
        1, len(neg))


def tier(guess: Guess, t: Thresholds) -> str:
    """alert | check | none for one guess (the model's part of the decision)."""
    if guess.probability >= t.alert or (guess.probability >= t.check and guess.imminent >= t.imminent):
        return "alert"
    return "check" if guess.probability >= t.check else "none"


def figures(guesses: Sequence[Guess], labels: Sequence[str], severities: Sequence[str], t: Thresholds,
            kinds: Sequence[str] = ()) -> Dict:
    tiers = [tier(g, t) for g in guesses]
    kinds = list(kinds) or ["lookalike" if c == NONE else "" for c in labels]
    pos = [i for i, c in enumerate(labels) if c != NONE]
    neg = [i for i, c in enumerate(labels) if c == NONE]
    by_kind = {k: [i for i in neg if kinds[i] == k] for k in BUDGETS}
    caught = [i for i in pos if tiers[i] != "none"]
    imminent = [i for i in pos if severities[i] == "imminent"]

    def share(items, pred) -> float:
        return round(sum(1 for i in items if pred(i)) / max(1, len(items)), 4)

    return {
        "recall_any": share(pos, lambda i: tiers[i] != "none"),
        "recall_alert": share(pos, lambda i: tiers[i] == "alert"),
        "imminent_as_alert": share(imminent, lambda i: tiers[i] == "alert"),
        "false_alerts": share(neg, lambda i: tiers[i] == "alert"),
        "false_checks": share(neg, lambda i: tiers[i] == "check"),
        **{f"{k}_alerts": share(by_kind[k], lambda i: tiers[i] == "alert") for k in BUDGETS},
        **{f"{k}_any": share(by_kind[k], lambda i: tiers[i] != "none") for k in BUDGETS},
        "right_category": share(caught, lambda i: guesses[i].category == labels[i]),
        "messages": len(labels), "must_escalate": len(pos),
    }


def _cross_validated(texts: List[str], labels: List[str], severities: List[str]) -> List[Guess]:
    from sklearn.model_selection import StratifiedKFold

    guesses: List[Guess] = [None] * len(texts)  # type: ignore[list-item]
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    placeholder = Thresholds(0.5, 0.5, 0.5)
    for train_idx, test_idx in folds.split(texts, labels):
        model = RiskModel.fit([texts[i] for i in train_idx], [labels[i] for i in train_idx],
                              [severities[i] for i in train_idx], SEED, placeholder)
        for i, g in zip(test_idx, model.predict_many([texts[i] for i in test_idx])):
            guesses[i] = g
    return guesses


def train_model(content_dir: Path, out: Path, display=None, feedback: Optional[Path] = None) -> Dict:
    """Train, set thresholds, save to ``out``; returns the report (also saved beside it as JSON).
    ``feedback``: reviewed false alarms from the console (escalation/model/data.py)."""
    started = time.perf_counter()
    examples, problems = read_examples(Path(content_dir), display, feedback)
    if problems:
        raise TrainingError("\n".join(problems))
    texts = [e.text for e in examples]
    labels = [e.category or NONE for e in examples]
    severities = [e.severity or "" for e in examples]
    kinds = [_kind(e) for e in examples]
    guesses = _cross_validated(texts, labels, severities)
    thresholds = choose_thresholds(guesses, labels, severities, kinds)
    report = {
        "data": data_fingerprint(Path(content_dir), feedback), "recipe": RECIPE, "seed": SEED,
        "counts": {c: labels.count(c) for c in sorted(set(labels))},
        "thresholds": thresholds.to_dict(),
        "cross_validated": figures(guesses, labels, severities, thresholds, kinds),
    }
    model = RiskModel.fit(texts, labels, severities, SEED, thresholds, info=report)
    model.save(Path(out))
    report["seconds"] = round(time.perf_counter() - started, 1)
    Path(out).with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def is_fresh(path: Path, content_dir: Path, feedback: Optional[Path] = None) -> bool:
    """The saved model was trained on today's data with today's recipe."""
    report = Path(path).with_suffix(".json")
    if not (Path(path).exists() and report.exists()):
        return False
    try:
        saved = json.loads(report.read_text())
    except ValueError:
        return False
    return saved.get("data") == data_fingerprint(Path(content_dir), feedback) and saved.get("recipe") == RECIPE
