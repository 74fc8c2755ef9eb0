"""Two workers on one PostgreSQL database never send the same thing twice.

Both run the real Scheduler (weekly nudges) and Dispatcher (alerts) at the same time against
300 due nudges and 40 alerts; rows are claimed with FOR UPDATE SKIP LOCKED. Every nudge
and every alert goes out exactly once, and both workers did some of the work.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta

import pytest

from coach.core.db import Database
from coach.core.db.engine import dispose_engines
from coach.core.db.models import ScheduledMessage, utcnow
from coach.core.identity import IdentityVault, link_identity
from coach.core.settings import get_settings, reset_settings_cache
from coach.programme.enrolment import enrol
from escalation.alerts import Signal, raise_alert
from escalation.staff import add_staff
from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_two_workers_on_postgresql(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("COACH_HOME", str(tmp_path))
    monkeypatch.setenv("COACH_ENV", "test")
    monkeypatch.setenv("COACH_CONTENT_DIR", str(ROOT / "content"))
    monkeypatch.setenv("SCHEDULE_QUIET_START", "00:00")  # no quiet hours: this test may run at night
    monkeypatch.setenv("SCHEDULE_QUIET_END", "00:00")
    reset_settings_cache()
    dispose_engines()
    db = Database(postgres_url)
    db.upgrade()
    settings = get_settings()
    vault = IdentityVault.from_settings(settings)
    now = utcnow()
    with db.session() as s:
        add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="4242")
        people = []
        for i in range(300):
            p = enrol(s, site="north", start=date.today() - timedelta(days=200))
            link_identity(s, vault, p.id, "telegram", f"{10000 + i}")
            people.append(p.id)
        for _i, pid in enumerate(people):
            s.add(ScheduledMessage(participant_id=pid, kind="coaching_call", week=1, due_at=now - timedelta(minutes=5),
                                   next_attempt_at=now - timedelta(minutes=5), status="pending"))
    codes = []
    for i in range(40):  # other men: an open alert rightly holds back that man's nudges
        with db.session() as s:
            pid = enrol(s, site="north", start=date.today()).id
            codes.append(raise_alert(s, pid, "x", f"m{i}", Signal("suicide_self_harm", "high", (), "detector")).code)
    out = tmp_path / "sent.log"
    env = dict(os.environ, **settings.as_env())
    workers = [subprocess.Popen([sys.executable, "-m", "tests.e2e._worker_process", str(out), name], env=env, cwd=ROOT)
               for name in ("A", "B")]
    for w in workers:
        assert w.wait(timeout=300) == 0
    lines = out.read_text().splitlines()
    nudges = Counter(line.split()[1] for line in lines if line.startswith("schedule"))
    alerts = Counter(line.split()[1] for line in lines if line.startswith("alert"))
    by_worker = Counter(line.split()[-1] for line in lines)
    assert len(nudges) == 300 and set(nudges.values()) == {1}, "a nudge was sent twice or missed"
    assert set(alerts) == set(codes) and set(alerts.values()) == {1}, "an alert was sent twice or missed"
    assert by_worker["A"] > 0 and by_worker["B"] > 0, by_worker
    reset_settings_cache()
    dispose_engines()
