"""`coach worker`: the alerts loop sends what the outbox holds, and a failing pass never stops it.

Staff alerts go to the fake Telegram Bot API on 127.0.0.1; Rasa (for nudges) is not running,
which the schedule loop takes in its stride.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from coach.app.worker import _loop, make_dispatcher, run_worker
from coach.core.db import Database
from coach.core.db.models import AlertNotification
from coach.core.identity import IdentityVault
from coach.messaging.telegram import TelegramClient, TelegramNotifier
from coach.programme.enrolment import enrol
from escalation.alerts import raise_alert
from escalation.dispatch import Dispatcher
from escalation.risk import Signal
from escalation.staff import add_staff, set_rota
from tests.conftest import db_session, free_port
from tests.fakes.telegram_api import FakeTelegramAPI

STAFF_CHAT = "90001"


@pytest.fixture
def tg():
    with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
def settings(app, tg):
    return dataclasses.replace(app.settings, telegram_bot_token="123:ABC", telegram_api_base=f"{tg.url}/bot",
                               worker_poll_seconds=0.05, rasa_host="127.0.0.1", rasa_port=free_port())


@pytest.fixture
def code(app) -> str:
    """A pending alert for a man at north, for the facilitator on call (Telegram)."""
    vault = IdentityVault.from_settings(app.settings)
    with db_session() as s:
        fay = add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id=STAFF_CHAT)
        set_rota(s, "north", "facilitator", [fay.id])
        pid = enrol(s, site="north", start=date(2026, 1, 5)).id
        return raise_alert(s, pid, "i want to end it", "msg-1",
                           Signal("suicide_self_harm", "high", ("suicide:end it",), "detector")).code


def notifications():
    with db_session() as s:
        return [(n.status, n.channel) for n in s.execute(select(AlertNotification)).scalars()]


def run(coro, timeout=20):
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.mark.safety
def test_one_pass_sends_a_pending_alert_to_staff(settings, code, tg):
    assert run(run_worker(settings, once=True, schedule=False)) == 0
    [text] = tg.sent_texts(STAFF_CHAT)
    assert code in text
    assert notifications() == [("sent", "telegram")]


@pytest.mark.safety
def test_one_pass_with_the_schedule_too_while_rasa_is_down(settings, code, tg):
    assert run(run_worker(settings, once=True)) == 0
    assert code in tg.sent_texts(STAFF_CHAT)[0]


def test_without_any_provider_alerts_stay_recorded_for_a_worker_that_can_send(app, code):
    assert run(run_worker(app.settings, once=True, schedule=False)) == 0
    assert notifications() == [("pending", "telegram")]


def test_make_dispatcher_uses_the_notifiers_it_is_given(app):
    class Fake:
        channel = "telegram"

        async def send(self, *_a, **_k):
            return "1"

    fake = Fake()
    d = make_dispatcher(app.settings, app.db, {"telegram": fake})
    assert isinstance(d, Dispatcher) and d.notifiers == {"telegram": fake} and d.actor == "worker"
    assert "ack_done" in d.templates()  # staff templates from the content folder


def test_make_dispatcher_builds_its_notifiers_from_the_settings(settings):
    d = make_dispatcher(settings, Database.from_settings(settings))
    assert list(d.notifiers) == ["telegram"] and isinstance(d.notifiers["telegram"], TelegramNotifier)


def test_a_failing_pass_is_logged_and_the_loop_goes_on(caplog):
    stop = asyncio.Event()
    passes = []

    async def one_pass():
        passes.append(len(passes))
        if len(passes) == 1:
            raise RuntimeError("database is locked")
        if len(passes) == 3:
            stop.set()

    run(_loop("alerts", one_pass, 0.01, False, stop))
    assert passes == [0, 1, 2]
    assert "alerts pass failed" in caplog.text


def test_once_means_one_pass_even_if_it_fails():
    passes = []

    async def one_pass():
        passes.append(1)
        raise RuntimeError("boom")

    run(_loop("alerts", one_pass, 0.01, True, asyncio.Event()))
    assert passes == [1]


def test_stopping_ends_the_loop_after_the_current_pass():
    stop = asyncio.Event()
    passes = []

    async def one_pass():
        passes.append(1)
        stop.set()

    run(_loop("schedule", one_pass, 60.0, False, stop))  # does not wait the 60 s
    assert passes == [1]


@pytest.mark.safety
def test_the_worker_keeps_sending_after_a_pass_that_failed(settings, code, tg, monkeypatch):
    real_run_once = Dispatcher.run_once
    calls = []

    async def flaky_run_once(self, *a, **k):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return await real_run_once(self, *a, **k)

    monkeypatch.setattr(Dispatcher, "run_once", flaky_run_once)
    stop = asyncio.Event()

    async def main():
        task = asyncio.get_running_loop().create_task(run_worker(settings, stop=stop, schedule=False))
        try:
            for _ in range(200):
                if tg.sent_texts(STAFF_CHAT):
                    break
                await asyncio.sleep(0.02)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)

    run(main())
    assert len(calls) >= 2 and code in tg.sent_texts(STAFF_CHAT)[0]


@pytest.mark.safety
def test_a_telegram_blip_when_the_worker_starts_does_not_stop_telegram_alerts(settings, code, tg):
    tg.fail_next("getMe", status=502)  # Telegram unreachable for the first pass only
    stop = asyncio.Event()

    async def main():
        task = asyncio.get_running_loop().create_task(run_worker(settings, stop=stop, schedule=False))
        try:
            for _ in range(100):  # ~2 s: dozens of passes at WORKER_POLL_SECONDS=0.05
                if tg.sent_texts(STAFF_CHAT):
                    break
                await asyncio.sleep(0.02)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)

    run(main())
    assert tg.sent_texts(STAFF_CHAT), "the alert never reached staff"


def test_the_worker_closes_its_clients(settings, code, tg, monkeypatch):
    closed = []
    original = TelegramClient.close

    async def close(self):
        closed.append(self)
        await original(self)

    monkeypatch.setattr(TelegramClient, "close", close)
    run(run_worker(settings, once=True, schedule=False))
    assert len(closed) == 1
