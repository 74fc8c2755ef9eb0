"""Staff on the coach's own bot and number: ACK acknowledges an alert, INFO gives its details.

Staff messages never reach Rasa and are never treated as a participant's; only a contact
registered as active staff can acknowledge, never a participant's own chat.
"""

from __future__ import annotations

import json

import pytest

from bot.channels.sms import SmsInput
from bot.channels.staff import HELP
from bot.channels.telegram import TelegramInput
from coach.core.db.models import Alert, AlertNotification, Staff
from coach.core.text.render import render
from coach.messaging.inbound import Inbound
from coach.messaging.telegram import parse_update
from escalation.alerts import raise_alert
from escalation.risk import Signal
from escalation.staff import add_staff
from tests.conftest import content, db_session
from tests.fakes.telegram_api import make_callback_update, make_text_update
from tests.unit.bot.channels.conftest import CHAT, OURS, STAFF_CHAT, FakeRasa, drive, inbox, settle

pytestmark = pytest.mark.safety

_ids = iter(range(40_000, 50_000))


@pytest.fixture
def code(pid, staff_id) -> str:
    """An open alert for him, queued to the facilitator on call."""
    with db_session() as s:
        alert = raise_alert(s, pid, "i want to end it", "msg-1",
                            Signal("suicide_self_harm", "high", ("suicide:end it",), "detector"))
        return alert.code


def alert(code) -> Alert:
    with db_session() as s:
        return s.query(Alert).filter(Alert.code == code).one()


def templates():
    return content().extra["staff_alerts"]


def telegram(rt, *updates):
    channel, rasa = TelegramInput(rt), FakeRasa()

    async def main():
        for update in updates:
            [inbound] = parse_update(json.dumps(update).encode())
            await channel.handle(inbound, rasa)
        await settle(channel)

    drive(rt, main)
    return rasa


def staff_says(rt, words, chat=STAFF_CHAT):
    return telegram(rt, make_text_update(next(_ids), int(chat), int(chat), words))


def test_ack_acknowledges_the_alert_and_never_reaches_rasa(rt, code, staff_id, tg):
    rasa = staff_says(rt, f"ACK {code}")
    a = alert(code)
    assert (a.status, a.acknowledged_by, a.acknowledged_via) == ("acknowledged", staff_id, "telegram")
    assert tg.sent_texts(STAFF_CHAT) == [render(templates()["ack_done"], {"code": code})]
    assert rasa.messages == []
    with db_session() as s:  # nobody else is chased for it
        assert {n.status for n in s.query(AlertNotification).filter(AlertNotification.alert_id == a.id)} == \
            {"cancelled"}
    assert all(row.text is None and row.participant_id is None for row in inbox())


def test_the_code_is_read_whatever_the_case_and_spacing(rt, code):
    staff_says(rt, f"  ack   {code.lower()} ")
    assert alert(code).status == "acknowledged"


def test_the_acknowledge_button_acknowledges_and_takes_the_button_off(rt, code, staff_id, tg):
    rasa = telegram(rt, make_callback_update(next(_ids), int(STAFF_CHAT), int(STAFF_CHAT), f"ack:{code}",
                                             message_id=12, callback_id="cb-ack"))
    assert alert(code).status == "acknowledged" and rasa.messages == []
    [answer] = tg.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "cb-ack"
    assert answer.params["text"] == render(templates()["ack_done"], {"code": code})
    [edit] = tg.calls_to("editMessageReplyMarkup")
    assert str(edit.params["chat_id"]) == STAFF_CHAT and edit.params["message_id"] == 12
    assert tg.sent_messages() == []  # the button's answer is enough


def test_an_unknown_code_is_answered_and_changes_nothing(rt, code, tg):
    staff_says(rt, "ACK ZZZZZZ")
    assert alert(code).status == "open"
    assert tg.sent_texts(STAFF_CHAT) == [templates()["ack_unknown"]]


