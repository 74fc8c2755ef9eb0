"""SMS channel through Twilio (``POST /webhooks/sms/webhook``).

- Every request must carry a valid ``X-Twilio-Signature`` for ``PUBLIC_BASE_URL`` + the
  path Twilio called (validated with twilio's ``RequestValidator``); otherwise 403 and
  nothing is stored. Behind a TLS proxy the URL is rebuilt from ``PUBLIC_BASE_URL``.
- The webhook answers at once with empty TwiML; replies go out through the REST API, so
  long replies can be split on sentence boundaries into GSM-7 parts (curly quotes and
  emoji replaced or dropped: one of them would turn a message into 70-character segments).
- STOP, STOPALL, UNSUBSCRIBE, END, QUIT, CANCEL (and "stop texting me") opt him out, START
  opts back in, HELP says what this is. Twilio error 21610 (he opted out at the carrier)
  marks him opted out too.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import urllib.parse
from typing import Any, Dict, List, Sequence, Text

from rasa.core.channels.channel import OutputChannel
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import BadRequest, Inbound, WebhookChannel, deliverable_to, record_opt_out
from coach.core.text.sms import segment_count, split_for_sms

log = logging.getLogger(__name__)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SMS_PART_UNITS = 306  # two GSM-7 segments per message part
PHONE_RE = re.compile(r"^\+?[0-9]{6,16}$")


class SmsOutput(OutputChannel):
    @classmethod
    def name(cls) -> Text:
        return "sms"

    def __init__(self, channel: "SmsInput"):
        self.channel = channel

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        number = await asyncio.to_thread(deliverable_to, self.channel.vault, "sms", recipient_id)
        if number is None:
            return
        try:
            await self.channel.send_to(number, [text])
        except OptedOutAtCarrier:
            await asyncio.to_thread(record_opt_out, recipient_id, "sms_21610")

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, text)  # the content already says what to reply

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)


class OptedOutAtCarrier(Exception):
    """Twilio 21610: the number has replied STOP to our sender; nothing can be sent."""


class SmsInput(WebhookChannel):
    channel = "sms"

    CREDENTIALS = {"account_sid": "twilio_account_sid", "auth_token": "twilio_auth_token",
                   "from_number": "twilio_from_number", "public_base_url": "public_base_url",
                   "api_base": "twilio_api_base"}

    def __init__(self, ingress=None, client=None) -> None:
        super().__init__(ingress)
        self._client = client
        self._validator = None
        self._limiter = None

    def client(self):
        if self._client is None:
            from coach.messaging.sms import twilio_client

            self._client = twilio_client(self.settings)
        return self._client

    # -- inbound -----------------------------------------------------------------------------------

    def _url(self, request: Request) -> str:
        url = f"{self.settings.public_base_url}{request.path}"
        return f"{url}?{request.query_string}" if request.query_string else url

    @staticmethod
    def _params(request: Request) -> Dict[str, str]:
        """The form fields, blank ones included (Twilio signs them; Sanic's request.form drops them)."""
        body = (request.body or b"").decode("utf-8")
        return dict(urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=False))

    def verify(self, request: Request) -> bool:
        from twilio.request_validator import RequestValidator

        signature = request.headers.get("X-Twilio-Signature", "")
        if not (self.settings.twilio_auth_token and self.settings.public_base_url):
            log.error("sms: TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL are needed to check signatures; refusing")
            return False
        if not signature:
            return False
        if self._validator is None:
            self._validator = RequestValidator(self.settings.twilio_auth_token)
        try:
            params = self._params(request)
        except Exception:
            return False
        return bool(self._validator.validate(self._url(request), params, signature))

    def parse(self, request: Request) -> List[Inbound]:
        ctype = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise BadRequest("Twilio webhooks are form-encoded (application/x-www-form-urlencoded)")
        p = self._params(request)
        sid, sender = p.get("MessageSid") or p.get("SmsSid"), (p.get("From") or "").strip()
        if not sid or not re.fullmatch(r"[A-Z]{2}[0-9a-fA-F]{32}", sid):
            raise BadRequest("MessageSid is missing or not a Twilio message id")
        if not PHONE_RE.match(sender):
            raise BadRequest("From is missing or not a phone number")
        body = p.get("Body") or ""
        opt = (p.get("OptOutType") or "").upper()
        if opt in ("STOP", "START", "HELP"):
            body = opt
        try:
            media = int(p.get("NumMedia") or 0)
        except ValueError:
            raise BadRequest("NumMedia must be a number") from None
        kind = "non_text" if media and not body.strip() else "text"
        return [Inbound(sid, sender, kind, body)]

    def ok(self) -> HTTPResponse:
        return response.text(EMPTY_TWIML, content_type="text/xml")

    # -- outbound ----------------------------------------------------------------------------------

    @property
    def limiter(self):
        """Segments per second from our number (RATE_SMS_SEGMENTS_PER_SECOND; a UK long code: 1)."""
        if self._limiter is None:
            from coach.core.ratelimit import RateLimiter

            self._limiter = RateLimiter(self.settings.rate_sms_segments_per_second, burst=2)
        return self._limiter

    async def send_to(self, provider_id: str, texts: Sequence[str], buttons: Sequence[Sequence[str]] = ()) -> None:
        for part in [part for text in texts for part in split_for_sms(text, SMS_PART_UNITS)]:
            await self.limiter.acquire(min(2.0, float(segment_count(part))))
            if not await asyncio.to_thread(self._send_part, provider_id, part):
                return

    def _send_part(self, number: str, part: str) -> bool:
        """One part, retried with backoff on 429/5xx. False if Twilio refused it for good."""
        from twilio.base.exceptions import TwilioRestException

        for attempt in range(4):
            try:
                self.client().messages.create(to=number, from_=self.settings.twilio_from_number, body=part)
                return True
            except TwilioRestException as exc:
                if exc.code == 21610:
                    raise OptedOutAtCarrier() from exc
                if (exc.status == 429 or exc.status >= 500) and attempt < 3:
                    time.sleep(min(8.0, 0.5 * 2 ** attempt))
                    continue
                log.error("sms: Twilio refused a message (%s %s)", exc.status, exc.code)
                return False
        return False

    def make_output_channel(self) -> OutputChannel:
        return SmsOutput(self)
