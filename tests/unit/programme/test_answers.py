"""coach/answers.py: numbers, yes/no, options, and skip / repeat / dunno in SMS-style replies."""

from __future__ import annotations

import pytest

from coach.programme.answers import (
    NumberAnswer,
    is_dunno,
    is_repeat,
    is_skip,
    normalise,
    parse_number,
    parse_option,
    parse_yes_no,
)

# -- normalise --------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, norm", [
    ("  YES!!  ", "yes"),
    ("yesssss", "yess"),
    ("Don\u2019t know", "don't know"),
    ("7/10", "7/10"),
    ("nah,   mate.", "nah mate"),
])
def test_normalise(raw, norm):
    assert normalise(raw) == norm


# -- parse_number -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("6", 6),
    (" 6 ", 6),
    ("six", 6),
    ("Six!", 6),
    ("7/10", 7),
    ("7 / 10", 7),
    ("about 5", 5),
    ("5 out of 10", 5),
    ("I'd say 8", 8),
    ("none", 0),
    ("nothing", 0),
    ("0", 0),
    ("10", 10),
    ("ten", 10),
    ("a couple", 2),
    ("twice", 2),
])
def test_parse_number_understands(text, value):
    assert parse_number(text, 0, 10) == NumberAnswer(value)


def test_parse_number_every_day_is_the_max_of_a_days_question():
    assert parse_number("every day", 0, 7) == NumberAnswer(7)
    assert parse_number("Everyday mate", 0, 7) == NumberAnswer(7)
    assert parse_number("all week", 0, 7) == NumberAnswer(7)


def test_parse_number_every_day_means_nothing_on_a_0_to_10_scale():
    assert parse_number("every day", 0, 10) == NumberAnswer(None, "none")


def test_parse_number_scale_maximum_is_not_an_answer():
    assert parse_number("10/10", 0, 10) == NumberAnswer(10)
    assert parse_number("5/7", 0, 7) == NumberAnswer(5)


@pytest.mark.parametrize("text", ["11", "eleven out of ten? no: 11", "100"])
def test_parse_number_out_of_range(text):
    assert parse_number(text, 0, 10) == NumberAnswer(None, "range")


def test_parse_number_range_is_inclusive():
    assert parse_number("0", 0, 7).value == 0
    assert parse_number("7", 0, 7).value == 7
    assert parse_number("8", 0, 7).problem == "range"


@pytest.mark.parametrize("text", ["5 or 6", "5-6", "one or two", "between 3 and 4"])
def test_parse_number_several(text):
    assert parse_number(text, 0, 10) == NumberAnswer(None, "several")


def test_parse_number_decimal_is_not_a_whole_number():
    assert parse_number("6.5", 0, 10) == NumberAnswer(None, "none")


def test_parse_number_decimal_is_never_accepted():
    assert parse_number("6.5", 0, 10).value is None


def test_parse_number_negative_is_out_of_range():
    assert parse_number("-1", 0, 10) == NumberAnswer(None, "range")


def test_parse_number_not_one_is_zero():
    assert parse_number("not one", 0, 7) == NumberAnswer(0)


@pytest.mark.parametrize("text", ["dunno", "idk", "Not sure", "no idea", "DUNNO MATE", "i dont know"])
def test_parse_number_dunno(text):
    assert parse_number(text, 0, 10) == NumberAnswer(None, "dunno")


@pytest.mark.parametrize("text", ["", "hmm", "banana", "whatever"])
def test_parse_number_none(text):
    assert parse_number(text, 0, 10) == NumberAnswer(None, "none")


@pytest.mark.parametrize("text", ["a few", "a few days", "loads", "some", "quite a few tbh", "not many", "most days"])
def test_parse_number_vague_amounts_are_asked_about_never_guessed(text):
    assert parse_number(text, 0, 7) == NumberAnswer(None, "vague")


@pytest.mark.parametrize("text", ["not after 9 at night", "9pm", "after 8", "3 cans", "£5", "10 quid",
                                  "before 10 in the morning", "till 6"])
def test_parse_number_times_money_and_amounts_are_not_scores(text):
    assert parse_number(text, 0, 10) == NumberAnswer(None, "unclear")


@pytest.mark.parametrize("text,value", [("4ish", 4), ("6ish", 6), ("6 ish", 6), ("bout 6", 6), ("around 5", 5),
                                        ("im at a 7 today", 7), ("nowt", 0), ("a couple", 2), ("2 days", 2)])
def test_parse_number_slang(text, value):
    assert parse_number(text, 0, 10) == NumberAnswer(value)


@pytest.mark.parametrize("text", ["dunno tbh", "dunno mate lol", "honestly no idea", "idk tbf"])
def test_dunno_with_filler_words(text):
    assert parse_number(text, 0, 10) == NumberAnswer(None, "dunno")


def test_parse_number_docstring_example():
    assert parse_number("about 6/10", 0, 10).value == 6


# -- parse_yes_no -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["y", "Y", "yes", "YES!", "yeah", "yep", "aye", "yesss", "yesssssss",
                                  "yes mate", "ok", "deffo", "of course", "yeah I did"])
def test_parse_yes(text):
    assert parse_yes_no(text) is True


@pytest.mark.parametrize("text", ["n", "N", "no", "nah", "nahhh", "nope", "nooo", "no way", "never",
                                  "not really", "I didn't", "nope not at all", "no I haven't"])
def test_parse_no(text):
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["maybe", "sort of", "hmm", "", "the car"])
def test_parse_yes_no_unclear(text):
    assert parse_yes_no(text) is None


def test_parse_yes_no_intent_is_a_fallback():
    assert parse_yes_no("sure thing") is None
    assert parse_yes_no("sure thing", intent="affirm") is True
    assert parse_yes_no("not a chance", intent="deny") is False
    assert parse_yes_no("hmm", intent="greet") is None


