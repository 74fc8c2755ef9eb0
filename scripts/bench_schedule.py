"""Weekly nudges at scale: 10,000 participants on one site, one week's nudges due at once.

Enrols the participants (each linked to a Telegram chat), makes week N open today with
the nudge time one minute ago, then times the planning pass. It starts the real stack
(Rasa, action server, worker) against a fake Telegram Bot API on 127.0.0.1 and lets the
worker send everything through Rasa's trigger_intent. Prints planning time, send
throughput against the configured limit (RATE_TELEGRAM_PER_SECOND, default 30/s),
duplicates (should be 0) and misses (should be 0).

    .venv/bin/python scripts/bench_schedule.py [--participants 10000] [--rate 30]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--participants", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=30.0)
    ap.add_argument("--week", type=int, default=3)
    ap.add_argument("--tracker-store", default="auto",
                    help="Rasa's tracker store: 'auto' (a throwaway redis-server on 127.0.0.1 if installed, the "
                         "production path; else SQLite), 'sqlite' (the embedded default), or a URL like redis://...")
    args = ap.parse_args()

    from tests.conftest import free_port
    from tests.fakes.telegram_api import FakeTelegramAPI

    fake = FakeTelegramAPI()
    fake.start()
    home = Path(tempfile.mkdtemp(prefix="bench-schedule-"))
    port = free_port()
    redis = None
    tracker_store = args.tracker_store
    if tracker_store == "auto":
        import shutil
        import subprocess

        if shutil.which("redis-server"):
            redis_port = free_port()
            redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            tracker_store = f"redis://127.0.0.1:{redis_port}/0"
        else:
            tracker_store = "sqlite"
    if tracker_store == "sqlite":
        tracker_store = f"sqlite:///{home / 'tracker.db'}"
    from coach.programme import calendar as cal

    now_local = cal.utc_to_local(__import__("coach.core.db.models", fromlist=["utcnow"]).utcnow())
    nudge = (now_local - timedelta(minutes=1)).strftime("%H:%M")
    os.environ.update(dict(
        COACH_ENV="test", COACH_HOME=str(home), DATABASE_URL=f"sqlite:///{home / 'coach.db'}",
        TRACKER_STORE_URL=tracker_store, RASA_PORT=str(port),
        ACTION_PORT=str(free_port()),
        TELEGRAM_BOT_TOKEN="123456:BENCH", TELEGRAM_WEBHOOK_SECRET="bench", TELEGRAM_API_BASE=f"{fake.url}/bot",
        COACH_AUTO_ENROL="false", SCHEDULE_NUDGE_TIME=nudge, SCHEDULE_QUIET_START="00:00", SCHEDULE_QUIET_END="00:00",
        RATE_TELEGRAM_PER_SECOND=str(args.rate), WORKER_POLL_SECONDS="1",
    ))
    from sqlalchemy import func, select

    from coach.app.runner import Stack, train
    from coach.core.db import Database
    from coach.core.db.models import ScheduledMessage, utcnow
    from coach.core.identity import IdentityVault, link_identity
    from coach.core.settings import get_settings
    from coach.programme.content.cache import content_cache
    from coach.programme.enrolment import enrol
    from coach.programme.schedule import plan

    settings = get_settings()
    db = Database.from_settings(settings)
    db.upgrade()
    train(settings, quiet=True)
    content = content_cache(settings.content_dir).get()
    start = cal.start_for_week(content.programme, args.week, cal.uk_today())
    vault = IdentityVault.from_settings(settings)
    t = time.perf_counter()
    with db.session() as s:
        for i in range(args.participants):
            p = enrol(s, site="bench", start=start)
            link_identity(s, vault, p.id, "telegram", str(1_000_000 + i))
    print(f"enrolled {args.participants} participants in {time.perf_counter() - t:.1f}s", flush=True)

    t = time.perf_counter()
    planned = plan(db, settings, content, utcnow())
    planning = time.perf_counter() - t
    with db.session() as s:
        due = s.execute(select(func.count()).select_from(ScheduledMessage).where(
            ScheduledMessage.kind == "session_open", ScheduledMessage.week == args.week,
            ScheduledMessage.due_at <= utcnow())).scalar()
    print(f"planning pass: {planned} rows in {planning:.2f}s ({due} week-{args.week} nudges due now)", flush=True)

    print("starting the stack and sending...", flush=True)
    with Stack(settings, log_dir=home / "logs"):
        deadline = time.time() + args.participants / args.rate * 3 + 300
        last_count, last_change = -1, time.time()
        while time.time() < deadline:
            count = len(fake.calls_to("sendMessage"))
            if count != last_count:
                last_count, last_change = count, time.time()
                if count and count % 1000 < 30:
                    print(f"  {count} sent", flush=True)
            if count >= due or time.time() - last_change > 60:
                break
            time.sleep(1)
        time.sleep(3)
    sends = [c for c in fake.calls_to("sendMessage") if c.status == 200]
    fake.stop()
    if redis is not None:
        redis.terminate()
    chats = Counter(str(c.params.get("chat_id")) for c in sends)
    duplicates = sum(n - 1 for n in chats.values() if n > 1)
    misses = args.participants - len(chats)
    times = sorted(c.time for c in sends)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    rate = (len(times) - 1) / span if len(times) > 1 and span > 0 else float("nan")
    store = "Redis" if tracker_store.startswith("redis") else "SQLite"
    print(f"\nWeekly nudges for {args.participants} participants (one site, week {args.week}, all due at once; "
          f"Rasa tracker store: {store})")
    print(f"  planning pass          {planning:.2f} s ({planned} rows)")
    print(f"  sent                   {len(sends)} in {span:.0f} s")
    print(f"  throughput             {rate:.1f} messages/s against a limit of {args.rate:.0f}/s "
          f"({rate / args.rate * 100:.0f}% of the limit)")
    print(f"  duplicates             {duplicates}")
    print(f"  misses                 {misses}")
    return 0 if duplicates == 0 and misses == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
