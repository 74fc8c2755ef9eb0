"""The staff notifiers a process can send alerts with: built on that process's own clients.

    telegram, sms = clients_from_settings(settings)          # None where not configured
    notifiers = staff_notifiers(telegram, sms)               # {"telegram": ..., "sms": ...}
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

from coach.core.notify import Notifier
from coach.messaging.sms import SmsNotifier, TwilioClient
from coach.messaging.telegram import TelegramClient, TelegramNotifier


def clients_from_settings(settings) -> Tuple[Optional[TelegramClient], Optional[TwilioClient]]:
    """This process's Telegram and SMS clients (None for a provider that isn't configured)."""
    telegram = TelegramClient.from_settings(settings) if settings.telegram_enabled else None
    sms = TwilioClient.from_settings(settings) if settings.sms_enabled else None
    return telegram, sms


def staff_notifiers(telegram: Optional[TelegramClient], sms: Optional[TwilioClient]) -> Dict[str, Notifier]:
    out: Dict[str, Notifier] = {}
    if telegram is not None:
        out["telegram"] = TelegramNotifier(telegram)
    if sms is not None:
        out["sms"] = SmsNotifier(sms)
    return out
