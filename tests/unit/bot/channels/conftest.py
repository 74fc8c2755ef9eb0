"""Driving the input channels without Rasa: fake providers, a fake dialogue, an in-process server.

    rt          Runtime with a real TelegramClient and TwilioClient talking to the fakes
    pid         an enrolled man linked on Telegram (CHAT) and SMS (PHONE)
    staff_id    a facilitator on the north rota with a Telegram chat (STAFF_CHAT)
    FakeRasa    stands in for Rasa's ``on_new_message``: records each UserMessage, replies "ok"
    drive(rt, main)          runs ``main()`` in one event loop, bounded, and closes the clients
    settle(channel)          waits for what the channel started in the background
    Served(channel, rasa)    the channel's blueprint under /webhooks/<name>, as Rasa mounts it,
                             served in-process over ASGI: ``await served.post(path, body, headers)``
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from datetime import date
from typing import Optional

import httpx
import pytest
from sanic import Sanic
from sqlalchemy import select

from bot.runtime import Runtime
from coach.core.db.models import Alert, InboundMessage, Participant
from coach.core.identity import link_identity
from coach.core.ratelimit import RateLimiter
from coach.messaging.sms import TwilioClient
from coach.messaging.telegram import TelegramClient, make_bot
from coach.programme.enrolment import enrol
from escalation.staff import add_staff, set_rota
from tests.conftest import db_session
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilioAPI

TOKEN = "123:ABC"
SECRET = "s3cret"
CHAT = "4242"
PHONE = "+447700900123"
OURS = "+447700900001"
STAFF_CHAT = "90001"
PUBLIC = "http://127.0.0.1:5005"
TIMEOUT = 20.0  # upper bound for one test's event loop


@pytest.fixture
def tg():
    with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
def tw():
    with FakeTwilioAPI() as fake:
        yield fake


@pytest.fixture
def settings(app, tg, tw):
    return dataclasses.replace(
        app.settings, telegram_bot_token=TOKEN, telegram_webhook_secret=SECRET, telegram_api_base=f"{tg.url}/bot",
        twilio_account_sid=DEFAULT_ACCOUNT_SID, twilio_auth_token=DEFAULT_AUTH_TOKEN, twilio_from_number=OURS,
        twilio_api_base=tw.url, public_base_url=PUBLIC)


def make_runtime(settings, tg, tw) -> Runtime:
    telegram = TelegramClient(make_bot(TOKEN, f"{tg.url}/bot", timeout=5), chat_interval=0)
    sms = TwilioClient(tw.client(), OURS, limiter=RateLimiter(1000, burst=1000), backoff=lambda _s: None)
    return Runtime.from_settings(settings, telegram=telegram, sms=sms)


@pytest.fixture
def rt(settings, tg, tw) -> Runtime:
    return make_runtime(settings, tg, tw)


@pytest.fixture
def pid(rt) -> str:
    with db_session() as s:
        p = enrol(s, site="north", start=date(2026, 1, 5))
        link_identity(s, rt.vault, p.id, "telegram", CHAT)
        link_identity(s, rt.vault, p.id, "sms", PHONE)
        return p.id


@pytest.fixture
def staff_id(rt) -> int:
    with db_session() as s:
        person = add_staff(s, rt.vault, "north", "Fay", "facilitator", telegram_chat_id=STAFF_CHAT)
        set_rota(s, "north", "facilitator", [person.id])
        return person.id


class FakeRasa:
    """Rasa's ``on_new_message``: records each message and answers through its output channel."""

    def __init__(self, reply: Optional[str] = "ok", buttons=None, error: Optional[Exception] = None):
        self.messages = []
        self.reply, self.buttons, self.error = reply, buttons, error

    async def __call__(self, message) -> None:
        self.messages.append(message)
        if self.error is not None:
            raise self.error
        if self.reply is None:
            return
        if self.buttons:
            await message.output_channel.send_text_with_buttons(message.sender_id, self.reply, self.buttons)
        else:
            await message.output_channel.send_text_message(message.sender_id, self.reply)


async def settle(channel) -> None:
    """Wait for the channel's background work (Rasa turns, alert sends) to finish."""
    for _ in range(100):
        pending = [t for t in (*channel._tasks, *channel.ingress._tasks) if not t.done()]
        if not pending:
            await asyncio.sleep(0)
            return
        await asyncio.gather(*pending, return_exceptions=True)
    raise AssertionError("the channel kept starting background work")


def drive(rt: Runtime, main, timeout: float = TIMEOUT):
    """Run ``main()`` in one event loop (the clients are bound to it), bounded; close the clients."""

    async def wrapper():
        try:
            return await main()
        finally:
            if rt.telegram is not None:
                await rt.telegram.close()

    return asyncio.run(asyncio.wait_for(wrapper(), timeout))


_names = itertools.count()


class Served:
    """A channel's blueprint mounted as Rasa mounts it (``/webhooks/<name>``), served over ASGI."""

    def __init__(self, channel, on_new_message):
        self.channel, self.on_new_message = channel, on_new_message
        self.app = None
        self.client: Optional[httpx.AsyncClient] = None
        self._lifespan: Optional[asyncio.Task] = None
        self._test_mode = Sanic.test_mode

    async def __aenter__(self) -> "Served":
        # Sanic rewrites its request handling code at start-up ("touch-up"); only in test mode can
        # it do that more than once in a process, so every app started here runs in test mode.
        Sanic.test_mode = True
        try:
            self.app = Sanic(f"coach_test_{next(_names)}_{uuid.uuid4().hex[:8]}")
            self.app.blueprint(self.channel.blueprint(self.on_new_message),
                               url_prefix=f"/webhooks/{self.channel.name()}")
            messages: asyncio.Queue = asyncio.Queue()
            started = asyncio.Event()
            await messages.put({"type": "lifespan.startup"})

            async def send(message):
                if message["type"] == "lifespan.startup.complete":
                    started.set()

            self._lifespan = asyncio.get_running_loop().create_task(
                self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, messages.get, send))
            await asyncio.wait_for(started.wait(), 10)  # routes finalised, after_server_start listeners run
            self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=PUBLIC,
                                            timeout=10)
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            if self.client is not None:
                await self.client.aclose()
            if self._lifespan is not None:
                self._lifespan.cancel()
                try:
                    await self._lifespan
                except BaseException:  # cancelled: the lifespan has nothing to shut down here
                    pass
        finally:
            Sanic.test_mode = self._test_mode

    async def post(self, path: str, content: bytes, headers: dict) -> httpx.Response:
        return await self.client.post(path, content=content, headers=headers)

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)


# -- looking at the database -------------------------------------------------------------------------------

def inbox(channel: Optional[str] = None) -> list:
    with db_session() as s:
        q = select(InboundMessage).order_by(InboundMessage.id)
        if channel:
            q = q.where(InboundMessage.channel == channel)
        return list(s.execute(q).scalars())


def participant(pid: str) -> Participant:
    with db_session() as s:
        return s.get(Participant, pid)


def alerts(pid: Optional[str] = None) -> list:
    with db_session() as s:
        q = select(Alert).order_by(Alert.id)
        if pid:
            q = q.where(Alert.participant_id == pid)
        return list(s.execute(q).scalars())
