"""The roster, the brief, recording calls and attendance, his name, and the case review, on
the demo site (coach demo), through real HTTP semantics."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from coach.core.db.models import Attendance, AuditEntry, Participant
from coach.core.identity import IdentityVault
from tests.conftest import content, db_session


@pytest.fixture
def demo(app):
    from coach.app.demo import fill
    from coach.web.app import create_app

    with db_session() as s:  # as of now: the demo is laid out relative to today, like the console
        logins = {d.login: d.password for d in fill(s, content(), IdentityVault.from_settings(app.settings))}
        men = {p.id: p for p in s.execute(select(Participant)).scalars()}
    web = create_app(app.settings, app.db)
    return type("Demo", (), dict(web=web, logins=logins, men=men, settings=app.settings))


def log_in(demo, login: str) -> TestClient:
    c = TestClient(demo.web, base_url="http://127.0.0.1:8000", follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/login").text).group(1)
    assert c.post("/login", data={"login": login, "password": demo.logins[login], "csrf": token}).status_code == 303
    return c


def text(r) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", r.text))


def pid_named(demo, c, name: str) -> str:
    page = c.get("/participants").text
    return re.search(r'href="/participants/(P-[A-Z0-9]+)">' + re.escape(html.escape(name)), page).group(1)


def test_the_roster_lists_the_site_with_weeks_behind_flags_and_alerts(demo):
    c = log_in(demo, "fay")
    page = text(c.get("/participants"))
    assert "Kev M." in page and "Jamie L." in page and "Behind" in page
    with db_session() as s:
        assert s.execute(select(AuditEntry).where(AuditEntry.action == "view_roster")).first()


def test_the_brief_has_his_week_his_words_his_goal_and_talking_points(demo):
    c = log_in(demo, "fay")
    pid = pid_named(demo, c, "Kev M.")
    r = c.get(f"/participants/{pid}")
    page = text(r)
    assert r.status_code == 200 and "week 11" in page
    for part in ("Talking points", "1 alert since the last call", "Check-ins", "His goal", "What he wrote",
                 "Quiz answers to go over", "Record the coaching call"):
        assert part in page, part
    assert "Why do you want to make changes now?" in page and "for my kids" in page  # question and his words
    with db_session() as s:
        seen = s.execute(select(AuditEntry).where(AuditEntry.action == "view_record",
                                                  AuditEntry.participant_id == pid)).scalars().all()
    assert len(seen) == 1 and seen[0].actor.startswith("staff:")


def test_recording_a_call_then_the_next_brief_counts_from_it(demo):
    c = log_in(demo, "fay")
    pid = pid_named(demo, c, "Kev M.")
    token = re.search(r'name="csrf" value="([^"]+)"', c.get(f"/participants/{pid}").text).group(1)
    r = c.post(f"/participants/{pid}/call", data={"csrf": token, "week": "11", "outcome": "done",
                                                   "note": "Talked about the pills. Safe."})
    assert "done=" in r.headers["location"]
    r = c.post(f"/participants/{pid}/call", data={"csrf": token, "week": "99", "outcome": "done"})
    assert "problem=" in r.headers["location"]
    r = c.post(f"/participants/{pid}/call", data={"csrf": token, "week": "11", "outcome": "maybe"})
    assert "problem=" in r.headers["location"]
    page = text(c.get(f"/participants/{pid}"))
    assert "Talked about the pills. Safe." in page
    assert "alert since the last call" not in page  # the alert came before this call
    with db_session() as s:
        calls = s.execute(select(Attendance).where(Attendance.participant_id == pid, Attendance.kind == "call",
                                                   Attendance.number == 11)).scalars().all()
    assert len(calls) == 1 and calls[0].note == "Talked about the pills. Safe."


def test_group_and_one_to_one_attendance_and_his_name_are_recorded(demo):
    c = log_in(demo, "fay")
    pid = pid_named(demo, c, "Jamie L.")
    token = re.search(r'name="csrf" value="([^"]+)"', c.get(f"/participants/{pid}").text).group(1)
    c.post(f"/participants/{pid}/attendance", data={"csrf": token, "kind": "group", "number": "7",
                                                    "outcome": "attended"})
    c.post(f"/participants/{pid}/name", data={"csrf": token, "name": "  Jamie   Lee "})
    assert "Jamie Lee" in text(c.get("/participants"))
    with db_session() as s:
        p = s.get(Participant, pid)
        assert p.name_secret and "Jamie" not in p.name_secret  # stored encrypted
        assert s.execute(select(Attendance).where(Attendance.participant_id == pid, Attendance.kind == "group",
                                                  Attendance.number == 7)).scalar_one().outcome == "attended"


def test_an_iss_worker_cannot_open_his_answers_or_record_anything(demo):
    c = log_in(demo, "isla")
    fay = log_in(demo, "fay")
    pid = pid_named(demo, fay, "Kev M.")
    assert c.get("/participants").status_code == 403
    assert c.get(f"/participants/{pid}").status_code == 403
    assert c.get("/attendance").status_code == 403
    token = re.search(r'name="csrf" value="([^"]+)"', c.get("/review").text).group(1)
    assert c.post(f"/participants/{pid}/name", data={"csrf": token, "name": "x"}).status_code == 403
    page = text(c.get("/review?since=2026-01-01"))
    assert "partner or ex-partner" in page and "suicide" not in page and "Check-in" not in page


def test_another_sites_facilitator_cannot_see_him(demo, app):
    from coach.core.accounts import set_password
    from escalation.staff import add_staff

    with db_session() as s:
        set_password(s, add_staff(s, IdentityVault.from_settings(app.settings), "elsewhere", "Sue", "facilitator"),
                     "another long password", login="sue")
    demo.logins["sue"] = "another long password"
    c = log_in(demo, "sue")
    for pid in demo.men:
        assert c.get(f"/participants/{pid}").status_code == 404
    assert "Kev M." not in text(c.get("/participants")) and "Kev M." not in text(c.get("/review?since=2026-01-01"))


def test_the_case_review_shows_whose_risk_changed(demo):
    c = log_in(demo, "ola")
    page = text(c.get("/review?since=2000-01-01"))
    assert "Kev M." in page and "Safety check" in page
    assert "Nobody's risk changed" in text(c.get("/review?since=2099-01-01"))
    assert c.get("/review?since=not-a-date").status_code == 200  # a bad date falls back to two weeks
