"""How a sender reports what happened to one message: the contract between whoever sends
(coach.messaging: Telegram, Twilio) and whoever decides what to do next (escalation's
dispatcher, the channels' reply path).

    provider_id = await notifier.send(contact, text, code)     # sent
    raise SendError("...", kind="retry", retry_after=2)         # try again later
    raise SendError("...", kind="permanent")                    # this contact can't be reached
    raise SendError("...", kind="in_doubt")                     # it may have gone: never resend it

``blocked`` marks a permanent error that means the person stopped us (blocked the bot,
replied STOP at the carrier): a participant is then recorded as opted out.
"""

from __future__ import annotations

from typing import Optional, Protocol

KINDS = ("retry", "permanent", "in_doubt")


class SendError(Exception):
    def __init__(self, message: str, kind: str = "retry", retry_after: Optional[float] = None,
                 blocked: bool = False):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        self.blocked = blocked


class Notifier(Protocol):
    """Sends one staff alert on one channel (``telegram`` or ``sms``)."""

    channel: str

    async def start(self) -> None: ...

    async def send(self, contact: str, text: str, code: str, html_text: Optional[str] = None) -> str: ...
