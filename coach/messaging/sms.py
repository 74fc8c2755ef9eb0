"""SMS through Twilio: one client per process, webhooks in, staff alerts.

Every SMS a process sends (his replies, the nudges Rasa relays, staff alerts) goes through
one ``TwilioClient`` and its limiter (``RATE_SMS_SEGMENTS_PER_SECOND`` from our number).
Replies are split on sentence boundaries into GSM-7 parts of at most two segments (curly
quotes and emoji replaced or dropped: one of them would turn a message into 70-character
segments). Twilio's errors get their meaning in one place, ``send_error``.

    client = TwilioClient.from_settings(settings)
    await client.send_texts("+447700900123", ["A long reply..."])
    sid = await client.send("+447700900123", "One message")            # raises SendError
    pages(["A long recap...", "...", "A question?"], more="Reply OK for more.")  # turns of <= 4 segments
    verify_signature(auth_token, url, params, signature)
    [inbound] = parse_webhook(body, content_type)

``TWILIO_API_BASE`` points the real library at another server (the fake Twilio API the
tests start on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import urllib.parse
from typing import Dict, List, Optional, Sequence

from coach.core.notify import SendError
from coach.core.ratelimit import RateLimiter
from coach.core.text.sms import segment_count, split_for_sms
from coach.messaging.inbound import BadRequest, Inbound

log = logging.getLogger(__name__)

PART_UNITS = 306  # two GSM-7 segments per message part
PART_ATTEMPTS = 4
TURN_SEGMENTS = 4  # one reply turn is at most 4 segments; the rest waits for "OK"
OPTED_OUT = 21610  # Twilio: the number replied STOP to our sender; nothing can be sent
PHONE_RE = re.compile(r"^\+?[0-9]{6,16}$")
SID_RE = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _segments(parts: Sequence[str]) -> int:
    return sum(segment_count(p) for p in parts)


def _ending(page: List[str], more: str) -> List[str]:
    return page[:-1] + [f"{page[-1]}\n{more}"]


def pages(texts: Sequence[str], more: str, limit: int = TURN_SEGMENTS) -> List[List[str]]:
    """One reply turn as pages of at most ``limit`` segments, in order, split between the
    message parts he would get anyway (sentence boundaries). Every page but the last ends
    with ``more`` ("Reply OK for more."), so the question, which comes last, is never cut.
    A turn that fits is one page, unchanged apart from the splitting."""
    parts = [part for text in texts for part in split_for_sms(text, PART_UNITS)]
    if _segments(parts) <= limit:
        return [parts] if parts else []
    out: List[List[str]] = []
    page: List[str] = []
    for part in parts:
        if page and _segments(_ending(page + [part], more)) > limit:
            out.append(_ending(page, more))
            page = []
        page.append(part)
    if page:
        out.append(page)
    return out


def send_error(exc: Exception) -> SendError:
    """What a twilio / requests exception means for whoever sent the message."""
    import requests
    from twilio.base.exceptions import TwilioRestException

    if isinstance(exc, TwilioRestException):
        detail = f"twilio {exc.status} {exc.code}: {exc.msg}"
        if exc.code == OPTED_OUT:
            return SendError(detail, "permanent", blocked=True)
        if exc.status == 429 or exc.status >= 500:
            return SendError(detail, "retry")
        return SendError(detail, "permanent")
    if isinstance(exc, requests.exceptions.ReadTimeout):  # the request went out: it may have been sent
        return SendError(f"timed out: {exc}", "in_doubt")
    if isinstance(exc, requests.exceptions.RequestException):
        return SendError(f"network: {exc}", "retry")
    return SendError(f"unexpected: {exc!r}", "in_doubt")


def _rewriting_http_client(base: str, timeout: float):
    from twilio.http.http_client import TwilioHttpClient

    base = base.rstrip("/")

    class BaseUrlHttpClient(TwilioHttpClient):
        """Sends requests meant for https://*.twilio.com to ``base`` instead."""

        def request(self, method, url, *args, **kwargs):
            url = re.sub(r"^https://[a-z0-9.-]*twilio\.com", base, url)
            return super().request(method, url, *args, **kwargs)

    return BaseUrlHttpClient(timeout=timeout)


