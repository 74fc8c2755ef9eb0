"""`coach worker`: the process that owns time. It sends alerts from the outbox, retries,
re-notifies unacknowledged alerts and moves along the rota (escalation.dispatch).

    coach worker            # runs until SIGTERM / Ctrl-C, then finishes the current pass
    coach worker --once     # one pass (for cron-style use and tests)
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Optional

from coach.content.cache import content_cache
from coach.settings import Settings
from escalation.dispatch import Dispatcher
from escalation.notify import notifiers_from_settings

log = logging.getLogger("coach.worker")


def make_dispatcher(settings: Settings, notifiers=None, actor: str = "worker") -> Dispatcher:
    return Dispatcher(settings, notifiers if notifiers is not None else notifiers_from_settings(settings),
                      templates=lambda: content_cache().get().extra["staff_alerts"], actor=actor)


async def run_worker(settings: Settings, once: bool = False, stop: Optional[asyncio.Event] = None) -> int:
    dispatcher = make_dispatcher(settings)
    if not dispatcher.notifiers:
        log.warning("no TELEGRAM_* or TWILIO_* settings: alerts are recorded but cannot be sent to staff")
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread
            pass
    while True:
        try:
            stats = await dispatcher.run_once()
            if stats.sent or stats.failed or stats.in_doubt or stats.renotified:
                log.info("alerts: sent %d, retried %d, failed %d, in doubt %d, re-notified %d",
                         stats.sent, stats.retried, stats.failed, stats.in_doubt, stats.renotified)
        except Exception:  # keep going: a database blip must not stop alerting
            log.exception("worker pass failed; trying again")
        if once or stop.is_set():
            return 0
        try:
            await asyncio.wait_for(stop.wait(), timeout=settings.worker_poll_seconds)
        except asyncio.TimeoutError:
            pass
