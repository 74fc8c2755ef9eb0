"""coach/programme.py: when each session opens, the booster's month arithmetic, UK dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from coach.programme import calendar as cal
from coach.programme.content.model import Programme


def make_programme(**overrides) -> Programme:
    values = dict(name="test", weekly_sessions=12, first_week_opens_after_days=7,
                  programme_length_weeks=14, booster_opens_months_after_end=1)
    values.update(overrides)
    return Programme(**values)


START = date(2026, 3, 2)  # a Monday
ALL = list(range(0, 14))


# -- opens_on ---------------------------------------------------------------------------------------


def test_week_0_opens_on_the_start_date():
    assert cal.opens_on(make_programme(), START, 0) == START


def test_week_1_opens_a_week_after_the_start():
    assert cal.opens_on(make_programme(), START, 1) == date(2026, 3, 9)


def test_week_12_opens_78_days_after_the_start():
    assert cal.opens_on(make_programme(), START, 12) == START + timedelta(days=7 + 7 * 11)
    assert cal.opens_on(make_programme(), START, 12) == date(2026, 5, 25)


def test_weeks_open_seven_days_apart():
    p = make_programme()
    for week in range(1, 12):
        assert cal.opens_on(p, START, week + 1) - cal.opens_on(p, START, week) == timedelta(days=7)


def test_first_week_offset_is_configurable():
    p = make_programme(first_week_opens_after_days=3)
    assert cal.opens_on(p, START, 1) == START + timedelta(days=3)
    assert cal.opens_on(p, START, 2) == START + timedelta(days=10)


@pytest.mark.parametrize("week", [-1, 14, 99])
def test_no_such_week(week):
    with pytest.raises(ValueError):
        cal.opens_on(make_programme(), START, week)


# -- the booster -----------------------------------------------------------------------------------


def test_booster_is_the_week_after_the_last_weekly_session():
    assert make_programme().booster_week == 13
    assert make_programme(weekly_sessions=10).booster_week == 11


def test_booster_opens_a_month_after_the_programme_ends():
    p = make_programme()
    assert cal.programme_ends_on(p, START) == date(2026, 6, 8)  # 14 weeks
    assert cal.opens_on(p, START, 13) == date(2026, 7, 8)
    assert cal.booster_opens_on(p, START) == date(2026, 7, 8)


def test_booster_start_31_january():
    p = make_programme()
    start = date(2026, 1, 31)
    assert cal.programme_ends_on(p, start) == date(2026, 5, 9)
    assert cal.opens_on(p, start, 13) == date(2026, 6, 9)


def test_booster_when_the_programme_ends_on_31_january_opens_on_the_last_day_of_february():
    p = make_programme()
    start = date(2026, 1, 31) - timedelta(weeks=14)  # 25 October 2025
    assert cal.programme_ends_on(p, start) == date(2026, 1, 31)
    assert cal.opens_on(p, start, 13) == date(2026, 2, 28)


def test_booster_in_a_leap_year_february():
    p = make_programme()
    start = date(2024, 1, 31) - timedelta(weeks=14)
    assert cal.opens_on(p, start, 13) == date(2024, 2, 29)


def test_booster_months_is_configurable():
    p = make_programme(booster_opens_months_after_end=3)
    assert cal.opens_on(p, START, 13) == date(2026, 9, 8)


def test_booster_opens_after_week_12():
    p = make_programme()
    for offset in range(0, 400, 13):
        start = date(2025, 1, 1) + timedelta(days=offset)
        assert cal.opens_on(p, start, 13) > cal.opens_on(p, start, 12)


# -- open_weeks, current_week, next_opening over time ----------------------------------------------------


@pytest.mark.parametrize("today, open_, current, nxt", [
    (START - timedelta(days=1), [], 0, (0, START)),
    (START, [0], 0, (1, date(2026, 3, 9))),
    (date(2026, 3, 8), [0], 0, (1, date(2026, 3, 9))),
    (date(2026, 3, 9), [0, 1], 1, (2, date(2026, 3, 16))),
    (date(2026, 3, 15), [0, 1], 1, (2, date(2026, 3, 16))),
    (date(2026, 3, 16), [0, 1, 2], 2, (3, date(2026, 3, 23))),
    (date(2026, 5, 25), list(range(13)), 12, (13, date(2026, 7, 8))),
    (date(2026, 7, 7), list(range(13)), 12, (13, date(2026, 7, 8))),
    (date(2026, 7, 8), ALL, 13, None),
    (date(2030, 1, 1), ALL, 13, None),
])
def test_calendar_over_time(today, open_, current, nxt):
    p = make_programme()
    assert cal.open_weeks(p, START, today) == open_
    assert cal.current_week(p, START, today) == current
    assert cal.next_opening(p, START, today) == nxt


def test_all_weeks_in_order():
    assert cal.all_weeks(make_programme()) == ALL
    assert cal.all_weeks(make_programme(weekly_sessions=3)) == [0, 1, 2, 3, 4]


def test_current_week_moves_forward_one_day_at_a_time():
    p = make_programme()
    seen = []
    for i in range(-3, 200):
        week = cal.current_week(p, START, START + timedelta(days=i))
        if not seen or seen[-1] != week:
            seen.append(week)
    assert seen == ALL


# -- start_for_week ------------------------------------------------------------------------------


@pytest.mark.parametrize("week", range(0, 13))
def test_start_for_week_round_trip_weekly(week):
    p = make_programme()
    for i in range(0, 366, 5):
        today = date(2026, 1, 1) + timedelta(days=i)
        assert cal.current_week(p, cal.start_for_week(p, week, today), today) == week


def test_start_for_week_0_is_today():
    assert cal.start_for_week(make_programme(), 0, START) == START


def test_start_for_week_booster_round_trip_on_some_days():
    p = make_programme()
    today = date(2026, 7, 8)
    start = cal.start_for_week(p, 13, today)
    assert cal.current_week(p, start, today) == 13


@pytest.mark.parametrize("today", [date(2026, 6, 1), date(2026, 1, 1), date(2026, 2, 25)])
def test_start_for_week_booster_round_trip(today):
    p = make_programme()
    start = cal.start_for_week(p, 13, today)
    assert cal.current_week(p, start, today) == 13


def test_start_for_week_round_trip_every_week_every_day_of_a_year():
    p = make_programme()
    wrong = []
    for i in range(366):
        today = date(2026, 1, 1) + timedelta(days=i)
        for week in cal.all_weeks(p):
            if cal.current_week(p, cal.start_for_week(p, week, today), today) != week:
                wrong.append((today, week))
    assert wrong == []


# -- UK dates ---------------------------------------------------------------------------------------


def test_uk_today_in_summer_time_is_a_day_ahead_of_utc_before_midnight():
    assert cal.uk_today(datetime(2026, 6, 1, 23, 30, tzinfo=timezone.utc)) == date(2026, 6, 2)
    assert cal.uk_today(datetime(2026, 6, 1, 22, 59, tzinfo=timezone.utc)) == date(2026, 6, 1)
    assert cal.uk_today(datetime(2026, 6, 1, 23, 0, tzinfo=timezone.utc)) == date(2026, 6, 2)


def test_uk_today_in_winter_is_utc():
    assert cal.uk_today(datetime(2026, 12, 1, 23, 30, tzinfo=timezone.utc)) == date(2026, 12, 1)
    assert cal.uk_today(datetime(2026, 12, 2, 0, 0, tzinfo=timezone.utc)) == date(2026, 12, 2)


def test_uk_today_across_the_clock_changes():
    # BST starts 01:00 UTC on 29 March 2026 and ends 01:00 UTC on 25 October 2026.
    assert cal.uk_today(datetime(2026, 3, 28, 23, 30, tzinfo=timezone.utc)) == date(2026, 3, 28)
    assert cal.uk_today(datetime(2026, 3, 29, 23, 30, tzinfo=timezone.utc)) == date(2026, 3, 30)
    assert cal.uk_today(datetime(2026, 10, 24, 23, 30, tzinfo=timezone.utc)) == date(2026, 10, 25)
    assert cal.uk_today(datetime(2026, 10, 25, 23, 30, tzinfo=timezone.utc)) == date(2026, 10, 25)


def test_uk_today_naive_datetime_is_utc():
    assert cal.uk_today(datetime(2026, 6, 1, 23, 30)) == date(2026, 6, 2)
    assert cal.uk_today(datetime(2026, 12, 1, 23, 30)) == date(2026, 12, 1)


def test_uk_today_other_time_zones():
    new_york = ZoneInfo("America/New_York")
    assert cal.uk_today(datetime(2026, 6, 1, 20, 0, tzinfo=new_york)) == date(2026, 6, 2)  # 01:00 BST


def test_uk_today_default_is_a_date():
    assert isinstance(cal.uk_today(), date)


@pytest.mark.parametrize("d, text", [
    (date(2026, 3, 3), "Tuesday 3 March"),
    (date(2026, 12, 25), "Friday 25 December"),
    (date(2026, 6, 1), "Monday 1 June"),
])
def test_format_date(d, text):
    assert cal.format_date(d) == text
