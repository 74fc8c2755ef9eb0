"""The worker's way to start a conversation: through Rasa, on his own channel."""

from __future__ import annotations

import asyncio
from typing import Optional

from coach.programme.schedule import SendResult


class RasaSender:
    """Starts the conversation through Rasa: ``POST /conversations/{pid}/trigger_intent``.

    The intent is ``nudge`` with the row's id and the rendered text as entities; Rasa relays
    the text (``utter_nudge``) on his own channel (Telegram or SMS), so his answer continues
    the dialogue.
    """

    def __init__(self, settings, timeout: float = 30.0, max_in_flight: int = 64):
        import httpx

        self.settings = settings
        self.client = httpx.AsyncClient(base_url=settings.rasa_url, timeout=timeout,
                                        limits=httpx.Limits(max_connections=max_in_flight))
        self.gate = asyncio.Semaphore(max_in_flight)

    async def send(self, pid: str, channel: str, message_id: int, text: str) -> SendResult:
        import httpx

        async with self.gate:
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

