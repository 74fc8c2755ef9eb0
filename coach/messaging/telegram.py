"""Telegram through python-telegram-bot: the client, the staff notifier, and webhook set-up.

``TELEGRAM_API_BASE`` points the real client library at another server (a staging proxy,
or the fake server the tests start on 127.0.0.1).
"""

from __future__ import annotations

import html
from typing import Optional

from coach.core.notify import SendError
from coach.core.settings import Settings


def telegram_bot(settings: Settings, timeout: float = 10.0):
    from telegram import Bot
    from telegram.request import HTTPXRequest

    if not settings.telegram_bot_token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    request = HTTPXRequest(connection_pool_size=64, read_timeout=timeout, write_timeout=timeout,
                           connect_timeout=timeout, pool_timeout=timeout)
    return Bot(token=settings.telegram_bot_token, base_url=settings.telegram_api_base, request=request)


class TelegramNotifier:
    """Sends with python-telegram-bot, with an Acknowledge button (callback data ``ack:<code>``)."""

    channel = "telegram"

    def __init__(self, bot):
        self.bot = bot
        self._ready = False

    async def start(self) -> None:
        """Connect once (getMe) before any alert is marked as being sent."""
        if not self._ready:
            await self.bot.initialize()
            self._ready = True

    async def send(self, contact: str, text: str, code: str, html_text: Optional[str] = None) -> str:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup
        from telegram.constants import ParseMode
        from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Acknowledge", callback_data=f"ack:{code}")]])
        try:
            msg = await self.bot.send_message(chat_id=int(contact), text=html_text or html.escape(text),
                                              parse_mode=ParseMode.HTML, reply_markup=keyboard)
        except RetryAfter as exc:
            raise SendError(str(exc), "retry", retry_after=_seconds(exc.retry_after)) from exc
        except Forbidden as exc:
            raise SendError(f"blocked or not allowed: {exc}", "permanent") from exc
        except BadRequest as exc:
            raise SendError(f"bad request: {exc}", "permanent") from exc
        except TimedOut as exc:  # the request went out; Telegram may have delivered it
            raise SendError(f"timed out: {exc}", "in_doubt") from exc
        except NetworkError as exc:
            raise SendError(f"network: {exc}", "retry") from exc
        return str(msg.message_id)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


async def set_webhook(settings, url: Optional[str] = None) -> str:
    """Register ``PUBLIC_BASE_URL/webhooks/telegram/webhook`` with the secret token."""
    from coach.messaging.telegram import telegram_bot

    if not settings.telegram_webhook_secret:
        raise RuntimeError("set TELEGRAM_WEBHOOK_SECRET first (1-256 characters: A-Z a-z 0-9 _ -)")
    url = url or f"{settings.public_base_url}/webhooks/telegram/webhook"
    if not url.startswith("https://") and "127.0.0.1" not in url and "localhost" not in url:
        raise RuntimeError("Telegram only calls https:// webhooks: set PUBLIC_BASE_URL to your https address")
    bot = telegram_bot(settings)
    async with bot:
        await bot.set_webhook(url=url, secret_token=settings.telegram_webhook_secret,
                              allowed_updates=["message", "edited_message", "callback_query", "my_chat_member"])
    return url
