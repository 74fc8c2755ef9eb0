"""SMS channel through Twilio (``POST /webhooks/sms/webhook``).

- Every request must carry a valid ``X-Twilio-Signature`` for ``PUBLIC_BASE_URL`` + the
  path Twilio called; otherwise 403 and nothing stored. Behind a TLS proxy the URL is
  rebuilt from ``PUBLIC_BASE_URL``.
- The webhook answers at once with empty TwiML; replies go out through the process's one
  ``TwilioClient`` (coach.messaging.sms), split on sentence boundaries into GSM-7 parts.
- STOP, STOPALL, UNSUBSCRIBE, END, QUIT, CANCEL (and "stop texting me") opt him out, START
  opts back in, HELP says what this is. Twilio error 21610 (he opted out at the carrier)
  marks him opted out too.
"""

from __future__ import annotations

import logging
from typing import List, Optional, Sequence, Text

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import ParticipantOutput, WebhookChannel
from coach.messaging.inbound import Inbound
from coach.messaging.sms import (
    EMPTY_TWIML,
    TwilioClient,
    parse_webhook,
    verify_signature,
)

log = logging.getLogger(__name__)


class SmsOutput(ParticipantOutput):
    @classmethod
    def name(cls) -> Text:
        return "sms"


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
