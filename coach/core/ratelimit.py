"""Pacing sends: a token bucket for a channel's overall rate, and a per-chat pacer.

Pure asyncio, no network. The messaging clients own one of each per process, so every
send of that process (replies, nudges, staff alerts) shares the same limits.

    limiter = RateLimiter(rate=1.0, burst=2)     # e.g. SMS segments per second
    await limiter.acquire(2)                     # a two-segment message
    pacer = ChatPacer(interval=1.0)              # Telegram: one message a second per chat
    await pacer.wait("42")
"""

from __future__ import annotations

import asyncio
import time as _time
from typing import Dict, Optional


class RateLimiter:
    """A token bucket: ``await acquire(n)`` at most ``rate`` units per second (sleeps are bounded)."""

    def __init__(self, rate: float, burst: Optional[float] = None, clock=_time.monotonic, sleep=asyncio.sleep):
        self.rate = max(rate, 0.001)
        self.capacity = burst if burst is not None else max(1.0, rate)
        self.tokens = self.capacity
        self.clock, self.sleep = clock, sleep
        self.updated = clock()
        self._lock = asyncio.Lock()

    async def acquire(self, n: float = 1.0) -> None:
        n = min(n, self.capacity)  # more than the bucket holds: wait for a full bucket, not forever
        async with self._lock:
            while True:
                now = self.clock()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= n:
                    self.tokens -= n
                    return
                await self.sleep(min(60.0, (n - self.tokens) / self.rate))


class ChatPacer:
    """At most one message per ``interval`` seconds to each chat (Telegram's limit for private chats)."""

    def __init__(self, interval: float = 1.0, clock=_time.monotonic, sleep=asyncio.sleep):
        self.interval = interval
        self.clock, self.sleep = clock, sleep
        self._next: Dict[str, float] = {}
        self._locks: Dict[str, asyncio.Lock] = {}

    async def wait(self, chat_id: str) -> None:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            now = self.clock()
            ready = self._next.get(chat_id, 0.0)
            if ready > now:
                await self.sleep(ready - now)
            self._next[chat_id] = max(now, ready) + self.interval
            if len(self._next) > 10_000:  # forget chats that are long past their turn
                self._forget(now)

    def _forget(self, now: float) -> None:
        for chat, ready in list(self._next.items()):
            if ready < now and not self._locks[chat].locked():
                del self._next[chat]
                del self._locks[chat]
