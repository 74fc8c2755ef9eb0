"""`coach.programme.sites`: a site's group dates, in UK time, across the clock changes."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import select

from coach.core.db.models import Site, SiteGroup
from coach.programme.calendar import UK
from coach.programme.sites import add_group_dates, group_dates, series


def test_series_is_a_fortnight_apart_seven_times_by_default():
    days = series(date(2026, 3, 5))
    assert len(days) == 7
    assert days[0] == date(2026, 3, 5) and days[1] == date(2026, 3, 19) and days[-1] == date(2026, 5, 28)


def test_series_every_and_count():
    assert series(date(2026, 3, 5), every=7, count=3) == [date(2026, 3, 5), date(2026, 3, 12), date(2026, 3, 19)]
    assert series(date(2026, 3, 5), count=0) == []


def test_dates_stay_at_19_00_uk_across_the_clock_change(app):
    with app.db.session() as s:
        assert add_group_dates(s, "north", [date(2026, 3, 19), date(2026, 4, 2)], time(19, 0)) == 2
    with app.db.session() as s:
        starts = group_dates(s, "north")
        stored = list(s.execute(select(SiteGroup.starts_at).order_by(SiteGroup.starts_at)).scalars())
    assert starts == [datetime(2026, 3, 19, 19, 0, tzinfo=UK), datetime(2026, 4, 2, 19, 0, tzinfo=UK)]
    assert [(d.hour, d.minute) for d in starts] == [(19, 0), (19, 0)]
    assert stored == [datetime(2026, 3, 19, 19, 0), datetime(2026, 4, 2, 18, 0)]  # GMT, then BST: naive UTC


def test_in_order_and_no_duplicates(app):
    with app.db.session() as s:
        add_group_dates(s, "north", [date(2026, 10, 25), date(2026, 3, 5)], time(19, 0))
        assert add_group_dates(s, "north", [date(2026, 3, 5), date(2026, 3, 5)], time(19, 0)) == 0
        assert add_group_dates(s, "north", [date(2026, 3, 5)], time(18, 30)) == 1  # another time is another group
        assert [d.strftime("%Y-%m-%d %H:%M") for d in group_dates(s, "north")] == [
            "2026-03-05 18:30", "2026-03-05 19:00", "2026-10-25 19:00"]


def test_clear_first(app):
    with app.db.session() as s:
        add_group_dates(s, "north", series(date(2026, 3, 5)), time(19, 0))
        add_group_dates(s, "south", [date(2026, 3, 6)], time(19, 0))
        add_group_dates(s, "north", [date(2026, 5, 5)], time(18, 30), clear=True)
        assert [d.date() for d in group_dates(s, "north")] == [date(2026, 5, 5)]
        assert [d.date() for d in group_dates(s, "south")] == [date(2026, 3, 6)]  # other sites untouched
        add_group_dates(s, "north", [], time(19, 0), clear=True)
        assert group_dates(s, "north") == []


def test_sites_are_created_when_dates_are_added_but_not_when_listed(app):
    with app.db.session() as s:
        assert group_dates(s, "west") == []
        assert s.execute(select(Site).where(Site.code == "west")).first() is None
        add_group_dates(s, "west", [date(2026, 3, 5)], time(19, 0))
        assert s.execute(select(Site).where(Site.code == "west")).scalar_one().name == "west"
