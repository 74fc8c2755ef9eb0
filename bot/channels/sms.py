"""SMS channel through Twilio (``POST /webhooks/sms/webhook``).

- Every request must carry a valid ``X-Twilio-Signature`` for ``PUBLIC_BASE_URL`` + the
  path Twilio called; otherwise 403 and nothing stored. Behind a TLS proxy the URL is
  rebuilt from ``PUBLIC_BASE_URL``.
- The webhook answers at once with empty TwiML; replies go out through the process's one
  ``TwilioClient`` (coach.messaging.sms), split on sentence boundaries into GSM-7 parts.
- A reply turn longer than 4 segments (a recap before a question, say) goes out as its
  first 4 segments ending "Reply OK for more."; the rest is kept (conversation_state.held)
  and sent, page by page, when he replies OK. Anything else he writes goes to the coach
  as usual and the rest is dropped. A turn with a risk decision is never cut.
- STOP, STOPALL, UNSUBSCRIBE, END, QUIT, CANCEL (and "stop texting me") opt him out, START
  opts back in, HELP says what this is. Twilio error 21610 (he opted out at the carrier)
  marks him opted out too.
"""

from __future__ import annotations

import asyncio
import logging
from typing import List, Optional, Sequence, Text

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.channels.base import ParticipantOutput, WebhookChannel
from bot.channels.ingress import Turn
from coach.core.db.models import ConversationState, utcnow
from coach.messaging.inbound import Inbound
from coach.messaging.sms import (
    EMPTY_TWIML,
    TwilioClient,
    pages,
    parse_webhook,
    verify_signature,
)
from coach.programme.answers import wants_more

log = logging.getLogger(__name__)


class SmsOutput(ParticipantOutput):
    """In a turn he started, the coach's messages are gathered and sent at the end of the
    turn, at most 4 segments at once; proactive messages go at once."""

    def __init__(self, channel: "SmsInput", provider_id: Optional[str] = None):
        super().__init__(channel, provider_id)
        self.gathered: Optional[List[str]] = [] if provider_id else None

    @classmethod
    def name(cls) -> Text:
        return "sms"

    async def deliver(self, pid: str, texts: Sequence[str], buttons: Sequence[Sequence[str]] = ()) -> None:
        if self.gathered is not None:
            self.gathered.extend(texts)
            return
        await super().deliver(pid, texts, buttons)

    async def send_now(self, pid: str, texts: Sequence[str]) -> None:
        """Send at once, never gathered: a held page is a turn's worth already."""
        await super().deliver(pid, texts)

    async def end_turn(self, turn: Turn) -> None:
        texts, self.gathered = self.gathered or [], None
        if not texts or turn.pid is None:
            return
        if turn.decision.tier != "none":  # a crisis reply or safety check goes out whole
            await self.deliver(turn.pid, texts)
            return
        more = self.channel.rt.content().messages["sms_more"]
        first, *rest = pages(texts, more)
        await asyncio.to_thread(hold, self.channel.rt.db, turn.pid, rest)
        await self.deliver(turn.pid, first)


class SmsInput(WebhookChannel):
    channel = "sms"
    blocked_reason = "sms_21610"

    @property
    def client(self) -> TwilioClient:
        client = self.rt.sms
        if client is None:
            raise RuntimeError("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are not set")
        return client

    def _url(self, request: Request) -> str:
        url = f"{self.settings.public_base_url}{request.path}"
        return f"{url}?{request.query_string}" if request.query_string else url

    def verify(self, request: Request) -> bool:
        if not (self.settings.twilio_auth_token and self.settings.public_base_url):
            log.error("sms: TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL are needed to check signatures; refusing")
            return False
        return verify_signature(self.settings.twilio_auth_token, self._url(request), request.body,
                                request.headers.get("X-Twilio-Signature", ""))

    def parse(self, request: Request) -> List[Inbound]:
        return parse_webhook(request.body, request.headers.get("content-type") or "")

    def ok(self) -> HTTPResponse:
        return response.text(EMPTY_TWIML, content_type="text/xml")

    async def send_to(self, provider_id: str, texts: Sequence[str], buttons: Sequence[Sequence[str]] = ()) -> None:
        await self.client.send_texts(provider_id, texts)  # the content already says what to reply

    def output(self, provider_id: Optional[str] = None) -> SmsOutput:
        return SmsOutput(self, provider_id)

    async def before_turn(self, turn: Turn, output) -> bool:
        """'OK' after "Reply OK for more.": the next page of what was held, with no Rasa turn.
        Anything else drops what was held and goes to the coach."""
        more = turn.decision.tier == "none" and wants_more(turn.text)
        page = await asyncio.to_thread(take_page if more else drop_held, self.rt.db, turn.pid)
        if not page:
            return False
        await output.send_now(turn.pid, page)
        return True


def hold(db, pid: str, rest: List[List[str]]) -> None:
    with db.session() as s:
        _set_held(s, pid, rest or None)


def take_page(db, pid: str) -> Optional[List[str]]:
    """The next held page (and keep the rest), or None if nothing is held."""
    with db.session() as s:
        row = s.get(ConversationState, pid, with_for_update=True)
        if row is None or not row.held:
            return None
        page, *rest = row.held
        _set_held(s, pid, rest or None)
        return page


def drop_held(db, pid: str) -> None:
    with db.session() as s:
        s.execute(update(ConversationState).where(ConversationState.participant_id == pid,
                                                  ConversationState.held.isnot(None)).values(held=None))
    return None


def _set_held(s: Session, pid: str, held: Optional[List[List[str]]]) -> None:
    row = s.get(ConversationState, pid)
    if row is None:
        if held is None:
            return
        row = ConversationState(participant_id=pid, stack=[])
        s.add(row)
    row.held = held
    row.updated_at = utcnow()
