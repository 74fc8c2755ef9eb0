"""What the Telegram and SMS channels share: authenticate, admit, route, answer fast.

For every webhook request:

1. **verify** it came from the provider (subclass: secret token / signature) -> 403;
2. **parse** it (coach.messaging) -> 400 if malformed, never 500;
3. **admit** it (``channels.ingress``: one transaction, the risk decision made once, any
   alert written before anything else) -> 503 if it could not be stored, so the provider
   delivers it again;
4. route it: a redelivery is dropped; staff (``channels.staff``) and people we don't know
   (``channels.joining``) never reach Rasa; STOP, START, HELP and the like get a direct
   answer; everything else goes to Rasa in the background, in order per participant, with
   the risk decision in its metadata, and his replies go straight back to the chat it came
   from. The provider gets its 200 at once.

Rows left unprocessed by a crash are handed to Rasa when the server starts again.

Subclasses implement ``verify``, ``parse``, ``ok``, ``send_to`` and ``output``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select, update

from bot.channels.ingress import Ingress, NotStored, Turn
from bot.channels.joining import Joining
from bot.channels.staff import StaffDesk
from bot.runtime import Runtime, runtime
from coach.core.db.models import ChannelIdentity, InboundMessage, Participant, utcnow
from coach.core.notify import SendError
from coach.messaging.inbound import BadRequest, Inbound
from coach.programme.enrolment import opt_out

log = logging.getLogger(__name__)


class WebhookChannel(InputChannel):
    channel = "webhook"  # "telegram" | "sms": the ChannelIdentity channel name
    blocked_reason = "blocked"  # recorded when the provider says he stopped us

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebhookChannel":
        """Rasa builds channels from credentials.yml; ours take everything from the settings
        (environment variables: one way to configure), so the entry there is just ``{}``."""
        return cls(runtime())

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.ingress = Ingress(rt)
        self.staff = StaffDesk(rt, self.channel, self._say, self.answer_button)
        self.joining = Joining(rt, self.channel, self._say, self.answer_button)
        self._locks: Dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set = set()
        self._booted_at = utcnow()  # rows older than this were left by an earlier process

    @property
    def settings(self):
        return self.rt.settings

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
        """Send texts to a provider id (raises ``SendError``)."""
        raise NotImplementedError

    async def answer_button(self, inbound: Inbound, text: str = "", done: bool = False) -> None:
        """Acknowledge a button press to the provider (Telegram); nothing for SMS."""

    def output(self, provider_id: Optional[str] = None) -> OutputChannel:
        """Rasa's way back: to ``provider_id`` when the turn knows it, else looked up by participant."""
        raise NotImplementedError

    def get_output_channel(self) -> Optional[OutputChannel]:
        return self.output()  # proactive messages (trigger_intent?output_channel=...)

    async def _say(self, provider_id: str, texts: Sequence[str]) -> None:
        """A direct reply (staff, unknown senders, STOP/START/HELP): failures are logged, never raised."""
        try:
            await self.send_to(provider_id, texts)
        except SendError as exc:
            log.warning("%s: a direct reply was not sent (%s)", self.name(), exc)

    # -- the webhook ---------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint(f"coach_{self.name()}_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
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
            self._spawn(self._resume_unprocessed(on_new_message, getattr(app.ctx, "agent", None)))

        return bp

    async def handle(self, inbound: Inbound, on_new_message, agent=None) -> None:
        if inbound.kind == "ignore":
            return
        turn = await self.ingress.admit(self.channel, inbound, agent)
        if turn.route == "duplicate":
            await self.answer_button(inbound)
            return
        if turn.route == "staff":
            await self.staff.handle(turn.staff_id, inbound)
            return
        if turn.route == "unknown":
            await self.joining.handle(inbound, turn)
            return
        await self.answer_button(inbound)
        if turn.route == "reply":
            await self._say(inbound.sender, [self.rt.content().messages[turn.reply]])
        elif turn.route == "dialogue":
            self._spawn(self._process(turn, self.output(inbound.sender), on_new_message))

    # -- to Rasa -------------------------------------------------------------------------------------

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, turn: Turn, output: OutputChannel, on_new_message) -> None:
        """Hand one message to Rasa, in arrival order for this participant; then mark it done."""
        async with self._locks[turn.pid]:
            try:
                if not await self.before_turn(turn, output):
                    await on_new_message(UserMessage(turn.text, output, turn.pid, input_channel=self.name(),
                                                     message_id=turn.message_id, metadata=turn.metadata))
            finally:
                try:
                    if isinstance(output, ParticipantOutput):
                        await output.end_turn(turn)  # a channel that gathers a turn's messages sends them now
                finally:
                    await asyncio.to_thread(self._finish, turn.row_id)

    async def before_turn(self, turn: Turn, output: OutputChannel) -> bool:
        """True if the channel answered this message itself (no Rasa turn). Default: never."""
        return False

    def _finish(self, row_id: int) -> None:
        with self.rt.db.session() as s:
            s.execute(update(InboundMessage).where(InboundMessage.id == row_id)
                      .values(status="done", processed_at=utcnow(), text=None))

    async def _resume_unprocessed(self, on_new_message, agent=None) -> None:
        """After a restart: hand Rasa anything an earlier process took in but never processed.

        Its risk decision was not kept, so it is made again here (an alert it already raised is
        found, not raised twice)."""
        try:
            rows = await asyncio.to_thread(self._unprocessed)
        except Exception:  # the database isn't migrated yet, say: nothing to resume
            log.exception("could not look for unprocessed messages")
            return
        for row in rows:
            log.info("%s: processing a message left over from before the restart", self.name())
            decision = await asyncio.to_thread(self.ingress.decide_for, row["pid"], row["text"])
            turn = Turn("dialogue", decision, pid=row["pid"], row_id=row["id"], message_id=row["message_id"],
                        text=row["text"], said=row["text"])
            turn = await self.ingress.after_decision(turn, agent)
            await self._process(turn, self.output(), on_new_message)

    def _unprocessed(self) -> List[dict]:
        with self.rt.db.session() as s:
            rows = s.execute(select(InboundMessage).where(
                InboundMessage.channel == self.channel, InboundMessage.status.in_(("received", "processing")),
                InboundMessage.participant_id.isnot(None), InboundMessage.text.isnot(None),
                InboundMessage.received_at < self._booted_at).order_by(InboundMessage.id)).scalars()
            return [{"id": r.id, "pid": r.participant_id, "message_id": r.message_id, "text": r.text} for r in rows]


