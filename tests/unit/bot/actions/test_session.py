"""Actions with trackers built inline, against a fresh app database (see tests/conftest.py)."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from bot.actions.digressions import (
    ActionFallback,
    ActionHelp,
    ActionOpenToolkit,
    ActionPause,
    ActionProgress,
    ActionRepeatLast,
)
from bot.actions.session import ActionBegin, ActionFlowDone, AskFlowAnswer, ValidateFlowForm, requested_week
from coach.core.db.models import Answer, Checkin, SessionProgress
from coach.programme.calendar import start_for_week, uk_today
from coach.programme.enrolment import enrol
from tests.conftest import content, db_session


def tracker(pid: str, text: str = "", intent: str = "", events=None, active_loop=None) -> Tracker:
    return Tracker(
        sender_id=pid, slots={}, latest_message={"text": text, "intent": {"name": intent, "confidence": 1.0}},
        events=events or [], paused=False, followup_action=None,
        active_loop={"name": active_loop} if active_loop else {}, latest_action_name="action_listen",
    )


def run(action, t: Tracker):
    d = CollectingDispatcher()
    events = asyncio.run(action.run(d, t, {}))
    return d, events


def texts(d: CollectingDispatcher):
    return [m["text"] for m in d.messages]


def make_participant(week: int = 1) -> str:
    programme = content().programme
    with db_session() as s:
        return enrol(s, site="test", start=start_for_week(programme, week, uk_today())).id


def answer(pid: str, text: str, intent: str = "inform"):
    d = CollectingDispatcher()
    result = asyncio.run(ValidateFlowForm().validate_flow_answer(
        text, d, tracker(pid, text, intent, active_loop="flow_form"), {}))
    return d, result


def test_begin_starts_this_weeks_session_and_ask_sends_the_first_question(app):
    pid = make_participant(week=1)
    d, events = run(ActionBegin(), tracker(pid, "hi", "greet"))
    assert SlotSet("has_flow", True) in events
    assert any("week 1" in t for t in texts(d))
    d, _ = run(AskFlowAnswer(), tracker(pid))
    assert any("mood" in t for t in texts(d))


def test_answers_are_stored_and_bad_numbers_reask(app):
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid))
    d, result = answer(pid, "11", "number")
    assert result == {"flow_answer": None}
    assert "0 to 10" in texts(d)[0]
    d, result = answer(pid, "6", "number")
    assert result == {"flow_answer": None} and texts(d) == []
    with db_session() as s:
        row = s.execute(select(Checkin).where(Checkin.participant_id == pid)).scalar_one()
        assert row.mood == 6 and row.week == 1


def test_whole_session_completes_and_form_ends(app):
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    flow = content().sessions[1]
    replies = {"number": "5", "yesno": "y", "quiz": None, "choice": None, "question": "  my own words  ",
               "message": "ok"}
    result = {"flow_answer": None}
    for _ in range(60):
        run(AskFlowAnswer(), tracker(pid))
        with db_session() as s:
            state = s.execute(select(SessionProgress).where(SessionProgress.participant_id == pid)).scalar_one()
            step = flow.step(state.current_step) if state.current_step else None
        if step is None:
            break
        text = replies[step.type] or step.options[0].key
        d, result = answer(pid, text)
        if result == {"flow_answer": "done"}:
            break
    assert result == {"flow_answer": "done"}
    assert "coaching" in texts(d)[-1].lower()
    with db_session() as s:
        progress = s.execute(select(SessionProgress).where(SessionProgress.participant_id == pid)).scalar_one()
        assert progress.completed_at is not None
        stored = s.execute(select(Answer.text).where(Answer.participant_id == pid)).scalars().all()
        assert "my own words" in stored  # stored as given (he typed it with spaces around)
    _, events = run(ActionFlowDone(), tracker(pid))
    assert SlotSet("has_flow", False) in events


def test_help_and_progress_mid_session_then_back_to_the_question(app):
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid))
    d, _ = run(ActionHelp(), tracker(pid, "help", "help"))
    assert any("999" in t for t in texts(d))
    d, _ = run(ActionProgress(), tracker(pid, "where", "ask_progress"))
    assert "question 1 of" in texts(d)[0]
    d, _ = run(AskFlowAnswer(), tracker(pid))
    assert texts(d)[0].startswith("Back to") and "mood" in texts(d)[1]


def test_toolkit_opens_then_session_resumes(app):
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid))
    _, events = run(ActionOpenToolkit(), tracker(pid, "im struggling", "toolkit"))
    assert SlotSet("has_flow", True) in events
    d, _ = run(AskFlowAnswer(), tracker(pid))
    assert "1 Slow breathing" in texts(d)[0]
    d, result = answer(pid, "5")  # who to call: messages only, then back
    d2, _ = run(AskFlowAnswer(), tracker(pid))
    said = texts(d) + texts(d2)
    assert any("116 123" in t for t in said)
    assert any("mood" in t for t in said)


def test_pause_then_resume_where_he_left_off(app):
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid))
    answer(pid, "4", "number")
    d, events = run(ActionPause(), tracker(pid, "later", "pause"))
    assert "saved your place" in texts(d)[0]
    assert SlotSet("has_flow", False) in events
    d, events = run(ActionBegin(), tracker(pid, "hi", "greet"))
    assert "Welcome back" in texts(d)[0]
    d, _ = run(AskFlowAnswer(), tracker(pid))
    assert "cravings" in texts(d)[0]


def test_unknown_participant_is_told_how_to_join(app):
    d, events = run(ActionBegin(), tracker("P-NOBODY", "hi", "greet"))
    assert "joining code" in texts(d)[0]
    assert SlotSet("has_flow", False) in events


def test_repeat_last_outside_a_session_resends_the_previous_bot_messages():
    events = [
        {"event": "user", "text": "hi"},
        {"event": "bot", "text": "first"},
        {"event": "bot", "text": "second"},
        {"event": "user", "text": "what?"},
    ]
    d, _ = run(ActionRepeatLast(), tracker("P-X", "what?", "repeat", events=events))
    assert texts(d) == ["second"]  # "what?": the last message only, one SMS
    d, _ = run(ActionRepeatLast(), tracker("P-X", "repeat", "repeat", events=events))
    assert texts(d) == ["first", "second"]  # REPEAT: the whole turn


def test_fallback_says_what_to_do(app):
    d, _ = run(ActionFallback(), tracker("P-X", "blah", "nlu_fallback"))
    assert "HELP" in texts(d)[0]


def test_requested_week_reads_numbers_and_words():
    assert requested_week("week 3") == 3
    assert requested_week("can i do WEEK two") == 2
    assert requested_week("week twelve") == 12
    assert requested_week("hello") is None


def test_his_first_reply_ever_starts_with_the_notice_whatever_week_he_joins(app):
    from coach.core.db.models import Participant

    for week in (1, 4):
        pid = make_participant(week=week)
        d, _ = run(ActionBegin(), tracker(pid, "hi", "greet"))
        assert texts(d)[0] == content().messages["notice"]
        assert any(f"week {week}" in t for t in texts(d)[1:])
        with db_session() as s:
            assert s.get(Participant, pid).notice_seen_at is not None
        d, _ = run(AskFlowAnswer(), tracker(pid))
        assert content().messages["notice"] not in texts(d)


def test_a_first_thanks_gets_the_notice_too(app):
    from bot.actions.digressions import ActionThanks

    pid = make_participant()
    d, _ = run(ActionThanks(), tracker(pid, "cheers", "thanks"))
    assert texts(d) == [content().messages["notice"], content().messages["thanks"]]
    d, _ = run(ActionThanks(), tracker(pid, "cheers", "thanks"))
    assert texts(d) == [content().messages["thanks"]]


def test_a_real_question_mid_session_is_answered_then_the_question_is_asked_again(app):
    from bot.actions.digressions import ActionAnswerQuestion

    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    d, _ = run(AskFlowAnswer(), tracker(pid))
    question = texts(d)[-1]
    d, _ = run(ActionAnswerQuestion(), tracker(pid, "is this confidential", "ask_privacy", active_loop="flow_form"))
    assert texts(d) == [content().messages["question_privacy"]]
    d, _ = run(AskFlowAnswer(), tracker(pid))
    assert texts(d)[-1] == question
    d, _ = run(ActionAnswerQuestion(), tracker(pid, "when is group", "ask_schedule", active_loop="flow_form"))
    assert content().messages["question_group_unknown"] in texts(d)[0]


def test_an_answer_after_later_points_back_to_his_paused_session_by_name(app):
    pid = make_participant(week=2)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid))
    run(ActionPause(), tracker(pid, "later", "pause", active_loop="flow_form"))
    d, _ = run(ActionFallback(), tracker(pid, "2", "number"))
    title = content().session_title(2)
    assert texts(d) == [content().messages["fallback_paused"].format(week=2, title=title)]


def test_an_unsure_question_guess_mid_session_is_his_answer(app):
    from bot.actions.digressions import ActionAnswerQuestion

    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid, "hi", "greet", active_loop="flow_form"))  # the mood question
    t = tracker(pid, "I go quiet, then I snap", "ask_stop", active_loop="flow_form")
    t.latest_message["intent"]["confidence"] = 0.61
    d, _ = run(ActionAnswerQuestion(), t)
    assert "number from 0 to 10" in texts(d)[0]  # the engine's re-ask, not how to stop
    sure = tracker(pid, "how do i stop these messages", "ask_stop", active_loop="flow_form")
    d, _ = run(ActionAnswerQuestion(), sure)
    assert texts(d)[0] == content().messages["question_stop"]


def test_every_unsure_digression_mid_session_is_his_answer_through_one_door(app):
    """help, WHERE, the toolkit, a question, a reminder change: an unsure guess (below
    DIGRESSION_SURE) at text not phrased as a question is his answer; sure guesses, questions
    and the typed reply words still digress."""
    from bot.actions.common import DIGRESSION_SURE
    from bot.actions.digressions import ActionAnswerQuestion, ActionHelp, ActionOpenToolkit, ActionProgress
    from bot.actions.rhythm import ActionSetReminder

    msgs = content().messages
    for action, intent in ((ActionHelp(), "help"), (ActionProgress(), "ask_progress"),
                           (ActionOpenToolkit(), "toolkit"), (ActionAnswerQuestion(), "ask_stop"),
                           (ActionSetReminder(), "set_reminder")):
        pid = make_participant(week=1)
        run(ActionBegin(), tracker(pid, "hi", "greet"))
        run(AskFlowAnswer(), tracker(pid, "hi", "greet", active_loop="flow_form"))  # the mood question
        unsure = tracker(pid, "after work mostly", intent, active_loop="flow_form")
        unsure.latest_message["intent"]["confidence"] = DIGRESSION_SURE - 0.2
        d, _ = run(action, unsure)
        assert "number from 0 to 10" in texts(d)[0], (intent, texts(d))  # the engine's re-ask
        for text in ("HELP", "what do i do now?"):  # a reply word, or a question: never his answer
            typed = tracker(pid, text, intent, active_loop="flow_form")
            typed.latest_message["intent"]["confidence"] = 0.5
            d, _ = run(action, typed)
            assert not any("number from 0 to 10" in t for t in texts(d)), (intent, text, texts(d))
    pid = make_participant(week=1)
    run(ActionBegin(), tracker(pid, "hi", "greet"))
    run(AskFlowAnswer(), tracker(pid, "hi", "greet", active_loop="flow_form"))
    d, _ = run(ActionHelp(), tracker(pid, "how does this work", "help", active_loop="flow_form"))
    assert texts(d)[0] == msgs["help"]
