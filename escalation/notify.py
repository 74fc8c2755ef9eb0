"""Telling staff: message formatting (from content/safety/staff_alerts.yml) and notifiers.

A notifier sends one message and says what happened in terms the dispatcher can act on:

    provider_id = await notifier.send(contact, text, code)     # sent
    raise SendError(kind="retry", retry_after=2)                # try again later
    raise SendError(kind="permanent")                           # this contact can't be reached
    raise SendError(kind="in_doubt")                            # it may have gone: never resend it

Telegram messages show a neutral first line; the details sit under a spoiler, so a lock
screen shows nothing sensitive. SMS carries no message text at all (reply INFO <code>).
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from typing import Dict, List, Optional, Protocol, Sequence

from coach.content.render import render


class SendError(Exception):
    def __init__(self, message: str, kind: str = "retry", retry_after: Optional[float] = None):
        super().__init__(message)
        self.kind = kind  # retry | permanent | in_doubt
        self.retry_after = retry_after


class Notifier(Protocol):
    channel: str

    async def start(self) -> None: ...

    async def send(self, contact: str, text: str, code: str, html_text: Optional[str] = None) -> str: ...


CATEGORY_LABELS = {
    "suicide_self_harm": "suicide or self-harm",
    "harm_to_partner": "partner or ex-partner may be at risk",
    "harm_to_child": "a child may be at risk",
    "harm_to_others": "others may be at risk",
    "substance_emergency": "substance emergency",
    "unclassified": "unclear (flagged by the language model)",
}


@dataclass(frozen=True)
class AlertView:
    """Everything a staff message may show about an alert."""

    code: str
    participant: str
    site: str
    severity: str
    category: str
    text: str
    context: Sequence[dict]
    followups: Sequence[str]

    def values(self, round_no: int = 0, max_text: int = 600) -> Dict[str, object]:
        context = "\n".join(f"{'him' if t.get('who') == 'participant' else 'coach'}: {t.get('text', '')[:200]}"
                            for t in self.context[-6:]) or "(nothing earlier)"
        follow = ""
        if self.followups:
            follow = "Since then he wrote: " + " / ".join(f'"{f[:200]}"' for f in self.followups[-5:])
        return {
            "code": self.code, "participant": self.participant, "site": self.site,
            "severity": self.severity.upper(), "category": CATEGORY_LABELS.get(self.category, self.category),
            "text": self.text[:max_text] + ("..." if len(self.text) > max_text else ""),
            "context": context, "followups": follow, "round": round_no,
        }


def format_sms(templates: Dict[str, str], view: AlertView, round_no: int) -> str:
    text = render(templates["sms"], view.values(round_no))
    if round_no:
        text = render(templates["reminder_prefix"], {"round": round_no}) + text
    return text


def format_telegram(templates: Dict[str, str], view: AlertView, round_no: int) -> str:
    """HTML for Telegram: the first line plain, the rest hidden under a spoiler."""
    values = view.values(round_no)
    full = render(templates["telegram"], values)
    first, _, rest = full.partition("\n")
    prefix = render(templates["reminder_prefix"], {"round": round_no}) if round_no else ""
    body = html.escape(rest.strip())
    return f"{html.escape(prefix + first)}\n<tg-spoiler>{body}</tg-spoiler>" if body else html.escape(prefix + first)


def format_info(templates: Dict[str, str], view: AlertView) -> str:
    return render(templates["sms_info"], view.values(max_text=250))


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


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


def notifiers_from_settings(settings) -> Dict[str, Notifier]:
    from coach.providers import telegram_bot, twilio_client

    out: Dict[str, Notifier] = {}
    if settings.telegram_enabled:
        out["telegram"] = TelegramNotifier(telegram_bot(settings))
    if settings.sms_enabled:
        out["sms"] = SmsNotifier(twilio_client(settings), settings.twilio_from_number)
    return out


def split_followups(events: List) -> List[str]:
    return [e.detail.get("text", "") for e in events if e.kind == "participant_followup"]