def deliverable_to(rt: Runtime, channel: str, pid: str) -> Optional[str]:
    """The (decrypted) provider id to message participant ``pid`` on ``channel``, or None
    (and a log line) if he has no link there or must not be messaged (opted out, inactive)."""
    with rt.db.session() as s:
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
        return rt.vault.decrypt(row.secret)


def record_opt_out(rt: Runtime, pid: str, reason: str) -> None:
    """The provider says he can't be messaged (blocked the bot, STOP at the carrier)."""
    with rt.db.session() as s:
        opt_out(s, pid, reason)


class ParticipantOutput(OutputChannel):
    """Sends Rasa's messages to a participant (Rasa's recipient id is his participant id).

    In a turn he started, the chat it came from is known and used as it is; proactive
    messages look his link up (and respect opting out). A provider that says he blocked us
    opts him out; other failures are logged without his contact details.
    """

    def __init__(self, channel: WebhookChannel, provider_id: Optional[str] = None):
        self.channel = channel
        self.provider_id = provider_id

    @classmethod
    def name(cls) -> Text:
        return "participant"

    async def deliver(self, pid: str, texts: Sequence[str], buttons: Sequence[Sequence[str]] = ()) -> None:
        rt, channel = self.channel.rt, self.channel.channel
        to = self.provider_id or await asyncio.to_thread(deliverable_to, rt, channel, pid)
        if to is None:
            return
        try:
            await self.channel.send_to(to, texts, buttons)
        except SendError as exc:
            if exc.blocked:
                await asyncio.to_thread(record_opt_out, rt, pid, self.channel.blocked_reason)
            else:
                log.warning("%s: a message to %s was not sent (%s)", channel, pid, exc)

    async def end_turn(self, turn: Turn) -> None:
        """His message's turn is over (every action has run). Default: nothing was held back."""

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.deliver(recipient_id, [text])

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.deliver(recipient_id, [text], [[b.get("payload") or b.get("title") for b in buttons]])

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.deliver(recipient_id, [image])
