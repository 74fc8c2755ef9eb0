"""coach/engine.py with the in-memory store and the real content: choosing, walking and answering sessions."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import pytest

from coach.core.text.render import render
from coach.programme import calendar as cal
from coach.programme.content.loader import load_content
from coach.programme.content.model import Content, Flow, Option, Source, Step
from coach.programme.engine import Coach
from coach.programme.reply import Reply
from coach.programme.store import MemoryStore

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2026, 3, 10)  # a Tuesday
PID = "p1"
FREE_TEXT = "I want to  spend more\ttime with my kids \U0001F642 and \u2018walk\u2019 the dog"


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Content:
    """The real content, loaded once. safety/ is left out: the engine never reads it, and its
    own checks (tests/unit/test_content_loader.py) must not make these tests fail."""
    copy = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(ROOT / "content", copy,
                    ignore=shutil.ignore_patterns("lexicon.yml"))  # the lexicon has its own tests
    return load_content(copy)


def coach_on(content: Content, week: int, today: date = TODAY) -> Tuple[Coach, MemoryStore]:
    """A coach and a fresh store whose participant has ``week`` as this week's session."""
    if week == content.programme.booster_week:
        start = today - timedelta(weeks=content.programme.programme_length_weeks) - timedelta(days=62)
    else:
        start = cal.start_for_week(content.programme, week, today)
    store = MemoryStore(start=start, clock=lambda: today)
    coach = Coach(content, store, today=lambda: today)
    assert cal.current_week(content.programme, start, today) == week
    return coach, store


def everything_open(content: Content) -> Tuple[Coach, MemoryStore]:
    store = MemoryStore(start=TODAY - timedelta(days=365), clock=lambda: TODAY)
    return Coach(content, store, today=lambda: TODAY), store


def current_step(coach: Coach, store: MemoryStore, pid: str = PID) -> Optional[Step]:
    stack = store.get_stack(pid)
    if not stack:
        return None
    return coach._current_step(stack[-1])


