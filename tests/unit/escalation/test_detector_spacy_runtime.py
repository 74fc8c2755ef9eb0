"""The detector finds patterns with spaCy's PhraseMatcher and Matcher (not a matcher of its own).

Lines are cut into pieces at their gaps; fixed-phrase pieces run in two PhraseMatchers (base
forms, exact spellings), the rest in a Matcher per line; the pieces' matches are chained.
These tests pin that down: the runtime objects are spaCy's, nothing is found when they are
silenced, the pieces chain exactly as the exported ``spacy_patterns()`` match, and the
normaliser's shortcut changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from escalation import detector as detector_module
from escalation.detector import RiskDetector
from escalation.detector import normalise as normalise_module
from escalation.lexicon import load_lexicon

pytestmark = pytest.mark.safety

REPO = Path(__file__).resolve().parents[3]
LEXICON = REPO / "content" / "safety" / "lexicon.yml"

MINI = """\
version: 1
classes:
  partner: [her, "(my|the)? (ex|missus|other half)"]
negators: ["not"]
categories:
  harm_to_partner:
    patterns:
      - id: p.gap
        match: "hit *2 @partner"
      - id: p.number
        match: "(rang|texted) @partner (@number|loads of) times"
      - id: p.mixed
        match: "(=took|=grabbed) @partner (phone|keys)"
      - id: p.trailing
        match: "(threaten|threatened) @partner *2 again?"
      - id: p.between
        match: "(kill|hurt) *3 (@end)? *3 (tonight|later)"
      - id: p.leading
        match: "really? *2 (smash|wreck) (it|them) (up)? *1 (later|tonight)?"
"""


class Counting:
    """Wraps a spaCy matcher, counting calls (or returning nothing when silenced)."""

    def __init__(self, matcher, silent: bool = False):
        self.matcher = matcher
        self.silent = silent
        self.calls = 0

    def __call__(self, doclike, **kwargs):
        self.calls += 1
        return [] if self.silent else self.matcher(doclike, **kwargs)


def _by_start(found: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """Matches of all a pattern's lines as (start, shortest end, longest end) per start."""
    spans: dict[int, tuple[int, int]] = {}
    for s, lo, hi in found:
        old = spans.get(s, (lo, hi))
        spans[s] = (min(old[0], lo), max(old[1], hi))
    return [(s, lo, hi) for s, (lo, hi) in sorted(spans.items())]


_NLP = []
_MATCHERS: dict = {}


def _spacy_matches(detector, pattern_id: str, text: str) -> list[tuple[int, int, int]]:
    """What a plain spaCy Matcher finds with the exported patterns, as (start, min end, max end)."""
    import spacy
    from spacy.matcher import Matcher
    from spacy.tokens import Doc

    if not _NLP:
        _NLP.append(spacy.blank("en"))
    nlp = _NLP[0]
    matcher = _MATCHERS.get((id(detector), pattern_id))
    if matcher is None:
        matcher = _MATCHERS[(id(detector), pattern_id)] = Matcher(nlp.vocab, validate=False)
        matcher.add(pattern_id, detector.spacy_patterns(pattern_id))
    low, lemmas = detector.tokens(text)
    ends: dict[int, list[int]] = {}
    for _, s, e in matcher(Doc(nlp.vocab, words=low, lemmas=lemmas)):
        ends.setdefault(s, []).append(e)
    return [(s, min(v), max(v)) for s, v in sorted(ends.items())]


@pytest.fixture(scope="module")
def mini(tmp_path_factory):
    path = tmp_path_factory.mktemp("lexicon") / "lexicon.yml"
    path.write_text(MINI)
    return RiskDetector(load_lexicon(path))


# ------------------------------------------------------------------------- spaCy objects


def test_the_runtime_objects_are_spacys_matchers(detector):
    from spacy.matcher import Matcher, PhraseMatcher

    objects = detector.matchers()
    assert len(objects["phrase_matchers"]) == 2
    assert all(isinstance(m, PhraseMatcher) for m in objects["phrase_matchers"])
    assert sum(len(m) for m in objects["phrase_matchers"]) > 500  # phrase pieces + required words
    assert objects["risk_matchers"] and objects["context_matchers"]
    assert all(isinstance(m, Matcher) for m in objects["risk_matchers"] + objects["context_matchers"])


def test_no_hand_written_matcher_is_left():
    modules = sorted(Path(detector_module.__file__).parent.glob("*.py"))
    assert len(modules) > 1  # the package's modules, not only its __init__
    for path in modules:
        source = path.read_text()
        for name in ("class _Tok", "class _Alt", "class _Seq", "class _Gap", "def _build_index", "def ends("):
            assert name not in source, path


def test_detect_calls_the_phrase_matchers_and_a_matcher(detector, monkeypatch):
    lemma, lower = Counting(detector._phrase_lemma), Counting(detector._phrase_lower)
    monkeypatch.setattr(detector, "_phrase_lemma", lemma)
    monkeypatch.setattr(detector, "_phrase_lower", lower)
    wrapped = [Counting(m) if m is not None else None for m in detector._risk.matchers]
    monkeypatch.setattr(detector._risk, "matchers", wrapped)
    d = detector.detect("i took 30 paracetamol")  # "@number" runs in a Matcher
    assert d.escalate
    assert lemma.calls == 1 and lower.calls == 1
    assert sum(m.calls for m in wrapped if m is not None) >= 1


