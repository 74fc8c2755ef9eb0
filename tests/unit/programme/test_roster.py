"""`coach.programme.roster`: everyone on the programme, his week, channels and status."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from coach.core.db.models import Participant, SessionProgress
from coach.core.identity import IdentityVault, link_identity
from coach.programme.content.model import Programme
from coach.programme.enrolment import enrol, opt_out
from coach.programme.roster import RosterRow, roster

PROGRAMME = Programme(name="test", weekly_sessions=12, first_week_opens_after_days=7,
                      programme_length_weeks=14, booster_opens_months_after_end=1)
TODAY = date(2026, 3, 20)


@pytest.fixture
def men(app):
    """Three men: at north from 2 March (week 2 on the 20th), at south, and at north starting today."""
    ids = []
    with app.db.session() as s:
        for site, start in (("north", date(2026, 3, 2)), ("south", date(2026, 3, 9)), ("north", TODAY)):
            ids.append(enrol(s, site=site, start=start).id)
            s.flush()
            s.get(Participant, ids[-1]).created_at = datetime(2026, 3, 1) + timedelta(minutes=len(ids))
    return ids


def test_everyone_in_enrolment_order_with_his_week(app, men):
    rows = roster(app.db, PROGRAMME, TODAY)
    assert all(isinstance(r, RosterRow) for r in rows)
    assert [(r.participant, r.site, r.week) for r in rows] == [
        (men[0], "north", 2), (men[1], "south", 1), (men[2], "north", 0)]
    first = rows[0]
    assert (first.sessions_done, first.channels, first.status, first.opted_out, first.opt_out_reason,
            first.is_demo, first.last_contact_at) == (0, [], "active", False, None, False, None)


def test_one_site(app, men):
    assert [r.participant for r in roster(app.db, PROGRAMME, TODAY, site="north")] == [men[0], men[2]]
    assert roster(app.db, PROGRAMME, TODAY, site="nowhere") == []


def test_channels_sessions_done_and_status(app, men):
    vault = IdentityVault.from_settings(app.settings)
    now = datetime(2026, 3, 18, 19, 30)
    with app.db.session() as s:
        link_identity(s, vault, men[0], "telegram", "5550001")
        link_identity(s, vault, men[0], "sms", "+447700900999")
        link_identity(s, vault, men[1], "rest", "demo")
        s.add(SessionProgress(participant_id=men[0], week=0, started_at=now, completed_at=now, last_activity_at=now))
        s.add(SessionProgress(participant_id=men[0], week=1, started_at=now, completed_at=now, last_activity_at=now))
        s.add(SessionProgress(participant_id=men[0], week=2, started_at=now, last_activity_at=now))  # not finished
        s.add(SessionProgress(participant_id=men[1], week=0, started_at=now, last_activity_at=now))
        opt_out(s, men[1], "sms_stop")
        s.get(Participant, men[1]).last_contact_at = now
        s.get(Participant, men[2]).is_demo = True
    rows = {r.participant: r for r in roster(app.db, PROGRAMME, TODAY)}
    assert (rows[men[0]].channels, rows[men[0]].sessions_done) == (["sms", "telegram"], 2)
    assert (rows[men[1]].channels, rows[men[1]].sessions_done) == (["rest"], 0)
    opted = rows[men[1]]
    assert (opted.opted_out, opted.opt_out_reason, opted.last_contact_at) == (True, "sms_stop", now)
    assert rows[men[1]].status == "active"  # opting out of messages is not withdrawing
    assert rows[men[2]].is_demo and rows[men[2]].channels == []


def test_nobody(app):
    assert roster(app.db, PROGRAMME, TODAY) == []
