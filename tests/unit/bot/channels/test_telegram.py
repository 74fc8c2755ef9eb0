"""The Telegram channel, with the fake Bot API standing in for Telegram and a fake for Rasa.

What a man on Telegram sees: his message reaches the coach once, as his participant id
(never his chat id); the reply comes back to his chat; STOP, START, HELP, stickers and
edits are answered without the dialogue; blocking the bot opts him out; nothing is
stored from a request without the webhook secret.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from bot.channels.telegram import TelegramInput
from coach.core.db.models import InboundMessage
from coach.core.identity import find_participant, link_identity
from coach.messaging.telegram import parse_update
from coach.programme.enrolment import enrol, enrol_with_code
from escalation.risk import NOTHING
from tests.conftest import content, db_session
from tests.fakes.telegram_api import (
    make_callback_update,
    make_edited_message_update,
    make_photo_update,
    make_sticker_update,
    make_text_update,
    make_voice_update,
    webhook_request,
)
from tests.unit.bot.channels.conftest import (
    CHAT,
    SECRET,
    STAFF_CHAT,
    FakeRasa,
    Served,
    alerts,
    drive,
    inbox,
    participant,
    settle,
)

WEBHOOK = "/webhooks/telegram/webhook"
_ids = iter(range(5000, 10_000))


def text(words: str, chat: str = CHAT) -> dict:
    return make_text_update(next(_ids), int(chat), int(chat), words)


def kicked(chat: str = CHAT, status: str = "kicked") -> dict:
    bot = {"id": 123, "is_bot": True, "first_name": "Coach"}
    new = {"user": bot, "status": status, **({"until_date": 0} if status == "kicked" else {})}
    old = {"user": bot, "status": "member" if status == "kicked" else "kicked", "until_date": 0}
    return {"update_id": next(_ids), "my_chat_member": {
        "chat": {"id": int(chat), "type": "private", "first_name": "Dan"},
        "from": {"id": int(chat), "is_bot": False, "first_name": "Dan"}, "date": 1700000000,
        "old_chat_member": old, "new_chat_member": new}}


def handle_all(rt, updates, rasa=None):
    """Hand each update to a fresh channel as the webhook would, and wait for the background work."""
    channel = TelegramInput(rt)
    rasa = rasa or FakeRasa()

    async def main():
        for update in updates:
            [inbound] = parse_update(json.dumps(update).encode())
            await channel.handle(inbound, rasa)
        await settle(channel)

    drive(rt, main)
    return rasa


def messages():
    return content().messages


# -- to the dialogue and back --------------------------------------------------------------------------

def test_his_text_reaches_rasa_once_as_his_participant_id_and_the_reply_goes_to_his_chat(rt, pid, tg):
    rasa = handle_all(rt, [text("about a 6 i reckon")])
    [message] = rasa.messages
    assert message.sender_id == pid and message.text == "about a 6 i reckon"
    assert message.input_channel == "telegram" and message.message_id
    assert message.metadata == {"risk": NOTHING.to_metadata()}
    assert CHAT not in json.dumps(message.metadata)  # his chat id never goes into Rasa
    assert tg.sent_texts(CHAT) == ["ok"]


def test_the_inbox_row_ends_done_with_the_text_cleared(rt, pid):
    handle_all(rt, [text("about a 6 i reckon")])
    [row] = inbox("telegram")
    assert (row.status, row.text, row.participant_id) == ("done", None, pid)
    assert row.processed_at is not None


def test_a_redelivered_update_is_dropped(rt, pid, tg):
    update = text("about a 6 i reckon")
    rasa = handle_all(rt, [update, update])
    assert len(rasa.messages) == 1 and tg.sent_texts(CHAT) == ["ok"]
    assert len(inbox("telegram")) == 1


def test_a_button_press_goes_to_rasa_and_its_spinner_is_stopped(rt, pid, tg):
    update = make_callback_update(next(_ids), int(CHAT), int(CHAT), "yes", message_id=77, callback_id="cb-9")
    rasa = handle_all(rt, [update])
    assert [m.text for m in rasa.messages] == ["yes"]
    [answer] = tg.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "cb-9"


def test_reply_buttons_become_an_inline_keyboard_on_the_last_message(rt, pid, tg):
    rasa = FakeRasa("Ready?", buttons=[{"title": "Y", "payload": "Y"}, {"title": "N", "payload": "N"}])
    handle_all(rt, [text("hi")], rasa)
    [sent] = tg.sent_messages(CHAT)
    assert sent.params["text"] == "Ready?"
    keyboard = sent.params["reply_markup"]["inline_keyboard"]
    assert keyboard == [[{"text": "Y", "callback_data": "Y"}, {"text": "N", "callback_data": "N"}]]


def test_messages_from_two_men_go_to_their_own_chats(rt, pid, tg):
    with db_session() as s:
        other = enrol(s, site="north", start=participant(pid).start_date).id
        link_identity(s, rt.vault, other, "telegram", "5151")
    rasa = handle_all(rt, [text("first", CHAT), text("second", "5151")])
    assert {m.sender_id: m.text for m in rasa.messages} == {pid: "first", other: "second"}
    assert tg.sent_texts(CHAT) == ["ok"] and tg.sent_texts("5151") == ["ok"]


# -- answered without the dialogue -------------------------------------------------------------------------

def test_stop_opts_him_out_and_start_brings_him_back_without_rasa(rt, pid, tg):
    rasa = handle_all(rt, [text("STOP")])
    p = participant(pid)
    assert p.opted_out_at is not None and p.opt_out_reason == "telegram_stop"
    rasa2 = handle_all(rt, [text("hello?"), text("START")])
    assert rasa.messages == [] and rasa2.messages == []
    assert tg.sent_texts(CHAT) == [messages()["stopped"], messages()["still_stopped"], messages()["started"]]
    assert participant(pid).opted_out_at is None
    assert all(row.text is None for row in inbox("telegram"))


def test_help_is_answered_directly(rt, pid, tg):
    rasa = handle_all(rt, [text("help")])
    assert rasa.messages == [] and tg.sent_texts(CHAT) == [messages()["help"]]


def test_stickers_photos_and_voice_notes_get_a_polite_answer(rt, pid, tg):
    updates = [make_sticker_update(next(_ids), int(CHAT), int(CHAT)),
               make_photo_update(next(_ids), int(CHAT), int(CHAT), caption="me"),
               make_voice_update(next(_ids), int(CHAT), int(CHAT))]
    rasa = handle_all(rt, updates)
    assert rasa.messages == [] and tg.sent_texts(CHAT) == [messages()["non_text"]] * 3


def test_an_edited_message_is_answered_not_replayed(rt, pid, tg):
    rasa = handle_all(rt, [make_edited_message_update(next(_ids), int(CHAT), int(CHAT), "i meant 7")])
    assert rasa.messages == [] and tg.sent_texts(CHAT) == [messages()["edited"]]


def test_blocking_the_bot_opts_him_out_silently(rt, pid, tg):
    rasa = handle_all(rt, [kicked()])
    p = participant(pid)
    assert p.opted_out_at is not None and p.opt_out_reason == "telegram_blocked"
    assert rasa.messages == [] and tg.sent_messages() == []


def test_unblocking_does_not_opt_him_back_in(rt, pid, tg):
    handle_all(rt, [kicked(), kicked(status="member")])
    assert participant(pid).opted_out_at is not None  # START does that, when he says so
    assert tg.sent_messages() == []


def test_a_reply_telegram_refuses_because_he_blocked_the_bot_opts_him_out(rt, pid, tg):
    tg.block_chat(CHAT)
    rasa = handle_all(rt, [text("hi")])
    assert len(rasa.messages) == 1
    p = participant(pid)
    assert p.opted_out_at is not None and p.opt_out_reason == "telegram_blocked"


def test_a_reply_that_fails_otherwise_does_not_opt_him_out(rt, pid, tg):
    tg.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    handle_all(rt, [text("hi")])
    assert participant(pid).opted_out_at is None
    assert inbox("telegram")[0].status == "done"


def test_group_chats_are_ignored_and_nothing_is_stored(rt, pid, tg):
    rasa = handle_all(rt, [make_text_update(next(_ids), -100123, int(CHAT), "hello group")])
    assert rasa.messages == [] and tg.sent_messages() == [] and inbox() == []


# -- proactive messages (nudges Rasa relays) --------------------------------------------------------------

def test_a_proactive_message_finds_his_chat(rt, pid, tg):
    channel = TelegramInput(rt)

    async def main():
        await channel.get_output_channel().send_text_message(pid, "Week 2 is ready")

    drive(rt, main)
    assert tg.sent_texts(CHAT) == ["Week 2 is ready"]


def test_no_proactive_message_after_he_opted_out(rt, pid, tg):
    handle_all(rt, [text("STOP")])
    tg.reset()
    channel = TelegramInput(rt)

    async def main():
        await channel.get_output_channel().send_text_message(pid, "Week 2 is ready")

    drive(rt, main)
    assert tg.sent_messages() == []


# -- the webhook over HTTP -------------------------------------------------------------------------------------

def post_updates(rt, requests, rasa=None):
    """POST (headers, body) pairs to the mounted webhook; (status, json) for each."""
    channel = TelegramInput(rt)
    rasa = rasa or FakeRasa()

    async def main():
        out = []
        async with Served(channel, rasa) as served:
            for headers, body in requests:
                r = await served.post(WEBHOOK, body, headers)
                out.append((r.status_code, r.json()))
            await settle(channel)
        return out

    return drive(rt, main), rasa


def test_an_update_with_the_secret_is_answered_200_and_processed(rt, pid, tg):
    [(status, body)], rasa = post_updates(rt, [webhook_request(text("hi"), SECRET)])
    assert (status, body) == (200, {"ok": True})
    assert len(rasa.messages) == 1 and tg.sent_texts(CHAT) == ["ok"]


def test_without_the_right_secret_it_is_403_and_nothing_is_stored(rt, pid, tg):
    results, rasa = post_updates(rt, [webhook_request(text("hi"), "wrong"), webhook_request(text("hi"), None)])
    assert results == [(403, {"error": "forbidden"})] * 2
    assert rasa.messages == [] and inbox() == [] and tg.sent_messages() == []


def test_a_malformed_body_is_400_saying_what_is_wrong(rt, pid):
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    results, _ = post_updates(rt, [(headers, b"not json"), (headers, b'{"update_id": "x"}'),
                                   (headers, b'{"update_id": 1, "message": {"text": "no chat"}}')])
    assert [status for status, _ in results] == [400, 400, 400]
    assert all(body["error"] for _, body in results)
    assert inbox() == []


def test_the_health_check(rt):
    channel = TelegramInput(rt)

    async def main():
        async with Served(channel, FakeRasa()) as served:
            r = await served.get("/webhooks/telegram/")
            return r.status_code, r.json()

    assert drive(rt, main) == (200, {"status": "ok"})


def test_a_join_code_sent_with_start_links_his_chat(rt, tg):
    """Telegram's deep link (t.me/bot?start=CODE) arrives as /start CODE."""
    with db_session() as s:
        enrolled = enrol_with_code(s, rt.vault, "north", date(2026, 1, 5))
    rasa = handle_all(rt, [text(f"/start {enrolled.code}", "777")])
    assert rasa.messages == [] and tg.sent_texts("777") == [messages()["join_ok"]]
    with db_session() as s:
        assert find_participant(s, rt.vault, "telegram", "777").id == enrolled.participant_id
        row = s.execute(select(InboundMessage)).scalar_one()
        assert row.participant_id == enrolled.participant_id and row.text is None


# -- risk in what is not an ordinary message ------------------------------------------------------------------

@pytest.mark.safety
def test_an_edit_that_discloses_risk_raises_an_alert_and_gets_the_crisis_reply(rt, pid, staff_id, tg):
    rasa = handle_all(rt, [make_edited_message_update(next(_ids), int(CHAT), int(CHAT),
                                                      "I'm going to end my life tonight")])
    [alert] = alerts(pid)
    assert alert.category == "suicide_self_harm"
    assert alert.code in tg.sent_texts(STAFF_CHAT)[0]
    [message] = rasa.messages  # to the dialogue, so he gets 999 and the helplines, not "you edited"
    assert message.text == "I'm going to end my life tonight" and message.metadata["risk"]["escalate"] is True


@pytest.mark.safety
def test_a_photo_caption_that_discloses_risk_raises_an_alert_and_gets_the_crisis_reply(rt, pid, staff_id, tg):
    rasa = handle_all(rt, [make_photo_update(next(_ids), int(CHAT), int(CHAT),
                                             caption="I'm going to end my life tonight")])
    assert len(alerts(pid)) == 1
    [message] = rasa.messages
    assert message.text == "I'm going to end my life tonight" and message.metadata["risk"]["escalate"] is True