@pytest.mark.parametrize("text", ["i want to kill myself", "i hit her last night", "i took 30 paracetamol"])
def test_silenced_spacy_matchers_find_nothing(detector, monkeypatch, text):
    assert detector.detect(text).escalate
    monkeypatch.setattr(detector, "_phrase_lemma", Counting(detector._phrase_lemma, silent=True))
    monkeypatch.setattr(detector, "_phrase_lower", Counting(detector._phrase_lower, silent=True))
    monkeypatch.setattr(
        detector._risk, "matchers", [Counting(m, silent=True) if m else None for m in detector._risk.matchers]
    )
    assert not detector.detect(text).escalate


def test_runtime_describes_each_line(detector):
    lines = detector.runtime("partner.strangulation")
    assert len(lines) == len(detector._pdefs["partner.strangulation"].match)
    kinds = {part[0] for line in lines for part in line}
    assert kinds <= {"phrase", "matcher", "gap"} and "phrase" in kinds
    with pytest.raises(KeyError):
        detector.runtime("no.such.pattern")


# --------------------------------------------------------------- pieces chain exactly


@pytest.mark.parametrize(
    "text,expected",
    [
        ("i hit my ex", {"p.gap": [(1, 4, 4)]}),
        ("i hit him and her", {"p.gap": [(1, 5, 5)]}),  # a gap of 2 words
        ("i hit him and then her", {}),  # 3 words: too far
        ("i hit the wall, then her", {}),  # a gap never crosses a clause break
        ("i rang her 30 times", {"p.number": [(1, 5, 5)]}),  # a number inside a choice
        ("i rang her loads of times", {"p.number": [(1, 6, 6)]}),
        ("i took her phone", {"p.mixed": [(1, 4, 4)]}),  # exact spelling, then base forms
        ("i take her phone", {}),
        ("i threatened her", {"p.trailing": [(1, 3, 3)]}),
        ("i threatened her again", {"p.trailing": [(1, 3, 4)]}),  # shortest and longest end
        ("i will hurt him. tonight", {"p.between": [(2, 6, 6)]}),  # gap, optional @end, gap
        ("hurt him now and then later", {"p.between": [(0, 6, 6)]}),
        # an optional word, then a gap, first: a match may start inside the gap (spaCy's reading)
        ("really want to smash it up tonight", {"p.leading": [(0, 5, 7), (1, 5, 7), (2, 5, 7), (3, 5, 7)]}),
        ("i will smash them, later", {"p.leading": [(0, 4, 4), (1, 4, 4), (2, 4, 4)]}),
    ],
)
def test_pieces_chain_like_the_exported_patterns(mini, text, expected):
    _, _, found, _ = mini._matches(text)
    assert found == expected
    for pattern_id in ("p.gap", "p.number", "p.mixed", "p.trailing", "p.between", "p.leading"):
        assert _by_start(found.get(pattern_id, [])) == _spacy_matches(mini, pattern_id, text), pattern_id


def test_mini_lexicon_uses_both_kinds_of_piece(mini):
    kinds = {pid: {part[0] for line in mini.runtime(pid) for part in line} for pid in mini._pdefs}
    assert "matcher" in kinds["p.number"] and "phrase" in kinds["p.number"]
    assert kinds["p.gap"] == {"phrase", "gap"}


def test_exported_patterns_match_what_runs_on_every_example(detector):
    """For every pattern small enough to load into one Matcher, the runtime finds exactly what
    a spaCy Matcher with its exported patterns finds, on its examples and not_examples."""
    checked = 0
    for pdef in detector.lexicon.patterns:
        if len(detector.spacy_patterns(pdef.id, limit=301)) > 300:
            continue
        for text in pdef.examples + pdef.not_examples:
            _, _, found, _ = detector._matches(text)
            assert _by_start(found.get(pdef.id, [])) == _spacy_matches(detector, pdef.id, text), (pdef.id, text)
            checked += 1
    assert checked > 100


# ---------------------------------------------------------------------------- normaliser


def test_contraction_shortcut_changes_nothing(detector, monkeypatch):
    from escalation.evaluate import load_records

    texts = [r["text"] for f in sorted(Path(__file__).parent.glob("*.yml")) for r in load_records(f)]
    texts += [
        "cant wont aint shant dont doesnt didnt isnt wasnt werent arent hasnt havent hadnt wouldnt couldnt",
        "im youre theyre were ill youll theyll well id ive hes shes thats theres whats",
        "i'm you're they're i'll you'll i'd you'd i've could've he's what's here's",
        "id card please, ill be ill, i am ill today, ill kill him",
        "CAN'T WON'T I'M HE'S",
    ]
    fast = [detector._normalise(t) for t in texts]
    always = [(rx, repl, ("",)) for rx, repl, _ in normalise_module._CONTRACTIONS]
    monkeypatch.setattr(normalise_module, "_CONTRACTIONS", always)
    assert [detector._normalise(t) for t in texts] == fast


def test_importing_loads_neither_spacy_nor_numpy():
    import subprocess
    import sys

    code = (
        "import sys; import escalation.detector; "
        "assert 'spacy' not in sys.modules and 'numpy' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_number_in_a_choice_is_found(detector):
    d = detector.detect("i rang her 30 times last night")
    assert d.category == "harm_to_partner"
    assert any(m.startswith("partner.stalking:") for m in d.matched)
