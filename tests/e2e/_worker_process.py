"""A worker process for the two-worker test: the real Scheduler and Dispatcher, with fake
senders that append what they send to a shared file (one line per send, O_APPEND).

    python -m tests.e2e._worker_process OUTFILE NAME
"""

from __future__ import annotations

import asyncio
import os
import sys

from coach.core.db import Database
from coach.core.settings import get_settings
from coach.programme.content.cache import content_cache
from coach.programme.schedule import Scheduler, SendResult
from escalation.dispatch import Dispatcher


def main(out: str, name: str) -> int:
    fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def note(line: str) -> None:
        os.write(fd, f"{line} {name}\n".encode())

    class Sender:
        async def send(self, pid, channel, message_id, text):
            note(f"schedule {message_id}")
            await asyncio.sleep(0.003)
            return SendResult("sent")

        async def delivered(self, pid, message_id):
            return None

    class Notifier:
        channel = "telegram"

        async def start(self):
            return None

        async def send(self, contact, text, code, html_text=None):
            note(f"alert {code} {text[:12]}")
            await asyncio.sleep(0.003)
            return "ok"

    settings = get_settings()
    db, cache = Database.from_settings(settings), content_cache(settings.content_dir)
    scheduler = Scheduler(db, settings, cache.get, Sender(), batch=20)
    dispatcher = Dispatcher(db, settings, {"telegram": Notifier()}, lambda: cache.get().extra["staff_alerts"])

    async def run():
        for _ in range(40):
            s = await scheduler.run_once()
            a = await dispatcher.run_once(limit=5)
            if not (s.sent or a.sent):
                await asyncio.sleep(0.05)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
