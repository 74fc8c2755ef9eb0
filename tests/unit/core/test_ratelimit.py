"""Pacing sends: the token bucket every SMS shares, and one Telegram message a second per chat.

A fake clock and a fake sleep (which moves the clock on) replace waiting, so these tests
are exact and instant.
"""

from __future__ import annotations

import asyncio

import pytest

from coach.core.ratelimit import ChatPacer, RateLimiter


class Clock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self, now: float = 100.0, limit: int = 1000):
        self.now = now
        self.slept = []
        self.limit = limit  # a guard: a limiter that never returns fails the test instead of hanging

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if len(self.slept) > self.limit:
            raise RuntimeError(f"slept {len(self.slept)} times without getting through")
        self.now += seconds
        await asyncio.sleep(0)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=5))


# -- RateLimiter --------------------------------------------------------------------------------------

def test_a_full_bucket_lets_a_burst_through_at_once():
    clock = Clock()
    limiter = RateLimiter(1.0, burst=2, clock=clock, sleep=clock.sleep)

    async def main():
        await limiter.acquire(1)
        await limiter.acquire(1)

    run(main())
    assert clock.slept == []


def test_past_the_burst_each_unit_waits_its_share_of_a_second():
    clock = Clock()
    limiter = RateLimiter(2.0, burst=2, clock=clock, sleep=clock.sleep)

    async def main():
        await limiter.acquire(2)  # the burst
        await limiter.acquire(1)  # half a second at 2 a second
        await limiter.acquire(2)  # a whole second

    run(main())
    assert clock.slept == pytest.approx([0.5, 1.0])
    assert clock.now == pytest.approx(101.5)


def test_time_that_passed_refills_the_bucket_but_never_beyond_the_burst():
    clock = Clock()
    limiter = RateLimiter(1.0, burst=2, clock=clock, sleep=clock.sleep)

    async def main():
        await limiter.acquire(2)
        clock.now += 3600  # an idle hour refills two units, not 3,600
        await limiter.acquire(2)
        await limiter.acquire(1)

    run(main())
    assert clock.slept == pytest.approx([1.0])


def test_a_two_segment_sms_costs_two_units():
    clock = Clock()
    limiter = RateLimiter(1.0, burst=2, clock=clock, sleep=clock.sleep)

    async def main():
        for _ in range(3):
            await limiter.acquire(2)

    run(main())
    assert sum(clock.slept) == pytest.approx(4.0)  # six units at one a second, two of them free


def test_defaults_burst_is_the_rate_or_at_least_one_and_the_rate_is_never_zero():
    assert RateLimiter(30).capacity == 30
    assert RateLimiter(0.5).capacity == 1.0
    assert RateLimiter(0).rate > 0  # a zero rate would divide by zero


def test_each_sleep_is_bounded_to_a_minute():
    clock = Clock()
    limiter = RateLimiter(0.001, burst=1, clock=clock, sleep=clock.sleep)

    async def main():
        await limiter.acquire(1)
        await limiter.acquire(1)  # 1,000 s at this rate: in sleeps of at most 60 s

    run(main())
    assert max(clock.slept) <= 60.0 and sum(clock.slept) == pytest.approx(1000.0)


def test_concurrent_acquirers_share_one_bucket():
    clock = Clock()
    limiter = RateLimiter(1.0, burst=1, clock=clock, sleep=clock.sleep)
    order = []

    async def take(name):
        await limiter.acquire(1)
        order.append((name, clock.now))

    async def main():
        await asyncio.gather(*(take(i) for i in range(4)))

    run(main())
    times = [t for _, t in order]
    assert times == pytest.approx([100.0, 101.0, 102.0, 103.0])  # one a second, never two at once


def test_asking_for_more_than_the_bucket_holds_waits_for_a_full_bucket_not_forever():
    clock = Clock(limit=200)  # a limiter that never got through would fail here, not hang
    limiter = RateLimiter(1.0, burst=1, clock=clock, sleep=clock.sleep)  # the default for rate 1

    async def main():
        await limiter.acquire(1)
        await limiter.acquire(2)  # e.g. a two-segment SMS: more than the bucket ever holds

    run(main())
    assert sum(clock.slept) == pytest.approx(1.0)


# -- ChatPacer --------------------------------------------------------------------------------------

def test_the_first_message_to_a_chat_goes_at_once_the_next_waits_the_interval():
    clock = Clock()
    pacer = ChatPacer(1.0, clock=clock, sleep=clock.sleep)

    async def main():
        await pacer.wait("42")
        await pacer.wait("42")
        await pacer.wait("42")

    run(main())
    assert clock.slept == pytest.approx([1.0, 1.0])


def test_different_chats_do_not_wait_for_each_other():
    clock = Clock()
    pacer = ChatPacer(1.0, clock=clock, sleep=clock.sleep)

    async def main():
        for chat in ("1", "2", "3"):
            await pacer.wait(chat)

    run(main())
    assert clock.slept == []


def test_a_chat_that_was_quiet_long_enough_does_not_wait():
    clock = Clock()
    pacer = ChatPacer(1.0, clock=clock, sleep=clock.sleep)

    async def main():
        await pacer.wait("42")
        clock.now += 0.4
        await pacer.wait("42")  # 0.6 s more
        clock.now += 5
        await pacer.wait("42")

    run(main())
    assert clock.slept == pytest.approx([0.6])


def test_concurrent_sends_to_one_chat_are_spaced_out():
    clock = Clock()
    pacer = ChatPacer(1.0, clock=clock, sleep=clock.sleep)
    times = []

    async def send():
        await pacer.wait("42")
        times.append(clock.now)

    async def main():
        await asyncio.gather(*(send() for _ in range(3)))

    run(main())
    assert sorted(times) == pytest.approx([100.0, 101.0, 102.0])


def test_the_pacer_forgets_chats_long_past_their_turn():
    clock = Clock()
    pacer = ChatPacer(1.0, clock=clock, sleep=clock.sleep)

    async def main():
        for i in range(10_000):
            await pacer.wait(str(i))
        clock.now += 10
        await pacer.wait("new")  # over the limit: the old chats are forgotten

    run(main())
    assert set(pacer._next) == {"new"} and set(pacer._locks) == {"new"}
