"""`coach site groups`: show or set a site's group dates (UK time)."""

from __future__ import annotations

from sqlalchemy import select

from coach.core.db.models import Site

FORTNIGHTLY = [
    "north: Thursday 5 March 2026 at 19:00",
    "north: Thursday 19 March 2026 at 19:00",
    "north: Thursday 2 April 2026 at 19:00",
    "north: Thursday 16 April 2026 at 19:00",
    "north: Thursday 30 April 2026 at 19:00",
    "north: Thursday 14 May 2026 at 19:00",
    "north: Thursday 28 May 2026 at 19:00",
]


def test_none_yet(cli, app):
    assert cli("site", "groups", "--site", "west") == (
        0, "No group dates for west. Add them: coach site groups --site west --first 2026-03-05 --time 19:00\n", "")
    with app.db.session() as s:
        assert s.execute(select(Site).where(Site.code == "west")).first() is None  # looking creates nothing


def test_fortnightly_from_first(cli):
    code, out, err = cli("site", "groups", "--site", "north", "--first", "2026-03-05", "--time", "19:00")
    assert (code, err) == (0, "")
    assert out.splitlines() == FORTNIGHTLY
    assert cli("site", "groups", "--site", "north")[1].splitlines() == FORTNIGHTLY


def test_add_dates_in_order_once(cli):
    cli("site", "groups", "--site", "north", "--first", "2026-03-05")
    out = cli("site", "groups", "--site", "north", "2026-10-25", "2026-03-05")[1]
    assert out.splitlines() == FORTNIGHTLY + ["north: Sunday 25 October 2026 at 19:00"]


def test_clear_every_count_time(cli):
    cli("site", "groups", "--site", "north", "--first", "2026-03-05")
    assert cli("site", "groups", "--site", "north", "--first", "2026-05-05", "--every", "7", "--count", "2", "--clear",
               "--time", "18:30") == (
        0, "north: Tuesday 5 May 2026 at 18:30\nnorth: Tuesday 12 May 2026 at 18:30\n", "")
    assert cli("site", "groups", "--site", "north", "--clear")[1].startswith("No group dates for north.")


def test_bad_dates_and_times(cli):
    assert cli("site", "groups", "--site", "north", "2026-02-30") == (
        1, "", "coach: dates are YYYY-MM-DD and the time HH:MM (day is out of range for month)\n")
    assert cli("site", "groups", "--site", "north", "--time", "25:00") == (
        1, "", "coach: dates are YYYY-MM-DD and the time HH:MM (hour must be in 0..23)\n")
    assert cli("site", "groups", "--site", "north", "--first", "soon")[0] == 1
