"""kill -9 at any moment loses no alert and sends no notification twice.

Alerts are written the way the input channel writes them (alert + outbox in one
transaction). Worker processes are then started and SIGKILLed at random moments, many
times, while they send to a fake Telegram API that answers slowly (so kills land mid-send,
between claim and record, and between send and record). Finally a worker runs to the end.

Checked: every alert reached staff at least once; no outbox row was delivered twice
(each message carries its alert code and round); rows killed mid-send were marked in doubt
and followed by a reminder, never resent.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from coach.core.db import Database
from coach.core.db.engine import dispose_engines
from coach.core.db.models import Alert, AlertNotification
from coach.core.identity import IdentityVault
from coach.core.settings import load_settings, reset_settings_cache
from coach.programme.enrolment import enrol
from escalation.alerts import Signal, raise_alert
from escalation.staff import add_staff
from tests.conftest import ROOT
from tests.fakes.telegram_api import FakeTelegramAPI

pytestmark = [pytest.mark.safety, pytest.mark.slow]

ALERTS = 25
KILLS = 12


def _env(home, fake):
    env = dict(os.environ)
    env.update({
        "COACH_ENV": "test", "COACH_HOME": str(home), "DATABASE_URL": f"sqlite:///{home / 'coach.db'}",
        "COACH_CONTENT_DIR": str(ROOT / "content"),
        "TELEGRAM_BOT_TOKEN": "123456:CRASH", "TELEGRAM_API_BASE": f"{fake.url}/bot",
        "WORKER_POLL_SECONDS": "0.05", "ALERT_CLAIM_LEASE_SECONDS": "1.5", "ALERT_RENOTIFY_MINUTES": "60",
    })
    return env


def test_kill_minus_nine_loses_nothing_and_sends_nothing_twice(tmp_path, monkeypatch):
    fake = FakeTelegramAPI()
    fake.start()
    fake.set_latency(0.15, method="sendMessage")  # a slow API: kills land mid-send
    env = _env(tmp_path, fake)
    for k, v in env.items():
        if k.startswith(("COACH_", "DATABASE_", "TELEGRAM_", "WORKER_", "ALERT_")):
            monkeypatch.setenv(k, v)
    reset_settings_cache()
    dispose_engines()
    settings = load_settings(env)
    db = Database(settings.database_url)
    db.upgrade()
    vault = IdentityVault.from_settings(settings)
    with db.session() as s:
        add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="4242")
        pid = enrol(s, site="north", start=date(2026, 1, 1)).id
    codes = []
    for i in range(ALERTS):
        with db.session() as s:
            codes.append(raise_alert(s, pid, f"message {i}", f"m{i}",
                                     Signal("suicide_self_harm", "high", (), "detector")).code)

    rng = random.Random(20261123)
    cmd = [sys.executable, "-m", "coach.cli", "worker"]
    try:
        for _ in range(KILLS):
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.8, 2.5))  # startup takes most of a second; then it is mid-work
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 90
        while time.time() < deadline:
            delivered = {c for c in codes if any(c in t for t in fake.sent_texts(4242))}
            with db.session() as s:
                busy = s.execute(select(AlertNotification.id).where(
                    AlertNotification.status.in_(("pending", "claimed", "sending")))).first()
            if len(delivered) == ALERTS and busy is None:
                break
            time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    finally:
        fake.stop()

    texts = fake.sent_texts(4242)
    keys = Counter()
    for t in texts:
        code = re.search(r"Code ([A-Z0-9]{6})", t).group(1)
        m = re.match(r"Reminder (\d+)", t)
        keys[(code, int(m.group(1)) if m else 0)] += 1
    duplicates = {k: n for k, n in keys.items() if n > 1}
    assert duplicates == {}, f"sent twice: {duplicates}"
    assert {c for c, _ in keys} == set(codes), "an alert never reached staff"
    with db.session() as s:
        rows = s.execute(select(AlertNotification)).scalars().all()
        statuses = Counter(r.status for r in rows)
        assert statuses["pending"] == statuses["claimed"] == statuses["sending"] == 0
        sent_rows = {(s.get(Alert, r.alert_id).code, r.round) for r in rows if r.status == "sent"}
    assert sent_rows <= set(keys), "a row marked sent was never received"
    print(f"\n{len(texts)} messages for {ALERTS} alerts after {KILLS} kill -9s; rows: {dict(statuses)}")
    reset_settings_cache()
    dispose_engines()
