"""What one inbound Telegram message costs: database transactions, participant loads, risk checks.

Starts a fake Telegram Bot API on 127.0.0.1 and the real stack (Rasa and the action
server; the worker is left out, so only the message's own trip is counted), with a probe
(`scripts/trip_probe/sitecustomize.py`) loaded into every process. A participant joins
over Telegram and starts week 1, then sends ordinary answers and one risk disclosure.
For each kind of message it prints, per message, summed over the Rasa process and the
action server:

- transactions on the app database (and, separately, on Rasa's tracker store);
- SELECTs that load participant rows;
- how many times the risk detector ran.

    .venv/bin/python scripts/bench_trip.py [--messages 6]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
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
CHAT = 31337
STAFF_CHAT = 5000
ORDINARY = ["4", "2", "6", "5"]  # week 1 opens with the check-in: mood, craving, days...
RISKY = "i grabbed her by the throat last night"


def counts(probe: Path) -> collections.Counter:
    """Events so far, as "rasa:txn app", "actions:detect", ... (and totals without the prefix)."""
    c: collections.Counter = collections.Counter()
    for path in probe.glob("*.events"):
        role = path.name.split("-", 1)[0]
        for line in path.read_text().splitlines():
            c[line.strip()] += 1
            c[f"{role}:{line.strip()}"] += 1
    return c


def settle(fake, chat: int, before: int, quiet: float = 1.5, limit: float = 60.0) -> None:
    """Wait for his replies, then until nothing new has arrived for ``quiet`` seconds."""
    fake.wait_for(lambda: len(fake.sent_texts(chat)) > before, timeout=limit)
    last, since, deadline = len(fake.sent_texts(chat)), time.time(), time.time() + limit
    while time.time() < deadline and time.time() - since < quiet:
        time.sleep(0.1)
        now = len(fake.sent_texts(chat))
        if now != last:
            last, since = now, time.time()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=len(ORDINARY), help="ordinary answers to send")
    args = ap.parse_args()
    fake = FakeTelegramAPI()
    fake.start()
    home = Path(tempfile.mkdtemp(prefix="bench-trip-"))
    probe = home / "probe"
    probe.mkdir()
    port = free_port()
    env = dict(os.environ, COACH_ENV="test", COACH_HOME=str(home), DATABASE_URL=f"sqlite:///{home / 'coach.db'}",
               TRACKER_STORE_URL=f"sqlite:///{home / 'tracker.db'}", RASA_PORT=str(port), ACTION_PORT=str(free_port()),
               TELEGRAM_BOT_TOKEN="123456:BENCH", TELEGRAM_WEBHOOK_SECRET=SECRET,
               TELEGRAM_API_BASE=f"{fake.url}/bot", COACH_AUTO_ENROL="false")
    settings = load_settings(env)
    Database(settings.database_url).upgrade()
    train(settings, quiet=True)

    def cli(*a):
        return subprocess.run([sys.executable, "-m", "coach.cli", *a], env=env, capture_output=True, text=True,
                              check=True).stdout

    cli("staff", "add", "--site", "bench", "--name", "Duty", "--role", "facilitator",
        "--telegram-chat-id", str(STAFF_CHAT))
    start = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 7 * 86400))
    code = cli("enrol", "--site", "bench", "--start", start).split("Joining code: ")[1].split()[0]
    os.environ["COACH_TRIP_PROBE"] = str(probe)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT / "scripts" / "trip_probe"), os.environ.get("PYTHONPATH", "")])
    stack = Stack(load_settings(dict(env, COACH_TRIP_PROBE=str(probe))), log_dir=home / "logs", worker=False)
    update_id = [100]

    def say(text: str) -> collections.Counter:
        before_events, before_texts = counts(probe), len(fake.sent_texts(CHAT))
        update_id[0] += 1
        body = json.dumps(make_text_update(update_id[0], CHAT, CHAT, text)).encode()
        req = urllib.request.Request(f"{settings.rasa_url}/webhooks/telegram/webhook", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Telegram-Bot-Api-Secret-Token": SECRET})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 200, r.status
        settle(fake, CHAT, before_texts)
        return counts(probe) - before_events

    print("starting the stack...", flush=True)
    with stack:
        say(f"JOIN {code}")
        say("hi")  # starts week 1 (warms up both servers)
        ordinary = [say(ORDINARY[i % len(ORDINARY)]) for i in range(args.messages)]
        risky = say(RISKY)

    def row(name: str, samples) -> None:
        n = len(samples)
        total = sum(samples, collections.Counter())
        for who in ("", "rasa:", "actions:"):
            label = {"": name, "rasa:": "  in the Rasa process", "actions:": "  in the action server"}[who]
            print(f"{label:<28} {total[who + 'txn app'] / n:>8.1f} {total[who + 'txn tracker'] / n:>12.1f} "
                  f"{total[who + 'participant'] / n:>13.1f} {total[who + 'detect'] / n:>12.1f}")

    print("\nPer inbound Telegram message (mean; the worker is not running):")
    print(f"{'message':<28} {'app txns':>8} {'tracker txns':>12} {'participant':>13} {'risk checks':>12}")
    row(f"ordinary answer (x{len(ordinary)})", ordinary)
    row("risk disclosure", [risky])
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
