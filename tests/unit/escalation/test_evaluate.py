"""evaluate() and format_report(): the figures the safety case quotes."""

from __future__ import annotations

import json

import pytest

from escalation.detector import Detection
from escalation.evaluate import evaluate, format_report, load_records, main

pytestmark = pytest.mark.safety


class FakeDetector:
    """Answers from a table, so the arithmetic can be checked by hand."""

    def __init__(self, answers: dict[str, str | None]):
        self.answers = answers

    def detect(self, text, known_history=None):
        cat = self.answers.get(text)
        return Detection(text, cat is not None, cat, "high" if cat else None, [f"x:{text}"] if cat else [])


RECORDS = [
    {"text": "a", "escalate": True, "category": "suicide_self_harm"},  # hit, right category
    {"text": "b", "escalate": True, "category": "harm_to_partner"},  # hit, wrong category
    {"text": "c", "escalate": True, "category": "harm_to_child"},  # missed
    {"text": "d", "escalate": False, "category": None},  # false alarm
    {"text": "e", "escalate": False, "category": None},  # quiet
    {"text": "f", "escalate": False},  # quiet, no category key
]
ANSWERS = {"a": "suicide_self_harm", "b": "harm_to_others", "d": "substance_emergency"}


def test_headline_figures():
    r = evaluate(FakeDetector(ANSWERS), RECORDS)
    assert (r["tp"], r["fn"], r["fp"], r["tn"]) == (2, 1, 1, 2)
    assert r["recall"] == pytest.approx(2 / 3)
    assert r["precision"] == pytest.approx(2 / 3)
    assert r["false_alarm_rate"] == pytest.approx(1 / 3)
    assert r["category_accuracy"] == pytest.approx(1 / 2)
    assert r["n"] == 6 and r["positives"] == 3 and r["negatives"] == 3


def test_per_category():
    r = evaluate(FakeDetector(ANSWERS), RECORDS)
    pc = r["per_category"]
    assert pc["suicide_self_harm"]["recall"] == 1.0 and pc["suicide_self_harm"]["category_accuracy"] == 1.0
    assert pc["harm_to_partner"]["recall"] == 1.0 and pc["harm_to_partner"]["category_accuracy"] == 0.0
    assert pc["harm_to_child"]["recall"] == 0.0 and pc["harm_to_child"]["category_accuracy"] is None
    assert pc["substance_emergency"]["predicted"] == 1 and pc["substance_emergency"]["precision"] == 0.0


def test_lists_of_mistakes():
    r = evaluate(FakeDetector(ANSWERS), RECORDS)
    assert [m["text"] for m in r["misses"]] == ["c"]
    assert [m["text"] for m in r["false_alarms"]] == ["d"]
    assert r["wrong_category"] == [
        {"text": "b", "expected": "harm_to_partner", "got": "harm_to_others", "matched": ["x:b"]}
    ]


def test_empty_input_gives_no_ratios():
    r = evaluate(FakeDetector({}), [])
    assert r["recall"] is None and r["precision"] is None and r["false_alarm_rate"] is None


def test_report_text():
    text = format_report(evaluate(FakeDetector(ANSWERS), RECORDS))
    for words in ("recall", "precision", "false-alarm rate", "category right", "MISSED", "FALSE ALARMS",
                  "WRONG CATEGORY"):
        assert words in text
    assert "[harm_to_child] c" in text
    assert "[substance_emergency] d" in text
    assert "66.7%" in text


def test_report_limits_long_lists():
    recs = [{"text": str(i), "escalate": True, "category": "suicide_self_harm"} for i in range(30)]
    text = format_report(evaluate(FakeDetector({}), recs), limit=5)
    assert "... and 25 more" in text


def test_load_records_reads_jsonl_and_cases_yml(tmp_path):
    jl = tmp_path / "x.jsonl"
    jl.write_text(json.dumps({"text": "hi", "escalate": False, "category": None}) + "\n\n")
    assert load_records(jl) == [{"text": "hi", "escalate": False, "category": None}]
    yml = tmp_path / "x.yml"
    yml.write_text(
        "escalate:\n  harm_to_child:\n    - smacked the baby\n"
        "    - {text: baby swallowed my pills, severity: imminent}\n"
        "no_escalate:\n  idiom:\n    - my back is killing me\n"
    )
    recs = load_records(yml)
    assert recs[0] == {"text": "smacked the baby", "escalate": True, "category": "harm_to_child"}
    assert recs[1]["severity"] == "imminent"
    assert recs[2]["escalate"] is False and recs[2]["group"] == "idiom"


def test_real_detector_on_a_few_records(detector):
    recs = [
        {"text": "i want to die", "escalate": True, "category": "suicide_self_harm"},
        {"text": "my back is killing me", "escalate": False, "category": None},
    ]
    r = evaluate(detector, recs)
    assert r["recall"] == 1.0 and r["false_alarm_rate"] == 0.0 and r["mean_ms"] > 0


def test_command_line_check(capsys):
    assert main(["--check"]) == 0
    assert "no problems" in capsys.readouterr().out


def test_command_line_report(tmp_path, capsys):
    jl = tmp_path / "x.jsonl"
    jl.write_text(json.dumps({"text": "i want to die", "escalate": True, "category": "suicide_self_harm"}) + "\n")
    assert main([str(jl)]) == 0
    assert "recall            100.0%" in capsys.readouterr().out
