"""The REST channel (local use and tests): Rasa's request and response shape, our identities.

- Bad bodies get a 400 (413 when too long) that says what is wrong, and nothing is stored.
- The sender handle is never Rasa's sender id: it is mapped to a participant id (a demo
  participant is enrolled while ``COACH_AUTO_ENROL`` is on; otherwise 403).
- The risk decision travels in the metadata; a flagged message raises its alert first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from sqlalchemy import func, select

from bot.channels.ingress import MAX_TEXT
from bot.channels.rest import CoachRestInput
from bot.runtime import Runtime
from coach.core.db.models import Participant
from coach.core.identity import find_participant, is_participant_id
from escalation.risk import NOTHING
from tests.conftest import db_session
from tests.unit.bot.channels.conftest import FakeRasa, Served, alerts

PATH = "/webhooks/rest/webhook"
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def rest_rt(app):
    return Runtime.from_settings(app.settings, telegram=None, sms=None)


def post(rt, *bodies, rasa=None):
    """POST each body (bytes, or JSON-able) to the mounted REST webhook; [(status, json)]."""
    channel, rasa = CoachRestInput(rt), rasa or FakeRasa()

    async def main():
        out = []
        async with Served(channel, rasa) as served:
            for body in bodies:
                raw = body if isinstance(body, bytes) else json.dumps(body).encode()
                r = await served.post(PATH, raw, JSON)
                out.append((r.status_code, r.json()))
        return out

    return asyncio.run(asyncio.wait_for(main(), 20)), rasa


def participants() -> int:
    with db_session() as s:
        return s.execute(select(func.count()).select_from(Participant)).scalar()


@pytest.mark.parametrize("body,status,words", [
    (b"not json", 400, "must be JSON"),
    (b"", 400, "JSON object"),
    (b"[1, 2]", 400, "JSON object"),
    (b'"hi"', 400, "JSON object"),
    ({"message": "hi"}, 400, "'sender'"),
    ({"sender": "", "message": "hi"}, 400, "'sender'"),
    ({"sender": "   ", "message": "hi"}, 400, "'sender'"),
    ({"sender": 42, "message": "hi"}, 400, "'sender'"),
    ({"sender": "x" * 129, "message": "hi"}, 400, "128"),
    ({"sender": "me"}, 400, "'message' must be a string"),
    ({"sender": "me", "message": 5}, 400, "'message' must be a string"),
    ({"sender": "me", "message": ["hi"]}, 400, "'message' must be a string"),
    ({"sender": "me", "message": "   "}, 400, "empty"),
    ({"sender": "me", "message": "x" * (MAX_TEXT + 1)}, 413, f"{MAX_TEXT}"),
], ids=lambda v: repr(v)[:40])
def test_bad_bodies_say_what_is_wrong_and_store_nothing(rest_rt, body, status, words):
    [(got, answer)], rasa = post(rest_rt, body)
    assert got == status and words in answer["error"]
    assert rasa.messages == [] and participants() == 0


def test_a_message_of_exactly_the_limit_is_taken(rest_rt):
    [(status, _)], rasa = post(rest_rt, {"sender": "me", "message": "x" * MAX_TEXT})
    assert status == 200 and len(rasa.messages) == 1


def test_a_new_handle_becomes_a_demo_participant_and_rasa_sees_only_his_participant_id(rest_rt):
    [(status, answer), (_, again)], rasa = post(rest_rt, {"sender": "dan@example", "message": "hi"},
                                                 {"sender": "dan@example", "message": "hi again"})
    first, second = rasa.messages
    assert status == 200 and is_participant_id(first.sender_id) and first.sender_id == second.sender_id
    assert "dan@example" not in first.sender_id and first.input_channel == "rest"
    assert answer == [{"recipient_id": first.sender_id, "text": "ok"}] and again == answer
    with db_session() as s:
        p = s.get(Participant, first.sender_id)
        assert p.is_demo and find_participant(s, rest_rt.vault, "rest", "dan@example").id == p.id


def test_the_handle_is_trimmed(rest_rt):
    _, rasa = post(rest_rt, {"sender": "dan", "message": "hi"}, {"sender": "  dan ", "message": "hi"})
    assert rasa.messages[0].sender_id == rasa.messages[1].sender_id


def test_the_metadata_carries_the_risk_decision(rest_rt):
    _, rasa = post(rest_rt, {"sender": "dan", "message": "about a 6 i reckon"})
    assert rasa.messages[0].metadata == {"risk": NOTHING.to_metadata()}


@pytest.mark.safety
def test_a_flagged_message_raises_its_alert_before_rasa_and_says_so_in_the_metadata(rest_rt):
    seen = []

    class Checking(FakeRasa):
        async def __call__(self, message):
            seen.append(len(alerts(message.sender_id)))  # the alert exists before Rasa runs
            await super().__call__(message)

    _, rasa = post(rest_rt, {"sender": "dan", "message": "I'm going to end my life tonight"}, rasa=Checking())
    [message] = rasa.messages
    risk = message.metadata["risk"]
    assert risk["escalate"] is True and risk["category"] == "suicide_self_harm" and risk["checked"] is True
    assert seen == [1] and len(alerts(message.sender_id)) == 1


def test_an_unknown_handle_is_refused_when_auto_enrol_is_off(app):
    closed = Runtime.from_settings(dataclasses.replace(app.settings, auto_enrol=False), telegram=None, sms=None)
    [(status, answer)], rasa = post(closed, {"sender": "stranger", "message": "hi"})
    assert status == 403 and "not enrolled" in answer["error"]
    assert rasa.messages == [] and participants() == 0


def test_a_known_handle_still_works_when_auto_enrol_is_off(app, rest_rt):
    _, rasa = post(rest_rt, {"sender": "dan", "message": "hi"})
    pid = rasa.messages[0].sender_id
    closed = Runtime.from_settings(dataclasses.replace(app.settings, auto_enrol=False), telegram=None, sms=None)
    [(status, _)], rasa = post(closed, {"sender": "dan", "message": "hi again"})
    assert status == 200 and rasa.messages[0].sender_id == pid


def test_local_tools_can_address_a_participant_directly_while_auto_enrol_is_on(rest_rt):
    _, rasa = post(rest_rt, {"sender": "dan", "message": "hi"})
    pid = rasa.messages[0].sender_id
    _, rasa = post(rest_rt, {"sender": pid, "message": "as him"})
    assert rasa.messages[0].sender_id == pid and participants() == 1


def test_a_participant_id_is_just_a_handle_when_auto_enrol_is_off(app, rest_rt):
    _, rasa = post(rest_rt, {"sender": "dan", "message": "hi"})
    pid = rasa.messages[0].sender_id
    closed = Runtime.from_settings(dataclasses.replace(app.settings, auto_enrol=False), telegram=None, sms=None)
    [(status, _)], rasa = post(closed, {"sender": pid, "message": "pretending to be him"})
    assert status == 403 and rasa.messages == []


def test_the_health_check(rest_rt):
    async def main():
        async with Served(CoachRestInput(rest_rt), FakeRasa()) as served:
            r = await served.get("/webhooks/rest/")
            return r.status_code, r.json()

    assert asyncio.run(asyncio.wait_for(main(), 20)) == (200, {"status": "ok"})
