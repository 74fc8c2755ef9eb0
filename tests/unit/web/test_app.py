"""The staff console over real HTTP semantics (Starlette's TestClient): log-in, sessions,
CSRF, lockout, who may see which alert, triage, and the audit."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from coach.core.accounts import MAX_FAILURES, set_password
from coach.core.db.models import Alert, AlertNotification, AuditEntry, Staff
from coach.core.identity import IdentityVault
from coach.programme.enrolment import enrol
from escalation.alerts import Signal, raise_alert
from escalation.staff import add_staff, set_rota
from tests.conftest import db_session

PASSWORD = "correct horse battery"


@pytest.fixture
def site(app):
    """Site north: two facilitators, an ISS worker and a supervisor with log-ins; a facilitator
    at site south; one man at north with a suicide alert and a partner alert."""
    vault = IdentityVault.from_settings(app.settings)
    with db_session() as s:
        people = {}
        for key, site_code, role in (("fay", "north", "facilitator"), ("sam", "north", "facilitator"),
                                     ("isla", "north", "iss"), ("ola", "north", "supervisor"),
                                     ("sue", "south", "facilitator")):
            p = add_staff(s, vault, site_code, key.capitalize(), role, telegram_chat_id=str(100 + len(people)))
            set_password(s, p, PASSWORD, login=key)
            people[key] = p.id
        set_rota(s, "north", "facilitator", [people["fay"], people["sam"]])
        set_rota(s, "north", "iss", [people["isla"]])
        pid = enrol(s, site="north", start=date(2026, 1, 1)).id
        suicide = raise_alert(s, pid, "I want to end it tonight", "m1",
                              Signal("suicide_self_harm", "imminent", ("end it",), "detector"),
                              context=[{"who": "coach", "text": "How was your week?"}])
        partner = raise_alert(s, pid, "I'm going round hers now", "m2",
                              Signal("harm_to_partner", "high", ("going round",), "detector"))
        codes = dict(suicide=suicide.code, partner=partner.code)
    return type("Site", (), dict(people=people, pid=pid, codes=codes))


@pytest.fixture
def web(app):
    from coach.web.app import create_app

    return create_app(app.settings, app.db)


class Client(TestClient):
    """Responses with .page: the text as a person reads it (entities unescaped)."""

    def request(self, *a, **kw):
        r = super().request(*a, **kw)
        r.page = html.unescape(r.text)
        return r


def client(web) -> TestClient:
    return Client(web, base_url="http://127.0.0.1:8000", follow_redirects=False)


def log_in(web, login: str, password: str = PASSWORD) -> TestClient:
    c = client(web)
    page = c.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"login": login, "password": password, "csrf": token, "next": ""})
    assert r.status_code == 303, r.page
    return c


def csrf(c: TestClient, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def test_pages_need_a_log_in_and_go_back_to_where_you_were(web, site):
    c = client(web)
    r = c.get(f"/alerts/{site.codes['suicide']}")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/alerts/")
    page = c.get("/login?next=/alerts")
    assert 'autocomplete="current-password"' in page.page and '<label for="password">' in page.page
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    r = c.post("/login", data={"login": "FAY ", "password": PASSWORD, "csrf": token, "next": "/alerts"})
    assert r.status_code == 303 and r.headers["location"] == "/alerts"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert c.get("/alerts").status_code == 200


def test_a_wrong_password_says_what_to_do_and_is_audited(web, site):
    c = client(web)
    token = csrf(c, "/login")
    r = c.post("/login", data={"login": "fay", "password": "wrong one!", "csrf": token})
    assert r.status_code == 401 and "don't match" in r.page
    r = c.post("/login", data={"login": "nobody", "password": "wrong one!", "csrf": csrf(c, "/login")})
    assert r.status_code == 401 and "don't match" in r.page  # the same words: no clue which log-ins exist
    with db_session() as s:
        actions = [e.action for e in s.execute(select(AuditEntry)).scalars()]
    assert actions.count("login_failed") == 2


def test_the_log_in_form_needs_its_own_token(web, site):
    c = client(web)
    c.get("/login")
    r = c.post("/login", data={"login": "fay", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 400 and "expired" in r.page


def test_repeated_failures_lock_the_log_in_even_against_the_right_password(web, site):
    c = client(web)
    for _ in range(MAX_FAILURES):
        c.post("/login", data={"login": "fay", "password": "guess guess", "csrf": csrf(c, "/login")})
    r = c.post("/login", data={"login": "fay", "password": PASSWORD, "csrf": csrf(c, "/login")})
    assert r.status_code == 401 and "locked" in r.page
    with db_session() as s:  # a supervisor's new password (coach staff password) unlocks it
        set_password(s, s.get(Staff, site.people["fay"]), "a brand new password")
    log_in(web, "fay", "a brand new password")


def test_log_out_ends_the_session_on_the_server(web, site):
    c = log_in(web, "fay")
    token = csrf(c, "/alerts")
    old_cookie = c.cookies.get("coach_session")
    assert c.post("/logout", data={"csrf": token}).status_code == 303
    again = client(web)
    again.cookies.set("coach_session", old_cookie)
    assert again.get("/alerts").status_code == 303  # the old cookie is worth nothing now


def test_forms_without_the_session_token_are_refused(web, site):
    c = log_in(web, "fay")
    r = c.post(f"/alerts/{site.codes['suicide']}/ack", data={"csrf": "forged"})
    assert r.status_code == 403 and "expired" in r.page
    with db_session() as s:
        assert s.execute(select(Alert).where(Alert.code == site.codes["suicide"])).scalar_one().status == "open"


def test_the_queue_puts_open_urgent_alerts_first_and_shows_what_he_said(web, site):
    c = log_in(web, "fay")
    page = c.get("/alerts").page
    assert page.index("Suicide or self-harm") < page.index("Partner or ex-partner may be at risk")
    assert "I want to end it tonight" in page and "Urgent: danger now" in page
    assert "He had just been asked: “How was your week?”" in page
    assert "Told: sending now" in page  # queued for Fay and Isla; the worker sends them


def test_an_iss_worker_sees_only_partner_and_child_alerts(web, site):
    c = log_in(web, "isla")
    page = c.get("/alerts").page
    assert "going round hers" in page and "end it tonight" not in page
    assert c.get(f"/alerts/{site.codes['suicide']}").status_code == 404
    assert c.get(f"/alerts/{site.codes['partner']}").status_code == 200
    assert c.get("/audit").status_code == 403


def test_a_facilitator_from_another_site_cannot_see_him(web, site):
    c = log_in(web, "sue")
    assert "end it tonight" not in c.get("/alerts").page
    for code in site.codes.values():
        assert c.get(f"/alerts/{code}").status_code == 404
        assert c.post(f"/alerts/{code}/ack", data={"csrf": csrf(c, "/alerts")}).status_code == 303
    with db_session() as s:
        assert {a.status for a in s.execute(select(Alert)).scalars()} == {"open"}


def test_triage_acknowledge_own_note_close_each_once_and_audited(web, site):
    code = site.codes["suicide"]
    c = log_in(web, "fay")
    page = c.get(f"/alerts/{code}").page
    assert "How was your week?" in page and "Fay" in page  # what he was asked; who was told
    token = csrf(c, f"/alerts/{code}")
    assert c.post(f"/alerts/{code}/ack", data={"csrf": token}).status_code == 303
    with db_session() as s:
        pending = s.execute(select(AlertNotification).where(AlertNotification.status == "pending")).scalars().all()
        assert all(n.alert_id != s.execute(select(Alert.id).where(Alert.code == code)).scalar() for n in pending)
    c.post(f"/alerts/{code}/take", data={"csrf": token})
    r = c.post(f"/alerts/{code}/note", data={"csrf": token, "note": ""})
    assert "problem=" in r.headers["location"]
    c.post(f"/alerts/{code}/note", data={"csrf": token, "note": "Rang him, no answer. Trying again at 3."})
    r = c.post(f"/alerts/{code}/close",
               data={"csrf": token, "outcome": "spoke_safe", "note": "He is with his brother."})
    assert "done=" in r.headers["location"]
    r = c.post(f"/alerts/{code}/close", data={"csrf": token, "outcome": "false_alarm"})
    assert "already+closed" in r.headers["location"] or "already%20closed" in r.headers["location"]
    page = c.get(f"/alerts/{code}").page
    assert "Rang him, no answer" in page and "He is with his brother." in page and "Spoke to him" in page
    assert code not in c.get("/alerts").page and code in c.get("/alerts?show=all").page
    with db_session() as s:
        alert = s.execute(select(Alert).where(Alert.code == code)).scalar_one()
        assert (alert.status, alert.outcome, alert.owner_id) == ("acknowledged", "spoke_safe", site.people["fay"])
        actions = [e.action for e in s.execute(select(AuditEntry).where(AuditEntry.alert_id == alert.id)).scalars()]
    assert {"view_alert", "ack_alert", "own_alert", "note_alert", "close_alert"} <= set(actions)
    assert actions.count("close_alert") == 1


def test_closing_an_open_alert_stops_its_reminders(web, site):
    code = site.codes["partner"]
    c = log_in(web, "isla")
    c.post(f"/alerts/{code}/close", data={"csrf": csrf(c, f"/alerts/{code}"), "outcome": "false_alarm"})
    with db_session() as s:
        alert = s.execute(select(Alert).where(Alert.code == code)).scalar_one()
        assert alert.status == "acknowledged" and alert.outcome == "false_alarm"
        statuses = {n.status for n in s.execute(select(AlertNotification).where(
            AlertNotification.alert_id == alert.id)).scalars()}
    assert "pending" not in statuses


def test_a_supervisor_reads_the_audit_of_their_site_only(web, site):
    log_in(web, "sue").get("/alerts")
    fay = log_in(web, "fay")
    fay.get(f"/alerts/{site.codes['suicide']}")
    page = log_in(web, "ola").get("/audit")
    assert page.status_code == 200
    assert "view alert" in page.page and site.pid in page.page and "Sue" not in page.page
    assert log_in(web, "fay").get("/audit").status_code == 403


def test_pages_are_not_cached_and_cannot_be_framed(web, site):
    r = log_in(web, "fay").get("/alerts")
    assert r.headers["cache-control"] == "no-store" and "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert 'name="viewport"' in r.page and 'lang="en-GB"' in r.page


def test_the_queue_says_who_was_told_and_when(web, site):
    from datetime import datetime

    with db_session() as s:
        alert = s.execute(select(Alert).where(Alert.code == site.codes["suicide"])).scalar_one()
        for n in s.execute(select(AlertNotification).where(AlertNotification.alert_id == alert.id)).scalars():
            n.status, n.sent_at = "sent", datetime(2026, 7, 1, 20, 58)  # 21:58 in the UK (BST)
    page = log_in(web, "fay").get("/alerts").page
    assert "Told: Fay 21:58" in page
