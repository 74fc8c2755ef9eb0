"""People the coach doesn't know yet: JOIN <code> links them; anyone else gets one short answer.

- ``JOIN K7Q2MX4P`` (any case, with or without the hyphen) links the chat to the man the code
  was issued for; his next message goes to the coach as him.
- A wrong, used or expired code says so; too many tries in an hour are refused, once.
- Anything else gets one "how to join" answer a day; a message that signals danger gets the
  urgent-help answer instead (no alert: we don't know who it is). Nothing reaches Rasa.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.channels.joining import JOIN_ATTEMPTS
from bot.channels.telegram import TelegramInput
from coach.core.db.models import EnrolmentCode, Participant, SenderCounter, utcnow
from coach.core.identity import find_participant
from coach.messaging.telegram import parse_update
from coach.programme.enrolment import enrol_with_code, opt_out
from tests.conftest import content, db_session
from tests.fakes.telegram_api import make_callback_update, make_text_update
from tests.unit.bot.channels.conftest import FakeRasa, alerts, drive, inbox, settle

STRANGER = "777"
_ids = iter(range(60_000, 70_000))


def text(words, chat=STRANGER):
    return make_text_update(next(_ids), int(chat), int(chat), words)


def send(rt, *updates, rasa=None):
    channel, rasa = TelegramInput(rt), rasa or FakeRasa()

    async def main():
        for update in updates:
            [inbound] = parse_update(json.dumps(update).encode())
            await channel.handle(inbound, rasa)
        await settle(channel)

    drive(rt, main)
    return rasa


def messages():
    return content().messages


@pytest.fixture
def enrolled(rt):
    with db_session() as s:
        return enrol_with_code(s, rt.vault, "north", date(2026, 1, 5))


def linked(rt, chat=STRANGER):
    with db_session() as s:
        p = find_participant(s, rt.vault, "telegram", chat)
        return p.id if p else None


# -- strangers --------------------------------------------------------------------------------------------

def test_a_stranger_gets_one_how_to_join_answer_a_day(rt, tg):
    rasa = send(rt, text("hello?"), text("who is this"), text("hello??"))
    assert tg.sent_texts(STRANGER) == [messages()["unknown_sender"]] and rasa.messages == []
    rows = inbox()
    assert len(rows) == 3 and all(r.text is None and r.participant_id is None and r.status == "done" for r in rows)


def test_a_day_later_he_is_answered_again(rt, tg):
    send(rt, text("hello?"))
    with db_session() as s:
        for counter in s.execute(select(SenderCounter)).scalars():
            counter.window_start = utcnow() - timedelta(hours=25)
    send(rt, text("hello again"))
    assert tg.sent_texts(STRANGER) == [messages()["unknown_sender"]] * 2


def test_each_stranger_has_his_own_allowance(rt, tg):
    send(rt, text("hi", "701"), text("hi", "702"))
    assert tg.sent_texts("701") == tg.sent_texts("702") == [messages()["unknown_sender"]]


def test_a_strangers_button_press_is_answered_too(rt, tg):
    send(rt, make_callback_update(next(_ids), int(STRANGER), int(STRANGER), "Y", message_id=3, callback_id="cb"))
    assert len(tg.calls_to("answerCallbackQuery")) == 1
    assert tg.sent_texts(STRANGER) == [messages()["unknown_sender"]]


@pytest.mark.safety
def test_a_stranger_in_danger_gets_the_urgent_answer_every_time_within_reason(rt, tg):
    danger = "I'm going to end my life tonight"
    send(rt, *[text(danger) for _ in range(6)])
    assert tg.sent_texts(STRANGER) == [messages()["unknown_sender_urgent"]] * 5  # at most five an hour
    assert alerts() == []  # nobody to raise it for


@pytest.mark.safety
def test_the_urgent_answer_is_not_used_up_by_ordinary_messages(rt, tg):
    send(rt, text("hello?"), text("I'm going to end my life tonight"))
    assert tg.sent_texts(STRANGER) == [messages()["unknown_sender"], messages()["unknown_sender_urgent"]]


# -- joining -----------------------------------------------------------------------------------------------------

def test_join_with_his_code_links_the_chat_and_his_next_message_goes_to_the_coach(rt, tg, enrolled):
    rasa = send(rt, text(f"JOIN {enrolled.code}"), text("hi"))
    assert linked(rt) == enrolled.participant_id
    assert tg.sent_texts(STRANGER) == [messages()["join_ok"], "ok"]
    assert [(m.sender_id, m.text) for m in rasa.messages] == [(enrolled.participant_id, "hi")]
    join_row = inbox()[0]
    assert join_row.participant_id == enrolled.participant_id and join_row.text is None
    with db_session() as s:
        code = s.execute(select(EnrolmentCode)).scalar_one()
        assert code.used_at is not None and code.used_channel == "telegram"


@pytest.mark.parametrize("how", ["join {lower}", "Join {hyphen}.", "  JOIN {code}  ", "/start {code}"])
def test_the_code_is_read_however_he_types_it(rt, tg, enrolled, how):
    code = enrolled.code
    words = how.format(code=code, lower=code.lower(), hyphen=f"{code[:4]}-{code[4:]}")
    send(rt, text(words))
    assert linked(rt) == enrolled.participant_id and tg.sent_texts(STRANGER) == [messages()["join_ok"]]


def test_a_wrong_code_says_so_and_links_nothing(rt, tg, enrolled):
    send(rt, text("JOIN ZZZZ2222"))
    assert linked(rt) is None and tg.sent_texts(STRANGER) == [messages()["join_wrong"]]


def test_a_used_code_cannot_link_a_second_chat(rt, tg, enrolled):
    send(rt, text(f"JOIN {enrolled.code}", "701"), text(f"JOIN {enrolled.code}", "702"))
    assert linked(rt, "701") == enrolled.participant_id and linked(rt, "702") is None
    assert tg.sent_texts("702") == [messages()["join_used"]]


def test_an_expired_code_says_so(rt, tg, enrolled):
    with db_session() as s:
        s.execute(select(EnrolmentCode)).scalar_one().expires_at = utcnow() - timedelta(minutes=1)
    send(rt, text(f"JOIN {enrolled.code}"))
    assert linked(rt) is None and tg.sent_texts(STRANGER) == [messages()["join_expired"]]


def test_too_many_tries_in_an_hour_are_refused_once_then_quietly(rt, tg, enrolled):
    wrong = [text(f"JOIN WRNG{i}XYZ") for i in range(JOIN_ATTEMPTS)]
    send(rt, *wrong, text(f"JOIN {enrolled.code}"), text(f"JOIN {enrolled.code}"))
    assert tg.sent_texts(STRANGER) == [messages()["join_wrong"]] * JOIN_ATTEMPTS + [messages()["join_rate_limited"]]
    assert linked(rt) is None  # even the right code waits for the hour


def test_joining_turns_his_messages_back_on(rt, tg, enrolled):
    with db_session() as s:
        opt_out(s, enrolled.participant_id, "telegram_stop")
    send(rt, text(f"JOIN {enrolled.code}"))
    with db_session() as s:
        assert s.get(Participant, enrolled.participant_id).opted_out_at is None


def test_a_redelivered_join_is_answered_once(rt, tg, enrolled):
    join = text(f"JOIN {enrolled.code}")
    send(rt, join, join)
    assert tg.sent_texts(STRANGER) == [messages()["join_ok"]]
