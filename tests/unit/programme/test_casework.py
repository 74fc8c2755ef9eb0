"""Talking points for the coaching call: drawn from the data, most important first, at most 3."""

from __future__ import annotations

from datetime import date

from coach.programme.casework import Brief, talking_points


def brief(**kw) -> Brief:
    base = dict(pid="P-AAAAAA", name="", week=5, title="", start=date(2026, 9, 1), last_contact=None, checkins={},
                answers=[], goal=None, goal_set_week=None, ratings=[], quiz_wrong=[], alerts=[], checks=[], missed=[],
                unfinished=[], calls=[], since=None)
    base.update(kw)
    return Brief(**base)


def test_a_quiet_week_still_gives_the_facilitator_something_to_ask():
    assert talking_points(brief()) == ["Nothing stands out: ask what went well and what he will practise next week."]


def test_craving_up_and_mood_down_by_three_or_more_are_named_with_the_numbers():
    points = talking_points(brief(checkins={3: {"craving": 3, "mood": 7}, 4: {"craving": 7, "mood": 3}}))
    assert points[:2] == ["Craving up from 3 to 7 (week 3 to week 4).", "Mood down from 7 to 3 (week 3 to week 4)."]
    assert talking_points(brief(checkins={3: {"craving": 3}, 4: {"craving": 5}})) == talking_points(brief())


def test_alerts_come_first_and_there_are_never_more_than_three():
    points = talking_points(brief(alerts=[object(), object()], unfinished=[4], missed=[2, 3], quiz_wrong=[object()],
                                  ratings=[(4, 2, "")]))
    assert points == ["2 alerts since the last call: check how he is and what happened.", "Hasn't finished week 4.",
                      "Hasn't started week 2 and 3."]
