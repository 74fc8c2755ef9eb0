"""Talking to providers: Telegram (python-telegram-bot) and SMS (Twilio).

Owns: each provider's one client per process (with its rate limits, so replies, nudges and
staff alerts share them), mapping provider errors to ``coach.core.notify.SendError`` once,
parsing and authenticating webhook requests into ``Inbound`` updates, webhook set-up, and
the staff notifiers.

May import: coach.core. It knows nothing of participants' programme or of risk.
"""
