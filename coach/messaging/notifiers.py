"""The staff notifiers this process can send with, from settings."""

from __future__ import annotations

from typing import Dict

from coach.core.notify import Notifier


def notifiers_from_settings(settings) -> Dict[str, Notifier]:
    from coach.messaging.sms import SmsNotifier, twilio_client
    from coach.messaging.telegram import TelegramNotifier, telegram_bot

    out: Dict[str, Notifier] = {}
    if settings.telegram_enabled:
        out["telegram"] = TelegramNotifier(telegram_bot(settings))
    if settings.sms_enabled:
        out["sms"] = SmsNotifier(twilio_client(settings), settings.twilio_from_number)
    return out
