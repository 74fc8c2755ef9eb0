"""A whole weekly session through the running stack's REST channel, surviving a restart.

Starts the real Rasa server and action server (about a minute), talks to them over HTTP
on 127.0.0.1, restarts both mid-session, finishes the session, then reads completion
from the app database and from `coach report completion`.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from coach.app.runner import Stack
from coach.core.db import make_engine
from coach.core.db.models import Answer, Checkin, SessionProgress
from coach.programme.content.loader import load_content
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def post(settings, body, raw: bytes = None):
    req = urllib.request.Request(
        f"{settings.rasa_url}/webhooks/rest/webhook",
        data=raw if raw is not None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"[]")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def say(settings, sender, text):
    status, messages = post(settings, {"sender": sender, "message": text})
    assert status == 200, messages
    return [m.get("text", "") for m in messages]


def current_step(settings, pid, week):
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        row = conn.execute(select(SessionProgress.current_step, SessionProgress.completed_at)
                           .where(SessionProgress.participant_id == pid, SessionProgress.week == week)).first()
    engine.dispose()
    return row


def reply_for(step):
    return {"number": "5", "yesno": "yes", "question": "I go quiet, then I snap", "message": "ok"}.get(
        step.type, step.options[0].key if step.options else "ok")


def test_whole_session_over_rest_with_a_restart(stack_settings, tmp_path):
    s = stack_settings
    content = load_content(ROOT / "content")
    flow = content.sessions[1]
    sender = "e2e-phone-handle"
    with Stack(s, log_dir=tmp_path / "logs") as stack:
        # Rasa's API token is not on any process's command line (any local user can read those)
        for proc in stack.procs.values():
            assert s.rasa_auth_token.encode() not in Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert oct(Path(s.home).stat().st_mode & 0o777) == "0o700"  # nobody else may read the databases
        # bad bodies get a clear 400, and nothing reaches the dialogue
        assert post(s, None, raw=b"{not json")[0] == 400
        assert post(s, {"sender": sender})[0] == 400
        assert post(s, {"sender": sender, "message": "   "})[0] == 400
        first = post(s, {"sender": sender, "message": "hi"})
        assert first[0] == 200
        pid = first[1][0]["recipient_id"]
        assert pid.startswith("P-") and sender not in json.dumps(first[1])
        assert any("week 1" in t for t in (m["text"] for m in first[1]))
        for _ in range(4):  # the check-in
            step_id, _ = current_step(s, pid, 1)
            say(s, sender, reply_for(flow.step(step_id)))

    with Stack(s, log_dir=tmp_path / "logs"):  # a restart keeps the conversation (SQL tracker store)
        said = []
        for _ in range(40):
            step_id, completed = current_step(s, pid, 1)
            if completed:
                break
            said = say(s, sender, reply_for(flow.step(step_id)))
        assert completed is not None, "the session did not complete"
        assert any("coaching" in t.lower() for t in said)

    engine = make_engine(s.database_url)
    with engine.connect() as conn:
        checkin = conn.execute(select(Checkin).where(Checkin.participant_id == pid)).first()
        answers = conn.execute(select(Answer.text).where(Answer.participant_id == pid)).scalars().all()
    engine.dispose()
    assert checkin.mood == 5 and checkin.drug_free_days == 5
    assert "I go quiet, then I snap" in answers

    out = subprocess.run([sys.executable, "-m", "coach.cli", "report", "completion"], env=_env(s),
                         capture_output=True, text=True, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    row = next(r for r in rows if r["participant"] == pid and r["week"] == "1")
    assert row["completed"] and int(row["steps_done"]) == int(row["steps_total"])


def _env(settings):
    import os

    env = dict(os.environ)
    env.update(settings.as_env())
    return env
