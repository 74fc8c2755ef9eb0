"""Recording the 1:1, groups and calls: what is refused, and that the latest record counts."""

from __future__ import annotations

from datetime import date

import pytest

from coach.programme import attendance
from coach.programme.attendance import AttendanceError, counts
from coach.programme.enrolment import enrol
from tests.conftest import content, db_session


def test_bad_records_are_refused_with_what_to_fix(app):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 9, 1)).id
        for kind, number, outcome, words in (
                ("party", 1, "attended", "1:1, a group"), ("group", 8, "attended", "1 to 7"),
                ("call", 0, "done", "1 to 12"), ("call", 3, "attended", "from the list"),
                ("one_to_one", 0, "done", "from the list")):
            with pytest.raises(AttendanceError, match=words):
                attendance.record(s, pid, kind, number, outcome)
        with pytest.raises(AttendanceError, match="too long"):
            attendance.record(s, pid, "call", 2, "done", note="x" * 2001)
        with pytest.raises(AttendanceError, match="no such participant"):
            attendance.record(s, "P-NOBODY", "call", 2, "done")


def test_the_latest_record_counts_so_a_correction_replaces_a_mistake(app):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 9, 1)).id
        attendance.record(s, pid, "group", 1, "attended")
        attendance.record(s, pid, "group", 1, "missed")  # corrected
        attendance.record(s, pid, "group", 2, "attended")
        attendance.record(s, pid, "call", 1, "no_answer")
        attendance.record(s, pid, "call", 1, "done")  # rang back
        attendance.record(s, pid, "one_to_one", 0, "attended")
        (c,) = counts(s, content(), [pid])
    assert (c.one_to_one, c.groups, c.web, c.calls, c.total) == (1, 1, 0, 1, 3)
    assert attendance.total(content()) == 32