def generic_answer(step: Step) -> str:
    if step.type == "number":
        return str((step.min + step.max) // 2)
    if step.type == "yesno":
        return "y"
    if step.type in ("quiz", "choice"):
        return step.options[0].key
    if step.type == "question":
        return f"{FREE_TEXT} ({step.id})"
    return "ok"  # a message that waits for a reply


def walk(coach: Coach, store: MemoryStore, first: Reply, answer_for: Callable[[Step], str] = generic_answer,
         pid: str = PID, limit: int = 200) -> Tuple[List[str], List[Tuple[Step, str]]]:
    """Follow ``first`` (from begin) to the end of the flow: (every text sent, [(step, answer)])."""
    sent = list(first.texts)
    answered: List[Tuple[Step, str]] = []
    for _ in range(limit):
        if not coach.active(pid):
            return sent, answered
        sent += coach.prompt(pid).texts
        step = current_step(coach, store, pid)
        if step is None:
            return sent, answered
        text = answer_for(step)
        answered.append((step, text))
        sent += coach.answer(pid, text).texts
    raise AssertionError("the flow never ended")


def ask(coach: Coach, pid: str = PID) -> List[str]:
    return coach.prompt(pid).texts


# -- choosing a session --------------------------------------------------------------------------


def test_begin_picks_this_weeks_session(content):
    coach, store = coach_on(content, 3)
    reply = coach.begin(PID)
    assert reply.active
    assert reply.texts[0] == f"Let's start week 3: {content.sessions[3].title}."
    assert store.get_stack(PID)[0]["flow"] == "week:3"
    assert (PID, 3) in store.started


def test_begin_on_the_start_date_is_the_welcome(content):
    coach, store = coach_on(content, 0)
    reply = coach.begin(PID)
    assert reply.texts == [content.messages["start_welcome"]]
    assert store.get_stack(PID)[0]["flow"] == "week:0"


def test_begin_says_when_other_weeks_are_waiting(content):
    coach, store = coach_on(content, 3)
    store.completed.add((PID, 0))
    reply = coach.begin(PID)
    assert reply.texts[1] == "You also have weeks 1 and 2 to finish. Send WEEK and the number any time."


def test_begin_before_the_start_date_is_up_to_date(content):
    store = MemoryStore(start=TODAY + timedelta(days=3))
    coach = Coach(content, store, today=lambda: TODAY)
    reply = coach.begin(PID)
    assert not reply.active
    assert reply.texts == [render(content.messages["up_to_date"], {"next_date": "Friday 13 March"})]


def test_begin_after_this_weeks_session_catches_up_an_earlier_one(content):
    coach, store = coach_on(content, 3)
    for week in (0, 1, 3):
        store.session_completed(PID, week)
    reply = coach.begin(PID)
    assert reply.texts == [f"You've done this week's session. Let's catch up on week 2: {content.sessions[2].title}."]
    assert store.get_stack(PID)[0]["flow"] == "week:2"
    assert ask(coach)[0] == content.sessions[2].step("checkin.intro").text  # no check-in yet today


def test_begin_resumes_a_started_week_before_catching_up(content):
    coach, store = coach_on(content, 3)
    store.session_completed(PID, 3)
    store.session_started(PID, 2, "checkin.intro")
    store.step_done(PID, 2, "checkin.done-today", "n/a")
    store.step_done(PID, 2, "checkin.intro", "done")
    store.step_done(PID, 2, "checkin.mood", "done")
    reply = coach.begin(PID)
    assert reply.texts[0] == f"Welcome back. Let's carry on with {content.sessions[2].title} from where you left off."
    assert store.get_stack(PID)[0]["step"] == "checkin.craving"


def test_begin_when_everything_is_done(content):
    coach, store = coach_on(content, 13)
    for week in range(14):
        store.session_completed(PID, week)
    reply = coach.begin(PID)
    assert reply.texts == [content.messages["all_finished"]]
    assert not reply.active


def test_begin_when_up_to_date_names_the_next_date(content):
    coach, store = coach_on(content, 2)
    for week in (0, 1, 2):
        store.session_completed(PID, week)
    reply = coach.begin(PID)
    next_date = cal.format_date(cal.opens_on(content.programme, store.start, 3))
    assert reply.texts == [render(content.messages["up_to_date"], {"next_date": next_date})]
    assert not coach.active(PID)


# -- pause and resume ---------------------------------------------------------------------------------


def test_resume_after_pause_continues_at_the_same_question(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    coach.answer(PID, "6")
    assert ask(coach) == [content.sessions[1].step("checkin.craving").text]
    reply = coach.pause(PID)
    assert reply.texts == [content.messages["paused"]]
    assert not coach.active(PID)

    reply = coach.begin(PID)
    assert reply.texts[0] == f"Welcome back. Let's carry on with {content.sessions[1].title} from where you left off."
    assert ask(coach) == [content.sessions[1].step("checkin.craving").text]
    assert store.checkins[(PID, 1)] == {"mood": 6}


def test_pause_with_nothing_going_on(content):
    coach, _ = coach_on(content, 1)
    assert coach.pause(PID).texts == [content.messages["paused_idle"]]


def test_begin_while_in_a_session_says_welcome_back(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    reply = coach.begin(PID)
    assert reply.active
    assert reply.texts == [f"Welcome back. Let's carry on with {content.sessions[1].title} from where you left off."]
    assert ask(coach) == [content.sessions[1].step("checkin.mood").text]


def test_begin_on_a_wait_message_goes_on(content):
    coach, store = coach_on(content, 0)
    coach.begin(PID)
    assert ask(coach) == [content.sessions[0].step("hello").text]
    coach.begin(PID)  # "hi" after "Reply OK to carry on"
    assert store.get_stack(PID)[0]["step"] == "how-it-works"
    assert ask(coach)[0] == content.sessions[0].step("how-it-works").text


# -- "week N" -------------------------------------------------------------------------------------


def test_week_request_for_an_open_week(content):
    coach, store = coach_on(content, 5)
    reply = coach.begin(PID, week=2)
    assert reply.texts[0] == f"Let's start week 2: {content.sessions[2].title}."
    assert store.get_stack(PID)[0]["flow"] == "week:2"


def test_week_request_for_a_week_not_yet_open(content):
    coach, store = coach_on(content, 2)
    reply = coach.begin(PID, week=5)
    opens = cal.opens_on(content.programme, store.start, 5)
    assert reply.texts == [f"Week 5 isn't open yet. It opens on {cal.format_date(opens)}."]
    assert not reply.active
    assert store.get_stack(PID) == []


def test_week_request_not_yet_open_mid_session_keeps_his_place(content):
    coach, store = coach_on(content, 2)
    coach.begin(PID)
    ask(coach)
    reply = coach.begin(PID, week=9)
    assert reply.active
    assert reply.texts[0].startswith("Week 9 isn't open yet.")
    assert ask(coach) == [f"Back to {content.sessions[2].title}:", content.sessions[2].step("checkin.mood").text]


def test_week_request_for_the_booster_before_it_opens(content):
    coach, store = coach_on(content, 12)
    reply = coach.begin(PID, week=13)
    opens = cal.opens_on(content.programme, store.start, 13)
    assert reply.texts == [f"Week 13 isn't open yet. It opens on {cal.format_date(opens)}."]


@pytest.mark.parametrize("week", [14, 15, 99, -1])
def test_week_request_for_no_such_week(content, week):
    coach, store = coach_on(content, 4)
    reply = coach.begin(PID, week=week)
    assert reply.texts == ["The sessions are weeks 1 to 12. Send WEEK and a number, like WEEK 2."]
    assert not reply.active


def test_week_request_for_a_week_already_done_starts_it_again(content):
    coach, store = coach_on(content, 4)
    store.session_completed(PID, 2)
    reply = coach.begin(PID, week=2)
    assert reply.texts == ["You've already done week 2. Here it is again from the start."]
    assert store.get_stack(PID)[0] == {"flow": "week:2", "step": content.sessions[2].steps[0].id, "attempts": 0,
                                       "mode": "next"}


def test_week_request_for_a_started_week_resumes_it(content):
    coach, store = coach_on(content, 4)
    coach.begin(PID, week=2)
    ask(coach)
    coach.answer(PID, "4")
    coach.pause(PID)
    reply = coach.begin(PID, week=2)
    assert reply.texts[0].startswith("Welcome back.")
    assert store.get_stack(PID)[0]["step"] == "checkin.craving"


# -- walking every session --------------------------------------------------------------------------


@pytest.mark.parametrize("week", list(range(0, 14)))
def test_walk_every_session_to_the_end(content, week):
    coach, store = everything_open(content)
    flow = content.sessions[week]
    sent, answered = walk(coach, store, coach.begin(PID, week=week))

    assert store.completed_weeks(PID) == {week}
    assert store.get_stack(PID) == []
    assert store.positions[(PID, week)] is None
    # the close message was sent last
    close = flow.steps[-1]
    assert close.type == "message"
    assert sent[-1] == coach._text(PID, {"flow": f"week:{week}", "step": close.id}, close.text)
    # every step is marked: done, or not applicable (when:)
    done = store.steps_done(PID, week)
    assert {s.id for s in flow.steps if s.when is None} <= done
    statuses = {sid: status for (p, w, sid), status in store.steps.items() if w == week}
    assert all(statuses[s.id] == "done" for s in flow.steps if s.when is None)
    assert set(statuses.values()) <= {"done", "n/a"}

    asked = {step.id for step, _ in answered}
    if week != 0:
        assert "checkin.mood" in asked
    if 1 <= week <= 13:
        assert store.checkins[(PID, week)] == {"mood": 5, "craving": 5, "alcohol_free_days": 3, "drug_free_days": 3}
        assert "goal_review.set-goal" in asked  # no goal yet: he is asked to set one
        assert "goal_review.rating" not in asked  # ... and not asked how a goal set a minute ago went
        assert f"Thanks. Your goal: {FREE_TEXT} (goal_review.set-goal). We'll look at how it's going each week." in sent
    if week == 0:
        assert store.checkins[(PID, 0)] == {"mood": 5, "craving": 5, "alcohol_free_days": 3, "drug_free_days": 3}

    # free text is stored exactly as he wrote it (odd spacing, tabs, emoji and curly quotes inside)
    questions = [(step, text) for step, text in answered if step.type == "question"]
    assert questions
    for step, text in questions:
        if step.save_as == "goal.text":
            assert store.goal(PID) == text
        elif step.save_as == "goal.next_step":
            assert store.ratings[(PID, week)]["next_step"] == text
        else:
            assert store.answers[(PID, week, step.id)] == (step.save_as, text)
    # quizzes record which answer he gave
    for step, text in answered:
        if step.type == "quiz":
            correct = next(o for o in step.options if o.key == text).correct
            assert store.answers[(PID, week, step.id)] == (step.id, f"{text} ({'right' if correct else 'not right'})")
            assert (step.right if correct else step.wrong).strip() in sent


def test_walk_all_sessions_in_order_with_begin(content):
    coach, store = everything_open(content)
    seen = []
    for _ in range(14):
        reply = coach.begin(PID)
        assert reply.active
        seen.append(int(store.get_stack(PID)[0]["flow"].split(":")[1]))
        walk(coach, store, reply)
    # this week's session (the booster) first, then catching up from the welcome
    assert seen == [13] + list(range(0, 13))
    assert store.completed_weeks(PID) == set(range(14))
    assert coach.begin(PID).texts == [content.messages["all_finished"]]
    assert coach.progress(PID).texts == ["You've finished 12 of your 12 weekly sessions."]


def test_goal_set_in_the_welcome_is_shown_and_not_asked_again(content):
    coach, store = everything_open(content)
    walk(coach, store, coach.begin(PID, week=0),
         lambda s: "Stay calm with my partner" if s.save_as == "goal.text" else generic_answer(s))
    sent, answered = walk(coach, store, coach.begin(PID, week=1))
    assert "goal_review.set-goal" not in {s.id for s, _ in answered}
    assert "Your goal: Stay calm with my partner\nHow did it go this week? 0 is not at all, 10 is really well." in sent
    assert store.ratings[(PID, 1)] == {"rating": 5, "next_step": f"{FREE_TEXT} (goal_review.next-step)"}


def test_goal_review_asks_to_set_a_goal_when_none_is_set(content):
    coach, store = everything_open(content)
    sent, answered = walk(coach, store, coach.begin(PID, week=4),
                          lambda s: "Walk away when I get wound up" if s.save_as == "goal.text" else generic_answer(s))
    set_goal = content.sessions[4].step("goal_review.set-goal")
    assert set_goal.when == "no_goal"
    assert set_goal.text in sent
    assert store.goals[PID] == ["Walk away when I get wound up"]
    assert "goal_review.rating" not in {s.id for s, _ in answered}  # set a minute ago: nothing to rate yet
    assert "Thanks. Your goal: Walk away when I get wound up. We'll look at how it's going each week." in sent


def test_welcome_goal_thanks_shows_his_goal(content):
    coach, store = everything_open(content)
    sent, _ = walk(coach, store, coach.begin(PID, week=0),
                   lambda s: "Be calmer" if s.save_as == "goal.text" else generic_answer(s))
    assert "Thanks. Your goal: Be calmer\nWe'll look at how it's going each week." in sent


def test_welcome_goal_thanks_is_left_out_when_he_skips_the_goal(content):
    coach, store = everything_open(content)
    sent, _ = walk(coach, store, coach.begin(PID, week=0),
                   lambda s: "skip" if s.save_as == "goal.text" else generic_answer(s))
    assert not any(t.startswith("Thanks. Your goal") for t in sent)
    assert store.steps[(PID, 0, "goal")] == "skipped"
    assert store.steps[(PID, 0, "goal-thanks")] == "n/a"  # recorded as not applicable, never sent
    assert store.completed_weeks(PID) == {0}


# -- {answer:NAME} placeholders -------------------------------------------------------------------------


def test_answer_placeholders_use_his_earlier_answers(content):
    coach, store = everything_open(content)
    walk(coach, store, coach.begin(PID, week=2),
         lambda s: "Tight chest, clenched fists" if s.save_as == "warning_signs_body" else generic_answer(s))
    sent, _ = walk(coach, store, coach.begin(PID, week=12))
    assert any("Your body's warning signs from week 2: Tight chest, clenched fists\n" in t for t in sent)
    assert any("Your place from week 3: (none saved)" in t for t in sent)  # never answered: the fallback


def test_answer_placeholders_fall_back_when_never_answered(content):
    coach, store = everything_open(content)
    sent, _ = walk(coach, store, coach.begin(PID, week=12))
    assert any("Your body's warning signs from week 2: (none saved)" in t for t in sent)


def test_answer_placeholder_in_the_toolkit(content):
    coach, store = everything_open(content)
    store.save_text(PID, 3, "plan-where", "timeout_place", "the park at the end of the road")
    coach.open_toolkit(PID)
    ask(coach)
    coach.answer(PID, "3")
    sent = ask(coach)
    assert "Where you'll go: the park at the end of the road" in sent
    assert "What calms you: slow breathing or a walk" in sent  # fallback


# -- answers that don't fit ------------------------------------------------------------------------------


def test_number_out_of_range_is_asked_again_and_does_not_advance(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    reply = coach.answer(PID, "11")
    assert reply.texts == ["Please reply with a number from 0 to 10."]
    assert reply.active
    assert store.get_stack(PID)[0]["step"] == "checkin.mood"
    assert ask(coach) == []  # the re-ask said it all
    assert "checkin.mood" not in store.steps_done(PID, 1)
    reply = coach.answer(PID, "7")
    assert reply.texts == []
    assert store.checkins[(PID, 1)] == {"mood": 7}
    assert ask(coach) == [content.sessions[1].step("checkin.craving").text]


def test_days_question_has_its_own_range(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    coach.answer(PID, "5")
    coach.answer(PID, "5")
    assert ask(coach) == [content.sessions[1].step("checkin.alcohol-free").text]
    assert coach.answer(PID, "8").texts == ["Please reply with a number from 0 to 7."]
    coach.answer(PID, "every day")
    assert store.checkins[(PID, 1)]["alcohol_free_days"] == 7


def test_three_bad_answers_move_on_and_mark_skipped(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    assert coach.answer(PID, "hmm").texts == ["Please reply with a number from 0 to 10."]
    assert ask(coach) == []  # the form asks again after each answer; the re-ask said it all
    assert coach.answer(PID, "99").texts == ["Please reply with a number from 0 to 10."]
    assert ask(coach) == []
    reply = coach.answer(PID, "banana")
    assert reply.texts == [content.messages["moving_on"]]
    assert store.steps[(PID, 1, "checkin.mood")] == "skipped"
    assert (PID, 1) not in store.checkins
    assert store.get_stack(PID)[0]["step"] == "checkin.craving"
    assert store.get_stack(PID)[0]["attempts"] == 0
    assert ask(coach) == [content.sessions[1].step("checkin.craving").text]


def test_a_few_is_asked_about_and_never_saved_as_a_number(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    reply = coach.answer(PID, "a few")  # on a 0-10 rating: asked for the number
    assert reply.texts == [content.messages["reask_number_words"].format(min=0, max=10)]
    assert (PID, 1) not in store.checkins
    coach.answer(PID, "4ish")
    assert store.checkins[(PID, 1)] == {"mood": 4}


def test_a_time_in_a_checkin_answer_is_not_saved_as_a_score(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    reply = coach.answer(PID, "not after 9 at night")
    assert reply.texts == [content.messages["reask_number_unclear"].format(min=0, max=10)]
    assert (PID, 1) not in store.checkins


def test_dunno_on_a_number_gets_the_dunno_reask(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    reply = coach.answer(PID, "dunno")
    assert reply.texts == ["A rough guess is fine. Reply with a number from 0 to 10, or SKIP."]
    assert store.get_stack(PID)[0]["step"] == "checkin.mood"


def test_dunno_on_a_quiz_gives_the_wrong_feedback_and_moves_on(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "quiz")
    quiz = content.sessions[1].step("quiz")
    reply = coach.answer(PID, "dunno")
    assert reply.texts == [quiz.wrong.strip()]
    assert store.steps[(PID, 1, "quiz")] == "done"
    assert store.answers[(PID, 1, "quiz")] == ("quiz", "dunno (not right)")
    assert ask(coach) == [content.sessions[1].step("why-change").text]


def test_quiz_right_and_wrong(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "quiz")
    quiz = content.sessions[1].step("quiz")
    assert coach.answer(PID, "b").texts == [quiz.right]
    assert store.answers[(PID, 1, "quiz")] == ("quiz", "B (right)")


def test_quiz_junk_is_asked_again(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "quiz")
    assert coach.answer(PID, "the blue one").texts == ["Please reply with A or B."]
    assert store.get_stack(PID)[0]["step"] == "quiz"


def test_empty_answer_to_a_question(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "why-change")
    assert coach.answer(PID, "   ").texts == [content.messages["reask_empty"]]
    assert store.get_stack(PID)[0]["step"] == "why-change"


def walk_to(coach: Coach, store: MemoryStore, step_id: str, pid: str = PID) -> List[str]:
    """Answer generically until ``step_id`` has been asked; return what was sent."""
    sent: List[str] = []
    for _ in range(100):
        sent += coach.prompt(pid).texts
        step = current_step(coach, store, pid)
        assert step is not None, f"the flow ended before {step_id}"
        if step.id == step_id:
            return sent
        sent += coach.answer(pid, generic_answer(step)).texts
    raise AssertionError(f"never reached {step_id}")


# -- skip and repeat --------------------------------------------------------------------------------


def test_skip_a_number_mid_session(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    reply = coach.answer(PID, "skip")
    assert reply.texts == [content.messages["skipped"]]
    assert store.steps[(PID, 1, "checkin.mood")] == "skipped"
    assert ask(coach) == [content.sessions[1].step("checkin.craving").text]


def test_skip_a_question_with_the_skip_method(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "why-change")
    assert coach.skip(PID).texts == [content.messages["skipped"]]
    assert (PID, 1, "why-change") not in store.answers
    assert store.steps[(PID, 1, "why-change")] == "skipped"
    assert ask(coach) == [content.sessions[1].step("want-for-others").text]


def test_a_long_answer_with_skip_in_it_is_stored_not_skipped(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "why-change")
    text = "I want to skip the arguments and be there for my son"
    assert coach.answer(PID, text).texts == []
    assert store.answers[(PID, 1, "why-change")] == ("why_change", text)


def test_repeat_mid_session_sends_the_messages_before_the_question_again(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    first = ask(coach)
    reply = coach.answer(PID, "say that again")
    assert reply.texts == []
    assert ask(coach) == first == [content.sessions[1].step("checkin.intro").text,
                                   content.sessions[1].step("checkin.mood").text]
    assert store.get_stack(PID)[0]["step"] == "checkin.mood"


def test_wot_mid_session_sends_only_the_question_again(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "quiz")
    assert coach.answer(PID, "wot").texts == []
    assert ask(coach) == [content.sessions[1].step("quiz").text]


def test_repeat_method_on_a_question_with_recap_before_it(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "quiz")
    coach.repeat(PID)
    flow = content.sessions[1]
    recap = [coach._text(PID, {"flow": "week:1", "step": i}, flow.step(i).text)
             for i in ("checkin.thanks", "recap-1", "recap-2", "recap-3")]
    assert ask(coach) == recap + [flow.step("quiz").text]
    assert recap[1].startswith(f"Welcome to week 1: {flow.title}.")


def test_repeat_on_a_wait_message(content):
    coach, store = coach_on(content, 0)
    coach.begin(PID)
    hello = ask(coach)
    assert coach.answer(PID, "what?").texts == []
    assert ask(coach) == hello
    coach.answer(PID, "ok")
    assert store.get_stack(PID)[0]["step"] == "how-it-works"


def _tiny_content(real: Content, skippable: bool) -> Content:
    src = Source("sessions/01-tiny.yml", 1)
    steps = (
        Step(id="hello", type="message", text="Hello.", source=src),
        Step(id="must", type="number", text="Pick 1 to 5.", source=src, min=1, max=5, save_as="must",
             skippable=skippable),
        Step(id="pick", type="choice", text="Reply A or B.", source=src, save_as="picked",
             options=(Option("A", "Apples"), Option("B", "Bananas"))),
        Step(id="close", type="message", text="Bye.", source=src),
    )
    flow = Flow(key="week:1", title="Tiny", steps=steps, source=src, week=1)
    return replace(real, sessions={1: flow})


def test_a_step_that_cannot_be_skipped_refuses_skip(content):
    tiny = _tiny_content(content, skippable=False)
    store = MemoryStore(start=cal.start_for_week(tiny.programme, 1, TODAY))
    coach = Coach(tiny, store, today=lambda: TODAY)
    coach.begin(PID)
    assert ask(coach) == ["Hello.", "Pick 1 to 5."]
    for _ in range(5):  # never counted as a bad answer, never moves on
        assert coach.answer(PID, "skip").texts == [content.messages["cannot_skip"]]
        assert ask(coach) == []
        assert store.get_stack(PID)[0]["step"] == "must"
    assert (PID, 1, "must") not in store.steps
    coach.answer(PID, "3")
    assert store.answers[(PID, 1, "must")] == ("must", "3")
    assert ask(coach) == ["Reply A or B."]
    coach.answer(PID, "bananas")
    assert store.answers[(PID, 1, "pick")] == ("picked", "Bananas")
    assert store.completed_weeks(PID) == {1}


def test_a_step_that_cannot_be_skipped_is_not_given_up_on_after_bad_answers(content):
    tiny = _tiny_content(content, skippable=False)
    store = MemoryStore(start=cal.start_for_week(tiny.programme, 1, TODAY))
    coach = Coach(tiny, store, today=lambda: TODAY)
    coach.begin(PID)
    ask(coach)
    for _ in range(5):
        assert coach.answer(PID, "9").texts == ["Please reply with a number from 1 to 5."]
        assert ask(coach) == []
    assert store.get_stack(PID)[0]["step"] == "must"


def test_the_same_step_skippable_is_skipped(content):
    tiny = _tiny_content(content, skippable=True)
    store = MemoryStore(start=cal.start_for_week(tiny.programme, 1, TODAY))
    coach = Coach(tiny, store, today=lambda: TODAY)
    coach.begin(PID)
    ask(coach)
    assert coach.answer(PID, "skip").texts == [content.messages["skipped"]]
    assert store.steps[(PID, 1, "must")] == "skipped"


# -- help, progress, toolkit -----------------------------------------------------------------------------


def test_help_then_back_to_the_session(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    reply = coach.help(PID)
    assert reply.texts == [content.messages["help"], content.messages["help_urgent"]]
    assert reply.active
    assert ask(coach) == [f"Back to {content.sessions[1].title}:", content.sessions[1].step("checkin.mood").text]
    assert ask(coach) == [content.sessions[1].step("checkin.mood").text]  # only once


def test_progress_in_a_session_then_back(content):
    coach, store = coach_on(content, 1)
    store.session_completed(PID, 0)
    coach.begin(PID)
    ask(coach)
    coach.answer(PID, "5")
    reply = coach.progress(PID)
    flow = content.sessions[1]
    total_questions = len(flow.interactive_steps)
    assert reply.texts == [f"You're on {flow.title}, question 2 of {total_questions}. "
                           "You've finished 0 of your 12 weekly sessions."]
    assert ask(coach) == [f"Back to {flow.title}:", flow.step("checkin.craving").text]


def test_progress_when_idle(content):
    coach, store = coach_on(content, 1)
    store.session_completed(PID, 0)
    reply = coach.progress(PID)
    assert reply.texts == ["You've finished 0 of your 12 weekly sessions. Week 1 is ready now. Reply HI to start."]
    assert not reply.active


def test_toolkit_mid_session_returns_to_the_same_question(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    walk_to(coach, store, "why-change")
    assert coach.open_toolkit(PID).active
    menu = ask(coach)
    assert menu == [content.toolkit.menu_text()]
    assert coach.answer(PID, "2").texts == []  # grounding
    sent = []
    for _ in range(10):
        sent += ask(coach)
        if store.get_stack(PID)[-1]["flow"] == "week:1":
            break
        sent += coach.answer(PID, "ok").texts
    assert content.toolkit.after in sent
    assert f"OK, back to {content.sessions[1].title}." in sent
    assert store.get_stack(PID) == [{"flow": "week:1", "step": "why-change", "attempts": 0, "mode": "next"}]
    assert ask(coach) == [content.sessions[1].step("why-change").text]
    coach.answer(PID, "For my kids and for me, honestly")
    assert store.answers[(PID, 1, "why-change")] == ("why_change", "For my kids and for me, honestly")


def test_toolkit_with_no_session_ends_the_flow(content):
    coach, store = coach_on(content, 1)
    coach.open_toolkit(PID)
    assert ask(coach) == [content.toolkit.menu_text()]
    reply = coach.answer(PID, "5")  # who to call: messages only, all sent at once
    tool = content.toolkit.tool("5")
    assert reply.texts[0] == tool.flow.steps[0].text
    assert reply.texts[-1] == content.toolkit.after
    assert not reply.active
    assert store.get_stack(PID) == []
    assert store.completed_weeks(PID) == set()


def test_toolkit_menu_no_thanks_goes_back_to_the_session(content):
    coach, store = coach_on(content, 1)
    coach.begin(PID)
    ask(coach)
    coach.open_toolkit(PID)
    ask(coach)
    reply = coach.answer(PID, "no")
    assert reply.texts == [f"OK, back to {content.sessions[1].title}."]
    assert ask(coach) == [content.sessions[1].step("checkin.mood").text]


def test_toolkit_menu_junk_is_asked_again(content):
    coach, store = coach_on(content, 1)
    coach.open_toolkit(PID)
    ask(coach)
    assert coach.answer(PID, "purple").texts == ["Please reply with 1, 2, 3, 4 or 5."]
    assert ask(coach) == []
    assert store.get_stack(PID)[-1]["flow"] == "toolkit"


def test_answer_with_nothing_going_on_says_nothing(content):
    coach, store = coach_on(content, 1)
    reply = coach.answer(PID, "6")
    assert reply.texts == [] and not reply.active


def test_toolkit_tool_with_waits_and_no_session_ends_the_flow(content):
    coach, store = coach_on(content, 1)
    coach.open_toolkit(PID)
    ask(coach)
    coach.answer(PID, "breathing")
    sent = []
    for _ in range(10):
        sent += ask(coach)
        if not coach.active(PID):
            break
        reply = coach.answer(PID, "ok")
        sent += reply.texts
    assert sent[-1] == content.toolkit.after
    assert not coach.active(PID)
    assert not reply.active


def test_booster_request_when_open(content):
    coach, store = everything_open(content)
    reply = coach.begin(PID, week=13)
    assert reply.texts == [content.messages["start_booster"],
                           "You also have weeks 1 to 12 to finish. Send WEEK and the number any time."]
    assert store.get_stack(PID)[0]["flow"] == "week:13"


# -- yes/no and two-way choices (built inline: the real sessions have none) ------------------------------


def _flow_content(real: Content, *steps: Step) -> Tuple[Coach, MemoryStore]:
    src = Source("sessions/01-tiny.yml", 1)
    close = Step(id="close", type="message", text="Bye.", source=src)
    flow = Flow(key="week:1", title="Tiny", steps=tuple(steps) + (close,), source=src, week=1)
    tiny = replace(real, sessions={1: flow})
    store = MemoryStore(start=cal.start_for_week(tiny.programme, 1, TODAY))
    coach = Coach(tiny, store, today=lambda: TODAY)
    coach.begin(PID)
    return coach, store


_SRC = Source("sessions/01-tiny.yml", 1)


@pytest.mark.parametrize("text, feedback, saved", [("yeah", "Good to hear.", "yes"), ("nah", "That's OK.", "no")])
def test_yesno_feedback_and_saved_answer(content, text, feedback, saved):
    coach, store = _flow_content(content, Step(id="called", type="yesno", text="Did you call? Reply Y or N.",
                                               source=_SRC, save_as="called", on_yes="Good to hear.",
                                               on_no="That's OK."))
    assert coach.prompt(PID).messages[0].buttons == ("Yes", "No")
    reply = coach.answer(PID, text)
    assert reply.texts == [feedback, "Bye."]
    assert store.answers[(PID, 1, "called")] == ("called", saved)
    assert store.completed_weeks(PID) == {1}
    assert not reply.active


def test_yesno_unclear_is_asked_again(content):
    coach, store = _flow_content(content, Step(id="called", type="yesno", text="Did you call?", source=_SRC,
                                               save_as="called"))
    ask(coach)
    assert coach.answer(PID, "the weather was nice").texts == [content.messages["reask_yesno"]]
    assert coach.answer(PID, "sort of", intent="affirm").texts == ["Bye."]
    assert store.answers[(PID, 1, "called")] == ("called", "yes")


def test_custom_reask_text(content):
    coach, store = _flow_content(content, Step(id="n", type="number", text="1 to 3?", source=_SRC, min=1, max=3,
                                               save_as="n", reask="Just 1, 2 or 3 please."))
    ask(coach)
    assert coach.answer(PID, "7").texts == ["Just 1, 2 or 3 please."]


def test_choice_with_y_and_n_keys_understands_yes_and_no(content):
    step = Step(id="more", type="choice", text="More? Reply Y or N.", source=_SRC, save_as="more",
                options=(Option("Y", "Yes please"), Option("N", "No thanks")))
    coach, store = _flow_content(content, step)
    assert coach.prompt(PID).messages[0].buttons == ("Y", "N")
    coach.answer(PID, "nope")
    assert store.answers[(PID, 1, "more")] == ("more", "No thanks")


# -- resuming after steps that did not apply (when:) ----------------------------------------------------


def test_resume_after_pause_in_the_goal_review_when_he_has_a_goal(content):
    coach, store = coach_on(content, 1)
    store.set_goal(PID, 0, "Be calm")
    coach.begin(PID)
    walk_to(coach, store, "goal_review.next-step")
    coach.pause(PID)
    coach.begin(PID)
    assert ask(coach) == [content.sessions[1].step("goal_review.next-step").text]


def test_resume_after_pause_in_the_welcome_after_skipping_the_goal(content):
    coach, store = coach_on(content, 0)
    coach.begin(PID)
    walk_to(coach, store, "goal")
    coach.answer(PID, "skip")
    walk_to(coach, store, "checkin.alcohol-free")
    coach.pause(PID)
    coach.begin(PID)
    assert ask(coach) == [content.sessions[0].step("checkin.alcohol-free").text]


# -- answers checked before they are saved ---------------------------------------------------------


def goal_review(content: Content):
    """A week-2 coach with a goal set, walked to the goal rating question."""
    coach, store = coach_on(content, 2)
    store.set_goal(PID, 0, "stay off the drink in the week")
    coach.begin(PID)
    for _ in range(60):
        ask(coach)
        step = current_step(coach, store)
        if step.save_as == "goal.rating":
            return coach, store
        coach.answer(PID, generic_answer(step))
    raise AssertionError("no goal rating in week 2")


def test_a_goal_must_look_like_a_goal(content):
    coach, store = coach_on(content, 0)
    coach.begin(PID)
    for _ in range(20):
        ask(coach)
        step = current_step(coach, store)
        if step.save_as == "goal.text":
            break
        coach.answer(PID, generic_answer(step))
    for bad in ("5", "dunno", "sumfin like that", "i already told u"):
        assert coach.answer(PID, bad).texts == [content.messages["reask_goal_text"]], bad
        store.stacks[PID][-1]["attempts"] = 0
    assert store.goal(PID) is None
    coach.answer(PID, "i already told u. stay off the drink in the week")  # the goal after the complaint
    assert store.goal(PID) == "stay off the drink in the week"


def test_change_my_goal_at_the_goal_review_asks_for_the_new_one_then_carries_on(content):
    coach, store = goal_review(content)
    reply = coach.answer(PID, "change me goal its wrong")
    assert reply.texts == [content.messages["goal_change"]]
    assert ask(coach) == []  # the change message asked already
    coach.answer(PID, "be calm with the kids at bedtime")
    assert store.goal(PID) == "be calm with the kids at bedtime"
    texts = ask(coach)  # not "how did it go?" about the goal he just set: his next step towards it
    assert not any("How did it go" in t for t in texts)
    assert texts[-1] == content.sessions[2].step("goal_review.next-step").text


def test_a_plan_that_means_nothing_is_not_read_back(content):
    from coach.programme.answers import meaningful

    assert meaningful("dunno") is None and meaningful("skip") is None and meaningful("no") is None
    assert meaningful("when my jaw goes tight") == "when my jaw goes tight"


def test_every_waiting_week_is_named(content):
    coach, store = coach_on(content, 5)
    reply = coach.begin(PID)
    assert any("weeks 1 to 4" in t for t in reply.texts), reply.texts


def test_one_check_in_a_day_even_across_catch_up_weeks(content):
    """'i just did this ffs': catching up on weeks 1 and 2 on one day asks the check-in once."""
    coach, store = coach_on(content, 2)
    store.session_completed(PID, 0)
    sent, answered = walk(coach, store, coach.begin(PID, week=2))
    assert "checkin.mood" in {s.id for s, _ in answered}
    sent, answered = walk(coach, store, coach.begin(PID, week=1))
    asked = {s.id for s, _ in answered}
    assert not asked & {"checkin.mood", "checkin.craving", "checkin.alcohol-free", "checkin.drug-free"}
    assert content.sessions[1].step("checkin.done-today").text in sent
    assert content.sessions[1].step("checkin.intro").text not in sent
    assert store.steps[(PID, 1, "checkin.mood")] == "n/a"
    assert (PID, 1) not in store.checkins  # nothing invented for week 1: his one check-in is week 2's


def test_the_next_day_the_check_in_is_asked_again(content):
    day = [TODAY]
    coach, store = coach_on(content, 2)
    coach.today = store.clock = lambda: day[0]
    walk(coach, store, coach.begin(PID, week=2))
    day[0] = TODAY + timedelta(days=1)
    sent, answered = walk(coach, store, coach.begin(PID, week=1))
    assert "checkin.mood" in {s.id for s, _ in answered}
    assert content.sessions[1].step("checkin.done-today").text not in sent


def test_a_check_in_started_in_the_same_week_carries_on(content):
    """His own week's half-done check-in is not 'done today': he finishes it."""
    coach, store = coach_on(content, 2)
    coach.begin(PID)
    ask(coach)
    coach.answer(PID, "5")  # mood saved today, in week 2
    coach.pause(PID)
    coach.begin(PID)
    assert ask(coach)[-1] == content.sessions[2].step("checkin.craving").text


def test_next_text_says_when_the_next_session_opens(content):
    coach, store = coach_on(content, 1)
    for week in (0, 1):
        store.session_completed(PID, week)
    assert coach.next_text(PID) == render(content.messages["progress_next_open"],
                                          {"next_date": cal.format_date(cal.opens_on(content.programme,
                                                                                     store.start, 2))})
