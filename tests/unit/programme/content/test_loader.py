"""coach/programme/content/loader.py: the real content is clean; each kind of author mistake is reported as
``file:line: what is wrong, how to fix it`` with the line of the mistake."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import List

import pytest

from coach.programme.content.loader import (
    ContentError,
    Problem,
    check_content,
    display_path,
    load_content,
)

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture
def content_dir(tmp_path) -> Path:
    """A private copy of content/ to break, without safety/lexicon.yml: the lexicon's checks belong to
    the escalation package and are slow (the loader never reads it)."""
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy,
                    ignore=shutil.ignore_patterns("lexicon.yml"))  # the lexicon has its own tests
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, marker: str) -> int:
    """1-based number of the one line of ``path`` that contains ``marker``."""
    lines = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if marker in line]
    assert len(lines) == 1, f"{marker!r} is on lines {lines} of {path}"
    return lines[0]


def problems_at(problems: List[Problem], path: Path, line: int) -> List[str]:
    prefix = f"{display_path(path)}:{line}: "
    return [str(p)[len(prefix):] for p in problems if str(p).startswith(prefix)]


def the_problem(content_dir: Path, path: Path, line: int) -> str:
    """Check the content; exactly one problem is at path:line. Return its message."""
    problems = check_content(content_dir)
    found = problems_at(problems, path, line)
    assert len(found) == 1, "\n".join(str(p) for p in problems)
    return found[0]


# -- the real content --------------------------------------------------------------------------------


def test_real_content_has_no_problems():
    problems = check_content(ROOT / "content")
    assert problems == [], "\n".join(str(p) for p in problems)


def test_real_content_without_safety_has_no_problems(content_dir):
    assert check_content(content_dir) == []
    content = load_content(content_dir)
    assert sorted(content.sessions) == list(range(0, 14))
    assert content.sessions[13].key == "booster"
    assert len(content.toolkit.tools) >= 1
    assert content.fingerprint


def test_load_content_raises_with_every_problem(content_dir):
    edit(content_dir / "messages.yml", 'skipped: "OK, we\'ll skip that one."',
         'skipped: "OK, we\u2019ll skip that one."')
    (content_dir / "sessions" / "05-substances-and-abuse.yml").unlink()
    with pytest.raises(ContentError) as exc:
        load_content(content_dir)
    assert len(exc.value.problems) == 2
    assert str(exc.value) == "\n".join(str(p) for p in exc.value.problems)


def test_fingerprint_changes_with_any_edit(content_dir):
    before = load_content(content_dir).fingerprint
    edit(content_dir / "messages.yml", 'skipped: "OK, we\'ll skip that one."', 'skipped: "OK, we will skip that one."')
    assert load_content(content_dir).fingerprint != before


# -- steps --------------------------------------------------------------------------------------


def test_unknown_step_type_suggests_the_right_one(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - id: recap-2\n    type: message", "  - id: recap-2\n    type: mesage")
    message = the_problem(content_dir, path, line_of(path, "type: mesage"))
    assert message == ("unknown step type 'mesage' (did you mean 'message'?); "
                       "use one of: message, question, number, yesno, quiz, choice")


def test_step_without_a_type(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - id: recap-2\n    type: message\n", "  - id: recap-2\n")
    message = the_problem(content_dir, path, line_of(path, "- id: recap-2"))
    assert message.startswith("step 'recap-2' has no 'type'; use one of: message")


def test_step_without_text(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - id: recap-2\n    type: message\n") + len("  - id: recap-2\n    type: message\n")
    end = text.index("  - id: recap-3\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")  # drop recap-2's text
    message = the_problem(content_dir, path, line_of(path, "- id: recap-2"))
    assert message == "step 'recap-2' has no text; add the words he should see"


def test_step_with_empty_text(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "    text: First, a quick check-in. Four questions. Just reply with a number.", '    text: ""')
    message = the_problem(content_dir, path, line_of(path, 'text: ""'))
    assert message == "step 'intro' has no text; add the words he should see"


def test_curly_quote_in_a_message(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'skipped: "OK, we\'ll skip that one."', 'skipped: "OK, we\u2019ll skip that one."')
    message = the_problem(content_dir, path, line_of(path, "skipped:"))
    assert message == ("message 'skipped' uses '\u2019', which makes SMS use 70-character pieces; "
                       "type plain ' \" - or ... instead and remove emoji")


def test_emoji_and_long_dash_in_a_one_line_step(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "Just reply with a number.", "Just reply with a number \u2014 easy \U0001F44D")
    message = the_problem(content_dir, path, line_of(path, "easy"))
    assert message.startswith("step 'intro' uses ")
    assert "'\u2014'" in message and "'\U0001F44D'" in message
    assert "70-character pieces" in message and "remove emoji" in message


def test_emoji_in_a_block_text_is_reported_on_its_text_line(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "You leave, calm down,", "You leave \U0001F600, calm down,")
    text_line = line_of(path, "You leave") - 2  # the 'text: |' line above the block
    assert path.read_text(encoding="utf-8").splitlines()[text_line - 1].strip() == "text: |"
    message = the_problem(content_dir, path, text_line)
    assert message.startswith("step 'recap-1' uses '\U0001F600'")


def test_curly_quote_in_quiz_feedback(content_dir):
    path = content_dir / "sessions" / "01-goals.yml"
    edit(path, "right: Yes. It's clear", "right: Yes. It\u2019s clear")
    message = the_problem(content_dir, path, line_of(path, "right: Yes."))
    assert message.startswith("step 'quiz' 'right' uses '\u2019'")


def test_message_too_long_for_sms_gives_the_segment_count(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'skipped: "OK, we\'ll skip that one."', 'skipped: "' + "Word " * 80 + '"')  # 400 characters
    message = the_problem(content_dir, path, line_of(path, "skipped:"))
    assert message == ("message 'skipped' is too long for SMS: 3 segments, GSM-7, 399 characters "
                       "(at most 2, 306 characters with words filled in); shorten it or split it into two steps")


def test_step_too_long_counts_placeholders_at_their_typical_length(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    # 264 characters of words + {goal} (counted as 60) = 324 > 306
    edit(path, "text: First, a quick check-in. Four questions. Just reply with a number.",
         "text: " + "a" * 250 + " your goal is {goal}")
    message = the_problem(content_dir, path, line_of(path, "your goal is {goal}"))
    assert "too long for SMS: 3 segments" in message
    assert "shorten it or split it into two steps" in message


def test_text_of_exactly_two_segments_is_fine(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'skipped: "OK, we\'ll skip that one."', 'skipped: "' + "x" * 306 + '"')
    assert check_content(content_dir) == []


def test_broken_use_block_reference(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - use: checkin", "  - use: chekin")
    problems = check_content(content_dir)
    message = problems_at(problems, path, line_of(path, "use: chekin"))
    assert message == ["'use: chekin' refers to no block (did you mean 'checkin'?); use one of: checkin, goal_review"]


def test_using_a_block_twice_is_reported(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - use: goal_review\n", "  - use: checkin\n  - use: goal_review\n")
    second = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
              if line == "  - use: checkin"][1]
    assert problems_at(check_content(content_dir), path, second)


def test_broken_answer_reference(content_dir):
    path = content_dir / "sessions" / "12-your-plan.yml"
    edit(path, "{answer:warning_signs_body|", "{answer:warning_sign_body|")
    text_line = line_of(path, "{answer:warning_sign_body|") - 1  # reported on its 'text: |' line
    message = the_problem(content_dir, path, text_line)
    assert message == ("{answer:warning_sign_body} refers to an answer no step saves "
                       "(did you mean 'warning_signs_body'?); use a save_as name from a session")


def test_broken_answer_reference_on_one_line(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "text: First, a quick check-in.", "text: Last time {answer:nothing_like_it}. First, a quick check-in.")
    message = the_problem(content_dir, path, line_of(path, "{answer:nothing_like_it}"))
    assert message == "{answer:nothing_like_it} refers to an answer no step saves; use a save_as name from a session"


def test_duplicate_step_id(content_dir):
    path = content_dir / "sessions" / "01-goals.yml"
    first = line_of(path, "- id: why-change")
    edit(path, "  - id: strength\n", "  - id: why-change\n")
    second = line_of(path, "save_as: strengths") - 2  # the renamed step's '- id:' line
    message = the_problem(content_dir, path, second)
    assert message == f"step id 'why-change' is used twice (also line {first}); give each step its own id"


@pytest.mark.parametrize("change", ["two", "none"])
def test_quiz_needs_exactly_one_correct_option(content_dir, change):
    path = content_dir / "sessions" / "01-goals.yml"
    if change == "two":
        edit(path, "      - key: A\n        text: Never get angry again\n",
             "      - key: A\n        text: Never get angry again\n        correct: true\n")
    else:
        edit(path, "        text: Take a time-out when I notice my first warning sign\n        correct: true\n",
             "        text: Take a time-out when I notice my first warning sign\n")
    message = the_problem(content_dir, path, line_of(path, "- id: quiz"))
    assert message == "step 'quiz' needs exactly one option with 'correct: true'"


def test_quiz_needs_right_and_wrong(content_dir):
    path = content_dir / "sessions" / "01-goals.yml"
    edit(path, "    right: Yes. It's clear, it's in your control, and you can tell when you've done it.\n", "")
    message = the_problem(content_dir, path, line_of(path, "- id: quiz"))
    assert message == "quiz 'quiz' needs 'right:' (what to say when his answer is right)"


@pytest.mark.parametrize("lo, hi", [(0, 0), (5, 4)])
def test_number_step_with_min_not_below_max(content_dir, lo, hi):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "    min: 0\n    max: 10\n    save_as: checkin.mood",
         f"    min: {lo}\n    max: {hi}\n    save_as: checkin.mood")
    max_line = line_of(path, "- id: mood") + 3
    assert path.read_text(encoding="utf-8").splitlines()[max_line - 1] == f"    max: {hi}"
    message = the_problem(content_dir, path, max_line)
    assert message == f"step 'mood': 'max' ({hi}) must be bigger than 'min' ({lo})"


def test_number_step_without_max(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "    min: 0\n    max: 10\n    save_as: checkin.mood", "    min: 0\n    save_as: checkin.mood")
    message = the_problem(content_dir, path, line_of(path, "- id: mood"))
    assert message == "step 'mood' needs whole numbers 'min' and 'max' (for example min: 0 and max: 10)"


def test_unknown_field_on_a_step(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "    save_as: checkin.mood\n", "    save_as: checkin.mood\n    saveas: mood\n")
    message = the_problem(content_dir, path, line_of(path, "saveas: mood"))
    assert message.startswith("'saveas' is not a field of a number step (did you mean 'save_as'?); remove it")


def test_bad_save_as_record_name(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "save_as: checkin.mood", "save_as: checkin.moood")
    message = the_problem(content_dir, path, line_of(path, "checkin.moood"))
    assert message.startswith("save_as 'checkin.moood' is not a record name (did you mean 'checkin.mood'?)")


# -- messages.yml ---------------------------------------------------------------------------------


def test_unknown_placeholder_in_messages(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'start_session: "Let\'s start week {week}: {title}."',
         'start_session: "Let\'s start week {week}: {titel}."')
    message = the_problem(content_dir, path, line_of(path, "start_session:"))
    assert message == "message 'start_session' uses {titel}, which the coach can't fill in here; use {title}, {week}"


def test_placeholder_in_a_message_that_takes_none(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'skipped: "OK, we\'ll skip that one."', 'skipped: "OK {goal}, we\'ll skip that one."')
    message = the_problem(content_dir, path, line_of(path, "skipped:"))
    assert message.startswith("message 'skipped' uses {goal}, which the coach can't fill in here")


def test_answer_placeholder_is_not_allowed_in_messages(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'skipped: "OK, we\'ll skip that one."', 'skipped: "OK, we\'ll skip {answer:why_change}."')
    message = the_problem(content_dir, path, line_of(path, "skipped:"))
    assert message.startswith("message 'skipped' uses {answer}, which the coach can't fill in here")


def test_missing_required_message(content_dir):
    path = content_dir / "messages.yml"
    edit(path, "wait_hint: \"(Reply OK when you're ready.)\"\n", "")
    message = the_problem(content_dir, path, 1)
    assert message == "message 'wait_hint' is missing; add it (the coach needs it)"


def test_unknown_message_suggests_a_name(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'skipped: "OK, we\'ll skip that one."', 'skiped: "OK, we\'ll skip that one."')
    problems = check_content(content_dir)
    assert problems_at(problems, path, line_of(path, "skiped:")) == [
        "unknown message 'skiped' (did you mean 'skipped'?); the coach never sends it, so rename or remove it"]
    assert problems_at(problems, path, 1) == ["message 'skipped' is missing; add it (the coach needs it)"]


# -- sessions ---------------------------------------------------------------------------------------


def test_missing_week_file(content_dir):
    (content_dir / "sessions" / "05-substances-and-abuse.yml").unlink()
    message = the_problem(content_dir, content_dir / "sessions", 1)
    assert message == "the week 5 is missing; add a file for it in content/sessions/"


def test_missing_welcome_and_booster_files(content_dir):
    (content_dir / "sessions" / "00-welcome.yml").unlink()
    (content_dir / "sessions" / "13-booster.yml").unlink()
    problems = check_content(content_dir)
    assert problems_at(problems, content_dir / "sessions", 1) == [
        "the welcome session (week: 0) is missing; add a file for it in content/sessions/",
        "the booster (booster: true) is missing; add a file for it in content/sessions/",
    ]


def test_two_files_for_one_week(content_dir):
    shutil.copy(content_dir / "sessions" / "04-calming-the-body.yml", content_dir / "sessions" / "04b-copy.yml")
    message = the_problem(content_dir, content_dir / "sessions" / "04b-copy.yml", 1)
    assert message.startswith("week 4 is already in ")
    assert message.endswith("04-calming-the-body.yml; each week needs its own file")


def test_week_number_out_of_range(content_dir):
    path = content_dir / "sessions" / "04-calming-the-body.yml"
    edit(path, "week: 4\n", "week: 40\n")
    message = the_problem(content_dir, path, 1)
    assert message == "'week' must be a number from 0 to 12 (or write 'booster: true')"


def test_weekly_session_without_check_in(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - use: checkin\n", "")
    message = the_problem(content_dir, path, 1)
    assert message == "weekly session has no check-in; add '- use: checkin' as the first step"


def test_weekly_session_without_goal_review(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - use: goal_review\n", "")
    message = the_problem(content_dir, path, 1)
    assert message == "weekly session has no goal review; add '- use: goal_review' before the close"


def test_weekly_session_without_quiz(content_dir):
    path = content_dir / "sessions" / "01-goals.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("  - id: quiz\n")] + text[text.index("  - id: why-change\n"):], encoding="utf-8")
    message = the_problem(content_dir, path, 1)
    assert message == "weekly session has no 'quiz' step to check he understood the recap; add one"


def test_welcome_and_booster_do_not_need_the_weekly_shape(content_dir):
    path = content_dir / "sessions" / "13-booster.yml"
    edit(path, "  - use: checkin\n", "")
    assert check_content(content_dir) == []


def test_session_must_end_with_a_closing_message(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("  - id: close\n")], encoding="utf-8")  # now ends with the goal review
    problems = check_content(content_dir)
    assert "a session must end with a closing 'message' step (what comes next, how to get help)" in [
        p.message for p in problems if p.source.file == display_path(path)]


# -- language ---------------------------------------------------------------------------------------


def test_duplicate_nlu_example_across_two_files(content_dir):
    affirm, deny = content_dir / "language" / "affirm.yml", content_dir / "language" / "deny.yml"
    edit(deny, '  - "nope"\n', '  - "nope"\n  - "Yeah!"\n')
    message = the_problem(content_dir, deny, line_of(deny, '"Yeah!"'))
    first = line_of(affirm, '  - "yeah"')
    assert message == f"example 'Yeah!' also means 'affirm' ({display_path(affirm)}:{first}); keep it in one place only"


def test_duplicate_nlu_example_within_one_file_is_harmless(content_dir):
    deny = content_dir / "language" / "deny.yml"
    edit(deny, '  - "nope"\n', '  - "nope"\n  - "Nope!"\n')
    assert check_content(content_dir) == []


def test_missing_required_intent(content_dir):
    (content_dir / "language" / "repeat.yml").unlink()
    message = the_problem(content_dir, content_dir / "language", 1)
    assert message == "no examples for 'repeat'; add language/repeat.yml"


# -- YAML -------------------------------------------------------------------------------------------


def test_bad_yaml_indentation_gives_the_line(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - id: recap-2\n    type: message", "  - id: recap-2\n     type: message")
    problems = check_content(content_dir)
    message = problems_at(problems, path, line_of(path, "     type: message"))
    assert message == ["YAML can't be read: mapping values are not allowed here; "
                       "check indentation and quotes on this line or the one above"]


def test_bad_yaml_dedent_gives_the_line(content_dir):
    path = content_dir / "blocks" / "checkin.yml"
    edit(path, "    max: 10\n    save_as: checkin.mood", "    max: 10\n  save_as: checkin.mood")
    problems = check_content(content_dir)
    found = problems_at(problems, path, line_of(path, "  save_as: checkin.mood"))
    assert len(found) == 1 and found[0].startswith("YAML can't be read:")
    assert found[0].endswith("check indentation and quotes on this line or the one above")


def test_tab_in_yaml_gives_the_line(content_dir):
    path = content_dir / "messages.yml"
    edit(path, 'skipped: "OK', '\tskipped: "OK')
    found = problems_at(check_content(content_dir), path, line_of(path, "skipped:"))
    assert len(found) == 1 and found[0].startswith("YAML can't be read:")


def test_a_yaml_error_in_a_session_is_the_only_problem_reported(content_dir):
    path = content_dir / "sessions" / "03-time-out.yml"
    edit(path, "  - id: recap-2\n    type: message", "  - id: recap-2\n     type: message")
    problems = check_content(content_dir)
    assert [str(p) for p in problems] == [
        f"{display_path(path)}:16: YAML can't be read: mapping values are not allowed here; "
        "check indentation and quotes on this line or the one above"]


def test_not_utf8(content_dir):
    path = content_dir / "messages.yml"
    path.write_bytes(path.read_bytes().replace(b"OK, we'll skip", b"OK, we\xe2\x80 skip"))
    message = the_problem(content_dir, path, 1)
    assert message.startswith("is not UTF-8 text") and message.endswith("save it as UTF-8")


def test_missing_file(content_dir):
    (content_dir / "toolkit.yml").unlink()
    message = the_problem(content_dir, content_dir / "toolkit.yml", 1)
    assert message == "file is missing; create it (see content/README.md)"


# -- programme.yml -----------------------------------------------------------------------------------


def test_programme_setting_must_be_a_whole_number(content_dir):
    path = content_dir / "programme.yml"
    edit(path, "weekly_sessions: 12", "weekly_sessions: twelve")
    message = the_problem(content_dir, path, line_of(path, "weekly_sessions:"))
    assert message == "'weekly_sessions' must be a whole number, got 'twelve'"


def test_programme_unknown_setting(content_dir):
    path = content_dir / "programme.yml"
    path.write_text(path.read_text(encoding="utf-8") + "booster_opens_month_after_end: 2\n", encoding="utf-8")
    message = the_problem(content_dir, path, line_of(path, "booster_opens_month_after_end:"))
    assert message == ("unknown setting 'booster_opens_month_after_end' "
                       "(did you mean 'booster_opens_months_after_end'?); remove it")
