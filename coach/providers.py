"""Clients for Telegram (python-telegram-bot) and Twilio, built from settings.

``TELEGRAM_API_BASE`` and ``TWILIO_API_BASE`` point the real client libraries at another
server (a staging proxy, or the fake servers the tests start on 127.0.0.1).

    bot = telegram_bot(settings)            # telegram.Bot, not yet initialised
    client = twilio_client(settings)        # twilio.rest.Client
"""

from __future__ import annotations

import re
from typing import Optional

from coach.settings import Settings


def telegram_bot(settings: Settings, timeout: float = 10.0):
    from telegram import Bot
    from telegram.request import HTTPXRequest

    if not settings.telegram_bot_token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    request = HTTPXRequest(connection_pool_size=64, read_timeout=timeout, write_timeout=timeout,
                           connect_timeout=timeout, pool_timeout=timeout)
    return Bot(token=settings.telegram_bot_token, base_url=settings.telegram_api_base, request=request)


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
