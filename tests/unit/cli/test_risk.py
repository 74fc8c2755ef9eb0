"""`coach risk check|eval`: the running coach's risk decision on stdin, and on a labelled file."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.safety

NO_MODEL = "coach: no risk model yet (run `make train`): the lexicon decides alone\n"


def test_check_one_json_line_per_message(cli):
    code, out, err = cli("risk", "check", stdin="I'll batter him tonight\n\n   \nhello there\n")
    assert (code, err) == (0, NO_MODEL)  # the unit tests' home has no trained model
    first, second = [json.loads(line) for line in out.splitlines()]
    assert first["text"] == "I'll batter him tonight" and first["escalate"] is True and first["tier"] == "alert"
    assert first["category"] == "harm_to_others" and first["signals"][0].startswith("lexicon ")
    assert second == {"text": "hello there", "tier": "none", "escalate": False, "category": None, "severity": None,
                      "probability": None, "signals": []}


def test_check_nothing_in_nothing_out(cli):
    assert cli("risk", "check") == (0, "", NO_MODEL)


def test_eval(cli, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"text": "I\'ll batter him tonight", "escalate": true, "category": "harm_to_others"}\n\n'
                    '{"text": "nice day", "escalate": false}\n')
    code, out, err = cli("risk", "eval", str(path))
    assert (code, err) == (0, NO_MODEL)
    assert out.startswith(f"Risk decision on {path}\n")
    assert "messages 2 (must escalate 1, must not 1)" in out and "recall (alert or check)   100.0%" in out


def test_eval_missing_file(cli, tmp_path):
    missing = tmp_path / "missing.jsonl"
    assert cli("risk", "eval", str(missing)) == (1, "", f"coach: no file {missing}\n")


def test_eval_bad_line(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "x"}\nnot json\n')
    assert cli("risk", "eval", str(path)) == (
        1, "", f"coach: {path}:2: not JSON (Expecting value); each line must be one JSON object\n")