def test_a_second_person_acknowledging_is_told_it_was_already_done(rt, code, staff_id, tg):
    with db_session() as s:
        add_staff(s, rt.vault, "north", "Sam", "facilitator", telegram_chat_id="90002")
    staff_says(rt, f"ACK {code}")
    staff_says(rt, f"ACK {code}", chat="90002")
    assert alert(code).acknowledged_by == staff_id
    assert tg.sent_texts("90002") == [render(templates()["ack_already"], {"code": code})]


def test_info_gives_the_details(rt, code, tg):
    rasa = staff_says(rt, f"INFO {code}")
    [info] = tg.sent_texts(STAFF_CHAT)
    assert code in info and "i want to end it" in info
    assert alert(code).status == "open" and rasa.messages == []


def test_info_for_an_unknown_code(rt, code, tg):
    staff_says(rt, "INFO ZZZZZZ")
    assert tg.sent_texts(STAFF_CHAT) == [templates()["ack_unknown"]]


@pytest.mark.parametrize("words", ["hello", "ACK", "INFO", "what is this"])
def test_anything_else_from_staff_gets_the_staff_commands(rt, code, tg, words):
    rasa = staff_says(rt, words)
    assert tg.sent_texts(STAFF_CHAT) == [HELP] and rasa.messages == []
    assert alert(code).status == "open"


def test_a_participant_cannot_acknowledge_from_his_own_chat(rt, pid, code, tg):
    rasa = staff_says(rt, f"ACK {code}", chat=CHAT)
    assert alert(code).status == "open"
    assert [m.sender_id for m in rasa.messages] == [pid]  # an ordinary message of his


def test_a_staff_member_no_longer_active_cannot_acknowledge(rt, code, staff_id, tg):
    with db_session() as s:
        s.get(Staff, staff_id).active = False
    rasa = staff_says(rt, f"ACK {code}")
    assert alert(code).status == "open" and rasa.messages == []
    assert tg.sent_texts(STAFF_CHAT) == [content().messages["unknown_sender"]]


def test_staff_acknowledge_by_sms(rt, code, tw):
    phone = "+447700900555"
    with db_session() as s:
        person = add_staff(s, rt.vault, "north", "Isla", "facilitator", phone=phone)
        isla = person.id
    channel, rasa = SmsInput(rt), FakeRasa()

    async def main():
        await channel.handle(Inbound("SM" + "5" * 32, phone, "text", f"ACK {code}"), rasa)
        await settle(channel)

    drive(rt, main)
    a = alert(code)
    assert (a.status, a.acknowledged_by, a.acknowledged_via) == ("acknowledged", isla, "sms")
    assert tw.sent_bodies(phone) == [render(templates()["ack_done"], {"code": code})]
    assert rasa.messages == [] and tw.sent_messages()[0].params["From"] == OURS


def test_staff_see_and_acknowledge_only_alerts_of_their_own_site_and_role(rt, code, tg):
    """INFO and ACK follow the console's rules: another site's facilitator, or an ISS worker
    for a suicide alert, is told only that the code is unknown; nothing changes."""
    with db_session() as s:
        add_staff(s, rt.vault, "south", "Sue", "facilitator", telegram_chat_id="90011")
        add_staff(s, rt.vault, "north", "Isla", "iss", telegram_chat_id="90012")
    for chat in ("90011", "90012"):
        staff_says(rt, f"INFO {code}", chat=chat)
        staff_says(rt, f"ACK {code}", chat=chat)
        assert tg.sent_texts(chat) == [templates()["ack_unknown"]] * 2
    assert alert(code).status == "open"


def test_info_is_audited(rt, code, staff_id):
    from coach.core.db.models import AuditEntry

    staff_says(rt, f"INFO {code}")
    with db_session() as s:
        [entry] = s.query(AuditEntry).filter(AuditEntry.action == "view_alert").all()
    assert (entry.staff_id, entry.alert_id, entry.detail) == (staff_id, alert(code).id, {"via": "telegram"})
