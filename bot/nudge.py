"""The worker's way to start a conversation: through Rasa, on his own channel.

Nudges are not paced here: Rasa relays each one through its process's Telegram or SMS
client, whose rate limiter every send shares. This sender only bounds how many requests
wait in Rasa at once on each channel (a trigger_intent returns once his message has gone),
so a 10,000-man broadcast never floods Rasa and a staff alert never queues behind more than
a couple of seconds of nudges.

    sender = RasaSender(settings)
    result = await sender.send(pid, "telegram", row_id, text)   # SendResult: sent | retry | in_doubt | permanent
    await sender.delivered(pid, row_id)                          # after a crash: did Rasa get it?
"""

from __future__ import annotations

import asyncio
import math
from typing import Dict, Optional

from coach.programme.schedule import SendResult


class RasaSender:
    """Starts the conversation through Rasa: ``POST /conversations/{pid}/trigger_intent``.

    The intent is ``nudge`` with the row's id and the rendered text as entities; Rasa relays
    the text (``utter_nudge``) on his own channel (Telegram or SMS), so his answer continues
    the dialogue.
    """

    def __init__(self, settings, timeout: float = 30.0, wait_seconds: float = 2.0):
        import httpx

        self.settings = settings
        # In flight per channel: about ``wait_seconds`` of that channel's sending rate.
        self.in_flight = {
            "telegram": max(1, math.ceil(settings.rate_telegram_per_second * wait_seconds)),
            "sms": max(1, math.ceil(settings.rate_sms_segments_per_second * wait_seconds)),
        }
        self.gates: Dict[str, asyncio.Semaphore] = {c: asyncio.Semaphore(n) for c, n in self.in_flight.items()}
        total = sum(self.in_flight.values()) + 4  # and a few for delivered() checks
        self.client = httpx.AsyncClient(base_url=settings.rasa_url, timeout=timeout,
                                        limits=httpx.Limits(max_connections=total))

    async def send(self, pid: str, channel: str, message_id: int, text: str) -> SendResult:
        import httpx

        async with self.gates.get(channel) or self.gates["telegram"]:
            try:
                r = await self.client.post(f"/conversations/{pid}/trigger_intent",
                                           params={"output_channel": channel, "token": self.settings.rasa_auth_token},
                                           json={"name": "nudge",
                                                 "entities": {"nudge_id": str(message_id), "nudge_text": text}})
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                return SendResult("retry", f"Rasa not reachable: {exc}", 10.0)
            except httpx.HTTPError as exc:
                return SendResult("in_doubt", f"no answer from Rasa: {exc!r}")
        if r.status_code == 200:
            return SendResult("sent")
        if r.status_code in (401, 403):
            return SendResult("permanent", "Rasa refused the token (RASA_AUTH_TOKEN)")
        return SendResult("retry", f"Rasa answered {r.status_code}", 10.0)

    async def delivered(self, pid: str, message_id: int) -> Optional[bool]:
        import httpx

        try:
            r = await self.client.get(f"/conversations/{pid}/tracker",
                                      params={"include_events": "ALL", "token": self.settings.rasa_auth_token})
        except httpx.HTTPError:
            return None
        if r.status_code != 200:
            return None
        for event in r.json().get("events") or []:
            if event.get("event") != "user":
                continue
            for entity in (event.get("parse_data") or {}).get("entities") or []:
                if entity.get("entity") == "nudge_id" and str(entity.get("value")) == str(message_id):
                    return True
        return False

    async def close(self) -> None:
        await self.client.aclose()

