"""Telegram through python-telegram-bot: one client per process, updates in, webhook set-up.

Every send of a process (his replies, the nudges Rasa relays, staff alerts) goes through
one ``TelegramClient``: one ``ExtBot`` with python-telegram-bot's ``AIORateLimiter``
(``RATE_TELEGRAM_PER_SECOND`` over all chats) and a pacer (one message a second to each
chat, ``RATE_TELEGRAM_CHAT_SECONDS``). Provider errors get their meaning in one place,
``send_error``: retry later, permanent, blocked (he blocked the bot), or in doubt (it may
have been delivered: never send it again).

    client = TelegramClient.from_settings(settings)
    await client.send_texts("42", ["Hi", "Ready?"], buttons=[["Yes", "No"]])
    [inbound] = parse_update(request_body)                 # BadRequest if malformed
    verify_secret(settings.telegram_webhook_secret, header_value)
    await client.set_webhook(url, secret)

``TELEGRAM_API_BASE`` points the real library at another server (a staging proxy, or the
fake Bot API the tests start on 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
from typing import List, Optional, Sequence, Tuple

from coach.core.notify import SendError
from coach.core.ratelimit import ChatPacer
from coach.messaging.inbound import BadRequest, Inbound

log = logging.getLogger(__name__)

MAX_TEXT = 4000  # Telegram allows 4096; leave room
REPLY_ATTEMPTS = 3
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]

Button = Tuple[str, str]  # (label, callback data)


def send_error(exc: Exception) -> SendError:
    """What a python-telegram-bot exception means for whoever sent the message."""
    from telegram.error import BadRequest as TgBadRequest
    from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
        return SendError(f"rate limited: {exc}", "retry", retry_after=seconds)
    if isinstance(exc, Forbidden):
        return SendError(f"blocked or not allowed: {exc}", "permanent", blocked=True)
    if isinstance(exc, TgBadRequest):
        return SendError(f"bad request: {exc}", "permanent")
    if isinstance(exc, TimedOut):  # the request went out; Telegram may have delivered it
        return SendError(f"timed out: {exc}", "in_doubt")
    if isinstance(exc, NetworkError):  # the connection failed before the request went out
        return SendError(f"network: {exc}", "retry")
    if isinstance(exc, TelegramError):
        return SendError(f"telegram: {exc}", "permanent")
    return SendError(f"unexpected: {exc!r}", "in_doubt")


def _limits(per_second: float) -> Tuple[float, float]:
    """(max_rate, time_period) for aiolimiter: its bucket must hold at least one message."""
    if per_second <= 0:
        return 0, 1  # no overall limit
    return (per_second, 1.0) if per_second >= 1 else (1, 1.0 / per_second)


def make_bot(token: str, api_base: str, per_second: float = 30.0, timeout: float = 10.0):
    """An ``ExtBot`` with ``AIORateLimiter``: not yet initialised (``TelegramClient.start`` does it)."""
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    if not token:
        raise RuntimeError("TELEGRAM_BOT_TOKEN is not set")
    rate, period = _limits(per_second)
    request = HTTPXRequest(connection_pool_size=64, read_timeout=timeout, write_timeout=timeout,
                           connect_timeout=timeout, pool_timeout=timeout)
    return ExtBot(token=token, base_url=api_base, request=request,
                  rate_limiter=AIORateLimiter(overall_max_rate=rate, overall_time_period=period, max_retries=0))


def _chunks(text: str) -> List[str]:
    return [text[i:i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)] or [""]


class TelegramClient:
    """The process's one Telegram client: every send is rate limited and paced per chat."""

    def __init__(self, bot, *, chat_interval: float = 1.0, pacer: Optional[ChatPacer] = None):
        self.bot = bot
        self.pacer = pacer or ChatPacer(chat_interval)
        self._ready = False
        self._starting: Optional[asyncio.Lock] = None

    @classmethod
    def from_settings(cls, settings, timeout: float = 10.0) -> "TelegramClient":
        bot = make_bot(settings.telegram_bot_token, settings.telegram_api_base,
                       settings.rate_telegram_per_second, timeout)
        return cls(bot, chat_interval=settings.rate_telegram_chat_seconds)

    async def start(self) -> None:
        """Connect once (getMe) before the first send."""
        if self._ready:
            return
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:
            if not self._ready:
                await self.bot.initialize()
                self._ready = True

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False

    async def send(self, chat_id: str, text: str, *, buttons: Sequence[Sequence[Button]] = (),
                   html_mode: bool = False) -> str:
        """One message; its Telegram message id. Raises ``SendError``."""
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup
        from telegram.constants import ParseMode

        await self.start()
        markup = None
        if buttons:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton(label[:40], callback_data=data[:64])
                                            for label, data in row] for row in buttons if row])
        await self.pacer.wait(str(chat_id))
        try:
            message = await self.bot.send_message(chat_id=int(chat_id), text=text, reply_markup=markup,
                                                  parse_mode=ParseMode.HTML if html_mode else None)
        except Exception as exc:
            raise send_error(exc) from exc
        return str(message.message_id)

    async def send_texts(self, chat_id: str, texts: Sequence[str], buttons: Sequence[Sequence[Button]] = ()) -> None:
        """A reply: each text (split at 4,000 characters), buttons under the last one.

        A send that should be retried is, a few times (waiting as Telegram asks, at most 30 s);
        anything else is raised as ``SendError``: never sent twice.
        """
        parts = [part for text in texts for part in _chunks(text)]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            for attempt in range(1, REPLY_ATTEMPTS + 1):
                try:
                    await self.send(chat_id, part, buttons=buttons if last else ())
                    break
                except SendError as exc:
                    if exc.kind != "retry" or attempt == REPLY_ATTEMPTS:
                        raise
                    await asyncio.sleep(min(exc.retry_after or 0.5 * attempt, 30.0))

    async def answer_button(self, callback_id: str, text: str = "", chat_id: Optional[str] = None,
                            message_id: Optional[int] = None, remove_buttons: bool = False) -> None:
        """Stop the button's spinner (and take the buttons off that message). Failures are logged:
        the press still counts; the spinner just times out."""
        try:
            await self.start()
            await self.bot.answer_callback_query(callback_id, text=text[:200] or None)
            if remove_buttons and chat_id and message_id:
                await self.bot.edit_message_reply_markup(chat_id=int(chat_id), message_id=int(message_id),
                                                         reply_markup=None)
        except Exception as exc:
            log.warning("telegram: could not answer a button press (%s)", send_error(exc))

    async def set_webhook(self, url: str, secret: str) -> None:
        try:
            await self.start()
            await self.bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
        except Exception as exc:
            raise send_error(exc) from exc


