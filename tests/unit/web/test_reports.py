"""Attendance like the pilot's Figure 4: the SVG chart and the CSV."""

from __future__ import annotations

import csv
import io
import re

from coach.programme.attendance import Counts
from coach.web.reports import chart_svg
from tests.unit.web.test_people import demo, log_in  # noqa: F401  (the demo site fixture)


def test_the_chart_has_one_bar_per_man_a_key_and_a_text_equivalent():
    rows = [Counts("P-AAAAAA", 1, 3, 10, 7), Counts("P-BBBBBB", 1, 0, 2, 0)]
    svg = chart_svg(rows, {"P-AAAAAA": "<Kev & co>"}, 32)
    assert svg.startswith("<svg") and 'role="img"' in svg and "<desc" in svg
    assert "&lt;Kev &amp; co&gt;" in svg and "P-BBBBBB" in svg  # names escaped; no name: the id
    assert svg.index("&lt;Kev") < svg.index("P-BBBBBB")  # most sessions first
    assert ">21<" in svg and ">3<" in svg


def test_attendance_page_and_csv(demo):  # noqa: F811
    c = log_in(demo, "fay")
    page = c.get("/attendance")
    assert page.status_code == 200 and "<svg" in page.text and "12 men" in page.text
    r = c.get("/attendance.csv")
    assert r.headers["content-type"].startswith("text/csv") and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["participant", "goal_setting_1to1", "video_groups", "web_sessions", "coaching_calls", "total"]
    assert len(rows) == 13 and all(re.match(r"P-[A-Z0-9]{6}$", row[0]) for row in rows[1:])
    assert all(int(row[5]) == sum(map(int, row[1:5])) <= 32 for row in rows[1:])
    assert "Kev" not in r.text  # names stay in the console
    assert log_in(demo, "isla").get("/attendance.csv").status_code == 403