def make_rest_client(account_sid: str, auth_token: str, api_base: str = "", timeout: float = 10.0):
    """twilio's ``Client`` (synchronous; ``TwilioClient`` calls it from a thread)."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    if not (account_sid and auth_token):
        raise RuntimeError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
    http = _rewriting_http_client(api_base, timeout) if api_base else TwilioHttpClient(timeout=timeout)
    return Client(account_sid, auth_token, http_client=http)


class TwilioClient:
    """The process's one SMS client: every message waits for its segments under one limiter."""

    def __init__(self, rest, from_number: str, *, segments_per_second: float = 1.0,
                 limiter: Optional[RateLimiter] = None, backoff=time.sleep):
        self.rest = rest
        self.from_number = from_number
        self.limiter = limiter or RateLimiter(segments_per_second, burst=2)
        self._backoff = backoff

    @classmethod
    def from_settings(cls, settings, timeout: float = 10.0) -> "TwilioClient":
        rest = make_rest_client(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_base,
                                timeout)
        return cls(rest, settings.twilio_from_number, segments_per_second=settings.rate_sms_segments_per_second)

    async def start(self) -> None:
        """Nothing to connect: the twilio client opens connections as it goes."""

    def send_now(self, number: str, text: str) -> str:
        """One message, now (blocking; no limiter): its Twilio sid. Raises ``SendError``."""
        try:
            return self.rest.messages.create(to=number, from_=self.from_number, body=text).sid
        except Exception as exc:
            raise send_error(exc) from exc

    async def send(self, number: str, text: str) -> str:
        """One message under the limiter: its sid. Raises ``SendError``."""
        await self.limiter.acquire(min(2.0, float(segment_count(text))))
        return await asyncio.to_thread(self.send_now, number, text)

    async def send_texts(self, number: str, texts: Sequence[str]) -> None:
        """A reply, in GSM-7 parts. Parts that should be retried are (backing off, a few times);
        a blocked number raises ``SendError``; any other failure stops the reply (logged)."""
        for part in [part for text in texts for part in split_for_sms(text, PART_UNITS)]:
            await self.limiter.acquire(min(2.0, float(segment_count(part))))
            try:
                await asyncio.to_thread(self._send_part, number, part)
            except SendError as exc:
                if exc.blocked:
                    raise
                log.error("sms: a reply was not sent (%s)", exc)
                return

    def _send_part(self, number: str, part: str) -> None:
        for attempt in range(PART_ATTEMPTS):
            try:
                self.send_now(number, part)
                return
            except SendError as exc:
                if exc.kind != "retry" or attempt == PART_ATTEMPTS - 1:
                    raise
                self._backoff(min(8.0, 0.5 * 2 ** attempt))


# -- inbound ---------------------------------------------------------------------------------------

def form_params(body: bytes) -> Dict[str, str]:
    """The form fields, blank ones included (Twilio signs them; Sanic's request.form drops them).

    Raises ``BadRequest`` for a body that is not UTF-8 (Twilio always sends UTF-8)."""
    try:
        text = (body or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body must be UTF-8 form data") from None
    return dict(urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=False))


def verify_signature(auth_token: str, url: str, body: bytes, signature: str) -> bool:
    """``X-Twilio-Signature`` for the URL Twilio called (``PUBLIC_BASE_URL`` + path) and the form."""
    from twilio.request_validator import RequestValidator

    if not auth_token or not signature:
        return False
    try:
        params = form_params(body)
    except Exception:
        return False
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def parse_webhook(body: bytes, content_type: str) -> List[Inbound]:
    """An inbound SMS webhook -> the message it carries."""
    if (content_type or "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise BadRequest("Twilio webhooks are form-encoded (application/x-www-form-urlencoded)")
    p = form_params(body)
    sid, sender = p.get("MessageSid") or p.get("SmsSid"), (p.get("From") or "").strip()
    if not sid or not SID_RE.fullmatch(sid):
        raise BadRequest("MessageSid is missing or not a Twilio message id")
    if not PHONE_RE.match(sender):
        raise BadRequest("From is missing or not a phone number")
    text = p.get("Body") or ""
    opt = (p.get("OptOutType") or "").upper()
    if opt in ("STOP", "START", "HELP"):  # Twilio's own keyword handling says what he meant
        text = opt
    try:
        media = int(p.get("NumMedia") or 0)
    except ValueError:
        raise BadRequest("NumMedia must be a number") from None
    kind = "non_text" if media and not text.strip() else "text"
    return [Inbound(sid, sender, kind, text)]


# -- staff alerts ------------------------------------------------------------------------------------

class SmsNotifier:
    """Staff alerts by SMS (no message text in them: staff reply INFO <code>)."""

    channel = "sms"

    def __init__(self, client: TwilioClient):
        self.client = client

    async def start(self) -> None:
        await self.client.start()

    async def send(self, contact: str, text: str, code: str, html_text: Optional[str] = None) -> str:
        return await self.client.send(contact, text)
