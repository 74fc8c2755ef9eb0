"""`coach report completion`: CSV of who did which session."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from coach.core.db.models import SessionProgress, StepProgress
from coach.programme.enrolment import enrol

HEADER = "participant,site,week,title,started,completed,steps_done,steps_total\n"


def test_empty(cli):
    assert cli("report", "completion") == (0, HEADER, "")


def test_rows(cli, app):
    at = datetime(2026, 3, 9, 19, 30, 5, 123)
    with app.db.session() as s:
        pid = enrol(s, "north", date(2026, 3, 2)).id
        s.add(SessionProgress(participant_id=pid, week=0, started_at=at, completed_at=at, last_activity_at=at))
        s.add(SessionProgress(participant_id=pid, week=1, started_at=at, last_activity_at=at))
        s.add(StepProgress(participant_id=pid, week=1, step_id="checkin", status="done", completed_at=at))
    code, out, err = cli("report", "completion")
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == HEADER.strip().split(",")
    assert [r[:3] + r[4:7] for r in rows[1:]] == [
        [pid, "north", "0", "2026-03-09 19:30:05", "2026-03-09 19:30:05", "0"],
        [pid, "north", "1", "2026-03-09 19:30:05", "", "1"],
    ]
    assert all(r[3] and r[7].isdigit() for r in rows[1:])  # the session's title and step count, from content/
