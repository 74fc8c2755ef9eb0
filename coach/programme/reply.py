"""What the engine answers: messages to send, and whether a flow is still going.

    reply = Reply()
    reply.say("How are you feeling today, 0 to 10?", buttons=("0", "5", "10"))
    reply.active = True          # the dialogue's form keeps asking
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Sequence


@dataclass(frozen=True)
class Out:
    """One message to send. ``buttons`` are optional quick replies (payload = what he'd type)."""

    text: str
    buttons: Sequence[str] = ()


@dataclass
class Reply:
    messages: List[Out] = field(default_factory=list)
    active: bool = False  # a flow is still going after this (the form should keep asking)

    def say(self, text: str, buttons: Sequence[str] = ()) -> None:
        if text:
            self.messages.append(Out(text, tuple(buttons)))

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.messages]
