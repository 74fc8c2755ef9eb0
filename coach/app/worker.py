"""`coach worker`: the process that owns time.

Two loops run side by side, so a long run of weekly nudges never delays an alert:

- alerts (escalation.dispatch): send from the outbox, retry, re-notify unacknowledged
  alerts, move along the rota; and safety checks nobody answered become review items;
- the weekly rhythm (coach.programme.schedule): plan and send session nudges, follow-ups,
  coaching-call prompts and the booster through Rasa's trigger_intent.

    coach worker            # runs until SIGTERM / Ctrl-C, then finishes the current pass
    coach worker --once     # one pass of each (for cron-style use and tests)
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Optional

from bot.nudge import RasaSender
from coach.core.db import Database
from coach.core.settings import Settings
from coach.messaging.notifiers import clients_from_settings, staff_notifiers
from coach.programme.content.cache import content_cache
from coach.programme.schedule import Scheduler
from escalation.checks import review_unanswered
from escalation.dispatch import Dispatcher

log = logging.getLogger("coach.worker")


def review_checks(db: Database, settings: Settings) -> int:
    """Safety checks nobody answered in time become review items (escalation.checks)."""
    with db.session() as s:
        return review_unanswered(s, settings.risk_check_review_minutes)


def make_dispatcher(settings: Settings, db: Database, notifiers=None, actor: str = "worker") -> Dispatcher:
    """The alert dispatcher, sending through this process's own Telegram and SMS clients."""
    if notifiers is None:
        notifiers = staff_notifiers(*clients_from_settings(settings))
    cache = content_cache(settings.content_dir)
    return Dispatcher(db, settings, notifiers, templates=lambda: cache.get().extra["staff_alerts"], actor=actor)


async def _loop(name: str, one_pass, every: float, once: bool, stop: asyncio.Event) -> None:
    while True:
        try:
            await one_pass()
        except Exception:  # keep going: a database blip must not stop alerting
            log.exception("%s pass failed; trying again", name)
        if once or stop.is_set():
            return
        try:
            await asyncio.wait_for(stop.wait(), timeout=every)
        except asyncio.TimeoutError:
            pass


async def run_worker(settings: Settings, once: bool = False, stop: Optional[asyncio.Event] = None,
                     schedule: bool = True) -> int:
    db = Database.from_settings(settings)
    dispatcher = make_dispatcher(settings, db)
    if not dispatcher.notifiers:
        log.warning("no TELEGRAM_* or TWILIO_* settings: alerts are recorded but cannot be sent to staff")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass

    async def alerts_pass() -> None:
        stats = await dispatcher.run_once()
        if stats.sent or stats.failed or stats.in_doubt or stats.renotified:
            log.info("alerts: sent %d, retried %d, failed %d, in doubt %d, re-notified %d",
                     stats.sent, stats.retried, stats.failed, stats.in_doubt, stats.renotified)
        reviewed = await asyncio.to_thread(review_checks, db, settings)
        if reviewed:
            log.info("safety checks: %d unanswered, now review items for facilitators", reviewed)

    loops = [_loop("alerts", alerts_pass, settings.worker_poll_seconds, once, stop)]
    sender = None
    if schedule:
        sender = RasaSender(settings)
        cache = content_cache(settings.content_dir)
        scheduler = Scheduler(db, settings, cache.get, sender)

        async def schedule_pass() -> None:
            stats = await scheduler.run_once()
            if stats.planned or stats.sent or stats.skipped or stats.retried or stats.in_doubt:
                log.info("schedule: planned %d, sent %d, skipped %d, deferred %d, retried %d, in doubt %d",
                         stats.planned, stats.sent, stats.skipped, stats.deferred, stats.retried, stats.in_doubt)

        loops.append(_loop("schedule", schedule_pass, max(settings.worker_poll_seconds, 5.0), once, stop))
    try:
        await asyncio.gather(*loops)
    finally:
        if sender is not None:
            await sender.close()
        for notifier in dispatcher.notifiers.values():
            close = getattr(getattr(notifier, "client", None), "close", None)
            if close is not None:
                await close()
    return 0
