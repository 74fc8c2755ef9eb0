"""`coach staff` rules: contacts are validated, stored encrypted, and never shared by two people."""

from __future__ import annotations

import pytest

from coach.core.identity import IdentityVault
from escalation.staff import StaffError, add_staff, set_contacts
from tests.conftest import db_session

pytestmark = pytest.mark.safety


@pytest.fixture
def vault(app):
    return IdentityVault.from_settings(app.settings)


def test_contacts_are_encrypted_with_a_lookup_hash(vault):
    with db_session() as s:
        p = add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="101", phone="+447700900101")
        assert p.notify_telegram and p.notify_sms
        assert "+447700900101" not in p.phone_hash + p.phone_secret
        assert vault.decrypt(p.phone_secret) == "+447700900101"
        assert p.phone_hash == vault.lookup_hash("staff-sms", "+447700900101")


@pytest.mark.parametrize("kw, message", [
    (dict(telegram_chat_id="101"), "that Telegram chat already belongs to staff"),
    (dict(phone="+447700900101"), "that phone number already belongs to staff"),
])
def test_two_people_cannot_share_a_contact(vault, kw, message):
    with db_session() as s:
        add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="101", phone="+447700900101")
        with pytest.raises(StaffError, match=message):
            add_staff(s, vault, "north", "Sam", "facilitator", **kw)


def test_a_person_may_keep_their_own_contact(vault):
    with db_session() as s:
        p = add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="101", phone="+447700900101")
        set_contacts(s, vault, p, telegram_chat_id="101", phone="+447700900101", notify=["sms"])
        assert p.notify_sms and not p.notify_telegram


@pytest.mark.parametrize("kw, message", [
    (dict(telegram_chat_id="@fay"), "Telegram chat id must be a number"),
    (dict(phone="07700900101"), "international form"),
    (dict(telegram_chat_id="101", notify=["sms"]), "give --phone"),
    (dict(telegram_chat_id="101", notify=["email"]), "not email"),
])
def test_bad_contacts_are_refused_with_the_fix(vault, kw, message):
    with db_session() as s, pytest.raises(StaffError, match=message):
        add_staff(s, vault, "north", "Fay", "facilitator", **kw)
