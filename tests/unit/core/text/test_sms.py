"""coach/sms.py: GSM-7 vs UCS-2, segment counts at the exact boundaries, to_gsm7, split_for_sms."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.core.text import sms
from coach.core.text.sms import (
    describe,
    encoding,
    is_gsm7,
    non_gsm_characters,
    segment_count,
    split_for_sms,
    to_gsm7,
    units,
)


def _ws(text: str) -> str:
    """Whitespace normalised: every run of whitespace becomes one space."""
    return " ".join(text.split())


# -- encoding ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Reply Y or N", "", "@£$¥èéùìòÇ\nØø\rÅå", "Café, 10% off! (£5)",
                                  "{curly} [square] ~ \\ | ^ €"])
def test_plain_keyboard_and_gsm_characters_are_gsm7(text):
    assert is_gsm7(text)
    assert encoding(text) == "GSM-7"
    assert non_gsm_characters(text) == []


@pytest.mark.parametrize("text, bad", [
    ("It\u2019s fine", "\u2019"),
    ("\u201cquoted\u201d", "\u201c"),
    ("wait\u2026", "\u2026"),
    ("ok \u2014 then", "\u2014"),
    ("well done \U0001F44D", "\U0001F44D"),
    ("cr\u00eame", "\u00ea"),  # ê is not in GSM-7 (é and è are)
    ("fa\u00e7ade", "\u00e7"),  # only capital Ç is in GSM-7
])
def test_one_non_gsm_character_switches_to_ucs2(text, bad):
    assert not is_gsm7(text)
    assert encoding(text) == "UCS-2"
    assert bad in [ch for _, ch in non_gsm_characters(text)]


def test_non_gsm_characters_gives_index_and_character():
    assert non_gsm_characters("a\u2019b\u2026") == [(1, "\u2019"), (3, "\u2026")]


@pytest.mark.parametrize("ch", list("^{}\\[~]|\u20ac"))
def test_extension_characters_count_two_units(ch):
    assert units(ch) == 2
    assert units("a" + ch + "b") == 4


def test_units_in_ucs2_are_utf16_code_units():
    assert units("\u2019" * 3) == 3
    assert units("\U0001F600") == 2  # an emoji outside the BMP is a surrogate pair
    assert units("a\U0001F600") == 3


# -- segments: GSM-7 160 / 153 -----------------------------------------------------------------------


@pytest.mark.parametrize("n, segments", [
    (0, 1), (1, 1), (159, 1), (160, 1), (161, 2),
    (305, 2), (306, 2), (307, 3),
    (458, 3), (459, 3), (460, 4),
])
def test_gsm7_segment_boundaries(n, segments):
    assert segment_count("a" * n) == segments


def test_extension_characters_push_over_the_gsm7_boundaries():
    assert segment_count("\u20ac" * 80) == 1  # 160 units
    assert segment_count("\u20ac" * 80 + "a") == 2  # 161 units
    assert segment_count("a" * 159 + "{") == 2  # 159 characters, 161 units
    assert segment_count("[" * 153) == 2  # 306 units
    assert segment_count("[" * 153 + "x") == 3  # 307 units


# -- segments: UCS-2 70 / 67 -------------------------------------------------------------------------


@pytest.mark.parametrize("n, segments", [
    (1, 1), (69, 1), (70, 1), (71, 2),
    (133, 2), (134, 2), (135, 3),
    (201, 3), (202, 4),
])
def test_ucs2_segment_boundaries(n, segments):
    text = "\u2019" + "a" * (n - 1)  # one curly quote makes the whole text UCS-2
    assert units(text) == n
    assert segment_count(text) == segments


def test_emoji_counts_two_ucs2_units_at_the_boundary():
    assert segment_count("a" * 68 + "\U0001F600") == 1  # 70 units
    assert segment_count("a" * 69 + "\U0001F600") == 2  # 71 units


def test_describe_for_authors():
    assert describe("a" * 250) == "2 segments, GSM-7, 250 characters"
    assert describe("hi") == "1 segment, GSM-7, 2 characters"
    assert describe("\u2019" * 71) == "2 segments, UCS-2, 71 characters"


def test_module_docstring_examples():
    assert segment_count("Reply Y or N") == 1
    assert encoding("It\u2019s fine") == "UCS-2"


# -- to_gsm7 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, plain", [
    ("It\u2019s \u2018fine\u2019", "It's 'fine'"),
    ("\u201cGo on\u201d, he said", '"Go on", he said'),
    ("\u201eLow\u201d", '"Low"'),
    ("now \u2013 then \u2014 later", "now - then - later"),
    ("minus \u2212 hyphen \u2010 nb \u2011", "minus - hyphen - nb -"),
    ("wait for it\u2026", "wait for it..."),
    ("\u2022 first", "- first"),
    ("no\u00a0break\u2009thin\u202fnarrow", "no break thin narrow"),
    ("zero\u200bwidth", "zerowidth"),
    ("tab\there", "tab here"),
])
def test_to_gsm7_replaces_typographic_punctuation(raw, plain):
    assert to_gsm7(raw) == plain
    assert is_gsm7(to_gsm7(raw))


def test_to_gsm7_drops_emoji_and_squashes_the_gap():
    assert to_gsm7("Well done \U0001F44D keep going") == "Well done keep going"
    assert to_gsm7("\U0001F600\U0001F600") == ""
    assert to_gsm7("great\U0001F525") == "great"


@pytest.mark.parametrize("raw, plain", [
    ("caf\u00e9", "caf\u00e9"),  # é is GSM-7: kept
    ("cr\u00e8me", "cr\u00e8me"),  # è kept
    ("cr\u00eame br\u00fbl\u00e9e", "creme brul\u00e9e"),  # ê, û lose the accent; é kept
    ("na\u00efve", "naive"),
    ("fa\u00e7ade", "facade"),  # ç is not GSM-7, its base letter is
    ("\u00c7a", "\u00c7a"),  # Ç is GSM-7
    ("Z\u00fcrich", "Z\u00fcrich"),  # ü is GSM-7
    ("\u0141\u00f3d\u017a", "odz"),  # Ł has no base letter: dropped; ó -> o; ź -> z
])
def test_to_gsm7_accents_keep_their_base_letter(raw, plain):
    assert to_gsm7(raw) == plain


def test_to_gsm7_keeps_gsm7_text_unchanged():
    text = "Reply A, B or C. 10% [max] {ok} \u20ac5 \u00a35"
    assert to_gsm7(text) == text


@settings(derandomize=True, database=None)
@given(st.text(max_size=300))
def test_to_gsm7_output_is_always_gsm7(text):
    assert is_gsm7(to_gsm7(text))


# -- split_for_sms ----------------------------------------------------------------------------------


def test_short_text_is_one_part():
    assert split_for_sms("Hello there.") == ["Hello there."]


def test_empty_and_blank_text_give_no_parts():
    assert split_for_sms("") == []
    assert split_for_sms("   \n  ") == []
    assert split_for_sms("\U0001F600") == []  # only an emoji: nothing left to send


def test_text_of_exactly_max_units_is_not_split():
    assert split_for_sms("a" * 306) == ["a" * 306]
    assert split_for_sms("\u20ac" * 153) == ["\u20ac" * 153]


def test_split_output_is_gsm7_even_when_input_is_not():
    parts = split_for_sms("It\u2019s a long one \u2014 " * 40)
    assert parts
    assert all(is_gsm7(p) for p in parts)
    assert all(units(p) <= 306 for p in parts)


def test_splits_on_sentence_boundaries():
    sentences = [("Sentence %d " % i) + "x" * 88 + "." for i in range(4)]  # 100 characters each
    text = " ".join(sentences)
    parts = split_for_sms(text)
    assert parts == [" ".join(sentences[:3]), sentences[3]]
    assert all(p.endswith(".") for p in parts)


def test_splits_on_question_and_exclamation_marks_and_newlines():
    a, b, c = "A" * 120 + "?", "B" * 120 + "!", "C" * 120
    parts = split_for_sms(f"{a} {b}\n{c}", max_units=250)
    assert parts == [f"{a} {b}", c]


def test_long_sentence_splits_on_spaces():
    words = ["word%03d" % i for i in range(100)]  # 7 characters each, no sentence ends
    text = " ".join(words)
    parts = split_for_sms(text, max_units=50)
    assert all(units(p) <= 50 for p in parts)
    assert " ".join(parts) == text
    # each part ends at a word boundary
    assert all(set(p.split()) <= set(words) for p in parts)


def test_a_single_enormous_word_is_cut_hard():
    word = "x" * 1000
    parts = split_for_sms(word)
    assert [len(p) for p in parts] == [306, 306, 306, 82]
    assert "".join(parts) == word


def test_an_enormous_word_of_extension_characters_respects_units():
    word = "\u20ac" * 400  # 800 units
    parts = split_for_sms(word)
    assert all(units(p) <= 306 for p in parts)
    assert "".join(parts) == word
    assert [len(p) for p in parts] == [153, 153, 94]


def test_an_enormous_word_between_sentences():
    text = "Before it. " + "y" * 700 + " After it."
    parts = split_for_sms(text)
    assert all(units(p) <= 306 for p in parts)
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")
    assert parts[0] == "Before it."
    assert parts[-1].endswith("After it.")


def test_twenty_thousand_characters():
    sentence = "This is a sentence of about sixty characters, give or take. "
    text = (sentence * 400)[:20000]
    assert len(text) == 20000
    parts = split_for_sms(text)
    assert all(0 < units(p) <= 306 for p in parts)
    assert all(is_gsm7(p) for p in parts)
    assert " ".join(parts) == _ws(text)
    # sentence-aware packing wastes little: close to the 306-unit minimum number of parts
    assert 20000 / 306 < len(parts) <= 20000 / 306 * 1.25


def test_whitespace_is_normalised_between_parts():
    text = "First one.   Second one.\n\n\nThird one.\t Fourth one."
    parts = split_for_sms(text, max_units=25)
    assert parts == ["First one. Second one.", "Third one. Fourth one."]


def test_parts_never_start_or_end_with_whitespace():
    text = ("Some words here. " * 50) + "\n  \n" + ("More words there!  " * 50)
    for p in split_for_sms(text, max_units=100):
        assert p == p.strip()
        assert p


# Words no longer than the smallest max_units, so no word is ever cut hard.
_WORD = st.text(alphabet="abcXYZ019'\",;:-()[]{}\u20ac\u2019\u2014.!?", min_size=1, max_size=12)
_SEP = st.sampled_from([" ", "  ", "\n", " \n ", "\n\n", ". ", "! ", "? ", "\t"])


@st.composite
def _texts(draw):
    words = draw(st.lists(_WORD, min_size=0, max_size=150))
    out = []
    for w in words:
        out.append(w)
        out.append(draw(_SEP))
    return "".join(out)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(_texts(), st.integers(min_value=24, max_value=400))
def test_split_for_sms_property(text, max_units):
    parts = split_for_sms(text, max_units=max_units)
    normalised = _ws(to_gsm7(text))
    for p in parts:
        assert p, "no empty parts"
        assert is_gsm7(p)
        assert units(p) <= max_units
        assert p == p.strip()
    # nothing lost, nothing added, order kept: only whitespace is normalised
    assert _ws(" ".join(parts)) == normalised
    if not normalised:
        assert parts == []


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=2000), st.integers(min_value=2, max_value=400))
def test_split_for_sms_any_text_loses_no_characters(text, max_units):
    """Any text at all (enormous words included): every part fits; only whitespace changes."""
    parts = split_for_sms(text, max_units=max_units)
    assert all(0 < units(p) <= max_units and is_gsm7(p) for p in parts)
    squash = lambda s: "".join(s.split())  # noqa: E731
    assert squash("".join(parts)) == squash(to_gsm7(text))


def test_default_max_is_two_gsm7_segments():
    parts = split_for_sms("Short sentence here. " * 60)
    assert all(segment_count(p) <= 2 for p in parts)
    assert sms.split_for_sms.__defaults__ == (306,)