def webhook_url(settings, url: Optional[str] = None) -> str:
    """``PUBLIC_BASE_URL/webhooks/telegram/webhook``, checked: Telegram only calls https (or loopback, in tests)."""
    if not settings.telegram_webhook_secret:
        raise RuntimeError("set TELEGRAM_WEBHOOK_SECRET first (1-256 characters: A-Z a-z 0-9 _ -)")
    url = url or f"{settings.public_base_url}/webhooks/telegram/webhook"
    if not url.startswith("https://") and "127.0.0.1" not in url and "localhost" not in url:
        raise RuntimeError("Telegram only calls https:// webhooks: set PUBLIC_BASE_URL to your https address")
    return url


async def set_webhook(settings, url: Optional[str] = None) -> str:
    """Register the webhook with its secret token (``coach telegram set-webhook``)."""
    url = webhook_url(settings, url)
    client = TelegramClient.from_settings(settings)
    try:
        await client.set_webhook(url, settings.telegram_webhook_secret)
    finally:
        await client.close()
    return url


# -- inbound ---------------------------------------------------------------------------------------

def verify_secret(expected: str, given: str) -> bool:
    """The ``X-Telegram-Bot-Api-Secret-Token`` header, compared in constant time."""
    if not expected:
        log.error("telegram: TELEGRAM_WEBHOOK_SECRET is not set, so every update is refused")
        return False
    return hmac.compare_digest((given or "").encode(), expected.encode())


def parse_update(body: bytes) -> List[Inbound]:
    """One webhook body -> the update it carries, reduced to what the coach needs."""
    from telegram import Update

    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body must be a Telegram Update in JSON") from None
    uid = data.get("update_id") if isinstance(data, dict) else None
    if not _is_id(uid):
        raise BadRequest("a Telegram Update needs an integer update_id")
    try:
        inbound = _inbound(str(uid), Update.de_json(data, None))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError):
        raise BadRequest("the Telegram Update is missing fields it needs (chat, from, ...)") from None
    if not isinstance(inbound.text, str) or (inbound.sender and not _is_id(int(inbound.sender))):
        raise BadRequest("the Telegram Update has values no update has (text, chat id)")
    return [inbound]


def _is_id(value) -> bool:
    """Telegram's ids are integers of at most 52 significant bits; never booleans."""
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2 ** 63


def _private_chat(chat) -> Optional[str]:
    """His chat id, or None for groups and channels (the coach only talks one to one)."""
    if chat.type != "private":
        return None
    return str(int(chat.id))


def _inbound(uid: str, update) -> Inbound:
    ignore = Inbound(uid, "", "ignore")
    if update.message is not None:
        m = update.message
        chat = _private_chat(m.chat)
        if chat is None:
            return ignore
        if m.text is not None:
            return Inbound(uid, chat, "text", m.text)
        if m.effective_attachment is not None:
            return Inbound(uid, chat, "non_text", m.caption or "")
        return ignore
    if update.edited_message is not None:
        m = update.edited_message
        chat = _private_chat(m.chat)
        return Inbound(uid, chat, "edited", m.text or m.caption or "") if chat else ignore
    if update.callback_query is not None:
        q = update.callback_query
        chat = _private_chat(q.message.chat) if q.message is not None else str(int(q.from_user.id))
        if chat is None:
            return ignore
        return Inbound(uid, chat, "button", str(q.data or ""), callback_id=str(q.id),
                       message_ref=q.message.message_id if q.message is not None else None)
    if update.my_chat_member is not None:
        m = update.my_chat_member
        chat = _private_chat(m.chat)
        status = m.new_chat_member.status
        if chat is None or status not in ("kicked", "member"):
            return ignore
        return Inbound(uid, chat, "blocked" if status == "kicked" else "unblocked")
    return ignore


# -- staff alerts ------------------------------------------------------------------------------------

class TelegramNotifier:
    """Staff alerts, with an Acknowledge button (callback data ``ack:<code>``)."""

    channel = "telegram"

    def __init__(self, client: TelegramClient):
        self.client = client

    async def start(self) -> None:
        """Connect once (getMe) before any alert is marked as being sent."""
        await self.client.start()

    async def send(self, contact: str, text: str, code: str, html_text: Optional[str] = None) -> str:
        return await self.client.send(contact, html_text or html.escape(text), html_mode=True,
                                      buttons=[[("Acknowledge", f"ack:{code}")]])
