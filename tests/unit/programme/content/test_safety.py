"""coach/programme/content/safety.py: safety/replies.yml and safety/staff_alerts.yml, checked on
their own (a Reader over a directory holding just the file under test)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pytest

from coach.core.risk import REPLY_KEYS
from coach.programme.content import safety
from coach.programme.content.reader import Reader

ROOT = Path(__file__).resolve().parents[4]
REPLIES = "safety/replies.yml"
ALERTS = "safety/staff_alerts.yml"


def copy_of(tmp_path: Path, rel: str, old: str = "", new: str = "") -> Reader:
    """A content dir holding only ``rel`` (copied from the real content, ``old`` replaced by ``new``)."""
    path = tmp_path / rel
    path.parent.mkdir(parents=True)
    shutil.copy(ROOT / "content" / rel, path)
    if old:
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} is not exactly once in {rel}"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return Reader(tmp_path)


def messages(r: Reader) -> List[str]:
    return [f"{p.source.line}: {p.message}" for p in r.problems]


def test_replies_cover_the_shared_risk_vocabulary(tmp_path):
    assert safety.SAFETY_REPLIES is REPLY_KEYS
    r = copy_of(tmp_path, REPLIES)
    out = safety.safety_replies(r)
    assert r.problems == []
    expected = {f"{c}.{s}" for c, severities in REPLY_KEYS.items() for s in severities} | set(safety.SAFETY_MESSAGES)
    assert set(out) == expected
    assert all("999" in out[k]["text"] for k in out if "." in k)


def test_missing_category(tmp_path):
    r = copy_of(tmp_path, REPLIES, "harm_to_others:\n", "harm_to_otters:\n")
    safety.safety_replies(r)
    assert [p.message for p in r.problems] == [
        "no replies for 'harm_to_others'; add 'harm_to_others:' with imminent, high",
        "unknown entry 'harm_to_otters' (did you mean 'harm_to_others'?); remove it",
    ]


def test_unclassified_needs_only_a_high_reply(tmp_path):
    r = copy_of(tmp_path, REPLIES, "unclassified:\n  high:\n", "unclassified:\n  imminent:\n")
    safety.safety_replies(r)
    assert [p.message for p in r.problems] == ["'unclassified' has no 'high' reply; "
                                               "add it with 'text:' and 'ask_safe:'"]


def test_reply_must_say_999_and_ask_safe_must_be_true_or_false(tmp_path):
    r = copy_of(tmp_path, REPLIES,
                "If a child is in danger, call 999. Someone from your team will be in touch.\n    ask_safe: true",
                "If a child is in danger, call us. Someone from your team will be in touch.\n    ask_safe: maybe")
    safety.safety_replies(r)
    assert [p.message for p in r.problems] == [
        "the harm_to_child high reply must say to call 999 if anyone is in danger",
        "'harm_to_child' 'high' needs 'ask_safe: true' or 'ask_safe: false'",
    ]


def test_missing_safety_question(tmp_path):
    r = copy_of(tmp_path, REPLIES, 'safe_question: "', 'safe_questions: "')
    safety.safety_replies(r)
    assert messages(r) == [
        "1: 'safe_question' is missing; add it (the coach needs it after a risk reply)",
        f"{r.problems[1].source.line}: unknown entry 'safe_questions' (did you mean 'safe_question'?); remove it",
    ]


def test_staff_alerts_real_file_is_clean(tmp_path):
    r = copy_of(tmp_path, ALERTS)
    out = safety.staff_alerts(r)
    assert r.problems == []
    assert set(out) == set(safety.STAFF_ALERT_TEMPLATES)


@pytest.mark.parametrize("first, shown", [
    ("Coach: abuse alert ({severity}). Code {code}", "abus"),
    ("Coach: a hitch ({severity}). Code {code}", "hit"),  # a word starting with a discreet word counts
    ("Coach: {text}", "{text}/{category}"),
    ("Coach: {category} ({severity})", "{text}/{category}"),
])
def test_staff_alert_first_line_must_be_discreet(tmp_path, first, shown):
    r = copy_of(tmp_path, ALERTS, 'first_line: "Coach: please check now ({severity}). Code {code}"',
                f'first_line: "{first}"')
    safety.staff_alerts(r)
    assert [p.message for p in r.problems] == ["the first line of 'first_line' shows on a lock screen; "
                                               f"take out {shown}"]


def test_only_the_first_line_of_a_staff_alert_must_be_discreet(tmp_path):
    r = copy_of(tmp_path, ALERTS, "  Reply ACK {code} when you have it. Reply INFO {code} for details.",
                "  Reply ACK {code}: he mentioned a knife, {text}.")
    safety.staff_alerts(r)
    assert r.problems == []


def test_staff_alert_placeholders_and_sms_length(tmp_path):
    r = copy_of(tmp_path, ALERTS, 'ack_already: "{code} was already acknowledged."',
                'ack_already: "{site} ' + "x" * 310 + '"')
    safety.staff_alerts(r)
    placeholder, length = [p.message for p in r.problems]
    assert placeholder == "'ack_already' uses {site}; use only {code}"
    assert (length.startswith("'ack_already' is too long for SMS: 3 segments, GSM-7,")
            and length.endswith("; shorten it"))


def test_missing_staff_alert(tmp_path):
    r = copy_of(tmp_path, ALERTS,
                'ack_unknown: "No alert with that code. Check the code and reply ACK followed by it."', "")
    safety.staff_alerts(r)
    assert messages(r) == ["1: 'ack_unknown' is missing; add it"]
