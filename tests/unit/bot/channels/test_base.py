"""What the webhook channels share (bot/channels/base.py), driven through the Telegram channel.

- A flagged message raises one alert, and staff hear of it before he gets his reply.
- Messages go to Rasa in arrival order for each man; the inbox row ends done, text cleared.
- After a crash, rows an earlier process took in are handed to Rasa once when the server
  starts again; rows of this process are not.
- An update that could not be stored is answered 503 so the provider delivers it again;
  one that was stored but failed later is 200 (it is recovered on restart).
- His replies go to the chat the turn came from; proactive messages look his link up and
  respect opting out; a provider that says he blocked us opts him out.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.channels.telegram import TelegramInput
from coach.core.db.models import Alert, AlertNotification, InboundMessage, Participant, utcnow
from coach.core.identity import link_identity
from coach.core.notify import SendError
from coach.messaging.telegram import parse_update
from coach.programme.enrolment import enrol
from escalation.risk import NOTHING
from tests.conftest import content, db_session
from tests.fakes.telegram_api import make_text_update, webhook_request
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
DANGER = "I'm going to end my life tonight"
_ids = iter(range(20_000, 30_000))


def update(words: str, chat: str = CHAT) -> dict:
    return make_text_update(next(_ids), int(chat), int(chat), words)


def inbound(words: str, chat: str = CHAT):
    [one] = parse_update(json.dumps(update(words, chat)).encode())
    return one


# -- escalation: staff first, exactly once ---------------------------------------------------------------

@pytest.mark.safety
def test_a_flagged_message_raises_one_alert_and_staff_hear_before_his_reply(rt, pid, staff_id, tg):
    channel, rasa = TelegramInput(rt), FakeRasa("I'm glad you told me.")
    danger = inbound(DANGER)

    async def main():
        await channel.handle(danger, rasa)
        await settle(channel)
        await channel.handle(danger, rasa)  # Telegram delivers it again
        await settle(channel)

    drive(rt, main)
    [alert] = alerts(pid)
    assert alert.category == "suicide_self_harm" and alert.text == DANGER
    sent_to = [str(c.params["chat_id"]) for c in tg.sent_messages(successful_only=True)]
    assert sent_to == [STAFF_CHAT, CHAT]  # staff first, then his reply; once each
    assert alert.code in tg.sent_texts(STAFF_CHAT)[0]
    [message] = rasa.messages
    risk = message.metadata["risk"]
    assert risk["escalate"] is True and risk["category"] == "suicide_self_harm" and risk["checked"] is True
    with db_session() as s:
        [n] = s.execute(select(AlertNotification).where(AlertNotification.alert_id == alert.id)).scalars()
        assert n.status == "sent" and n.staff_id == staff_id


@pytest.mark.safety
def test_the_alert_is_raised_even_when_staff_cannot_be_reached_and_he_still_gets_his_reply(rt, pid, staff_id, tg):
    tg.block_chat(STAFF_CHAT)
    channel, rasa = TelegramInput(rt), FakeRasa()

    async def main():
        await channel.handle(inbound(DANGER), rasa)
        await settle(channel)

    drive(rt, main)
    assert len(alerts(pid)) == 1 and tg.sent_texts(CHAT) == ["ok"] and len(rasa.messages) == 1


@pytest.mark.safety
def test_a_flagged_message_over_http_is_stored_alerted_and_answered_200(rt, pid, staff_id, tg):
    channel, rasa = TelegramInput(rt), FakeRasa()

    async def main():
        async with Served(channel, rasa) as served:
            headers, body = webhook_request(update(DANGER), SECRET)
            r = await served.post(WEBHOOK, body, headers)
            await settle(channel)
            return r.status_code

    assert drive(rt, main) == 200
    assert len(alerts(pid)) == 1 and tg.sent_texts(STAFF_CHAT) and tg.sent_texts(CHAT) == ["ok"]


# -- to Rasa, in order, once ---------------------------------------------------------------------------------

class Recording(FakeRasa):
    """Records when each message starts and ends; the message "slow" takes a while."""

    def __init__(self):
        super().__init__()
        self.events = []

    async def __call__(self, message):
        self.events.append(("start", message.text))
        if message.text == "slow":
            await asyncio.sleep(0.2)
        self.events.append(("end", message.text))
        await super().__call__(message)


def test_his_messages_reach_rasa_in_the_order_he_sent_them(rt, pid):
    channel, rasa = TelegramInput(rt), Recording()

    async def main():
        await channel.handle(inbound("slow"), rasa)
        await channel.handle(inbound("then this"), rasa)
        await settle(channel)

    drive(rt, main)
    assert rasa.events == [("start", "slow"), ("end", "slow"), ("start", "then this"), ("end", "then this")]


def test_two_men_do_not_wait_for_each_other(rt, pid):
    with db_session() as s:
        other = enrol(s, site="north", start=participant(pid).start_date).id
        link_identity(s, rt.vault, other, "telegram", "5151")
    channel, rasa = TelegramInput(rt), Recording()

    async def main():
        await channel.handle(inbound("slow"), rasa)
        await channel.handle(inbound("quick", "5151"), rasa)
        await settle(channel)

    drive(rt, main)
    assert rasa.events.index(("end", "quick")) < rasa.events.index(("end", "slow"))


def test_a_message_rasa_fails_on_is_still_marked_done_and_not_retried(rt, pid):
    channel, rasa = TelegramInput(rt), FakeRasa(error=RuntimeError("model crashed"))

    async def main():
        await channel.handle(inbound("hi"), rasa)
        await settle(channel)
        await channel._resume_unprocessed(rasa)

    drive(rt, main)
    assert len(rasa.messages) == 1
    [row] = inbox()
    assert row.status == "done" and row.text is None


# -- after a restart --------------------------------------------------------------------------------------------

def leave_row(pid, text, *, ago=timedelta(minutes=5), status="processing", channel="telegram", external_id=None):
    """A row an earlier process stored but never finished (received ``ago`` before now)."""
    with db_session() as s:
        row = InboundMessage(channel=channel, external_id=external_id or f"left-{next(_ids)}", participant_id=pid,
                             message_id=f"msg-{next(_ids)}", text=text, status=status,
                             received_at=utcnow() - ago)
        s.add(row)
        s.flush()
        return row.id, row.message_id


def test_rows_an_earlier_process_left_are_handed_to_rasa_once(rt, pid, tg):
    first, first_msg = leave_row(pid, "about a 6", ago=timedelta(minutes=6))
    second, _ = leave_row(pid, "and a 7", status="received")
    channel, rasa = TelegramInput(rt), FakeRasa()

    async def main():
        await channel._resume_unprocessed(rasa)
        await channel._resume_unprocessed(rasa)  # a second look finds nothing left

    drive(rt, main)
    assert [(m.text, m.sender_id) for m in rasa.messages] == [("about a 6", pid), ("and a 7", pid)]
    assert rasa.messages[0].message_id == first_msg
    assert rasa.messages[0].metadata == {"risk": NOTHING.to_metadata()}
    assert tg.sent_texts(CHAT) == ["ok", "ok"]  # his link looked up: the update's chat was not kept
    assert {r.id: (r.status, r.text) for r in inbox()} == {first: ("done", None), second: ("done", None)}


def test_rows_of_this_process_and_finished_rows_are_not_resumed(rt, pid):
    channel = TelegramInput(rt)
    mine, _ = leave_row(pid, "arrived after boot", ago=timedelta(seconds=-1))
    done, _ = leave_row(pid, "already done", status="done")
    sms, _ = leave_row(pid, "the sms channel's", channel="sms")
    rasa = FakeRasa()
    drive(rt, lambda: channel._resume_unprocessed(rasa))
    assert rasa.messages == []
    assert {r.id: r.status for r in inbox()} == {mine: "processing", done: "done", sms: "processing"}


def test_the_server_starting_resumes_what_was_left(rt, pid, tg):
    leave_row(pid, "about a 6")
    channel, rasa = TelegramInput(rt), FakeRasa()

    async def main():
        async with Served(channel, rasa):
            for _ in range(200):
                await settle(channel)
                if rasa.messages:
                    break
                await asyncio.sleep(0.01)

    drive(rt, main)
    assert [m.text for m in rasa.messages] == ["about a 6"]


@pytest.mark.safety
def test_a_flagged_row_left_over_raises_its_alert_once(rt, pid, staff_id, tg):
    leave_row(pid, DANGER)
    channel, rasa = TelegramInput(rt), FakeRasa()
    drive(rt, lambda: channel._resume_unprocessed(rasa))
    [alert] = alerts(pid)
    assert rasa.messages[0].metadata["risk"]["escalate"] is True
    assert tg.sent_texts(STAFF_CHAT) and alert.code in tg.sent_texts(STAFF_CHAT)[0]


@pytest.mark.safety
def test_an_alert_raised_before_the_crash_is_found_not_raised_twice(rt, pid, staff_id, tg):
    channel, rasa = TelegramInput(rt), FakeRasa()
    danger = inbound(DANGER)

    async def crash_after_the_alert():
        turn = await channel.ingress.admit("telegram", danger)  # stored, alerted; then the process dies
        await settle(channel)
        return turn

    turn = drive(rt, crash_after_the_alert)
    with db_session() as s:
        s.execute(InboundMessage.__table__.update().where(InboundMessage.id == turn.row_id)
                  .values(received_at=utcnow() - timedelta(minutes=1)))
    restarted = TelegramInput(rt)
    drive(rt, lambda: restarted._resume_unprocessed(rasa))
    assert len(alerts(pid)) == 1 and [m.message_id for m in rasa.messages] == [turn.message_id]


# -- answering the provider --------------------------------------------------------------------------------------

def post(rt, channel, update_json, rasa=None):
    async def main():
        async with Served(channel, rasa or FakeRasa()) as served:
            headers, body = webhook_request(update_json, SECRET)
            r = await served.post(WEBHOOK, body, headers)
            await settle(channel)
            return r.status_code, r.json()

    return drive(rt, main)


def test_an_update_that_could_not_be_stored_is_503_so_telegram_sends_it_again(rt, pid, monkeypatch):
    channel = TelegramInput(rt)

    def database_down(*_a, **_k):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(channel.ingress, "_admit", database_down)
    assert post(rt, channel, update("hi")) == (503, {"error": "temporarily unavailable, retry"})


def test_an_update_stored_but_failing_later_is_still_200(rt, tg, monkeypatch):
    channel = TelegramInput(rt)

    async def broken(*_a, **_k):
        raise RuntimeError("a bug in joining")

    monkeypatch.setattr(channel.joining, "handle", broken)
    assert post(rt, channel, update("who is this?", "777")) == (200, {"ok": True})
    assert len(inbox()) == 1  # kept: a retry from Telegram would only be dropped as a duplicate


# -- the way back: ParticipantOutput -------------------------------------------------------------------------------

def test_a_reply_goes_to_the_chat_the_turn_came_from(rt, pid, tg):
    channel = TelegramInput(rt)
    drive(rt, lambda: channel.output("999").send_text_message(pid, "hello"))
    assert tg.sent_texts("999") == ["hello"] and tg.sent_texts(CHAT) == []


@pytest.mark.parametrize("change", ["opted_out", "withdrawn", "no_link"])
def test_no_proactive_message_to_a_man_who_cannot_be_messaged(rt, pid, tg, change):
    with db_session() as s:
        p = s.get(Participant, pid)
        if change == "opted_out":
            p.opted_out_at = utcnow()
        elif change == "withdrawn":
            p.status = "withdrawn"
    channel = TelegramInput(rt)
    target = "P-NOBODY" if change == "no_link" else pid
    drive(rt, lambda: channel.output().send_text_message(target, "Week 2 is ready"))
    assert tg.sent_messages() == []


def test_a_proactive_message_he_blocked_opts_him_out(rt, pid, tg):
    tg.block_chat(CHAT)
    channel = TelegramInput(rt)
    drive(rt, lambda: channel.output().send_text_message(pid, "Week 2 is ready"))
    p = participant(pid)
    assert p.opted_out_at is not None and p.opt_out_reason == "telegram_blocked"


def test_a_direct_answer_that_fails_is_logged_not_raised(rt, tg):
    tg.block_chat("777")
    channel = TelegramInput(rt)
    drive(rt, lambda: channel._say("777", ["hello"]))  # no exception
    assert len(tg.sent_messages("777")) == 1


def test_other_send_failures_are_not_raised_into_rasa(rt, pid, monkeypatch):
    channel = TelegramInput(rt)

    async def failing(*_a, **_k):
        raise SendError("in doubt", "in_doubt")

    monkeypatch.setattr(channel, "send_to", failing)
    drive(rt, lambda: channel.output().send_text_message(pid, "hello"))
    assert participant(pid).opted_out_at is None


def test_the_inbox_keeps_nothing_of_a_direct_answer(rt, pid, tg):
    channel, rasa = TelegramInput(rt), FakeRasa()

    async def main():
        await channel.handle(inbound("help"), rasa)
        await settle(channel)

    drive(rt, main)
    [row] = inbox()
    assert row.text is None and row.status == "done" and row.participant_id == pid
    assert rasa.messages == [] and tg.sent_texts(CHAT) == [content().messages["help"]]
    with db_session() as s:
        assert s.execute(select(func.count()).select_from(Alert)).scalar() == 0
