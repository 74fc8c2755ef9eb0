"""Load and check the risk lexicon that clinical content authors maintain.

Usage::

    from escalation.lexicon import load_lexicon, read_lexicon, LexiconError

    lex = load_lexicon("content/safety/lexicon.yml")     # raises LexiconError
    lex, problems = read_lexicon("content/safety/lexicon.yml")
    for problem in problems:
        print(problem)   # "content/safety/lexicon.yml:42: what is wrong, how to fix it"

The file format and the pattern syntax are documented for authors in
``content/safety/README.md``. In short, a pattern is words separated by spaces:

- ``kill myself``          words match any form ("killed", "killing") by default;
- ``=fitting``             ``=`` matches exactly this spelling only;
- ``(kill|end|top) myself`` alternatives, each may be several words: ``(end it all|end my life)``;
- ``really?`` / ``(the|my)?`` ``?`` makes a word or group optional;
- ``@partner``             any word or phrase from the ``classes:`` list named ``partner``
                           (built in: ``@number`` any number, ``@end`` end of a clause);
- ``*`` / ``*5``           a gap of up to 3 (or 5) other words, never across . , ! ? ; "but".

``read_lexicon`` checks the file's shape and syntax only; ``escalation.check.check_lexicon``
also builds the detector and runs each pattern's ``examples`` and ``not_examples``.

This module only reads YAML and checks its shape and syntax; it needs neither spaCy nor
Rasa. ``RiskDetector`` (escalation.detector) compiles the parsed patterns.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Union

CATEGORIES = (
    "suicide_self_harm",
    "harm_to_partner",
    "harm_to_child",
    "harm_to_others",
    "substance_emergency",
)
SEVERITIES = ("imminent", "high")
HISTORY_MODES = ("known", "always")

# Sections that hold lists of patterns (same syntax as risk patterns).
LIST_SECTIONS = (
    "third_party",
    "negators",
    "near_negators",
    "negation_exceptions",
    "idioms",
    "past_markers",
    "known_markers",
    "current_markers",
    "repeat_markers",
    "imminent_markers",
)
TOP_LEVEL_KEYS = ("version", "settings", "spellings", "classes", "negation_bridge", "categories") + LIST_SECTIONS
# Classes every pattern may use without defining them.
BUILTIN_CLASSES = {
    "number": "any number: 3, 30, 2.5, three, thirty, a dozen",
    "end": "the end of a clause or of the message (. , ! ? ; but)",
}
PATTERN_KEYS = (
    "id",
    "match",
    "severity",
    "history",
    "negation",
    "check_subject",
    "retarget",
    "with",
    "examples",
    "not_examples",
    "note",
)
CATEGORY_KEYS = ("label", "patterns")

DEFAULT_SETTINGS = {
    "negation_window": 7,  # how many words may stand between a negator and the match
    "near_negation_window": 2,  # the same for near_negators ("stopped myself hitting her")
    "default_gap": 3,  # what a bare * means
    "max_gap": 10,  # the largest *N allowed
    "fuzzy_min_length": 6,  # unknown words this long or longer may be corrected by one typo
}
SETTING_LIMITS = {
    "negation_window": (0, 15),
    "near_negation_window": (0, 5),
    "default_gap": (1, 10),
    "max_gap": (1, 20),
    "fuzzy_min_length": (4, 20),
}

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_CLASS_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD_RE = re.compile(r"^[a-z0-9'&./£$-]+$")


class LexiconError(ValueError):
    """A problem in the lexicon file, located to a line.

    ``str(err)`` is ``"file:line: what is wrong, how to fix it"``. ``problems`` holds every
    problem found when several were (the first one is the message).
    """

    def __init__(self, file: str, line: int, message: str, problems: list[str] | None = None):
        self.file = file
        self.line = line
        self.message = message
        self.problems = problems or [f"{file}:{line}: {message}"]
        super().__init__(f"{file}:{line}: {message}")


# --------------------------------------------------------------------------------------
# Pattern syntax: parsed into a small tree, lowered to spaCy patterns by the detector.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    text: str
    exact: bool = False
    optional: bool = False


@dataclass(frozen=True)
class ClassRef:
    name: str
    optional: bool = False


@dataclass(frozen=True)
class Group:
    alternatives: tuple  # tuple[Seq, ...]
    optional: bool = False


@dataclass(frozen=True)
class Gap:
    size: int


@dataclass(frozen=True)
class Seq:
    items: tuple  # tuple[Word | ClassRef | Group | Gap, ...]


Node = Union[Word, ClassRef, Group, Gap]


class PatternSyntaxError(ValueError):
    """Raised by parse_pattern; the message says what is wrong and how to fix it."""


def parse_pattern(text: str, *, default_gap: int = 3, max_gap: int = 10) -> Seq:
    """Parse one author pattern (``(kill|top) myself``) into a tree."""
    if not isinstance(text, str) or not text.strip():
        raise PatternSyntaxError("the pattern is empty; write the words to look for, e.g. 'kill myself'")
    src = text.strip()
    toks = _lex(src)
    pos = 0

    def parse_seq(stop: set[str]) -> Seq:
        nonlocal pos
        items: list[Node] = []
        while pos < len(toks) and toks[pos] not in stop:
            tok = toks[pos]
            if tok == "(":
                pos += 1
                alts = [parse_seq({"|", ")"})]
                while pos < len(toks) and toks[pos] == "|":
                    pos += 1
                    alts.append(parse_seq({"|", ")"}))
                if pos >= len(toks) or toks[pos] != ")":
                    raise PatternSyntaxError(
                        f"'(' has no matching ')' in '{src}'; close every group, e.g. '(kill|end) myself'"
                    )
                pos += 1
                optional = False
                if pos < len(toks) and toks[pos] == "?":
                    optional = True
                    pos += 1
                for alt in alts:
                    if not alt.items:
                        raise PatternSyntaxError(
                            f"a group in '{src}' has an empty choice ('||', '(|' or '|)'); "
                            "remove the extra '|' or use '(word)?' to make a group optional"
                        )
                    if isinstance(alt.items[0], Gap) or isinstance(alt.items[-1], Gap):
                        raise PatternSyntaxError(
                            f"a choice inside a group in '{src}' starts or ends with '*'; "
                            "put the gap outside the group"
                        )
                items.append(Group(tuple(alts), optional))
            elif tok == ")":
                raise PatternSyntaxError(f"')' without a matching '(' in '{src}'; remove it or add the '('")
            elif tok == "|":
                raise PatternSyntaxError(
                    f"'|' outside brackets in '{src}'; put choices in brackets, e.g. '(kill|end) myself'"
                )
            elif tok == "?":
                raise PatternSyntaxError(
                    f"'?' must follow a word or a ')' directly in '{src}', e.g. 'really?' or '(the|my)?'"
                )
            elif tok.startswith("*"):
                rest = tok[1:]
                if rest == "":
                    size = default_gap
                elif rest.isdigit():
                    size = int(rest)
                else:
                    raise PatternSyntaxError(
                        f"'{tok}' is not a gap in '{src}'; write '*' (up to {default_gap} words) or '*N' "
                        f"with N a number from 1 to {max_gap}"
                    )
                if not 1 <= size <= max_gap:
                    raise PatternSyntaxError(f"gap '{tok}' in '{src}' must be between *1 and *{max_gap}")
                pos += 1
                if pos < len(toks) and toks[pos] == "?":
                    raise PatternSyntaxError(f"a gap cannot be optional in '{src}'; a gap already allows 0 words")
                items.append(Gap(size))
            else:
                pos += 1
                optional = False
                if pos < len(toks) and toks[pos] == "?":
                    optional = True
                    pos += 1
                if tok.startswith("@"):
                    name = tok[1:]
                    if not _CLASS_NAME_RE.match(name):
                        raise PatternSyntaxError(
                            f"'{tok}' in '{src}' is not a class name; use '@' and a name from 'classes:', "
                            "e.g. '@partner'"
                        )
                    items.append(ClassRef(name, optional))
                else:
                    exact = tok.startswith("=")
                    word = tok[1:] if exact else tok
                    word_l = word.lower()
                    if not word_l or not _WORD_RE.match(word_l):
                        raise PatternSyntaxError(
                            f"'{tok}' in '{src}' has characters the pattern syntax does not allow; "
                            "use letters, digits and ' - . & only (write choices as '(a|b)')"
                        )
                    items.append(Word(word_l, exact, optional))
        return Seq(tuple(items))

    seq = parse_seq(set())
    if pos != len(toks):  # pragma: no cover - parse_seq consumes all at top level or raises
        raise PatternSyntaxError(f"could not read '{src}'")
    if not seq.items:
        raise PatternSyntaxError("the pattern is empty; write the words to look for")
    if isinstance(seq.items[0], Gap) or isinstance(seq.items[-1], Gap):
        raise PatternSyntaxError(
            f"'{src}' starts or ends with '*'; a gap must sit between two words, e.g. 'hit * her'"
        )
    if all(_is_optional(it) for it in seq.items):
        raise PatternSyntaxError(
            f"every part of '{src}' is optional, so it would match nothing; make at least one word required"
        )
    return seq


def _is_optional(node: Node) -> bool:
    return isinstance(node, Gap) or getattr(node, "optional", False)


def _lex(src: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(src):
        c = src[i]
        if c.isspace():
            i += 1
        elif c in "()|?":
            out.append(c)
            i += 1
        else:
            j = i
            while j < len(src) and not src[j].isspace() and src[j] not in "()|?":
                j += 1
            out.append(src[i:j])
            i = j
    return out


def count_variants(seq: Seq) -> int:
    """Rough upper bound of the word sequences a pattern expands to (informational)."""
    total = 1
    for it in seq.items:
        if isinstance(it, Group):
            n = sum(count_variants(a) for a in it.alternatives)
            total *= n + (1 if it.optional else 0)
        elif isinstance(it, Word) and it.optional:
            total *= 2
    return total


def class_refs(seq: Seq) -> Iterable[ClassRef]:
    for it in seq.items:
        if isinstance(it, ClassRef):
            yield it
        elif isinstance(it, Group):
            for alt in it.alternatives:
                yield from class_refs(alt)


# --------------------------------------------------------------------------------------
# The lexicon as data.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatternDef:
    id: str
    category: str
    severity: str
    match: tuple  # tuple[str, ...] as written
    parsed: tuple  # tuple[Seq, ...]
    history: str = "known"
    negation: bool = True
    check_subject: bool = True
    retarget: bool = False
    with_match: tuple = ()  # tuple[str, ...]: one of these must also be in the message
    with_parsed: tuple = ()  # tuple[Seq, ...]
    examples: tuple = ()
    not_examples: tuple = ()
    note: str = ""
    line: int = 0
    example_lines: tuple = ()
    not_example_lines: tuple = ()


@dataclass(frozen=True)
class ListEntry:
    text: str
    parsed: Seq
    line: int


@dataclass
class Lexicon:
    path: str
    version: int
    settings: dict
    spellings: dict  # variant -> standard
    classes: dict  # name -> tuple of member phrases
    negation_bridge: frozenset
    lists: dict  # section name -> tuple[ListEntry, ...]
    patterns: tuple  # tuple[PatternDef, ...]
    category_labels: dict = field(default_factory=dict)
    class_lines: dict = field(default_factory=dict)
    spelling_lines: dict = field(default_factory=dict)

    def patterns_for(self, category: str) -> list[PatternDef]:
        return [p for p in self.patterns if p.category == category]


def display_path(path: str | os.PathLike) -> str:
    """The path as authors see it: relative to the working directory when inside it."""
    p = os.fspath(path)
    try:
        rel = os.path.relpath(p)
    except ValueError:  # pragma: no cover - other drive on Windows
        return p
    return p if rel.startswith("..") else rel


def load_lexicon(path: str | os.PathLike) -> Lexicon:
    """Read and validate the lexicon; raise LexiconError naming the first problem's line."""
    lex, problems = read_lexicon(path)
    if problems:
        first = problems[0]
        file, line, msg = _split_problem(first)
        raise LexiconError(file, line, msg, problems)
    assert lex is not None
    return lex


