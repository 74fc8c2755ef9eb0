"""The RiskDetector interface and the reading rules behind it (negation, time, idioms...)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from escalation.detector import Detection, RiskDetector
from escalation.lexicon import load_lexicon

pytestmark = pytest.mark.safety

REPO = Path(__file__).resolve().parents[3]
LEXICON = REPO / "content" / "safety" / "lexicon.yml"


# ----------------------------------------------------------------------------- interface


def test_detection_to_dict_has_exactly_the_agreed_keys(detector):
    d = detector.detect("i want to kill myself")
    assert isinstance(d, Detection)
    assert d.to_dict() == {
        "text": "i want to kill myself",
        "escalate": True,
        "category": "suicide_self_harm",
        "severity": "high",
        "matched": d.matched,
    }
    assert set(d.to_dict()) == {"text", "escalate", "category", "severity", "matched"}


def test_matched_entries_name_the_pattern_and_the_words(detector):
    d = detector.detect("gonna kil myself")
    assert d.matched[0] == "suicide.kill_myself:kill myself"
    assert all(":" in m for m in d.matched)


def test_no_alert_has_no_category_or_severity(detector):
    d = detector.detect("had a good week, went to the gym")
    assert (d.escalate, d.category, d.severity, d.matched) == (False, None, None, [])


def test_constructor_takes_a_lexicon_object():
    det = RiskDetector(load_lexicon(LEXICON))
    assert det.detect("hes not breathing").severity == "imminent"


def test_constructor_rejects_other_things():
    with pytest.raises(TypeError):
        RiskDetector(str(LEXICON))  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   ", "\n", ".", "?!", "\U0001F600", "x" * 3000])
def test_odd_input_is_quiet(detector, text):
    assert detector.detect(text).escalate is False


def test_none_is_treated_as_empty(detector):
    assert detector.detect(None).escalate is False  # type: ignore[arg-type]


def test_non_text_is_an_error(detector):
    with pytest.raises(TypeError):
        detector.detect(42)  # type: ignore[arg-type]


def test_known_history_is_accepted(detector):
    assert detector.detect("i hit her last night", known_history=["partner.violence"]).escalate
    assert detector.detect("i hit her last night", known_history=[]).escalate
    assert not detector.detect("all good", known_history=None).escalate


def test_a_long_message_still_finds_the_risk_at_the_end(detector):
    text = "had a long day at work and the bus was late and " * 40 + "i want to kill myself"
    assert detector.detect(text).category == "suicide_self_harm"


def test_importing_does_no_work():
    code = (
        "import sys; import escalation, escalation.detector, escalation.lexicon, escalation.evaluate; "
        "assert 'spacy' not in sys.modules, 'spacy imported at import time'; "
        "assert not any(m.startswith('rasa') for m in sys.modules), 'rasa imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_no_rasa_imports_in_the_package():
    for path in (REPO / "escalation").rglob("*.py"):  # the detector and lexicon packages too
        text = path.read_text()
        assert "import rasa" not in text and "from rasa" not in text, path


# ----------------------------------------------------------------------- categories, severity


def test_partner_preferred_over_others_when_both(detector):
    d = detector.detect("i've got the knife and i'm going round hers now")
    assert (d.category, d.severity) == ("harm_to_partner", "imminent")
    assert any(m.startswith("others.weapon:") for m in d.matched)


def test_child_preferred_over_partner_when_children_see_it(detector):
    d = detector.detect("the kids saw me hit her")
    assert d.category == "harm_to_child"
    assert {m.split(":")[0] for m in d.matched} >= {"child.witness", "partner.violence"}


def test_suicidal_words_make_an_overdose_a_suicide_attempt(detector):
    assert detector.detect("i took loads of pills with the drink").category == "substance_emergency"
    d = detector.detect("i took loads of pills, i want to die")
    assert (d.category, d.severity) == ("suicide_self_harm", "imminent")


def test_violence_outranks_its_own_consequence(detector):
    assert detector.detect("i knocked him out cold last night").category == "harm_to_others"


@pytest.mark.parametrize(
    "text",
    ["took all my pills", "hes not breathing", "i cant wake him up", "my mate is fitting", "he's gone blue"],
)
def test_imminent(detector, text):
    assert detector.detect(text).severity == "imminent"


@pytest.mark.parametrize(
    "text,category",
    [
        ("im going to kill myself tonight", "suicide_self_harm"),
        ("im going to batter her right now", "harm_to_partner"),
        ("i'm on my way to stab him", "harm_to_others"),
    ],
)
def test_time_words_make_a_threat_imminent(detector, text, category):
    d = detector.detect(text)
    assert (d.category, d.severity) == (category, "imminent")


@pytest.mark.parametrize("text", ["i want to kill myself", "i hit her", "ive got a knife", "i think i had a bad batch"])
def test_high(detector, text):
    assert detector.detect(text).severity == "high"


# ------------------------------------------------------------------------------- negation


@pytest.mark.parametrize(
    "text",
    [
        "i would never hit her",
        "i would never ever in a million years hit her",
        "i don't think i could ever hurt the kids",
        "i dont want to die",
        "no way would i hurt her",
        "i stopped myself from hitting her",
        "walked away instead of hitting him",
        "i no longer want to die",
    ],
)
def test_negated(detector, text):
    d = detector.detect(text)
    assert not d.escalate, d.matched
    assert any("(negated)" in s for s in d.suppressed)


@pytest.mark.parametrize(
    "text",
    [
        "i'm not ok i want to die",  # negation does not reach past a new subject
        "no i want to die",  # interjection, not a negator
        "not gonna lie i want to die",  # pseudo-negation
        "i'm not sure i want to live",
        "i can't stop thinking about killing myself",
        "i couldnt stop myself hitting her",
        "i didn't mean to hit her",
        "i don't want to be alive",  # the pattern carries its own "not"
        "i do not think i can go on",
        "cant do this no more i want to end my life",  # UK "no more" = anymore
    ],
)
def test_not_negated(detector, text):
    assert detector.detect(text).escalate


# --------------------------------------------------------------------------- time / history


@pytest.mark.parametrize(
    "text",
    [
        "i hit her two years ago, that's why i'm on this course",
        "when i used to drink i would lash out",
        "back in 2019 i choked her and got arrested",
        "years ago, i hit her",
        "i used to self harm when i was 15",
    ],
)
def test_known_past_is_not_an_alert(detector, text):
    d = detector.detect(text)
    assert not d.escalate, d.matched
    assert any("past/known history" in s for s in d.suppressed)


@pytest.mark.parametrize(
    "text",
    [
        "i hit her last night",
        "i hit her years ago but last night i hit her again",
        "back in 2019 i choked her and now ive done it again",
        "i used to hit her and i'm going to hit her tonight",
        "i used to self harm and i still do",
    ],
)
def test_recent_or_repeated_is_an_alert(detector, text):
    assert detector.detect(text).escalate


def test_a_disclosure_without_any_time_marker_escalates(detector):
    assert detector.detect("i strangled her").escalate


def test_never_again_does_not_revive_the_past(detector):
    assert not detector.detect("i used to hit her, i will never do it again").escalate


def test_substance_emergencies_escalate_whatever_the_time_words(detector):
    assert detector.detect("he used to drink a lot and now hes not breathing").escalate


# -------------------------------------------------------------------------- idioms, who did it


@pytest.mark.parametrize(
    "text",
    [
        "my back is killing me",
        "i could murder a curry",
        "she'll kill me if i'm late",
        "nearly killed myself laughing",
        "i hit her up about the kids' contact",
        "beat her at pool",
        "overdosed on chocolate",
    ],
)
def test_idioms(detector, text):
    assert not detector.detect(text).escalate


def test_an_idiom_inside_a_longer_risk_phrase_does_not_cancel_it(detector):
    assert detector.detect("i kicked the door in and grabbed her").category == "harm_to_partner"
    assert not detector.detect("i kicked the door").escalate


@pytest.mark.parametrize(
    "text",
    [
        "he hit her",
        "the bloke who hit his wife got sent down",
        "my mate wants to kill himself",
        "my mate said he wants to die",
    ],
)
def test_someone_elses_act(detector, text):
    assert not detector.detect(text).escalate


def test_child_harm_by_anyone_still_alerts(detector):
    assert detector.detect("she hits the kids").category == "harm_to_child"


def test_her_as_possessive(detector):
    d = detector.detect("i hit her son")
    assert d.category == "harm_to_child"
    assert not any(m.startswith("partner.") for m in d.matched)
    assert detector.detect("gonna batter her new fella").category == "harm_to_others"


# --------------------------------------------------------------------- spelling and text speak


@pytest.mark.parametrize(
    "text,category",
    [
        ("GONNA KILL MYSELF", "suicide_self_harm"),
        ("im gunna kil myslef", "suicide_self_harm"),
        ("kmsss", "suicide_self_harm"),
        ("wanna dieeee", "suicide_self_harm"),
        ("suicidle thoughts", "suicide_self_harm"),
        ("i stangled her", "harm_to_partner"),
        ("strangeled my ex", "harm_to_partner"),
        ("i slaped her", "harm_to_partner"),
        ("ill batter her", "harm_to_partner"),
        ("id kill her", "harm_to_partner"),
        ("ima do her in", "harm_to_partner"),
        ("im gonna leather him", "harm_to_others"),
        ("my mate has od'd", "substance_emergency"),
        ("hes unconcious", "substance_emergency"),
        ("left my 3 year old on his own", "harm_to_child"),
        ("I\u2019m going to top myself", "suicide_self_harm"),
    ],
)
def test_text_speak_and_typos(detector, text, category):
    assert detector.detect(text).category == category


def test_ill_meaning_unwell_is_left_alone(detector):
    low, _ = detector.tokens("i am ill today and feel ill")
    assert "will" not in low


def test_tokens_shows_what_the_matcher_reads(detector):
    low, lemmas = detector.tokens("Can't stop hittin her")
    assert low[:3] == ["can", "not", "stop"]
    assert lemmas[3] == "hit"


def test_explain_says_why(detector):
    assert "negated" in detector.explain("i would never hit her", "partner.violence")
    assert "alerted" in detector.explain("i hit her", "partner.violence")
    assert "never matched" in detector.explain("lovely day", "partner.violence")


# ------------------------------------------------------------------ spaCy Matcher export


def test_exported_spacy_patterns_agree_with_the_matcher(detector):
    """The compiled lines are ordinary spaCy Matcher token patterns (exported for inspection)."""
    import spacy
    from spacy.matcher import Matcher

    nlp = spacy.blank("en")
    matcher = Matcher(nlp.vocab)
    for pid in ("suicide.kill_myself", "partner.strangulation", "substance.not_breathing"):
        matcher.add(pid, detector.spacy_patterns(pid))
    for text, expected in [
        ("gonna top myself", "suicide.kill_myself"),
        ("put my hands round her neck", "partner.strangulation"),
        ("he is not breathing", "substance.not_breathing"),
        ("lovely day", None),
    ]:
        low, lemmas = detector.tokens(text)
        doc = spacy.tokens.Doc(nlp.vocab, words=low, lemmas=lemmas)
        found = {nlp.vocab.strings[m] for m, _, _ in matcher(doc)}
        if expected:
            assert expected in found, (text, found)
            assert any(m.startswith(expected + ":") for m in detector.detect(text).matched)
        else:
            assert not found


# ----------------------------------------------------------------- who "her" and "him" are

def test_her_is_the_worker_when_a_worker_is_named_and_no_partner_is(detector):
    d = detector.detect("if that social worker comes round again ill put her thru the window")
    assert d.escalate and d.category == "harm_to_others"
    # a partner named anywhere in the message keeps the partner reading (and the ISS worker told)
    d = detector.detect("told the social worker ill put her thru the window, my ex is a liar")
    assert d.escalate and d.category == "harm_to_partner"


def test_him_is_a_child_when_school_or_an_age_is_mentioned(detector):
    d = detector.detect("gave him a smack that left a proper mark. school will ask questions")
    assert d.escalate and d.category == "harm_to_child"
    d = detector.detect("gave him a smack outside the pub")
    assert d.escalate and d.category == "harm_to_others"


def test_our_kid_is_a_brother_not_a_child(detector):
    assert detector.detect("ill batter our kid when i see him").category == "harm_to_others"
    assert detector.detect("i hit our kids last night").category == "harm_to_child"


def test_cans_is_not_the_verb_can(detector):
    assert not detector.detect("can i take ibuprofen with my methadone").escalate
    assert detector.detect("took my methadone with 6 cans").category == "substance_emergency"
