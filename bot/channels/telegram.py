"""Telegram webhook channel (``POST /webhooks/telegram/webhook``).

- Every request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to
  ``TELEGRAM_WEBHOOK_SECRET`` (compared in constant time); otherwise 403 and nothing stored.
- Text and button presses go to the coach; stickers, photos, voice notes get a polite
  answer; edited messages are risk-checked and answered; a block (``my_chat_member``
  kicked) marks him opted out. Group chats are ignored.
- Replies and proactive messages (``trigger_intent?output_channel=telegram``) go out
  through the process's one ``TelegramClient`` (coach.messaging.telegram), with quick-reply
  buttons where the content offers choices, at most one message a second per chat. If
  Telegram says he blocked the bot, he is opted out.

Register the webhook with ``coach telegram set-webhook``.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Text

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import ParticipantOutput, WebhookChannel
from coach.messaging.inbound import Inbound
from coach.messaging.telegram import TelegramClient, parse_update, verify_secret


class TelegramOutput(ParticipantOutput):
    @classmethod
    def name(cls) -> Text:
        return "telegram"


class TelegramInput(WebhookChannel):
    channel = "telegram"
    blocked_reason = "telegram_blocked"

    @property
    def client(self) -> TelegramClient:
        client = self.rt.telegram
        if client is None:
            raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
        return client

    def verify(self, request: Request) -> bool:
        return verify_secret(self.settings.telegram_webhook_secret,
                             request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""))

    def parse(self, request: Request) -> List[Inbound]:
        return parse_update(request.body)

    def ok(self) -> HTTPResponse:
        return response.json({"ok": True})

    async def send_to(self, provider_id: str, texts: Sequence[str], buttons: Sequence[Sequence[str]] = ()) -> None:
        await self.client.send_texts(provider_id, texts, [[(b, b) for b in row] for row in buttons])

    async def answer_button(self, inbound: Inbound, text: str = "", done: bool = False) -> None:
        if inbound.callback_id:
            await self.client.answer_button(inbound.callback_id, text, chat_id=inbound.sender,
                                            message_id=inbound.message_ref, remove_buttons=done)

    def output(self, provider_id: Optional[str] = None) -> TelegramOutput:
        return TelegramOutput(self, provider_id)
