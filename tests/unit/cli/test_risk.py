"""`coach risk check|eval`: the detector on stdin, and on a labelled file."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.safety


def test_check_one_json_line_per_message(cli):
    code, out, err = cli("risk", "check", stdin="I'll batter him tonight\n\n   \nhello there\n")
    assert (code, err) == (0, "")
    first, second = [json.loads(line) for line in out.splitlines()]
    assert first["text"] == "I'll batter him tonight" and first["escalate"] is True
    assert first["category"] == "harm_to_others"
    assert second == {"text": "hello there", "escalate": False, "category": None, "severity": None, "matched": []}


def test_check_nothing_in_nothing_out(cli):
    assert cli("risk", "check") == (0, "", "")


def test_eval(cli, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"text": "I\'ll batter him tonight", "label": "harm_to_others"}\n\n'
                    '{"text": "nice day", "label": "none"}\n')
    code, out, err = cli("risk", "eval", str(path))
    assert (code, err) == (0, "")
    assert out.startswith("Risk detector evaluation\n")
    assert "messages 2" in out


def test_eval_missing_file(cli, tmp_path):
    missing = tmp_path / "missing.jsonl"
    assert cli("risk", "eval", str(missing)) == (1, "", f"coach: no file {missing}\n")


def test_eval_bad_line(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "x"}\nnot json\n')
    assert cli("risk", "eval", str(path)) == (
        1, "", f"coach: {path}:2: not JSON (Expecting value); each line must be one JSON object\n")
