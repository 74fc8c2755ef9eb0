"""Telegram webhook channel (``POST /webhooks/telegram/webhook``), sending with python-telegram-bot.

- Every request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to
  ``TELEGRAM_WEBHOOK_SECRET`` (compared in constant time); otherwise 403 and nothing stored.
- Text and button presses go to the coach; stickers, photos, voice notes get a polite
  answer; edited messages are risk-checked and answered; a block (``my_chat_member``
  kicked) marks him opted out. Group chats are ignored.
- Replies and proactive messages (``trigger_intent?output_channel=telegram``) go out
  through the Bot API, with quick-reply buttons where the content offers choices, at
  most one message a second per chat. A 403 from Telegram (he blocked the bot) opts him out.

Register the webhook with ``coach telegram set-webhook``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa.core.channels.channel import OutputChannel
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from coach.core.ratelimit import ChatPacer
from bot.channels.base import BadRequest, Inbound, WebhookChannel, deliverable_to, record_opt_out

log = logging.getLogger(__name__)

MAX_TELEGRAM_TEXT = 4000  # Telegram allows 4096; leave room
NON_TEXT_KEYS = ("sticker", "photo", "voice", "video", "video_note", "audio", "document", "animation",
                 "location", "contact", "venue", "poll", "dice")


def _chunks(text: str) -> List[str]:
    return [text[i:i + MAX_TELEGRAM_TEXT] for i in range(0, len(text), MAX_TELEGRAM_TEXT)] or [""]


class TelegramOutput(OutputChannel):
    """Sends to a participant (Rasa's recipient id is his participant id)."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, channel: "TelegramInput"):
        self.channel = channel

    async def _send(self, pid: str, text: str, buttons: Optional[List[Dict[str, Any]]] = None) -> None:
        chat_id = await asyncio.to_thread(deliverable_to, self.channel.vault, "telegram", pid)
        if chat_id is None:
            return
        from telegram.error import Forbidden

        try:
            await self.channel.send_to(chat_id, [text], [[b.get("payload") or b.get("title") for b in buttons]] if buttons else ())
        except Forbidden:
            await asyncio.to_thread(record_opt_out, pid, "telegram_blocked")

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        await self._send(recipient_id, text, buttons)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self._send(recipient_id, image)


class TelegramInput(WebhookChannel):
    channel = "telegram"

    CREDENTIALS = {"token": "telegram_bot_token", "webhook_secret": "telegram_webhook_secret",
                   "api_base": "telegram_api_base"}

    def __init__(self, ingress=None, bot=None) -> None:
        super().__init__(ingress)
        self._bot = bot
        self._bot_ready = False
        self._pacer: Optional[ChatPacer] = None
        self._limiter = None

    @property
    def pacer(self) -> ChatPacer:
        if self._pacer is None:  # built on first use: settings are read then, not at import
            self._pacer = ChatPacer(self.settings.rate_telegram_chat_seconds)
        return self._pacer

    @property
    def limiter(self):
        """All chats together: RATE_TELEGRAM_PER_SECOND (Telegram allows about 30 a second)."""
        if self._limiter is None:
            from coach.core.ratelimit import RateLimiter

            self._limiter = RateLimiter(self.settings.rate_telegram_per_second)
        return self._limiter

    async def bot(self):
        if self._bot is None:
            from coach.messaging.telegram import telegram_bot

            self._bot = telegram_bot(self.settings)
        if not self._bot_ready:
            await self._bot.initialize()
            self._bot_ready = True
        return self._bot

    # -- inbound -----------------------------------------------------------------------------------

    def verify(self, request: Request) -> bool:
        expected = self.settings.telegram_webhook_secret
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not expected:
            log.error("telegram: TELEGRAM_WEBHOOK_SECRET is not set, so every update is refused")
            return False
        return hmac.compare_digest(given.encode(), expected.encode())

    def parse(self, request: Request) -> List[Inbound]:
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("the body must be a Telegram Update in JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("update_id"), int) or isinstance(body.get("update_id"), bool):
            raise BadRequest("a Telegram Update needs an integer update_id")
        uid = str(body["update_id"])
        try:
            return [self._parse_update(uid, body)]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BadRequest("the Telegram Update is missing fields it needs (chat, from, ...)") from None

    @staticmethod
    def _chat(message: dict) -> Optional[str]:
        chat = message["chat"]
        if chat.get("type", "private") != "private":
            return None
        return str(int(chat["id"]))

    def _parse_update(self, uid: str, body: dict) -> Inbound:
        if isinstance(body.get("message"), dict):
            m = body["message"]
            chat = self._chat(m)
            if chat is None:
                return Inbound(uid, "", "ignore")
            if isinstance(m.get("text"), str):
                return Inbound(uid, chat, "text", m["text"])
            if any(k in m for k in NON_TEXT_KEYS):
                return Inbound(uid, chat, "non_text", m.get("caption") or "")
            return Inbound(uid, chat, "ignore")
        if isinstance(body.get("edited_message"), dict):
            m = body["edited_message"]
            chat = self._chat(m)
            if chat is None:
                return Inbound(uid, "", "ignore")
            return Inbound(uid, chat, "edited", m.get("text") or m.get("caption") or "")
        if isinstance(body.get("callback_query"), dict):
            q = body["callback_query"]
            message = q.get("message") or {}
            chat = self._chat(message) if message else str(int(q["from"]["id"]))
            if chat is None:
                return Inbound(uid, "", "ignore")
            return Inbound(uid, chat, "button", str(q.get("data") or ""), callback_id=str(q["id"]),
                           message_ref=message.get("message_id"))
        if isinstance(body.get("my_chat_member"), dict):
            m = body["my_chat_member"]
            chat = self._chat(m)
            status = (m.get("new_chat_member") or {}).get("status")
            if chat is None or status not in ("kicked", "member"):
                return Inbound(uid, "", "ignore")
            return Inbound(uid, chat, "blocked" if status == "kicked" else "unblocked")
        return Inbound(uid, "", "ignore")

    def ok(self) -> HTTPResponse:
        return response.json({"ok": True})

    # -- outbound ----------------------------------------------------------------------------------

    async def send_to(self, provider_id: str, texts: Sequence[str], buttons: Sequence[Sequence[str]] = ()) -> None:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup
        from telegram.error import NetworkError, RetryAfter, TimedOut

        bot = await self.bot()
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(b[:40], callback_data=b[:64]) for b in row]
                                           for row in buttons if row])
        for i, text in enumerate(texts):
            parts = _chunks(text)
            for j, part in enumerate(parts):
                last = i == len(texts) - 1 and j == len(parts) - 1
                for attempt in range(3):
                    await self.pacer.wait(provider_id)
                    await self.limiter.acquire()
                    try:
                        await bot.send_message(chat_id=int(provider_id), text=part, reply_markup=markup if last else None)
                        break
                    except RetryAfter as exc:
                        wait = exc.retry_after.total_seconds() if hasattr(exc.retry_after, "total_seconds") else float(exc.retry_after)
                        await asyncio.sleep(min(wait, 30))
                        if attempt == 2:
                            raise
                    except TimedOut:
                        raise  # it may have been delivered: never send it twice
                    except NetworkError:  # the connection failed before the request went out
                        await asyncio.sleep(0.5 * (attempt + 1))
                        if attempt == 2:
                            raise

    async def answer_button(self, inbound: Inbound, text: str = "", done: bool = False) -> None:
        if not inbound.callback_id:
            return
        bot = await self.bot()
        try:
            await bot.answer_callback_query(inbound.callback_id, text=text[:200] or None)
            if done and inbound.message_ref:
                await bot.edit_message_reply_markup(chat_id=int(inbound.sender), message_id=int(inbound.message_ref),
                                                    reply_markup=None)
        except Exception:  # the press still counts; the spinner just times out
            log.exception("telegram: could not answer a button press")

    def make_output_channel(self) -> OutputChannel:
        return TelegramOutput(self)

