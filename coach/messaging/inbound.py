"""One provider update, reduced to what the coach needs: what both providers' parsers return.

    Inbound(external_id="8812", sender="42", kind="text", text="hi")

``kind`` is one of: text | button | non_text (a sticker, photo, voice note...) | edited |
blocked | unblocked (he blocked or unblocked the bot) | ignore (group chats, service updates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

KINDS = ("text", "button", "non_text", "edited", "blocked", "unblocked", "ignore")


@dataclass(frozen=True)
class Inbound:
    external_id: str  # update_id / MessageSid: the de-duplication key
    sender: str  # provider user id (chat id, phone number): never stored or logged in the clear
    kind: str
    text: str = ""
    callback_id: Optional[str] = None  # Telegram callback query to answer
    message_ref: Optional[int] = None  # Telegram message the button was on

    @property
    def has_text(self) -> bool:
        """Words he wrote (a message, an edit, a photo's caption) or a button he pressed: what
        the risk check reads."""
        return self.kind in ("text", "button", "edited", "non_text") and bool(self.text.strip())


class BadRequest(ValueError):
    """The body is malformed; the message says what is wrong (answered with 400)."""
