"""Loading and checking content/safety/lexicon.yml: problems name the file, the line and the fix."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from escalation.check import check_lexicon
from escalation.lexicon import (
    CATEGORIES,
    Group,
    LexiconError,
    PatternSyntaxError,
    Seq,
    Word,
    load_lexicon,
    parse_pattern,
)

pytestmark = pytest.mark.safety

REPO = Path(__file__).resolve().parents[3]
LEXICON = REPO / "content" / "safety" / "lexicon.yml"
PROBLEM = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<msg>.+)$", re.S)

MINIMAL = """\
version: 1
classes:
  partner: [her, "(my|the)? (ex|missus)"]
negators: ["not", "never"]
categories:
  harm_to_partner:
    patterns:
      - id: partner.hit
        severity: high
        match: "(hit|slap) @partner"
        examples: ["i hit her"]
        not_examples: ["i would never hit her"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexicon.yml"
    path.write_text(textwrap.dedent(text))
    return path


def only_problem(path: Path) -> tuple[int, str]:
    problems = check_lexicon(path)
    assert len(problems) == 1, problems
    m = PROBLEM.match(problems[0])
    assert m, problems[0]
    return int(m["line"]), m["msg"]


# --------------------------------------------------------------------------- the real file


def test_the_shipped_lexicon_has_no_problems():
    assert check_lexicon(LEXICON) == []


def test_the_shipped_lexicon_covers_every_category():
    lex = load_lexicon(LEXICON)
    assert {p.category for p in lex.patterns} == set(CATEGORIES)
    assert len(lex.patterns) >= 30
    for section in ("negators", "idioms", "past_markers", "current_markers", "known_markers", "imminent_markers"):
        assert lex.lists[section], section


def test_problem_paths_are_shown_relative_to_the_working_directory(tmp_path, monkeypatch):
    path = write(tmp_path, MINIMAL.replace("severity: high", "severity: urgent"))
    monkeypatch.chdir(tmp_path)
    assert check_lexicon(path)[0].startswith("lexicon.yml:")


# ------------------------------------------------------------------------------ good files


def test_minimal_file_loads_and_checks(tmp_path):
    path = write(tmp_path, MINIMAL)
    lex = load_lexicon(path)
    assert [p.id for p in lex.patterns] == ["partner.hit"]
    assert lex.patterns[0].line == 8
    assert check_lexicon(path) == []


def test_minimal_file_drives_a_detector(tmp_path):
    from escalation.detector import RiskDetector

    det = RiskDetector.from_path(write(tmp_path, MINIMAL))
    assert det.detect("slapped my ex").category == "harm_to_partner"
    assert not det.detect("i would never hit her").escalate


# ------------------------------------------------------------------------------- problems


@pytest.mark.parametrize(
    "old,new,line,words",
    [
        ("severity: high", "severity: urgent", 9, "imminent"),
        ("id: partner.hit", "id: Partner Hit", 8, "pattern id"),
        ('match: "(hit|slap) @partner"', 'match: "(hit|slap @partner"', 10, "no matching ')'"),
        ('match: "(hit|slap) @partner"', 'match: "(hit||slap) @partner"', 10, "empty choice"),
        ('match: "(hit|slap) @partner"', 'match: "* hit @partner"', 10, "starts or ends with '*'"),
        ('match: "(hit|slap) @partner"', 'match: "hit *99 @partner"', 10, "between *1"),
        ('match: "(hit|slap) @partner"', 'match: "(hit|slap) @wife"', 10, "@wife"),
        ('match: "(hit|slap) @partner"', 'match: "hit? her?"', 10, "optional"),
        ("harm_to_partner:", "harm_to_partners:", 6, "unknown category"),
        ("        severity: high", "        severity: high\n        colour: red", 10, "unknown field 'colour'"),
        ('negators: ["not", "never"]', 'negators: ["not", "not"]', 4, "listed twice"),
        ("version: 1", "version: 2", 1, "version"),
        ('examples: ["i hit her"]', 'examples: ["she hit me"]', 11, "not caught"),
        ('not_examples: ["i would never hit her"]', 'not_examples: ["i hit the missus"]', 12, "raises an alert"),
    ],
)
def test_problem_is_located_and_explained(tmp_path, old, new, line, words):
    text = MINIMAL.replace(old, new)
    assert text != MINIMAL
    got_line, msg = only_problem(write(tmp_path, text))
    assert got_line == line, msg
    assert words in msg


def test_yaml_syntax_error_is_located(tmp_path):
    path = write(tmp_path, MINIMAL.replace("        severity: high", "        severity: high\n       bad: [unclosed"))
    problems = check_lexicon(path)
    assert len(problems) == 1
    m = PROBLEM.match(problems[0])
    assert m and "YAML syntax error" in m["msg"] and int(m["line"]) >= 9


def test_duplicate_id_names_the_first_line(tmp_path):
    text = MINIMAL + textwrap.indent(
        textwrap.dedent(
            """\
            - id: partner.hit
              match: "punch her"
            """
        ),
        "      ",
    )
    line, msg = only_problem(write(tmp_path, text))
    assert line == 13 and "first on line 8" in msg


def test_several_problems_are_all_reported(tmp_path):
    text = MINIMAL.replace("severity: high", "severity: urgent").replace("version: 1", "version: 3")
    assert len(check_lexicon(write(tmp_path, text))) == 2


def test_missing_file(tmp_path):
    problems = check_lexicon(tmp_path / "nope.yml")
    assert problems and "file not found" in problems[0]


def test_load_raises_lexicon_error_with_file_line_message(tmp_path):
    path = write(tmp_path, MINIMAL.replace("severity: high", "severity: urgent"))
    with pytest.raises(LexiconError) as info:
        load_lexicon(path)
    err = info.value
    assert err.line == 9
    assert err.file.endswith("lexicon.yml")
    assert "imminent" in err.message
    assert str(err) == f"{err.file}:{err.line}: {err.message}"
    assert err.problems == [str(err)]


@pytest.mark.parametrize(
    "setting,value",
    [("negation_window", 99), ("default_gap", 0), ("fuzzy_min_length", "six"), ("colour", 1)],
)
def test_bad_settings(tmp_path, setting, value):
    text = MINIMAL.replace("version: 1\n", f"version: 1\nsettings:\n  {setting}: {value!r}\n".replace("'", '"'))
    line, msg = only_problem(write(tmp_path, text))
    assert line == 3 and setting in msg


def test_bad_spelling_entries(tmp_path):
    text = MINIMAL.replace("version: 1\n", 'version: 1\nspellings:\n  gonna: going to\n  "(x)": y\n')
    line, msg = only_problem(write(tmp_path, text))
    assert line == 4 and "pattern symbols" in msg


def test_class_member_may_not_use_gaps(tmp_path):
    text = MINIMAL.replace('partner: [her, "(my|the)? (ex|missus)"]', 'partner: [her, "my * ex"]')
    line, msg = only_problem(write(tmp_path, text))
    assert line == 3 and "class 'partner'" in msg


# -------------------------------------------------------------------------- pattern syntax


def test_parse_words_groups_and_options():
    seq = parse_pattern("(kill|end it) myself? =fitting")
    assert isinstance(seq, Seq)
    g, w, e = seq.items
    assert isinstance(g, Group) and [len(a.items) for a in g.alternatives] == [1, 2]
    assert isinstance(w, Word) and w.optional and w.text == "myself"
    assert isinstance(e, Word) and e.exact and e.text == "fitting"


@pytest.mark.parametrize("bad", ["", "   ", "(a|b", "a)", "a | b", "?a", "* a", "a *", "a *x b", "a* ? b", "a? b?"])
def test_parse_rejects(bad):
    with pytest.raises(PatternSyntaxError):
        parse_pattern(bad)


# ------------------------------------------------------------------------------ with: context

WITH = MINIMAL.replace(
    '        not_examples: ["i would never hit her"]\n',
    '        not_examples: ["i would never hit her"]\n'
    '      - id: partner.visit\n'
    '        match: "(went|go) round (there|hers)"\n'
    '        with: ["(bail|non molestation|order)"]\n'
    '        examples: ["bail says no but i went round there"]\n'
    '        not_examples: ["i went round there for tea"]\n',
)


def test_with_needs_its_words_somewhere_in_the_message(tmp_path):
    from escalation.detector import RiskDetector

    path = write(tmp_path, WITH)
    assert check_lexicon(path) == []
    lex = load_lexicon(path)
    assert lex.patterns[1].with_match == ("(bail|non molestation|order)",)
    det = RiskDetector.from_path(path)
    # the context may be in another sentence: that is the point of with:
    d = det.detect("i went round there last night. the order says i cant")
    assert d.escalate and d.matched[0].startswith("partner.visit:")
    quiet = det.detect("i went round there last night")
    assert not quiet.escalate
    assert any("none of its 'with' words" in s for s in quiet.suppressed)


@pytest.mark.parametrize("bad, words", [
    ('        with: ["(bail|non molestation|order)"]', "needs 'with:'"),
    ('        with: [3]', "not text"),
    ('        with: ["(bail|"]', "no matching ')'"),
])
def test_bad_with_is_located_and_explained(tmp_path, bad, words):
    text = WITH.replace('        with: ["(bail|non molestation|order)"]',
                        bad.replace('["(bail|non molestation|order)"]', "[]") if "needs" in words else bad)
    got_line, msg = only_problem(write(tmp_path, text))
    assert words in msg, msg
