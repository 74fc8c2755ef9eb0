"""`coach.programme.enrolment`: enrolling with a first code, and a new code for a man already enrolled."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coach.core.db.models import EnrolmentCode, Participant, utcnow
from coach.core.identity import IdentityVault
from coach.programme.enrolment import Enrolled, enrol_with_code, redeem, reissue_code


@pytest.fixture
def vault(app):
    return IdentityVault.from_settings(app.settings)


def test_enrol_with_code(app, vault):
    with app.db.session() as s:
        e = enrol_with_code(s, vault, "north", date(2026, 3, 2), days=3)
    assert isinstance(e, Enrolled)
    assert (e.site, e.start_date, e.days) == ("north", date(2026, 3, 2), 3)
    assert e.participant_id.startswith("P-") and len(e.code) == 8
    with app.db.session() as s:
        p = s.get(Participant, e.participant_id)
        assert (p.site.code, p.start_date, p.status) == ("north", date(2026, 3, 2), "active")
        row = s.execute(select(EnrolmentCode).where(EnrolmentCode.participant_id == p.id)).scalar_one()
        assert abs(row.expires_at - (utcnow() + timedelta(days=3))) < timedelta(minutes=1)
        assert redeem(s, vault, e.code, "sms", "+447700900123").participant_id == p.id


def test_reissue_stops_the_old_code(app, vault):
    with app.db.session() as s:
        first = enrol_with_code(s, vault, "north", date(2026, 3, 2))
    with app.db.session() as s:
        again = reissue_code(s, vault, first.participant_id, days=5)
    assert (again.participant_id, again.site, again.start_date, again.days) == (
        first.participant_id, "north", date(2026, 3, 2), 5)
    assert again.code != first.code
    with app.db.session() as s:
        assert redeem(s, vault, first.code, "sms", "+447700900123").reason == "expired"
        assert redeem(s, vault, again.code, "sms", "+447700900123").reason == "joined"


def test_reissue_for_nobody(app, vault):
    with app.db.session() as s:
        assert reissue_code(s, vault, "P-NOPE00") is None
