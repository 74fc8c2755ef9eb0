"""`coach enrol` and `coach participants [--behind]`."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from coach.core.db.models import Participant, SessionProgress, utcnow
from coach.core.identity import IdentityVault, link_identity
from coach.programme import calendar as cal
from tests.conftest import content

HEADER = "participant site       week  done  channels       status                 last contact\n"
LAST_CONTACT = datetime(2025, 1, 2, 9, 5)
BEHIND_HEADER = "participant site       week  state                  days since contact\n"


def enrolled(out: str) -> tuple:
    m = re.fullmatch(r"Participant (P-\w{6}) \(site (\w+), starts ([\d-]+)\)\.\n"
                     r"Joining code: (\w{8})  \(single use, expires in (\d+) days\)\n"
                     r"He sends:  JOIN (\w{8})  to the coach on Telegram or by text\.\n", out)
    assert m, out
    assert m.group(4) == m.group(6)
    return m.group(1), m.group(2), m.group(3), m.group(4), int(m.group(5))


def test_enrol(cli):
    code, out, err = cli("enrol", "--site", "north", "--start", "2026-03-02")
    assert (code, err) == (0, "")
    pid, site, start, code_, days = enrolled(out)
    assert (site, start, days) == ("north", "2026-03-02", 14)


def test_enrol_on_a_given_week_makes_that_week_his_current_session(cli):
    for week in (0, 1, 4, 12):
        pid, site, start, *_ = enrolled(cli("enrol", "--site", "demo", "--week", str(week))[1])
        assert cal.current_week(content().programme, date.fromisoformat(start), cal.uk_today()) == week


def test_enrol_again_gives_a_new_code(cli):
    pid, *_, first_code, _ = enrolled(cli("enrol", "--site", "south", "--start", "2026-03-02", "--days", "3")[1])
    again = enrolled(cli("enrol", "--participant", pid, "--days", "5")[1])
    assert again[:3] == (pid, "south", "2026-03-02") and again[4] == 5 and again[3] != first_code


def test_enrol_errors(cli):
    assert cli("enrol") == (
        1, "", "coach: give --site and either --start (the date of his goal-setting 1:1) or --week N, "
        "or --participant for a new code\n")
    assert cli("enrol", "--site", "north", "--start", "2026-03-02", "--week", "3") == cli("enrol")
    assert cli("enrol", "--site", "north", "--week", "13") == (
        1, "", "coach: --week must be from 0 (the welcome) to 12, got 13\n")
    assert cli("enrol", "--site", "north") == cli("enrol")
    assert cli("enrol", "--site", "north", "--start", "2026-13-01") == (
        1, "", "coach: --start must be a date like 2026-03-02, got '2026-13-01'\n")
    assert cli("enrol", "--participant", "P-NOPE00") == (
        1, "", "coach: no participant P-NOPE00; see `coach participants`\n")


def test_nobody_yet(cli):
    assert cli("participants") == (
        0, HEADER + "No participants yet. Enrol one with `coach enrol --site SITE --start YYYY-MM-DD`.\n", "")
    assert cli("participants", "--behind") == (
        0, BEHIND_HEADER + "Nobody is behind: everyone has finished the session open this week.\n", "")


def test_participants(cli, app):
    today = cal.uk_today()
    week2 = enrolled(cli("enrol", "--site", "north", "--start", (today - timedelta(days=15)).isoformat())[1])[0]
    opted = enrolled(cli("enrol", "--site", "south", "--start", (today - timedelta(days=8)).isoformat())[1])[0]
    demo = enrolled(cli("enrol", "--site", "north", "--start", today.isoformat())[1])[0]
    vault = IdentityVault.from_settings(app.settings)
    now = utcnow()
    with app.db.session() as s:
        link_identity(s, vault, week2, "telegram", "5550001")
        link_identity(s, vault, week2, "sms", "+447700900999")
        s.add(SessionProgress(participant_id=week2, week=1, started_at=now, completed_at=now, last_activity_at=now))
        p = s.get(Participant, opted)
        p.opted_out_at, p.opt_out_reason, p.last_contact_at = now, "sms_stop", LAST_CONTACT
        s.get(Participant, demo).is_demo = True
    code, out, err = cli("participants")
    assert (code, err) == (0, "")
    assert out == HEADER + (
        f"{week2}   north         2     1  sms,telegram   active                 never\n"
        f"{opted}   south         1     0  -              opted out (sms_stop)   2025-01-02 09:05\n"
        f"{demo}   north         0     0  -              active (demo)          never\n")
    assert cli("participants", "--site", "south")[1] == HEADER + out.splitlines(keepends=True)[2]

    code, out, _ = cli("participants", "--behind")
    days = (now - LAST_CONTACT).days
    assert out == BEHIND_HEADER + (
        f"{week2}   north         2  not started                         never\n"
        f"{opted}   south         1  not started            {days:>18}  (messages off)\n")
    assert cli("participants", "--behind", "--site", "south")[1] == BEHIND_HEADER + out.splitlines(keepends=True)[2]


def test_participants_refuses_bad_content(cli, private):
    from tests.unit.cli.conftest import break_content

    break_content(private.content)
    code, out, err = cli("participants")
    assert (code, out) == (1, "")
    assert "Content has problems" in err


def test_start_date_is_kept(cli, app):
    pid = enrolled(cli("enrol", "--site", "north", "--start", "2026-03-02")[1])[0]
    with app.db.session() as s:
        assert s.get(Participant, pid).start_date == date(2026, 3, 2)
