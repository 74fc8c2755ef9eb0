"""coach/programme/content/reminders.py: reminders.yml checked on its own. What shows on a lock
screen (the first line) must be discreet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coach.programme.content import loader, reader, reminders
from coach.programme.content.reader import Reader

ROOT = Path(__file__).resolve().parents[4]


def copy_of(tmp_path: Path, old: str = "", new: str = "") -> Reader:
    path = tmp_path / "reminders.yml"
    shutil.copy(ROOT / "content" / "reminders.yml", path)
    if old:
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} is not exactly once in reminders.yml"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return Reader(tmp_path)


def test_real_reminders_are_clean(tmp_path):
    r = copy_of(tmp_path)
    out = reminders.reminders(r)
    assert r.problems == []
    assert set(out) == set(reminders.REMINDER_MESSAGES)
    assert all(text.splitlines()[0] == "Hi, it's your coach." for key, text in out.items() if key != "next_group")


def test_one_list_of_discreet_words():
    assert loader.DISCREET_WORDS is reader.DISCREET_WORDS
    assert reader.indiscreet_words("Hi, it's your Drink coach") == ["drink"]
    assert reader.indiscreet_words("Hi, it's your coach. White cliffs") == []  # 'hit' only starts a word


@pytest.mark.parametrize("first, shown", [
    ("Hi, about your drinking and drugs.", "drug, drink"),
    ("Hi, week {week}.", "the {...}"),
])
def test_first_line_must_be_discreet(tmp_path, first, shown):
    r = copy_of(tmp_path, "pick_up: |\n  Hi, it's your coach.\n", f"pick_up: |\n  {first}\n")
    reminders.reminders(r)
    assert [p.message for p in r.problems] == [
        f"the first line of 'pick_up' shows on a lock screen; take out {shown} "
        "(a neutral first line like \"Hi, it's your coach.\")"]


def test_next_group_is_a_fragment_so_its_first_line_is_not_checked(tmp_path):
    r = copy_of(tmp_path, 'next_group: "Your next group is on {date} at {time}."',
                'next_group: "Your next partner group is on {date} at {time}."')
    reminders.reminders(r)
    assert r.problems == []


def test_placeholders_missing_and_unknown_reminders(tmp_path):
    r = copy_of(tmp_path, "  Your week {week} session is ready.", "  Your week {weeks} session is ready.")
    reminders.reminders(r)
    assert [p.message for p in r.problems] == [
        "reminder 'session_open' uses {weeks}, which the coach can't fill in here; use {next_group}, {week}"]

    r = copy_of(tmp_path, 'next_group: "Your next group', 'next_groups: "Your next group')
    reminders.reminders(r)
    assert [p.message for p in r.problems] == [
        "reminder 'next_group' is missing; add it",
        "unknown reminder 'next_groups' (did you mean 'next_group'?); remove it",
    ]


def test_not_a_mapping_is_left_alone(tmp_path):
    (tmp_path / "reminders.yml").write_text("- a\n", encoding="utf-8")
    r = Reader(tmp_path)
    assert reminders.reminders(r) == {}
    assert r.problems == []
