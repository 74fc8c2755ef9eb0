"""`coach alerts list|show|ack`: what staff see of risk alerts."""

from __future__ import annotations

import re
from datetime import date

import pytest

from coach.cli.alerts import os_user
from coach.core.db.models import AlertNotification
from coach.core.identity import IdentityVault
from coach.programme.enrolment import enrol
from escalation.alerts import raise_alert
from escalation.risk import Signal
from escalation.staff import add_staff

pytestmark = pytest.mark.safety

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


@pytest.fixture
def alerts(app):
    vault = IdentityVault.from_settings(app.settings)
    with app.db.session() as s:
        add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="101")
        first = enrol(s, "north", date(2026, 3, 2)).id
        second = enrol(s, "south", date(2026, 3, 2)).id
        suicide = Signal("suicide", "imminent", ["end it all"], "detector")
        a = raise_alert(s, first, "I want to end it all", "m1", suicide,
                        context=[{"who": "coach", "text": "How are you?"}, {"who": "him", "text": "bad"}])
        b = raise_alert(s, second, "I'll batter him", "m2", Signal("harm_to_others", "high", ["batter"], "classifier"))
        n = s.query(AlertNotification).filter_by(alert_id=a.id).one()
        n.status, n.last_error = "failed", "Forbidden: bot was blocked by the user " * 3
        return {"first": first, "second": second, "a": a.code, "b": b.code}


def test_no_alerts(cli):
    assert cli("alerts", "list") == (0, "No alerts.\n", "")


def test_list(cli, alerts):
    code, out, err = cli("alerts", "list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 3
    assert re.fullmatch(rf"{alerts['b']}  {STAMP}  {alerts['second']}  south  harm_to_others/high  OPEN", lines[0])
    assert re.fullmatch(rf"{alerts['a']}  {STAMP}  {alerts['first']}  north  suicide/imminent  OPEN", lines[1])
    assert lines[2] == "      round 0  telegram Fay                  failed    -  " + (
        "Forbidden: bot was blocked by the user " * 3)[:60]


def test_list_open_limit_and_history(cli, alerts):
    assert cli("alerts", "list", "--limit", "1")[1].startswith(alerts["b"])
    assert cli("alerts", "ack", alerts["b"]) == (0, f"Alert {alerts['b']} acknowledged.\n", "")
    out = cli("alerts", "list", "--open")[1]
    assert out.startswith(alerts["a"]) and alerts["b"] not in out
    out = cli("alerts", "list", "--history")[1]
    assert re.search(rf"^{alerts['b']} .* ACKNOWLEDGED by cli via cli at {STAMP}$", out, re.M)
    who = f"cli:{os_user()}"  # no --staff: the system user who ran it
    assert re.search(rf"^      {STAMP}  acknowledged         {re.escape(who):<12} via=cli, cancelled=0$", out, re.M)
    assert re.search(rf"^      {STAMP}  detected             system       source=detector, category=suicide, "
                     rf"severity=imminent$", out, re.M)  # matched words are left out of the list


def test_show(cli, alerts):
    code, out, err = cli("alerts", "show", alerts["a"].lower())
    assert (code, err) == (0, "")
    assert out.splitlines()[:7] == [
        f"Alert {alerts['a']}: {alerts['first']}, suicide/imminent, from the detector, open",
        "He wrote: I want to end it all",
        "Matched: end it all",
        "Before that:",
        "  coach: How are you?",
        "  him: bad",
        "History:",
    ]
    assert [line.split()[2] for line in out.splitlines()[7:]] == ["detected", "queued"]


def test_show_is_audited(cli, alerts):
    from coach.core.db.models import AuditEntry
    from tests.conftest import db_session

    cli("alerts", "show", alerts["a"])
    with db_session() as s:
        [entry] = s.query(AuditEntry).filter(AuditEntry.action == "view_alert").all()
    assert (entry.actor, entry.participant_id) == (f"cli:{os_user()}", alerts["first"])


def test_show_unknown(cli, alerts):
    assert cli("alerts", "show", "nope") == (1, "", "coach: no alert nope; see `coach alerts list`\n")


def test_ack(cli, alerts):
    assert cli("alerts", "ack", alerts["a"], "--staff", "99") == (
        1, "", "coach: only active staff can acknowledge alerts\n")
    assert cli("alerts", "ack", alerts["a"], "--staff", "1") == (0, f"Alert {alerts['a']} acknowledged.\n", "")
    assert cli("alerts", "ack", alerts["a"]) == (0, f"Alert {alerts['a']} acknowledged.\n", "")  # again: audited
    out = cli("alerts", "list", "--history")[1]
    assert re.search(rf"^{alerts['a']} .* ACKNOWLEDGED by Fay via cli at {STAMP}$", out, re.M)
    assert re.search(r"  acknowledged         cli:1 ", out)
    assert re.search(rf"  ack_repeated         {re.escape('cli:' + os_user())} ", out)
    assert cli("alerts", "ack", "NOPE") == (
        1, "", "coach: no alert with code 'NOPE'; check the code in the alert message\n")
