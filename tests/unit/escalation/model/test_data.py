"""The risk model's labelled messages: read strictly, every problem named with its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.core.risk import CATEGORIES
from escalation.model.data import MIN_PER_CATEGORY, data_fingerprint, read_examples

pytestmark = pytest.mark.safety
ROOT = Path(__file__).resolve().parents[4]


def write(tmp_path, text, name="a.yml") -> Path:
    folder = tmp_path / "safety" / "model"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return tmp_path


def full(extra: str = "") -> str:
    """A file with enough of every label to pass the minimum counts."""
    lines = ["escalate:"]
    for c in CATEGORIES:
        lines.append(f"  {c}:")
        lines += [f'    - "{c} message {i}"' if i % 3 else f'    - {{text: "{c} message {i}", severity: imminent}}'
                  for i in range(MIN_PER_CATEGORY)]
    lines.append("no_escalate:\n  everyday:")
    lines += [f'    - "ordinary message {i}"' for i in range(MIN_PER_CATEGORY)]
    return "\n".join(lines) + "\n" + extra


def test_the_real_training_data_has_no_problems():
    examples, problems = read_examples(ROOT / "content")
    assert problems == []
    assert {e.category for e in examples} == set(CATEGORIES) | {None}
    assert sum(e.escalate for e in examples) > 3000 and sum(not e.escalate for e in examples) > 5000


def test_severities_and_groups_are_read(tmp_path):
    write(tmp_path, full('  worked_through:\n    - "two years ago i hit her, never again"\n').replace(
        '    - {text: "suicide_self_harm message 0", severity: imminent}',
        '    - {text: "tablets in front of me now", severity: imminent}'))
    examples, problems = read_examples(tmp_path)
    assert problems == []
    by_text = {e.text: e for e in examples}
    assert by_text["tablets in front of me now"].severity == "imminent"
    assert by_text["suicide_self_harm message 1"].severity == "high"
    assert by_text["suicide_self_harm message 3"].severity == "imminent"
    assert by_text["two years ago i hit her, never again"].category is None
    assert by_text["two years ago i hit her, never again"].group == "worked_through"


@pytest.mark.parametrize("text, message", [
    ("escalate:\n  sad:\n    - \"x\"\n", "'sad' is not a risk category"),
    ("escalate:\n  suicide_self_harm:\n    - {text: \"x\", severity: soon}\n", "severity 'soon' must be one of"),
    ("no_escalate:\n  Every Day:\n    - \"x\"\n", "must be lowercase_with_underscores"),
    ("no_escalate:\n  everyday:\n    - {text: \"x\", severity: high}\n", "have no severity"),
    ("no_escalate:\n  everyday:\n    - \"\"\n", "each entry is a message in quotes"),
    ("maybe:\n  x: []\n", "unknown section 'maybe'"),
    ("escalate: [\n", "YAML can't be read"),
])
def test_problems_name_the_file_the_line_and_the_fix(tmp_path, text, message):
    write(tmp_path, text, "bad.yml")
    write(tmp_path, full(), "good.yml")
    _, problems = read_examples(tmp_path)
    assert any("bad.yml:" in p and message in p for p in problems), problems


def test_the_same_message_labelled_both_ways_is_a_problem(tmp_path):
    write(tmp_path, full('  everyday2:\n    - "Suicide_self_harm message 3!"\n'))
    _, problems = read_examples(tmp_path)
    assert len(problems) == 1 and "also labelled suicide_self_harm" in problems[0]


def test_too_few_messages_for_a_category_or_a_severity_is_a_problem(tmp_path):
    write(tmp_path, "escalate:\n  suicide_self_harm:\n    - \"x\"\n")
    _, problems = read_examples(tmp_path)
    assert any("only 1 messages for suicide_self_harm" in p for p in problems)
    assert any("only 0 must-escalate messages are imminent" in p for p in problems)


def test_the_fingerprint_changes_with_the_data(tmp_path):
    write(tmp_path, full())
    before = data_fingerprint(tmp_path)
    write(tmp_path, full('  more:\n    - "one more"\n'))
    assert data_fingerprint(tmp_path) != before


def test_reviewed_false_alarms_from_the_console_train_as_must_not_escalate(tmp_path):
    from coach.cli.risk import false_alarms_yaml
    from escalation.model.data import data_fingerprint

    write(tmp_path, full())
    before = data_fingerprint(tmp_path, tmp_path / "missing.yml")
    alert = type("A", (), dict(text="that match nearly\nkilled me lol", code="K7Q2MX", category="suicide_self_harm",
                               created_at=__import__("datetime").datetime(2026, 11, 26)))
    feedback = tmp_path / "risk-feedback.yml"
    feedback.write_text(false_alarms_yaml([(alert, "He meant\nthe football.")]))
    examples, problems = read_examples(tmp_path, feedback=feedback)
    assert problems == []
    (ex,) = [e for e in examples if e.group == "staff_false_alarm"]
    assert ex.text == "that match nearly killed me lol" and not ex.escalate
    assert data_fingerprint(tmp_path, feedback) != before  # the model is stale until retrained
    feedback.write_text(feedback.read_text() + '    - "suicide_self_harm message 3"\n')  # a real disclosure
    _, problems = read_examples(tmp_path, feedback=feedback)
    assert len(problems) == 1 and "risk-feedback.yml" in problems[0] and "also labelled" in problems[0]
