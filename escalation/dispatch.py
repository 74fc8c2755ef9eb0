"""Sending alerts from the outbox, exactly as the database says, surviving crashes.

Each outbox row goes out at most once:

1. **claim**: ``pending`` rows that are due become ``claimed`` with a fresh claim token, in
   one committed UPDATE (with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL). Only the process
   whose token is on the row sends it.
2. **sending** is committed just before the request to the provider leaves.
3. **send** through the notifier.
4. **record**: ``sent`` (with the provider's id), or back to ``pending`` with a backoff, or
   ``failed`` (permanent error / too many attempts), or ``in_doubt`` (timed out after the
   request left: it may have been delivered).

A process killed after 1 but before 2 leaves a ``claimed`` row that was never attempted:
once the lease runs out it simply goes back to ``pending``. Killed after 2, the row stays
``sending``; after the lease it becomes ``in_doubt``: it is never re-sent (that could send
it twice). Instead the alert's next round is queued at once, so nobody waits for the
re-notify timer. An alert is only ever finished by an acknowledgement; until then it keeps
being re-notified.

    d = Dispatcher(db, settings, notifiers, templates)
    await d.run_once()                 # the worker calls this in a loop
    await d.dispatch_alert(alert_id)   # the fast path right after an alert is raised
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Dict, List, Optional, Tuple

from sqlalchemy import func, select

from coach.core.db import Database
from coach.core.db.claims import claim_due
from coach.core.db.models import Alert, AlertEvent, AlertNotification, Site, Staff, utcnow
from coach.core.identity import IdentityVault
from coach.core.notify import Notifier, SendError
from escalation.alerts import audit, queue_round, targets_for_round
from escalation.notify import AlertView, format_sms, format_telegram, split_followups

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    in_doubt: int = 0
    renotified: int = 0


class Dispatcher:
    def __init__(self, db: Database, settings, notifiers: Dict[str, Notifier], templates: Callable[[], Dict[str, str]],
                 clock: Callable[[], datetime] = utcnow, actor: str = "worker"):
        self.db = db
        self.settings = settings
        self.notifiers = notifiers
        self.templates = templates
        self.clock = clock
        self.actor = actor
        self.vault = IdentityVault.from_settings(settings)
        self._started: set = set()  # channels whose notifier has started
        self._down: set = set()  # channels whose notifier could not start on the last try
        self._templates_loaded = False

    # -- claiming ------------------------------------------------------------------------------

    def claim(self, limit: int = 10, alert_id: Optional[int] = None) -> Tuple[List[int], str]:
        """Claim due rows this process can send now (its channels, less any that could not start);
        see coach.core.db.claims."""
        ready = sorted(set(self.notifiers) - self._down)
        if not ready:
            return [], ""
        now = self.clock()
        where = [AlertNotification.next_attempt_at <= now, AlertNotification.channel.in_(ready)]
        if alert_id is not None:
            where.append(AlertNotification.alert_id == alert_id)
        return claim_due(self.db, AlertNotification, *where, order_by=[AlertNotification.id], limit=limit, now=now)

    # -- sending -------------------------------------------------------------------------------

    def _prepare(self, notification_id: int, token: str):
        """Load what to send and mark the row ``sending`` (committed before the request leaves)."""
        with self.db.session() as s:
            n = s.get(AlertNotification, notification_id)
            if n is None or n.status != "claimed" or n.claim_token != token:
                return None  # our lease ran out and someone else has it now
            alert = s.get(Alert, n.alert_id)
            staff = s.get(Staff, n.staff_id)
            site = s.get(Site, alert.site_id)
            if alert.status != "open":
                n.status = "cancelled"
                return None
            contact_token = staff.telegram_secret if n.channel == "telegram" else staff.phone_secret
            if not contact_token:
                n.status = "failed"
                n.last_error = f"{staff.name} has no {n.channel} contact"
                audit(s, alert.id, "send_failed", self.actor, notification=n.id, channel=n.channel,
                      staff=staff.id, error=n.last_error)
                return None
            followups = split_followups(list(s.execute(select(AlertEvent).where(AlertEvent.alert_id == alert.id)
                                                       .order_by(AlertEvent.id)).scalars()))
            view = AlertView(code=alert.code, participant=alert.participant_id, site=site.code,
                             severity=alert.severity, category=alert.category, text=alert.text,
                             context=alert.context or [], followups=followups, why=alert.matched or [])
            n.status = "sending"
            n.claimed_at = self.clock()
            return {"id": n.id, "alert_id": alert.id, "code": alert.code, "channel": n.channel, "round": n.round,
                    "staff_id": staff.id, "token": n.claim_token, "attempts": n.attempts,
                    "contact": self.vault.decrypt(contact_token), "view": view}

    async def send_one(self, notification_id: int, token: str, stats: Stats) -> None:
        job = await asyncio.to_thread(self._prepare, notification_id, token)
        if job is None:
            return
        notifier = self.notifiers.get(job["channel"])
        templates = self.templates()
        if notifier is None:
            error: Optional[SendError] = SendError(f"no {job['channel']} notifier configured", "permanent")
            provider_id = None
        else:
            try:
                if job["channel"] == "telegram":
                    html_text = format_telegram(templates, job["view"], job["round"])
                    provider_id = await notifier.send(job["contact"], html_text, job["code"], html_text=html_text)
                else:
                    provider_id = await notifier.send(job["contact"], format_sms(templates, job["view"], job["round"]),
                                                      job["code"])
                error = None
            except SendError as exc:
                error, provider_id = exc, None
            except Exception as exc:  # an unexpected failure: treat as possibly sent, never resend
                log.exception("notifier crashed")
                error, provider_id = SendError(f"unexpected: {exc!r}", "in_doubt"), None
        await asyncio.to_thread(self._record, job, provider_id, error, stats)

    def _record(self, job: dict, provider_id: Optional[str], error: Optional[SendError], stats: Stats) -> None:
        now = self.clock()
        with self.db.session() as s:
            n = s.get(AlertNotification, job["id"])
            if n.claim_token != job["token"] or n.status != "sending":
                return  # our claim expired and was handled by recovery
            base = dict(notification=n.id, channel=n.channel, staff=n.staff_id, round=n.round)
            if error is None:
                n.status, n.sent_at, n.provider_id, n.last_error = "sent", now, provider_id, None
                audit(s, n.alert_id, "sent", self.actor, provider_id=provider_id, **base)
                stats.sent += 1
                return
            n.last_error = str(error)[:500]
            if error.kind == "retry" and n.attempts < self.settings.alert_max_send_attempts:
                delay = error.retry_after if error.retry_after else min(MAX_BACKOFF, 2.0 ** n.attempts)
                n.status, n.next_attempt_at = "pending", now + timedelta(seconds=delay)
                audit(s, n.alert_id, "send_retry", self.actor, error=n.last_error, retry_in=delay, **base)
                stats.retried += 1
                return
            n.status = "in_doubt" if error.kind == "in_doubt" else "failed"
            audit(s, n.alert_id, "send_in_doubt" if error.kind == "in_doubt" else "send_failed", self.actor,
                  error=n.last_error, **base)
            stats.in_doubt += error.kind == "in_doubt"
            stats.failed += error.kind != "in_doubt"
            self._next_round_now(s, n.alert_id, reason=n.status)

    def _next_round_now(self, s, alert_id: int, reason: str) -> None:
        """This round can't be counted on: queue the next one straight away (if still unacknowledged).

        After an in-doubt send the next round always goes (a reminder beats silence). After a
        permanent failure it goes only if it reaches someone new; otherwise the re-notify timer
        decides, so a wrong phone number can't make a loop of rounds.
        """
        alert = s.get(Alert, alert_id)
        if alert.status != "open":
            return
        pending = s.execute(select(func.count()).select_from(AlertNotification).where(
            AlertNotification.alert_id == alert_id,
            AlertNotification.status.in_(("pending", "claimed", "sending")))).scalar()
        if pending:
            return  # something is still on its way
        tries = self.settings.alert_tries_per_person
        next_round = alert.last_round + 1
        if reason == "failed":  # skip rounds that would only reach people we couldn't reach
            tried = set(s.execute(
                select(AlertNotification.staff_id).where(AlertNotification.alert_id == alert_id)
            ).scalars())
            limit = next_round + tries * 20
            while (next_round < limit
                   and {p.id for p in targets_for_round(s, alert, next_round, tries, self.clock())} <= tried):
                next_round += 1
            if next_round >= limit:
                return  # nobody new to try: the re-notify timer takes it from here
        queue_round(s, alert, next_round, now=self.clock(), actor=self.actor, tries_per_person=tries)
        audit(s, alert_id, "escalated_early", self.actor, reason=reason, round=next_round)

    # -- recovery and re-notifying -------------------------------------------------------------------

    def recover_stale_claims(self, stats: Stats) -> None:
        now = self.clock()
        with self.db.session() as s:
            lease = timedelta(seconds=self.settings.alert_claim_lease_seconds)
            for n in s.execute(select(AlertNotification).where(AlertNotification.status == "claimed",
                                                               AlertNotification.claimed_at < now - lease)).scalars():
                n.status, n.claim_token = "pending", None  # claimed but never attempted: safe to send
                n.attempts = max(0, n.attempts - 1)
                audit(s, n.alert_id, "claim_released", self.actor, notification=n.id)
        with self.db.session() as s:
            lease = timedelta(seconds=self.settings.alert_claim_lease_seconds)
            stale = s.execute(
                select(AlertNotification).where(AlertNotification.status == "sending",
                                                AlertNotification.claimed_at < now - lease)
            ).scalars().all()
            for n in stale:
                n.status = "in_doubt"
                n.last_error = "the sending process stopped before recording the result"
                audit(s, n.alert_id, "send_in_doubt", self.actor, notification=n.id, channel=n.channel,
                      staff=n.staff_id, round=n.round, error=n.last_error)
                stats.in_doubt += 1
            for alert_id in sorted({n.alert_id for n in stale}):
                self._next_round_now(s, alert_id, reason="in_doubt")

    def renotify_due(self, stats: Stats) -> None:
        """Open alerts whose latest round is older than ALERT_RENOTIFY_MINUTES get the next round."""
        now = self.clock()
        wait = timedelta(minutes=self.settings.alert_renotify_minutes)
        with self.db.session() as s:
            due = s.execute(select(Alert).where(Alert.status == "open", Alert.last_round_at <= now - wait)
                            .order_by(Alert.id)).scalars().all()
            for alert in due:
                queue_round(s, alert, alert.last_round + 1, now=now, actor=self.actor,
                            tries_per_person=self.settings.alert_tries_per_person)
                stats.renotified += 1

    # -- loops -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Warm up every notifier not yet started. A channel that can't start (the provider is
        unreachable just now) sends nothing this pass, and is tried again on the next one: its
        alerts wait in the outbox meanwhile, and any other channel carries on."""
        if not self._templates_loaded:
            await asyncio.to_thread(self.templates)  # content loaded before any row is marked as sending
            self._templates_loaded = True
        for name, notifier in self.notifiers.items():
            if name in self._started:
                continue
            start = getattr(notifier, "start", None)
            try:
                if start is not None:
                    await start()
                self._started.add(name)
                self._down.discard(name)
            except Exception as exc:
                self._down.add(name)
                log.warning("the %s notifier could not start (%s); trying again on the next pass", name, exc)

    async def dispatch_alert(self, alert_id: int) -> Stats:
        await self.start()
        stats = Stats()
        ids, token = await asyncio.to_thread(self.claim, 20, alert_id)
        await asyncio.gather(*(self.send_one(i, token, stats) for i in ids))
        return stats

    async def run_once(self, limit: int = 10) -> Stats:
        await self.start()
        stats = Stats()
        await asyncio.to_thread(self.recover_stale_claims, stats)
        await asyncio.to_thread(self.renotify_due, stats)
        ids, token = await asyncio.to_thread(self.claim, limit)
        await asyncio.gather(*(self.send_one(i, token, stats) for i in ids))
        return stats
