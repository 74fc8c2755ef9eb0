"""`escalation.staff.update_staff`: what `coach staff update` changes."""

from __future__ import annotations

import pytest

from coach.core.identity import IdentityVault
from escalation.staff import StaffError, add_staff, update_staff

pytestmark = pytest.mark.safety


@pytest.fixture
def vault(app):
    return IdentityVault.from_settings(app.settings)


@pytest.fixture
def fay(app, vault):
    with app.db.session() as s:
        return add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="101").id


def test_unknown_staff_is_none(app, vault, fay):
    with app.db.session() as s:
        assert update_staff(s, vault, 999, name="Nobody") is None


def test_nothing_given_changes_nothing(app, vault, fay):
    with app.db.session() as s:
        p = update_staff(s, vault, fay)
        assert (p.name, p.active, p.notify_telegram, p.notify_sms) == ("Fay", True, True, False)


def test_name_contacts_and_notify(app, vault, fay):
    with app.db.session() as s:
        p = update_staff(s, vault, fay, name="Fay B", phone="+447700900101", notify=["telegram", "sms"])
        assert (p.name, p.notify_telegram, p.notify_sms) == ("Fay B", True, True)
        assert vault.decrypt(p.phone_secret) == "+447700900101"
    with app.db.session() as s:
        p = update_staff(s, vault, fay, notify=["sms"])
        assert (p.notify_telegram, p.notify_sms) == (False, True)


def test_deactivate_and_activate(app, vault, fay):
    with app.db.session() as s:
        assert update_staff(s, vault, fay, active=False).active is False
    with app.db.session() as s:
        assert update_staff(s, vault, fay).active is False  # None leaves it
        assert update_staff(s, vault, fay, active=True).active is True


def test_contact_rules_still_apply(app, vault, fay):
    with app.db.session() as s:
        add_staff(s, vault, "north", "Sam", "facilitator", phone="+447700900123")
    with app.db.session() as s:
        with pytest.raises(StaffError, match="already belongs to staff"):
            update_staff(s, vault, fay, phone="+447700900123")
        with pytest.raises(StaffError, match="give --phone"):
            update_staff(s, vault, fay, notify=["sms"])
        with pytest.raises(StaffError, match="international form"):
            update_staff(s, vault, fay, phone="0770")
