"""Whole conversations, as men write them, against the trained stack over REST.

Each file in tests/transcripts/ is a list of transcripts: who he is (his week, weeks
already done, a goal), what he says turn by turn, and what the coach must do: words its
reply must (``says``) and must not (``not``) contain, what its first or last message says,
and what is saved at the end. See tests/transcripts/README.md for the format.

Set TRANSCRIPT_LOG=FILE to append every turn to FILE and read the conversations through.

The stack (Rasa, the action server, the worker) starts once for all of them (about a
minute); each transcript is a new participant, put on his week as `coach enrol --week`
would, and talks as his participant id.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path
from typing import List

import pytest
from ruamel.yaml import YAML
from sqlalchemy import select

from coach.app.runner import Stack
from coach.core.db import Database
from coach.core.db.models import Answer, Checkin, Goal
from coach.programme import calendar as cal
from coach.programme.content.loader import load_content
from coach.programme.enrolment import enrol
from coach.programme.store import SqlStore
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FOLDER = ROOT / "tests" / "transcripts"
TURN_KEYS = {"he", "says", "not", "first", "last", "count"}
KEYS = {"name", "covers", "week", "done", "goal", "notice_seen", "turns", "saved"}


def transcripts() -> List[dict]:
    out = []
    for path in sorted(FOLDER.glob("*.yml")):
        for item in YAML(typ="safe").load(path.read_text(encoding="utf-8")):
            item["file"] = path.name
            out.append(item)
    return out


ALL = transcripts()


def test_the_library_is_well_formed_and_covers_every_point():
    names = [t["name"] for t in ALL]
    assert len(names) == len(set(names)), "transcript names must be unique"
    for t in ALL:
        assert set(t) - {"file"} <= KEYS, (t["name"], set(t) - KEYS - {"file"})
        assert t["turns"] and all(set(turn) <= TURN_KEYS and "he" in turn for turn in t["turns"]), t["name"]
    covered = {str(t.get("covers", "")).split(".")[0] for t in ALL}
    assert {"1", "2", "3", "4", "5", "6", "8"} <= covered  # the points of issue 11 a conversation can show


@pytest.fixture(scope="module")
def stack(stack_settings, tmp_path_factory):
    with Stack(stack_settings, log_dir=tmp_path_factory.mktemp("transcript-logs")):
        yield stack_settings


def _post(settings, sender: str, text: str) -> List[str]:
    req = urllib.request.Request(f"{settings.rasa_url}/webhooks/rest/webhook",
                                 data=json.dumps({"sender": sender, "message": text}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        assert r.status == 200
        return [m.get("text") or "" for m in json.loads(r.read() or b"[]")]


def _participant(settings, t: dict) -> str:
    content = load_content(ROOT / "content")
    db = Database(settings.database_url)
    with db.session() as s:
        start = cal.start_for_week(content.programme, int(t.get("week", 1)), cal.uk_today())
        pid = enrol(s, site=settings.default_site, start=start, is_demo=True).id
        store = SqlStore(s)
        for week in t.get("done", []):
            store.session_started(pid, week, content.sessions[week].steps[0].id)
            store.session_completed(pid, week)
        if t.get("goal"):
            store.set_goal(pid, 0, t["goal"])
        if t.get("notice_seen"):
            store.mark_notice_seen(pid)
    return pid


def _check_saved(settings, pid: str, saved: dict, name: str) -> None:
    db = Database(settings.database_url)
    with db.session() as s:
        checkins = {c.week: c for c in s.execute(select(Checkin).where(Checkin.participant_id == pid)).scalars()}
        goal = s.execute(select(Goal.text).where(Goal.participant_id == pid, Goal.active.is_(True))).scalar()
        answers = {a.name: a.text for a in s.execute(select(Answer).where(Answer.participant_id == pid)).scalars()}
    for key, want in saved.items():
        if key == "checkin":  # {week: {field: value or null}}
            for week, fields in want.items():
                row = checkins.get(int(week))
                for field, value in fields.items():
                    got = getattr(row, field) if row is not None else None
                    assert got == value, f"{name}: check-in week {week} {field} is {got!r}, not {value!r}"
        elif key == "no_checkin":  # weeks with no check-in row at all
            for week in want:
                assert int(week) not in checkins, f"{name}: week {week} has a check-in"
        elif key == "goal":
            assert goal == want, f"{name}: goal is {goal!r}, not {want!r}"
        elif key == "answer":  # {name: text}
            for answer, text in want.items():
                assert answers.get(answer) == text, f"{name}: answer {answer} is {answers.get(answer)!r}"
        else:
            raise AssertionError(f"{name}: unknown 'saved' key {key}")


@pytest.mark.parametrize("t", ALL, ids=[t["name"] for t in ALL])
def test_transcript(stack, t):
    pid = _participant(stack, t)
    log = os.environ.get("TRANSCRIPT_LOG")  # a file to append what was said, to read it through
    for i, turn in enumerate(t["turns"], 1):
        said = _post(stack, pid, str(turn["he"]))
        if log:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(("\n## " + t["name"] + "\n" if i == 1 else "") + f"he> {turn['he']}\n"
                         + "".join(f"coach> {m}\n" for m in said))
        where = f'{t["name"]}, turn {i} ("{turn["he"]}"): the coach said {said!r}'
        text = "\n".join(said).lower()
        for words in turn.get("says", []):
            assert str(words).lower() in text, f"{where}; it should say {words!r}"
        for words in turn.get("not", []):
            assert str(words).lower() not in text, f"{where}; it must not say {words!r}"
        if "first" in turn:
            assert said and str(turn["first"]).lower() in said[0].lower(), f"{where}; first: {turn['first']!r}"
        if "last" in turn:
            assert said and str(turn["last"]).lower() in said[-1].lower(), f"{where}; last: {turn['last']!r}"
        if "count" in turn:
            assert len(said) == turn["count"], f"{where}; expected {turn['count']} messages"
    if t.get("saved"):
        _check_saved(stack, pid, t["saved"], t["name"])


def test_every_transcript_file_has_a_readme_entry():
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for path in Path(FOLDER).glob("*.yml"):
        assert path.name in readme, f"describe {path.name} in tests/transcripts/README.md"