def _split_problem(problem: str) -> tuple[str, int, str]:
    m = re.match(r"^(.*?):(\d+): (.*)$", problem, re.S)
    if not m:  # pragma: no cover
        return ("?", 0, problem)
    return m.group(1), int(m.group(2)), m.group(3)


def _line_of_key(node: Any, key: Any, default: int) -> int:
    try:
        return node.lc.key(key)[0] + 1
    except Exception:
        return default


def _line_of_item(node: Any, idx: int, default: int) -> int:
    try:
        return node.lc.item(idx)[0] + 1
    except Exception:
        return default


def _line_of_node(node: Any, default: int) -> int:
    try:
        return node.lc.line + 1
    except Exception:
        return default


def read_lexicon(path: str | os.PathLike) -> tuple[Lexicon | None, list[str]]:
    """The lexicon (None if its structure is unsound) and every problem in it, as text."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    shown = display_path(path)
    problems: list[str] = []

    def problem(line: int, msg: str) -> None:
        problems.append(f"{shown}:{line}: {msg}")

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return None, [f"{shown}:1: file not found; create it or pass the right path"]
    except UnicodeDecodeError as err:
        return None, [f"{shown}:1: the file is not UTF-8 text ({err.reason}); save it as UTF-8"]

    yaml = YAML(typ="rt")
    try:
        data = yaml.load(text)
    except MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = err.problem or err.context or "invalid YAML"
        return None, [
            f"{shown}:{line}: YAML syntax error ({what}); check the indentation, the '-' before list "
            "items and that text with ':' or '#' is in quotes"
        ]
    except Exception as err:  # pragma: no cover - other ruamel errors
        return None, [f"{shown}:1: could not read the YAML ({err}); check the file's syntax"]

    if not isinstance(data, dict):
        return None, [f"{shown}:1: the file must be a set of sections ('settings:', 'categories:', ...)"]

    for key in data:
        if key not in TOP_LEVEL_KEYS:
            problem(
                _line_of_key(data, key, 1),
                f"unknown section '{key}'; use one of: {', '.join(TOP_LEVEL_KEYS)} (check the spelling)",
            )

    version = data.get("version", 1)
    if version != 1:
        problem(_line_of_key(data, "version", 1), f"version {version!r} is not supported; write 'version: 1'")

    # settings ---------------------------------------------------------------------------
    settings = dict(DEFAULT_SETTINGS)
    raw_settings = data.get("settings") or {}
    if not isinstance(raw_settings, dict):
        problem(_line_of_key(data, "settings", 1), "'settings' must be a list of 'name: number' lines")
        raw_settings = {}
    for key, value in raw_settings.items():
        line = _line_of_key(raw_settings, key, 1)
        if key not in DEFAULT_SETTINGS:
            problem(line, f"unknown setting '{key}'; use one of: {', '.join(DEFAULT_SETTINGS)}")
            continue
        lo, hi = SETTING_LIMITS[key]
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            problem(line, f"setting '{key}' must be a whole number from {lo} to {hi}, not {value!r}")
            continue
        settings[key] = value
    gap_kw = {"default_gap": settings["default_gap"], "max_gap": settings["max_gap"]}

    # spellings --------------------------------------------------------------------------
    spellings: dict[str, str] = {}
    spelling_lines: dict[str, int] = {}
    raw_sp = data.get("spellings") or {}
    if not isinstance(raw_sp, dict):
        problem(_line_of_key(data, "spellings", 1), "'spellings' must be 'variant: standard words' lines")
        raw_sp = {}
    for key, value in raw_sp.items():
        line = _line_of_key(raw_sp, key, 1)
        k = str(key).strip().lower() if key is not None else ""
        if not k:
            problem(line, "a spelling has an empty variant; write 'variant: standard', e.g. 'gonna: going to'")
            continue
        if not isinstance(value, str) or not value.strip():
            problem(line, f"spelling '{k}' has no standard form; write e.g. '{k}: going to'")
            continue
        if any(c in k for c in "()|?*@="):
            problem(line, f"spelling '{k}' contains pattern symbols; spellings are plain text, e.g. 'gonna: going to'")
            continue
        if k in spellings:
            problem(line, f"spelling '{k}' is listed twice (first on line {spelling_lines[k]}); keep one")
            continue
        spellings[k] = value.strip().lower()
        spelling_lines[k] = line

    # classes ----------------------------------------------------------------------------
    classes: dict[str, tuple[str, ...]] = {}
    class_lines: dict[str, int] = {}
    raw_cls = data.get("classes") or {}
    if not isinstance(raw_cls, dict):
        problem(_line_of_key(data, "classes", 1), "'classes' must be 'name: [word, word, ...]' lines")
        raw_cls = {}
    for name, members in raw_cls.items():
        line = _line_of_key(raw_cls, name, 1)
        if not isinstance(name, str) or not _CLASS_NAME_RE.match(name):
            problem(line, f"class name '{name}' must be small letters, digits or '_', starting with a letter")
            continue
        if not isinstance(members, list) or not members:
            problem(line, f"class '{name}' must be a non-empty list of words or phrases, e.g. [her, ex, missus]")
            continue
        good: list[str] = []
        for i, m in enumerate(members):
            mline = _line_of_item(members, i, line)
            if not isinstance(m, str) or not m.strip():
                problem(mline, f"class '{name}' has an empty or non-text member; write a word or phrase")
                continue
            try:
                seq = parse_pattern(m, **gap_kw)
            except PatternSyntaxError as err:
                problem(mline, f"class '{name}' member: {err}")
                continue
            if any(isinstance(it, (Gap, ClassRef)) for it in seq.items) or any(
                isinstance(it, Group) and any(isinstance(x, (Gap, ClassRef, Group)) for a in it.alternatives for x in a.items)
                for it in seq.items
            ):
                problem(
                    mline,
                    f"class '{name}' member '{m}' may use words, '(a|b)' and '?' only (no '*' or '@', no brackets "
                    "inside brackets); list other variants as their own members",
                )
                continue
            good.append(m.strip().lower())
        classes[name] = tuple(good)
        class_lines[name] = line

    # negation bridge --------------------------------------------------------------------
    bridge: set[str] = set()
    raw_bridge = data.get("negation_bridge") or []
    if not isinstance(raw_bridge, list):
        problem(_line_of_key(data, "negation_bridge", 1), "'negation_bridge' must be a list of single words")
        raw_bridge = []
    for i, w in enumerate(raw_bridge):
        line = _line_of_item(raw_bridge, i, 1)
        if not isinstance(w, str) or not w.strip() or " " in w.strip():
            problem(line, f"negation_bridge entry {w!r} must be one word, e.g. 'ever'")
            continue
        bridge.add(w.strip().lower())

    # list sections ----------------------------------------------------------------------
    def check_classes(seq: Seq, line: int, where: str) -> bool:
        ok = True
        for ref in class_refs(seq):
            if ref.name not in classes and ref.name not in BUILTIN_CLASSES:
                known = ", ".join("@" + c for c in list(classes) + list(BUILTIN_CLASSES)) or "(none defined)"
                problem(line, f"{where} uses '@{ref.name}', which is not in 'classes:'; use one of {known} or add it")
                ok = False
        return ok

    lists: dict[str, tuple[ListEntry, ...]] = {}
    for section in LIST_SECTIONS:
        raw = data.get(section)
        entries: list[ListEntry] = []
        if raw is None:
            lists[section] = ()
            continue
        if not isinstance(raw, list):
            problem(_line_of_key(data, section, 1), f"'{section}' must be a list, one '- phrase' a line")
            lists[section] = ()
            continue
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            line = _line_of_item(raw, i, _line_of_key(data, section, 1))
            if not isinstance(item, str):
                problem(line, f"'{section}' entries must be text; put this entry in quotes")
                continue
            key = " ".join(item.lower().split())
            if key in seen:
                problem(line, f"'{item}' is listed twice in '{section}' (first on line {seen[key]}); keep one")
                continue
            seen[key] = line
            try:
                seq = parse_pattern(item, **gap_kw)
            except PatternSyntaxError as err:
                problem(line, f"in '{section}': {err}")
                continue
            if check_classes(seq, line, f"'{section}' entry '{item}'"):
                entries.append(ListEntry(item, seq, line))
        lists[section] = tuple(entries)

    # categories -------------------------------------------------------------------------
    patterns: list[PatternDef] = []
    labels: dict[str, str] = {}
    ids: dict[str, int] = {}
    raw_cats = data.get("categories")
    if not isinstance(raw_cats, dict) or not raw_cats:
        problem(
            _line_of_key(data, "categories", 1),
            "'categories' is missing or empty; add 'categories:' with at least one of " + ", ".join(CATEGORIES),
        )
        raw_cats = {}
    for cat, body in raw_cats.items():
        cline = _line_of_key(raw_cats, cat, 1)
        if cat not in CATEGORIES:
            problem(cline, f"unknown category '{cat}'; use one of: {', '.join(CATEGORIES)}")
            continue
        if not isinstance(body, dict):
            problem(cline, f"category '{cat}' must have 'patterns:' (a list of patterns)")
            continue
        for key in body:
            if key not in CATEGORY_KEYS:
                problem(_line_of_key(body, key, cline), f"unknown field '{key}' in category '{cat}'; use 'label' or 'patterns'")
        labels[cat] = str(body.get("label") or cat)
        pats = body.get("patterns")
        if not isinstance(pats, list) or not pats:
            problem(_line_of_key(body, "patterns", cline), f"category '{cat}' needs 'patterns:' with at least one pattern")
            continue
        for i, pat in enumerate(pats):
            pline = _line_of_item(pats, i, cline)
            if not isinstance(pat, dict):
                problem(pline, f"each pattern in '{cat}' must have 'id:' and 'match:' fields")
                continue
            for key in pat:
                if key not in PATTERN_KEYS:
                    problem(
                        _line_of_key(pat, key, pline),
                        f"unknown field '{key}' in a pattern of '{cat}'; allowed: {', '.join(PATTERN_KEYS)}",
                    )
            pid = pat.get("id")
            if not isinstance(pid, str) or not _ID_RE.match(pid):
                problem(
                    _line_of_key(pat, "id", pline),
                    f"pattern id {pid!r} must be small letters, digits, '_' and '.', e.g. 'suicide.kill_myself'",
                )
                continue
            if pid in ids:
                problem(_line_of_key(pat, "id", pline), f"pattern id '{pid}' is used twice (first on line {ids[pid]}); make it unique")
                continue
            ids[pid] = _line_of_key(pat, "id", pline)
            sev = pat.get("severity", "high")
            if sev not in SEVERITIES:
                problem(
                    _line_of_key(pat, "severity", pline),
                    f"severity {sev!r} of '{pid}' must be 'imminent' (life in danger now) or 'high' (same-day contact)",
                )
                continue
            hist = pat.get("history", "known")
            if hist not in HISTORY_MODES:
                problem(
                    _line_of_key(pat, "history", pline),
                    f"history {hist!r} of '{pid}' must be 'known' (old events are not alerts) or 'always'",
                )
                continue
            bad_flag = False
            for flag in ("negation", "retarget", "check_subject"):
                if flag in pat and not isinstance(pat[flag], bool):
                    problem(_line_of_key(pat, flag, pline), f"'{flag}' of '{pid}' must be true or false")
                    bad_flag = True
            if bad_flag:
                continue
            def pattern_lines(field: str, required: bool):
                """The parsed lines of ``match:`` or ``with:`` as (texts, seqs), or None on a problem."""
                raw = pat.get(field)
                fline = _line_of_key(pat, field, pline)
                if raw is None and not required:
                    return (), ()
                if isinstance(raw, str):
                    items = [(raw, fline)]
                elif isinstance(raw, list) and raw:
                    items = [(m, _line_of_item(raw, j, fline)) for j, m in enumerate(raw)]
                else:
                    problem(fline, f"pattern '{pid}' needs '{field}:' with a pattern or a list of patterns")
                    return None
                texts: list[str] = []
                seqs: list[Seq] = []
                ok = True  # report every bad line, not just the first
                for mtext, ml in items:
                    if not isinstance(mtext, str):
                        problem(ml, f"a '{field}' line of '{pid}' is not text; put it in quotes")
                        ok = False
                        continue
                    try:
                        seq = parse_pattern(mtext, **gap_kw)
                    except PatternSyntaxError as err:
                        problem(ml, f"pattern '{pid}': {err}")
                        ok = False
                        continue
                    if not check_classes(seq, ml, f"pattern '{pid}'"):
                        ok = False
                        continue
                    seqs.append(seq)
                    texts.append(mtext)
                return (tuple(texts), tuple(seqs)) if ok else None

            found = pattern_lines("match", True)
            also = pattern_lines("with", False)
            if found is None or also is None:
                continue
            texts, parsed = found
            ex, ex_lines = _text_list(pat, "examples", pid, pline, problem)
            nex, nex_lines = _text_list(pat, "not_examples", pid, pline, problem)
            patterns.append(
                PatternDef(
                    id=pid,
                    category=cat,
                    severity=sev,
                    match=tuple(texts),
                    parsed=tuple(parsed),
                    history=hist,
                    negation=pat.get("negation", True),
                    check_subject=pat.get("check_subject", True),
                    retarget=pat.get("retarget", False),
                    with_match=also[0],
                    with_parsed=also[1],
                    examples=tuple(ex),
                    not_examples=tuple(nex),
                    note=str(pat.get("note") or ""),
                    line=pline,
                    example_lines=tuple(ex_lines),
                    not_example_lines=tuple(nex_lines),
                )
            )

    if problems:
        return None, problems
    return (
        Lexicon(
            path=os.fspath(path),
            version=1,
            settings=settings,
            spellings=spellings,
            classes=classes,
            negation_bridge=frozenset(bridge),
            lists=lists,
            patterns=tuple(patterns),
            category_labels=labels,
            class_lines=class_lines,
            spelling_lines=spelling_lines,
        ),
        [],
    )


def _text_list(pat: Any, key: str, pid: str, pline: int, problem) -> tuple[list[str], list[int]]:
    raw = pat.get(key)
    if raw is None:
        return [], []
    kline = _line_of_key(pat, key, pline)
    if not isinstance(raw, list):
        problem(kline, f"'{key}' of '{pid}' must be a list of messages, one '- message' a line")
        return [], []
    out, lines = [], []
    for j, t in enumerate(raw):
        line = _line_of_item(raw, j, kline)
        if not isinstance(t, str) or not t.strip():
            problem(line, f"an entry of '{key}' in '{pid}' is empty or not text; write a message in quotes")
            continue
        out.append(t)
        lines.append(line)
    return out, lines
