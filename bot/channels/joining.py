"""People the coach doesn't know yet: joining with a code, and one short answer otherwise.

- ``JOIN K7Q2MX4P`` (or Telegram's ``/start K7Q2MX4P``) links this chat or number to the
  participant the code was issued for; at most ``JOIN_ATTEMPTS`` tries an hour.
- Anything else gets one "how to join" answer a day. Nothing is stored about them but a
  keyed-hash rate-limit counter.
- A message that signals danger (the ingress's risk decision) can raise no alert, since
  we don't know who it is, but never meets silence: it gets the urgent-help answer.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Dict, Optional

from sqlalchemy import select

from bot.channels.ingress import Turn
from bot.runtime import Runtime
from coach.core.db.models import InboundMessage, utcnow
from coach.messaging.inbound import Inbound
from coach.programme.enrolment import allowed, join_code_in, opt_in, redeem

UNKNOWN_REPLY_WINDOW = timedelta(hours=24)
JOIN_ATTEMPTS = 5
JOIN_WINDOW = timedelta(hours=1)
URGENT_REPLIES = 5  # an hour


class Joining:
    def __init__(self, rt: Runtime, channel: str, say, answer_button):
        self.rt, self.channel, self.say, self.answer_button = rt, channel, say, answer_button

    async def handle(self, inbound: Inbound, turn: Turn) -> None:
        messages = self.rt.content().messages
        await self.answer_button(inbound)
        code = join_code_in(inbound.text) if inbound.kind == "text" else None
        if code:
            reply = await asyncio.to_thread(self.join, inbound, code, messages)
            if reply:
                await self.say(inbound.sender, [reply])
            return
        if turn.decision.escalate:
            if await asyncio.to_thread(self.count, inbound.sender, "urgent", URGENT_REPLIES, JOIN_WINDOW):
                await self.say(inbound.sender, [messages["unknown_sender_urgent"]])
        elif await asyncio.to_thread(self.count, inbound.sender, "unknown", 1, UNKNOWN_REPLY_WINDOW):
            await self.say(inbound.sender, [messages["unknown_sender"]])

    def count(self, sender: str, purpose: str, limit: int, window: timedelta) -> bool:
        with self.rt.db.session() as s:
            return allowed(s, self.rt.vault, self.channel, sender, purpose, limit, window)

    def join(self, inbound: Inbound, code: str, messages: Dict[str, str]) -> Optional[str]:
        vault = self.rt.vault
        with self.rt.db.session() as s:
            if not allowed(s, vault, self.channel, inbound.sender, "join", JOIN_ATTEMPTS, JOIN_WINDOW):
                first_refusal = allowed(s, vault, self.channel, inbound.sender, "join-refused", 1, JOIN_WINDOW)
                return messages["join_rate_limited"] if first_refusal else None
            result = redeem(s, vault, code, self.channel, inbound.sender)
            if result.ok:
                row = s.execute(
                    select(InboundMessage).where(InboundMessage.channel == self.channel,
                                                 InboundMessage.external_id == inbound.external_id)
                ).scalar_one()
                row.participant_id, row.status, row.processed_at = result.participant_id, "done", utcnow()
                opt_in(s, result.participant_id)
            return messages[f"join_{result.reason}"] if result.reason != "joined" else messages["join_ok"]