def test_parse_yes_no_words_beat_the_intent():
    assert parse_yes_no("nah", intent="affirm") is False
    assert parse_yes_no("yeah", intent="deny") is True


# -- parse_option -------------------------------------------------------------------------------------

KEYS = ["A", "B", "C"]
LABELS = ["Walk away and calm down", "Shout louder", "Have a drink"]


@pytest.mark.parametrize("text, key", [
    ("A", "A"), ("a", "A"), (" b ", "B"),
    ("a)", "A"), ("(b)", "B"), ("B.", "B"), ("c:", "C"), ("( c )", "C"),
    ("it's c", "C"), ("I think b", "B"), ("answer a", "A"), ("option B", "B"),
])
def test_parse_option_by_key(text, key):
    assert parse_option(text, KEYS, LABELS) == key


@pytest.mark.parametrize("text, key", [("1", "A"), ("2", "B"), ("3", "C"), ("2)", "B")])
def test_parse_option_number_picks_a_letter_key(text, key):
    assert parse_option(text, KEYS, LABELS) == key


@pytest.mark.parametrize("text", ["0", "4", "10"])
def test_parse_option_number_out_of_range(text):
    assert parse_option(text, KEYS, LABELS) is None


def test_parse_option_numbers_are_keys_when_the_keys_are_numbers():
    keys, labels = ["1", "2", "3"], ["Slow breathing", "Grounding", "My time-out plan"]
    assert parse_option("2", keys, labels) == "2"
    assert parse_option("4", keys, labels) is None


@pytest.mark.parametrize("text, key", [
    ("walk away and calm down", "A"),
    ("Walk away and calm down.", "A"),
    ("walk away", "A"),  # 8+ characters inside a label
    ("have a drink", "C"),
])
def test_parse_option_by_text(text, key):
    assert parse_option(text, KEYS, LABELS) == key


@pytest.mark.parametrize("text, key", [("shout lowder", "B"), ("have a drnk", "C"), ("walk away and clam down", "A")])
def test_parse_option_by_fuzzy_text(text, key):
    assert parse_option(text, KEYS, LABELS) == key


@pytest.mark.parametrize("text", ["", "d", "zzz", "banana", "I really don't know what to pick here", "??"])
def test_parse_option_junk(text):
    assert parse_option(text, KEYS, LABELS) is None


@pytest.mark.parametrize("text", ["a bit of both", "a or b", "A and B"])
def test_parse_option_does_not_take_the_article_a_or_two_keys_as_an_answer(text):
    assert parse_option(text, ["A", "B"], ["Never get angry again", "Take a time-out"]) is None


def test_parse_option_returns_the_key_as_written_in_content():
    assert parse_option("a", ["a", "b"], ["x", "y"]) == "a"


def test_parse_option_docstring_example():
    assert parse_option("b)", ["A", "B", "C"], ["x", "y", "z"]) == "B"


# -- skip / repeat / dunno ------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["skip", "SKIP", "Skip!", "pass", "next", "skip it", "move on", "no comment", "skp"])
def test_is_skip(text):
    assert is_skip(text)


@pytest.mark.parametrize("text", ["skipping meals is my trigger", "I passed my test", "6", "dunno"])
def test_is_skip_not(text):
    assert not is_skip(text)


def test_is_skip_intent_hint_up_to_five_words():
    assert not is_skip("can we do another one")
    assert is_skip("can we do another one", intent="skip")  # 5 words
    assert not is_skip("can we do another one please", intent="skip")  # 6 words: too long to trust the hint
    assert not is_skip("can we do another one", intent="repeat")


@pytest.mark.parametrize("text", ["repeat", "again", "say that again", "what?", "huh", "?", "??", " ? ", "pardon",
                                  "rpt"])
def test_is_repeat(text):
    assert is_repeat(text)


@pytest.mark.parametrize("text", ["what a week", "I did it again and again", "yes", "???"])
def test_is_repeat_not(text):
    assert not is_repeat(text)


def test_is_repeat_intent_hint_up_to_five_words():
    assert is_repeat("send me that one more", intent="repeat")  # 5 words
    assert not is_repeat("send me that one more time", intent="repeat")  # 6 words
    assert not is_repeat("send me that one more", intent="skip")


@pytest.mark.parametrize("text", ["dunno", "idk", "IDK", "not sure", "no idea", "don't know", "Don\u2019t know",
                                  "dunno mate", "maybe"])
def test_is_dunno(text):
    assert is_dunno(text)


@pytest.mark.parametrize("text", ["I know", "5", "no", "not sure what you mean by that question mate"])
def test_is_dunno_not(text):
    assert not is_dunno(text)


def test_is_dunno_intent_hint_up_to_five_words():
    assert is_dunno("hard to tell really", intent="dunno")
    assert not is_dunno("hard to tell really")
    assert is_dunno("no clue at all really", intent="dunno")  # 5 words
    assert not is_dunno("honestly no clue at all really", intent="dunno")  # 6 words


@pytest.mark.parametrize("text", ["pretty bad tbh", "not great", "alright i suppose", "pretty good"])
def test_a_rating_in_words_is_asked_for_as_a_number(text):
    assert parse_number(text, 0, 10) == NumberAnswer(None, "words")


def test_wants_more_after_a_cut_reply():
    from coach.programme.answers import wants_more

    for text in ("ok", "OK", "k", "more", "go on", "yeah", "ok mate", "next", "\U0001F44D"):
        assert wants_more(text), text
    for text in ("6", "tools", "stop", "what", "no", "", "i want to talk to someone"):
        assert not wants_more(text), text
