"""Escalation latency: how fast a risk disclosure reaches a facilitator, next to the reply he gets.

Starts a fake Telegram Bot API on 127.0.0.1 and the real stack (Rasa, action server,
worker) configured to use it. Participants on Telegram send flagged messages to the
webhook; for each one it measures, from the moment the update is POSTed:

- alert latency: until the facilitator's alert reaches the (fake) Telegram API;
- turn latency: until the participant's first reply reaches the (fake) Telegram API.

    .venv/bin/python scripts/bench_escalation.py [--messages 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.app.runner import Stack, train  # noqa: E402
from coach.core.db import Database  # noqa: E402
from coach.core.settings import load_settings  # noqa: E402
from tests.conftest import free_port  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI, make_text_update  # noqa: E402

SECRET = "bench-secret"
STAFF_CHAT = 5000
MESSAGES = [
    "i want to kill myself", "i grabbed her by the throat last night", "im going to batter him tonight",
    "my mate took a load of pills and wont wake up", "i slapped my son this morning", "gonna top myself",
    "ive been cutting myself again", "im outside her house and shes got an injunction on me",
    "hes gone blue and isnt breathing", "ive got a knife and im going round there",
]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=31, help="flagged messages (the first is a warm-up)")
    args = ap.parse_args()
    fake = FakeTelegramAPI()
    fake.start()
    home = Path(tempfile.mkdtemp(prefix="bench-escalation-"))
    port = free_port()
    env = dict(os.environ, COACH_ENV="test", COACH_HOME=str(home), DATABASE_URL=f"sqlite:///{home / 'coach.db'}",
               TRACKER_STORE_URL=f"sqlite:///{home / 'tracker.db'}", RASA_PORT=str(port), ACTION_PORT=str(free_port()),
               TELEGRAM_BOT_TOKEN="123456:BENCH", TELEGRAM_WEBHOOK_SECRET=SECRET,
               TELEGRAM_API_BASE=f"{fake.url}/bot", COACH_AUTO_ENROL="false", WORKER_POLL_SECONDS="1")
    settings = load_settings(env)
    Database(settings.database_url).upgrade()
    train(settings, quiet=True)

    def cli(*a):
        return subprocess.run([sys.executable, "-m", "coach.cli", *a], env=env, capture_output=True, text=True,
                              check=True).stdout

    cli("staff", "add", "--site", "bench", "--name", "Duty", "--role", "facilitator",
        "--telegram-chat-id", str(STAFF_CHAT))
    print("starting the stack...", flush=True)
    alert_ms, turn_ms, first = [], [], 0
    update_id = 1
    with Stack(settings, log_dir=home / "logs"):
        for i in range(args.messages):
            out = cli("enrol", "--site", "bench", "--start", "2026-01-01")
            code = out.split("Joining code: ")[1].split()[0]
            chat = 10_000 + i
            for text in (f"JOIN {code}", MESSAGES[i % len(MESSAGES)]):
                update_id += 1
                before_staff = len(fake.sent_messages(STAFF_CHAT))
                before_him = len(fake.sent_messages(chat))
                t0 = time.time()
                req = urllib.request.Request(f"{settings.rasa_url}/webhooks/telegram/webhook",
                                             data=json.dumps(make_text_update(update_id, chat, chat, text)).encode(),
                                             headers={"Content-Type": "application/json",
                                                      "X-Telegram-Bot-Api-Secret-Token": SECRET})
                urllib.request.urlopen(req, timeout=30).read()
                reply = fake.wait_for(lambda chat=chat, before_him=before_him: fake.sent_messages(chat)[before_him:],
                                      timeout=30)[0]
                if text.startswith("JOIN"):
                    time.sleep(1.1)  # Telegram's 1 message/s per chat: don't time the pacing
                    continue
                alert = fake.wait_for(lambda before_staff=before_staff: fake.sent_messages(STAFF_CHAT)[before_staff:],
                                      timeout=30)[0]
                if i == 0:
                    print(f"warm-up message (not counted): alert {(alert.time - t0) * 1000:.0f} ms, "
                          f"reply {(reply.time - t0) * 1000:.0f} ms", flush=True)
                    time.sleep(1.2)
                    continue
                alert_ms.append((alert.time - t0) * 1000)
                turn_ms.append((reply.time - t0) * 1000)
                first += alert.time <= reply.time
                time.sleep(1.2)  # the staff chat is paced too: keep alerts independent
    fake.stop()
    print(f"\nEscalation latency over {len(alert_ms)} flagged messages (Telegram webhook -> fake Bot API on 127.0.0.1)")
    print(f"  alert to facilitator  p50 {pct(alert_ms, 50):7.0f} ms   p95 {pct(alert_ms, 95):7.0f} ms   "
          f"max {max(alert_ms):6.0f} ms")
    print(f"  reply to participant  p50 {pct(turn_ms, 50):7.0f} ms   p95 {pct(turn_ms, 95):7.0f} ms   "
          f"max {max(turn_ms):6.0f} ms")
    print(f"  alert went out before his reply: {first} of {len(alert_ms)}")
    print(f"  mean difference (reply - alert): {statistics.mean(t - a for a, t in zip(alert_ms, turn_ms)):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
