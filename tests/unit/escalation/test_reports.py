"""`escalation.reports`: alerts as staff read them, as plain data."""

from __future__ import annotations

from datetime import datetime

import pytest

from coach.core.db.models import AlertNotification
from coach.core.identity import IdentityVault
from coach.programme.enrolment import enrol
from escalation.alerts import acknowledge, raise_alert
from escalation.reports import AlertReport, find_alert, list_alerts
from escalation.risk import Signal
from escalation.staff import add_staff

SUICIDE = Signal("suicide_self_harm", "imminent", ["suicide.end_it:end it all"], "detector")
OTHERS = Signal("harm_to_others", "high", ["others.assault:batter him"], "classifier")


@pytest.fixture
def world(app):
    """Fay on call at north; two men, each with one alert (the first sent to Fay, then failed)."""
    vault = IdentityVault.from_settings(app.settings)
    with app.db.session() as s:
        fay = add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="101")
        first = enrol(s, "north", datetime(2026, 3, 2).date())
        second = enrol(s, "south", datetime(2026, 3, 2).date())
        a = raise_alert(s, first.id, "I want to end it all", "m1", SUICIDE,
                        context=[{"who": "coach", "text": "How are you?"}, {"who": "him", "text": "bad"}])
        b = raise_alert(s, second.id, "I'll batter him", "m2", OTHERS)
        n = s.query(AlertNotification).filter_by(alert_id=a.id).one()
        n.status, n.last_error = "failed", "Forbidden: bot was blocked by the user"
        return {"fay": fay.id, "first": first.id, "second": second.id, "a": a.code, "b": b.code}


def test_newest_first_with_who_was_told(app, world):
    alerts = list_alerts(app.db)
    assert [a.code for a in alerts] == [world["b"], world["a"]]
    a = alerts[1]
    assert isinstance(a, AlertReport)
    assert (a.participant_id, a.site, a.category, a.severity, a.source, a.status) == (
        world["first"], "north", "suicide_self_harm", "imminent", "detector", "open")
    assert [(n.round, n.channel, n.staff_name, n.status, n.last_error) for n in a.notifications] == [
        (0, "telegram", "Fay", "failed", "Forbidden: bot was blocked by the user")]
    assert alerts[0].site == "south" and alerts[0].notifications == []  # nobody at south to tell
    assert a.history == []  # only when asked


def test_limit_and_open_only(app, world):
    assert [a.code for a in list_alerts(app.db, limit=1)] == [world["b"]]
    with app.db.session() as s:
        acknowledge(s, world["b"], staff_id=None, via="cli")
    assert [a.code for a in list_alerts(app.db, open_only=True)] == [world["a"]]
    assert len(list_alerts(app.db)) == 2


def test_acknowledged_by_whom(app, world):
    with app.db.session() as s:
        acknowledge(s, world["a"], staff_id=world["fay"], via="telegram")
        acknowledge(s, world["b"], staff_id=None, via="cli")
    by_code = {a.code: a for a in list_alerts(app.db)}
    a, b = by_code[world["a"]], by_code[world["b"]]
    assert (a.status, a.acknowledged_by, a.acknowledged_via) == ("acknowledged", "Fay", "telegram")
    assert isinstance(a.acknowledged_at, datetime)
    assert (b.status, b.acknowledged_by, b.acknowledged_via) == ("acknowledged", None, "cli")


def test_history_in_order(app, world):
    with app.db.session() as s:
        acknowledge(s, world["a"], staff_id=world["fay"], via="cli", actor="cli:1")
    alerts = list_alerts(app.db, with_history=True)
    a = next(x for x in alerts if x.code == world["a"])
    assert [e.kind for e in a.history] == ["detected", "queued", "acknowledged"]
    assert a.history[0].detail["source"] == "detector"
    assert a.history[-1].actor == "cli:1"
    b = next(x for x in alerts if x.code == world["b"])
    assert [e.kind for e in b.history] == ["detected", "queued", "no_one_to_notify"]


def test_find_alert_in_full_any_case(app, world):
    a = find_alert(app.db, world["a"].lower())
    assert a is not None and a.code == world["a"]
    assert a.text == "I want to end it all"
    assert a.matched == ["suicide.end_it:end it all"]
    assert a.context == [{"who": "coach", "text": "How are you?"}, {"who": "him", "text": "bad"}]
    assert [e.kind for e in a.history] == ["detected", "queued"]


def test_find_alert_unknown(app, world):
    assert find_alert(app.db, "NOPE99") is None


def test_no_alerts(app):
    assert list_alerts(app.db) == []
