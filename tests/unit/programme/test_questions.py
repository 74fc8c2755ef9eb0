"""coach/programme/questions.py: the notice first, and real answers to real questions."""

from __future__ import annotations

from datetime import datetime

from coach.programme.questions import INTENTS, answer, topic_of, with_notice
from coach.programme.reply import Reply
from tests.unit.programme import test_engine
from tests.unit.programme.test_engine import PID, ask, coach_on

content = test_engine.content  # the same module fixture: the real content, loaded once


def test_the_notice_comes_first_once_whatever_week_he_joins_on(content):
    for week in (0, 1, 5):
        coach, store = coach_on(content, week)
        first = with_notice(coach, PID, coach.begin(PID))
        assert first.texts[0] == content.messages["notice"]
        assert store.notice_seen(PID)
        again = with_notice(coach, PID, coach.begin(PID))
        assert content.messages["notice"] not in again.texts


def test_the_notice_says_what_it_is_who_reads_when_they_act_and_how_to_stop(content):
    notice = content.messages["notice"].lower()
    for words in ("computer program", "not a person", "facilitator", "read", "risk", "act", "stop"):
        assert words in notice
    assert len(content.messages["notice"]) <= 320  # two text messages


def test_every_topic_has_an_intent_and_an_answer(content):
    assert {topic_of(i) for i in INTENTS} == {"privacy", "person", "schedule", "video", "data", "stop", "goal"}
    assert topic_of("help") is None and topic_of(None) is None
    for intent in INTENTS:
        assert content.language[intent], intent


def test_a_question_mid_checkin_is_answered_and_the_session_carries_on(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    question = ask(coach)[-1]
    reply = answer(coach, PID, "privacy")
    assert reply.texts == [content.messages["question_privacy"]] and reply.active
    again = coach.prompt(PID).texts
    assert again[-1] == question  # the same question again, nothing saved
    assert (PID, 1) not in store.checkins


def test_talking_to_a_person_gives_helplines_from_content(content):
    coach, _ = coach_on(content, 1)
    text = answer(coach, PID, "person").texts[0]
    assert "116 123" in text and "999" in text and "facilitator" in text


def test_when_is_my_call_gives_his_sites_next_group_or_says_who_will_tell_him(content):
    coach, store = coach_on(content, 1)
    without = answer(coach, PID, "schedule", now=datetime(2026, 3, 10, 9)).texts[0]
    store.groups = [datetime(2026, 2, 26, 18, 30), datetime(2026, 3, 12, 18, 30)]
    with_date = answer(coach, PID, "schedule", now=datetime(2026, 3, 10, 9)).texts[0]
    assert "Thursday 12 March" in with_date and "6.30pm" in with_date
    assert content.messages["question_group_unknown"] in without


def test_the_video_for_his_week_or_a_plain_answer_when_none_is_authored(content):
    from dataclasses import replace

    coach, _ = coach_on(content, 2)
    coach.begin(PID)
    assert answer(coach, PID, "video").texts == [content.messages["question_video_none"].format(session="week 2")]
    linked = replace(content, sessions={**content.sessions,
                                        2: replace(content.sessions[2], video="https://example.org/w2")})
    coach.content = linked
    assert answer(coach, PID, "video").texts == ["Here's the video for week 2: https://example.org/w2"]


def test_with_notice_leaves_an_empty_reply_just_the_notice(content):
    coach, _ = coach_on(content, 1)
    assert with_notice(coach, PID, Reply()).texts == [content.messages["notice"]]


def test_change_my_goal_asked_as_a_question_at_the_goal_review_changes_it(content):
    coach, store = test_engine.goal_review(content)
    reply = answer(coach, PID, "goal", text="change me goal its wrong")
    assert reply.texts == [content.messages["goal_change"]]
    coach.answer(PID, "walk away when i feel it building")
    assert store.goal(PID) == "walk away when i feel it building"


def test_whats_my_goal_reads_it_back(content):
    coach, store = coach_on(content, 2)
    store.set_goal(PID, 0, "stay off the drink in the week")
    assert answer(coach, PID, "goal", text="whats my goal").texts == [
        content.messages["question_goal"].format(goal="stay off the drink in the week")]


def test_when_is_my_next_session_says_when_it_opens_when_he_is_up_to_date(content):
    coach, store = coach_on(content, 1)
    for week in (0, 1):
        store.session_completed(PID, week)
    text = answer(coach, PID, "schedule", now=datetime(2026, 3, 10, 9)).texts[0]
    assert text.startswith("Your next session opens on Tuesday 17 March. ")
    coach.begin(PID, week=1)  # mid-session he knows where he is: only the call and group
    assert answer(coach, PID, "schedule", now=datetime(2026, 3, 10, 9)).texts[0].startswith("Your facilitator")
