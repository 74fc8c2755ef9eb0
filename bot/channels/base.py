"""What the Telegram and SMS channels share: authenticate, de-duplicate, route, answer fast.

For every webhook request:

1. **verify** it came from the provider (subclass: secret token / signature) -> 403;
2. **parse** it (subclass) -> 400 if malformed, never 500;
3. **staff** contacts (a facilitator acknowledging an alert) never reach Rasa;
4. the update goes into the **inbox** (unique provider id: a redelivery is a no-op, even
   after a restart); unknown senders only get a dedupe row and a rate-limit counter;
5. the **risk check** runs and any alert is persisted (bot/channels/ingress.py);
6. the provider gets its 200 at once; the message is then handled in the background, in
   order per participant, and replies go out through the provider's API. Rows left
   unprocessed by a crash are picked up when the server starts again.

Subclasses implement ``verify``, ``parse``, ``ok``, ``send_to`` and ``make_output_channel``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.channels.ingress import Ingress, new_message_id
from coach.programme.content.cache import content_cache
from coach.core.db import session_scope
from coach.core.db.models import ChannelIdentity, InboundMessage, Participant, utcnow
from coach.programme.enrolment import allowed, is_help, is_start, is_stop, join_code_in, opt_in, opt_out, redeem
from coach.core.identity import find_participant
from escalation.alerts import AckError, acknowledge, staff_by_contact
from escalation.cache import get_detector

log = logging.getLogger(__name__)

UNKNOWN_REPLY_WINDOW = timedelta(hours=24)
JOIN_ATTEMPTS = 5
JOIN_WINDOW = timedelta(hours=1)


@dataclass
class Inbound:
    """One provider update, reduced to what the coach needs."""

    external_id: str  # update_id / MessageSid: the de-duplication key
    sender: str  # provider user id (chat id, phone number): never leaves this module in the clear
    kind: str  # text | button | non_text | edited | blocked | unblocked | ignore
    text: str = ""
    callback_id: Optional[str] = None  # Telegram callback query to answer
    message_ref: Optional[int] = None  # Telegram message the button was on
    extra: Dict[str, Any] = field(default_factory=dict)


class BadRequest(Exception):
    """The body is malformed; the message says what is wrong (answered with 400)."""


class NotStored(Exception):
    """The update could not be put in the inbox (database unavailable): answered 503 so the
    provider delivers it again; Telegram and Twilio both retry."""


class WebhookChannel(InputChannel):
    channel = "webhook"  # "telegram" | "sms": the ChannelIdentity channel name

    # credentials.yml key -> Settings field (values there override the environment's)
    CREDENTIALS: Dict[str, str] = {}

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebhookChannel":
        import dataclasses

        from coach.core.settings import get_settings

        settings = get_settings()
        overrides = {cls.CREDENTIALS[k]: str(v) for k, v in (credentials or {}).items()
                     if k in cls.CREDENTIALS and v not in (None, "")}
        if overrides:
            settings = dataclasses.replace(settings, **overrides)
        return cls(Ingress.from_settings(settings))

    def __init__(self, ingress: Optional[Ingress] = None) -> None:
        self._ingress = ingress
        self._locks: Dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set = set()

    @property
    def ingress(self) -> Ingress:
        if self._ingress is None:
            self._ingress = Ingress.from_settings()
        return self._ingress

    @property
    def settings(self):
        return self.ingress.settings

    @property
    def vault(self):
        return self.ingress.vault

    # -- what subclasses provide ---------------------------------------------------------------

    @classmethod
    def name(cls) -> Text:
        return cls.channel

    def verify(self, request: Request) -> bool:
        raise NotImplementedError

    def parse(self, request: Request) -> List[Inbound]:
        raise NotImplementedError

    def ok(self) -> HTTPResponse:
        raise NotImplementedError

    async def send_to(self, provider_id: str, texts: Sequence[str], buttons: Sequence[Sequence[str]] = ()) -> None:
        """Send plain texts to a provider id (used for staff and unknown senders)."""
        raise NotImplementedError

    async def answer_button(self, inbound: Inbound, text: str = "", done: bool = False) -> None:
        """Acknowledge a button press to the provider (Telegram); nothing for SMS."""

    def make_output_channel(self) -> OutputChannel:
        raise NotImplementedError

    async def _say(self, provider_id: str, texts: Sequence[str]) -> None:
        """A direct reply (staff, unknown senders, STOP/START/HELP): failures are logged, never raised."""
        try:
            await self.send_to(provider_id, texts)
        except Exception:
            log.exception("%s: could not send a reply", self.name())

    def get_output_channel(self) -> Optional[OutputChannel]:
        return self.make_output_channel()

    # -- the webhook ---------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"coach_{self.name()}_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            from sanic import response

            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            from sanic import response

            if not self.verify(request):
                return response.json({"error": "forbidden"}, status=403)
            try:
                updates = self.parse(request)
            except BadRequest as exc:
                return response.json({"error": str(exc)}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            for inbound in updates:
                try:
                    await self.handle(inbound, on_new_message, agent)
                except NotStored:
                    # Nothing was kept: tell the provider to deliver it again rather than lose it.
                    log.exception("%s: could not store an update; asking the provider to retry", self.name())
                    return response.json({"error": "temporarily unavailable, retry"}, status=503)
                except Exception:  # stored in the inbox already: recovered on restart, no retry storm
                    log.exception("%s: could not handle an update", self.name())
            return self.ok()

        @bp.listener("after_server_start")
        async def resume_inbox(app, _loop) -> None:
            self._spawn(self._resume_unprocessed(on_new_message))

        return bp

    # -- routing -----------------------------------------------------------------------------------

    def _lookup(self, sender: str):
        """(kind, id): ("staff", staff_id) | ("participant", pid) | ("unknown", None)."""
        with session_scope() as s:
            staff = staff_by_contact(s, self.vault, self.channel, sender)
            if staff is not None:
                return "staff", staff.id
            p = find_participant(s, self.vault, self.channel, sender)
            if p is not None:
                return "participant", p.id
        return "unknown", None

    async def handle(self, inbound: Inbound, on_new_message, agent=None) -> None:
        if inbound.kind == "ignore":
            return
        try:
            who, ident = await asyncio.to_thread(self._lookup, inbound.sender)
            first = await asyncio.to_thread(self._first_time, inbound, ident if who == "participant" else None)
        except Exception as exc:
            raise NotStored() from exc
        if not first:
            if inbound.callback_id:
                await self.answer_button(inbound)
            return  # a redelivery: already handled
        if who == "staff":
            await self._handle_staff(ident, inbound)
            return
        if who == "unknown":
            await self._handle_unknown(inbound)
            return
        await self._handle_participant(ident, inbound, on_new_message, agent)

    def _first_time(self, inbound: Inbound, pid: Optional[str]) -> bool:
        """Insert the inbox row; False if this provider update was seen before."""
        try:
            with session_scope() as s:
                s.add(InboundMessage(channel=self.channel, external_id=inbound.external_id, participant_id=pid,
                                     message_id=new_message_id(), status="received" if pid else "done",
                                     text=inbound.text if (pid and inbound.kind in ("text", "button")) else None))
            return True
        except IntegrityError:
            return False

    # -- staff -----------------------------------------------------------------------------------------

    async def _handle_staff(self, staff_id: int, inbound: Inbound) -> None:
        templates = content_cache().get().extra["staff_alerts"]
        text = (inbound.text or "").strip()
        words = text.split()
        command = words[0].upper() if words else ""
        code = words[1] if len(words) > 1 else ""
        if inbound.kind == "button" and text.startswith("ack:"):
            command, code = "ACK", text[4:]
        if command == "ACK" and code:
            reply = await asyncio.to_thread(self._staff_ack, staff_id, code, templates)
            await self.answer_button(inbound, reply, done=True)
            if inbound.kind != "button":
                await self._say(inbound.sender, [reply])
            return
        if command == "INFO" and code:
            reply = await asyncio.to_thread(self._staff_info, code, templates)
            await self._say(inbound.sender, [reply])
            return
        await self.answer_button(inbound)
        await self._say(inbound.sender, ["Staff commands: ACK <code> to acknowledge an alert, INFO <code> for details."])

    def _staff_ack(self, staff_id: int, code: str, templates: Dict[str, str]) -> str:
        from coach.core.text.render import render

        try:
            with session_scope() as s:
                alert = acknowledge(s, code, staff_id=staff_id, via=self.channel)
                already = alert.acknowledged_by != staff_id or alert.acknowledged_via != self.channel
                return render(templates["ack_already" if already else "ack_done"], {"code": alert.code})
        except AckError:
            return templates["ack_unknown"]

    def _staff_info(self, code: str, templates: Dict[str, str]) -> str:
        from coach.core.db.models import Alert, AlertEvent, Site
        from escalation.notify import AlertView, format_info, split_followups

        with session_scope() as s:
            alert = s.execute(select(Alert).where(Alert.code == code.strip().upper())).scalar_one_or_none()
            if alert is None:
                return templates["ack_unknown"]
            events = s.execute(select(AlertEvent).where(AlertEvent.alert_id == alert.id)).scalars().all()
            view = AlertView(alert.code, alert.participant_id, s.get(Site, alert.site_id).code, alert.severity,
                             alert.category, alert.text, alert.context or [], split_followups(events))
            return format_info(templates, view)

    # -- people we don't know ------------------------------------------------------------------------

    async def _handle_unknown(self, inbound: Inbound) -> None:
        messages = content_cache().get().messages
        await self.answer_button(inbound)
        code = join_code_in(inbound.text) if inbound.kind == "text" else None
        if code:
            reply = await asyncio.to_thread(self._join, inbound, code, messages)
            if reply:
                await self._say(inbound.sender, [reply])
            return
        urgent = inbound.kind == "text" and get_detector().detect(inbound.text).escalate
        if urgent:
            # Someone we can't link to a participant: no alert is possible, but never silence in danger.
            if await asyncio.to_thread(self._count, inbound.sender, "urgent", 5, JOIN_WINDOW):
                await self._say(inbound.sender, [messages["unknown_sender_urgent"]])
        elif await asyncio.to_thread(self._count, inbound.sender, "unknown", 1, UNKNOWN_REPLY_WINDOW):
            await self._say(inbound.sender, [messages["unknown_sender"]])

    def _count(self, sender: str, purpose: str, limit: int, window: timedelta) -> bool:
        with session_scope() as s:
            return allowed(s, self.vault, self.channel, sender, purpose, limit, window)

    def _join(self, inbound: Inbound, code: str, messages: Dict[str, str]) -> Optional[str]:
        with session_scope() as s:
            if not allowed(s, self.vault, self.channel, inbound.sender, "join", JOIN_ATTEMPTS, JOIN_WINDOW):
                first_refusal = allowed(s, self.vault, self.channel, inbound.sender, "join-refused", 1, JOIN_WINDOW)
                return messages["join_rate_limited"] if first_refusal else None
            result = redeem(s, self.vault, code, self.channel, inbound.sender)
            if result.ok:
                row = s.execute(select(InboundMessage).where(InboundMessage.channel == self.channel,
                                                             InboundMessage.external_id == inbound.external_id)).scalar_one()
                row.participant_id, row.status, row.processed_at = result.participant_id, "done", utcnow()
                opt_in(s, result.participant_id)
            return messages[f"join_{result.reason}"] if result.reason != "joined" else messages["join_ok"]

    # -- participants ---------------------------------------------------------------------------------

    async def _handle_participant(self, pid: str, inbound: Inbound, on_new_message, agent) -> None:
        messages = content_cache().get().messages
        row = await asyncio.to_thread(self._row, inbound.external_id)
        text = inbound.text or ""
        if inbound.kind in ("text", "button", "edited") and text.strip():
            # Risk first, whatever happens next (and even when he has opted out).
            await self.ingress.before_dialogue(pid, text, row["message_id"], agent=agent)
        await self.answer_button(inbound)
        if inbound.kind == "blocked":
            await asyncio.to_thread(self._set_opt_out, pid, f"{self.channel}_blocked", row["id"])
            return
        if inbound.kind == "unblocked":
            await asyncio.to_thread(self._finish, row["id"], "ignored")
            return
        if inbound.kind == "text" and is_stop(text):
            await asyncio.to_thread(self._set_opt_out, pid, f"{self.channel}_stop", row["id"])
            await self._say(inbound.sender, [messages["stopped"]])
            return
        if inbound.kind == "text" and is_start(text):
            await asyncio.to_thread(self._set_opt_in, pid, row["id"])
            await self._say(inbound.sender, [messages["started"]])
            return
        opted_out = await asyncio.to_thread(self._opted_out, pid)
        if opted_out:
            await asyncio.to_thread(self._finish, row["id"], "ignored")
            if self.channel != "sms":  # the SMS network blocks messages to a stopped number anyway
                await self._say(inbound.sender, [messages["still_stopped"]])
            return
        if inbound.kind == "text" and is_help(text):
            await asyncio.to_thread(self._finish, row["id"], "done")
            await self._say(inbound.sender, [messages["sms_help"] if self.channel == "sms" else messages["help"]])
            return
        if inbound.kind in ("non_text", "edited") or (inbound.kind == "text" and not text.strip()):
            await asyncio.to_thread(self._finish, row["id"], "done")
            await self._say(inbound.sender, [messages["edited" if inbound.kind == "edited" else "non_text"]])
            return
        self._spawn(self._process(pid, row["id"], on_new_message))

    def _row(self, external_id: str) -> dict:
        with session_scope() as s:
            row = s.execute(select(InboundMessage).where(InboundMessage.channel == self.channel,
                                                         InboundMessage.external_id == external_id)).scalar_one()
            return {"id": row.id, "message_id": row.message_id}

    def _finish(self, row_id: int, status: str) -> None:
        with session_scope() as s:
            row = s.get(InboundMessage, row_id)
            row.status, row.processed_at, row.text = status, utcnow(), None

    def _set_opt_out(self, pid: str, reason: str, row_id: int) -> None:
        record_opt_out(pid, reason)
        self._finish(row_id, "done")

    def _set_opt_in(self, pid: str, row_id: int) -> None:
        with session_scope() as s:
            opt_in(s, pid)
        self._finish(row_id, "done")

    def _opted_out(self, pid: str) -> bool:
        with session_scope() as s:
            p = s.get(Participant, pid)
            return p is None or p.opted_out_at is not None

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, pid: str, row_id: int, on_new_message) -> None:
        """Hand one inbox row to Rasa, in arrival order for this participant."""
        async with self._locks[pid]:
            row = await asyncio.to_thread(self._claim_row, row_id)
            if row is None:
                return
            try:
                await on_new_message(UserMessage(row["text"], self.make_output_channel(), pid,
                                                 input_channel=self.name(), message_id=row["message_id"]))
            finally:
                await asyncio.to_thread(self._finish, row_id, "done")

    def _claim_row(self, row_id: int) -> Optional[dict]:
        with session_scope() as s:
            row = s.get(InboundMessage, row_id)
            if row is None or row.status not in ("received", "processing") or row.participant_id is None:
                return None
            row.status = "processing"
            return {"text": row.text or "", "message_id": row.message_id}

    async def _resume_unprocessed(self, on_new_message) -> None:
        """After a restart: hand Rasa anything that arrived but was never processed."""
        def pending() -> List[tuple]:
            with session_scope() as s:
                return [(r.participant_id, r.id) for r in s.execute(
                    select(InboundMessage).where(InboundMessage.channel == self.channel,
                                                 InboundMessage.status.in_(("received", "processing")),
                                                 InboundMessage.participant_id.isnot(None),
                                                 InboundMessage.text.isnot(None))
                    .order_by(InboundMessage.id)).scalars()]
        try:
            rows = await asyncio.to_thread(pending)
        except Exception:  # the database isn't migrated yet, say: nothing to resume
            log.exception("could not look for unprocessed messages")
            return
        for pid, row_id in rows:
            log.info("%s: processing a message left over from before the restart", self.name())
            await self._process(pid, row_id, on_new_message)


def deliverable_to(vault, channel: str, pid: str) -> Optional[str]:
    """The (decrypted) provider id to message participant ``pid`` on ``channel``, or None
    (and a log line) if he has no link there or must not be messaged (opted out, inactive)."""
    with session_scope() as s:
        p = s.get(Participant, pid)
        if p is None or p.opted_out_at is not None or p.status != "active":
            log.info("%s: %s has opted out or is inactive; message not sent", channel, pid)
            return None
        row = s.execute(select(ChannelIdentity).where(ChannelIdentity.participant_id == pid,
                                                      ChannelIdentity.channel == channel)
                        .order_by(ChannelIdentity.id.desc())).scalars().first()
        if row is None:
            log.warning("%s: %s has no linked %s; message not sent", channel, pid, channel)
            return None
        return vault.decrypt(row.secret)


def record_opt_out(pid: str, reason: str) -> None:
    """The provider says he can't be messaged (blocked the bot, STOP at the carrier)."""
    with session_scope() as s:
        opt_out(s, pid, reason)
