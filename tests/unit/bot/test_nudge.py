"""The worker's nudges go through Rasa's HTTP API; each answer means something for the schedule.

A tiny loopback HTTP server plays Rasa: 200 is sent, 401/403 is a token problem (permanent),
other statuses and a refused connection are retried later, no answer in time is in doubt
(Rasa may have relayed it: never sent twice). ``delivered`` reads his tracker after a crash.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.nudge import RasaSender
from coach.programme.schedule import SendResult
from tests.conftest import free_port

PID = "P-7KQ2XM"


class FakeRasaServer:
    """Answers trigger_intent with ``status`` (after ``delay`` seconds) and tracker GETs with ``events``."""

    def __init__(self):
        self.status, self.delay, self.events, self.tracker_status = 200, 0.0, [], 200
        self.requests = []
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_a):
                pass

            def _reply(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake._record("POST", self.path, body)
                with fake._lock:
                    fake.in_flight += 1
                    fake.most_in_flight = max(fake.most_in_flight, fake.in_flight)
                try:
                    if fake.delay:
                        time.sleep(fake.delay)
                    self._reply(fake.status, {"tracker": {}, "messages": []})
                finally:
                    with fake._lock:
                        fake.in_flight -= 1

            def do_GET(self):
                fake._record("GET", self.path, b"")
                self._reply(fake.tracker_status, {"sender_id": PID, "events": fake.events})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def _record(self, method, path, body):
        split = urllib.parse.urlsplit(path)
        with self._lock:
            self.requests.append((method, split.path, dict(urllib.parse.parse_qsl(split.query)),
                                  json.loads(body) if body else None))

    @property
    def port(self):
        return self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def rasa():
    with FakeRasaServer() as server:
        yield server


def settings_for(app, port, **changes):
    return dataclasses.replace(app.settings, rasa_host="127.0.0.1", rasa_port=port, **changes)


def run(sender: RasaSender, coro_fn):
    async def main():
        try:
            return await coro_fn()
        finally:
            await sender.close()

    return asyncio.run(asyncio.wait_for(main(), 15))


def test_a_nudge_is_a_trigger_intent_on_his_channel(app, rasa):
    settings = settings_for(app, rasa.port)
    sender = RasaSender(settings)
    result = run(sender, lambda: sender.send(PID, "telegram", 17, "Week 2 is ready. Reply HI."))
    assert result == SendResult("sent")
    [(method, path, query, body)] = rasa.requests
    assert (method, path) == ("POST", f"/conversations/{PID}/trigger_intent")
    assert query == {"output_channel": "telegram", "token": settings.rasa_auth_token}
    assert body == {"name": "nudge", "entities": {"nudge_id": "17", "nudge_text": "Week 2 is ready. Reply HI."}}


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_permanent(app, rasa, status):
    rasa.status = status
    sender = RasaSender(settings_for(app, rasa.port))
    result = run(sender, lambda: sender.send(PID, "sms", 1, "hi"))
    assert result.outcome == "permanent" and "RASA_AUTH_TOKEN" in result.detail


@pytest.mark.parametrize("status", [404, 409, 500, 502, 503])
def test_other_answers_are_retried_later(app, rasa, status):
    rasa.status = status
    sender = RasaSender(settings_for(app, rasa.port))
    result = run(sender, lambda: sender.send(PID, "telegram", 1, "hi"))
    assert result.outcome == "retry" and str(status) in result.detail and result.retry_after > 0


def test_rasa_not_running_is_retried_later(app):
    sender = RasaSender(settings_for(app, free_port()), timeout=2)
    result = run(sender, lambda: sender.send(PID, "telegram", 1, "hi"))
    assert result.outcome == "retry" and "not reachable" in result.detail and result.retry_after > 0


def test_no_answer_in_time_is_in_doubt_never_resent(app, rasa):
    rasa.delay = 1.0
    sender = RasaSender(settings_for(app, rasa.port), timeout=0.2)
    result = run(sender, lambda: sender.send(PID, "telegram", 1, "hi"))
    assert result.outcome == "in_doubt"
    assert len(rasa.requests) == 1


def test_in_flight_requests_are_capped_per_channel(app, rasa):
    rasa.delay = 0.1
    settings = settings_for(app, rasa.port, rate_telegram_per_second=1.0, rate_sms_segments_per_second=1.0)
    sender = RasaSender(settings, wait_seconds=1.0)
    assert sender.in_flight == {"telegram": 1, "sms": 1}

    async def three_on_telegram():
        return await asyncio.gather(*(sender.send(PID, "telegram", i, "hi") for i in range(3)))

    assert [r.outcome for r in run(sender, three_on_telegram)] == ["sent"] * 3
    assert rasa.most_in_flight == 1


def test_channels_do_not_queue_behind_each_other(app, rasa):
    rasa.delay = 0.3
    settings = settings_for(app, rasa.port, rate_telegram_per_second=1.0, rate_sms_segments_per_second=1.0)
    sender = RasaSender(settings, wait_seconds=1.0)

    async def one_each():
        return await asyncio.gather(sender.send(PID, "telegram", 1, "hi"), sender.send(PID, "sms", 2, "hi"))

    run(sender, one_each)
    assert rasa.most_in_flight == 2


def test_the_caps_follow_the_sending_rates(app):
    settings = dataclasses.replace(app.settings, rate_telegram_per_second=30, rate_sms_segments_per_second=1)
    sender = RasaSender(settings)
    assert sender.in_flight == {"telegram": 60, "sms": 2}
    asyncio.run(sender.close())


def user_event(entities):
    return {"event": "user", "text": "/nudge", "parse_data": {"intent": {"name": "nudge"}, "entities": entities}}


def test_delivered_finds_the_nudge_in_his_tracker(app, rasa):
    rasa.events = [{"event": "action", "name": "action_listen"},
                   user_event([{"entity": "nudge_id", "value": "16"}]),
                   user_event([{"entity": "nudge_text", "value": "x"}, {"entity": "nudge_id", "value": 17}])]
    settings = settings_for(app, rasa.port)
    sender = RasaSender(settings)
    assert run(sender, lambda: sender.delivered(PID, 17)) is True
    (method, path, query, _body) = rasa.requests[0]
    assert (method, path) == ("GET", f"/conversations/{PID}/tracker")
    assert query == {"include_events": "ALL", "token": settings.rasa_auth_token}


@pytest.mark.parametrize("events", [
    [],
    [user_event([{"entity": "nudge_id", "value": "16"}])],
    [{"event": "bot", "text": "17"}, user_event([]), {"event": "user", "text": "hi"}],
    [{"event": "slot", "name": "nudge_id", "value": "17"}],
])
def test_delivered_is_false_when_his_tracker_does_not_have_it(app, rasa, events):
    rasa.events = events
    sender = RasaSender(settings_for(app, rasa.port))
    assert run(sender, lambda: sender.delivered(PID, 17)) is False


def test_delivered_cannot_tell_when_rasa_cannot_answer(app, rasa):
    rasa.tracker_status = 500
    sender = RasaSender(settings_for(app, rasa.port))
    assert run(sender, lambda: sender.delivered(PID, 17)) is None
    down = RasaSender(settings_for(app, free_port()), timeout=2)
    assert run(down, lambda: down.delivered(PID, 17)) is None
