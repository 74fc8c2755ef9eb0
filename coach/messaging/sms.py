"""SMS through Twilio: the client and the staff notifier.

``TWILIO_API_BASE`` points the real client library at another server (the fake server the
tests start on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import re
from typing import Optional

from coach.core.notify import SendError
from coach.core.settings import Settings


def _rewriting_http_client(base: str, timeout: float):
    from twilio.http.http_client import TwilioHttpClient

    base = base.rstrip("/")

    class BaseUrlHttpClient(TwilioHttpClient):
        """Sends requests meant for https://*.twilio.com to ``base`` instead."""

        def request(self, method, url, *args, **kwargs):
            url = re.sub(r"^https://[a-z0-9.-]*twilio\.com", base, url)
            return super().request(method, url, *args, **kwargs)

    return BaseUrlHttpClient(timeout=timeout)


def twilio_client(settings: Settings, timeout: float = 10.0):
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        raise RuntimeError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set")
    http: Optional[TwilioHttpClient]
    http = _rewriting_http_client(settings.twilio_api_base, timeout) if settings.twilio_api_base else TwilioHttpClient(timeout=timeout)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)


class SmsNotifier:
    """Sends with the twilio client (in a thread: the client is synchronous)."""

    channel = "sms"

    def __init__(self, client, from_number: str):
        self.client = client
        self.from_number = from_number

    async def start(self) -> None:
        """Nothing to connect: the twilio client opens connections as it goes."""

    async def send(self, contact: str, text: str, code: str, html_text: Optional[str] = None) -> str:
        return await asyncio.to_thread(self._send, contact, text)

    def _send(self, contact: str, text: str) -> str:
        import requests
        from twilio.base.exceptions import TwilioRestException

        try:
            msg = self.client.messages.create(to=contact, from_=self.from_number, body=text)
        except TwilioRestException as exc:
            if exc.status == 429 or exc.status >= 500:
                raise SendError(f"twilio {exc.status} {exc.code}: {exc.msg}", "retry") from exc
            raise SendError(f"twilio {exc.status} {exc.code}: {exc.msg}", "permanent") from exc
        except requests.exceptions.ReadTimeout as exc:
            raise SendError(f"timed out: {exc}", "in_doubt") from exc
        except requests.exceptions.RequestException as exc:
            raise SendError(f"network: {exc}", "retry") from exc
        return msg.sid
