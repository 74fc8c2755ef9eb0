"""Reading content/safety/lexicon.yml and checking its shape, section by section.

Owns: the file's schema (its sections, pattern fields and settings with their limits),
``read_lexicon`` (the lexicon, escalation.lexicon.model, and every problem as
"file:line: what is wrong, how to fix it") and ``load_lexicon`` (raises LexiconError on
the first). Patterns are parsed with escalation.lexicon.syntax; the categories and
severities are the shared ones from coach.core.risk.

This module only reads YAML and checks its shape and syntax; it needs neither spaCy nor
Rasa. ``escalation.check.check_lexicon`` also builds the detector and runs each pattern's
``examples`` and ``not_examples``.
"""

from __future__ import annotations

import os
import re
from typing import Any

from coach.core.risk import CATEGORIES, SEVERITIES
from escalation.lexicon.model import Lexicon, LexiconError, ListEntry, PatternDef, display_path
from escalation.lexicon.syntax import (
    _CLASS_NAME_RE,
    BUILTIN_CLASSES,
    ClassRef,
    Gap,
    Group,
    PatternSyntaxError,
    Seq,
    class_refs,
    parse_pattern,
)

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
_PATTERN_FLAGS = ("negation", "retarget", "check_subject")


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


# --------------------------------------------------------------------------------------
# Reading the file.
# --------------------------------------------------------------------------------------


def read_lexicon(path: str | os.PathLike) -> tuple[Lexicon | None, list[str]]:
    """The lexicon (None if its structure is unsound) and every problem in it, as text."""
    shown = display_path(path)
    data, failure = _load_yaml(path, shown)
    if failure:
        return None, failure
    if not isinstance(data, dict):
        return None, [f"{shown}:1: the file must be a set of sections ('settings:', 'categories:', ...)"]
    reader = _Reader(shown, data)
    lex = reader.read(os.fspath(path))
    if reader.problems:
        return None, reader.problems
    return lex, []


def _load_yaml(path: str | os.PathLike, shown: str) -> tuple[Any, list[str]]:
    """The file's YAML (round-trip nodes, which know their lines), or the one problem that
    stops it being read at all."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        return None, [f"{shown}:1: file not found; create it or pass the right path"]
    except UnicodeDecodeError as err:
        return None, [f"{shown}:1: the file is not UTF-8 text ({err.reason}); save it as UTF-8"]

    yaml = YAML(typ="rt")
    try:
        return yaml.load(text), []
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


class _Reader:
    """Reads the file's sections in order, collecting every problem rather than stopping at
    the first: an entry with a problem is left out and the rest of its section still read."""

    def __init__(self, shown: str, data: dict):
        self.shown = shown
        self.data = data
        self.problems: list[str] = []
        self.gap_kw: dict[str, int] = {}  # how '*' reads, from the settings
        self.classes: dict[str, tuple[str, ...]] = {}  # the classes patterns may use
        self.ids: dict[str, int] = {}  # pattern id -> line, to find duplicates

    def problem(self, line: int, msg: str) -> None:
        self.problems.append(f"{self.shown}:{line}: {msg}")

    def read(self, path: str) -> Lexicon:
        """Every section (the result is only sound when no problem was found)."""
        self.check_sections()
        self.check_version()
        settings = self.settings()
        self.gap_kw = {"default_gap": settings["default_gap"], "max_gap": settings["max_gap"]}
        spellings, spelling_lines = self.spellings()
        self.classes, class_lines = self.class_lists()
        bridge = self.negation_bridge()
        lists = {section: self.list_section(section) for section in LIST_SECTIONS}
        patterns, labels = self.categories()
        return Lexicon(
            path=path,
            version=1,
            settings=settings,
            spellings=spellings,
            classes=self.classes,
            negation_bridge=frozenset(bridge),
            lists=lists,
            patterns=tuple(patterns),
            category_labels=labels,
            class_lines=class_lines,
            spelling_lines=spelling_lines,
        )

    # ---------------------------------------------------------------- the file's top --
    def check_sections(self) -> None:
        data = self.data
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.problem(
                    _line_of_key(data, key, 1),
                    f"unknown section '{key}'; use one of: {', '.join(TOP_LEVEL_KEYS)} (check the spelling)",
                )

    def check_version(self) -> None:
        version = self.data.get("version", 1)
        if version != 1:
            self.problem(
                _line_of_key(self.data, "version", 1), f"version {version!r} is not supported; write 'version: 1'"
            )

    def section(self, name: str, kind: type, default: Any, shape: str) -> Any:
        """The section ``name`` if it is a ``kind`` (``default`` when missing or empty);
        else a problem saying what ``shape`` it must have, and ``default``."""
        raw = self.data.get(name) or default
        if not isinstance(raw, kind):
            self.problem(_line_of_key(self.data, name, 1), shape)
            return default
        return raw

    # -------------------------------------------------------------------- settings --
    def settings(self) -> dict:
        settings = dict(DEFAULT_SETTINGS)
        raw = self.section("settings", dict, {}, "'settings' must be a list of 'name: number' lines")
        for key, value in raw.items():
            line = _line_of_key(raw, key, 1)
            if key not in DEFAULT_SETTINGS:
                self.problem(line, f"unknown setting '{key}'; use one of: {', '.join(DEFAULT_SETTINGS)}")
                continue
            lo, hi = SETTING_LIMITS[key]
            if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
                self.problem(line, f"setting '{key}' must be a whole number from {lo} to {hi}, not {value!r}")
                continue
            settings[key] = value
        return settings

    # ------------------------------------------------------------------- spellings --
    def spellings(self) -> tuple[dict[str, str], dict[str, int]]:
        spellings: dict[str, str] = {}
        lines: dict[str, int] = {}
        raw = self.section("spellings", dict, {}, "'spellings' must be 'variant: standard words' lines")
        for key, value in raw.items():
            line = _line_of_key(raw, key, 1)
            k = str(key).strip().lower() if key is not None else ""
            if not k:
                self.problem(line, "a spelling has an empty variant; write 'variant: standard', e.g. 'gonna: going to'")
                continue
            if not isinstance(value, str) or not value.strip():
                self.problem(line, f"spelling '{k}' has no standard form; write e.g. '{k}: going to'")
                continue
            if any(c in k for c in "()|?*@="):
                self.problem(
                    line, f"spelling '{k}' contains pattern symbols; spellings are plain text, e.g. 'gonna: going to'"
                )
                continue
            if k in spellings:
                self.problem(line, f"spelling '{k}' is listed twice (first on line {lines[k]}); keep one")
                continue
            spellings[k] = value.strip().lower()
            lines[k] = line
        return spellings, lines

    # --------------------------------------------------------------------- classes --
    def class_lists(self) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
        classes: dict[str, tuple[str, ...]] = {}
        lines: dict[str, int] = {}
        raw = self.section("classes", dict, {}, "'classes' must be 'name: [word, word, ...]' lines")
        for name, members in raw.items():
            line = _line_of_key(raw, name, 1)
            if not isinstance(name, str) or not _CLASS_NAME_RE.match(name):
                self.problem(line, f"class name '{name}' must be small letters, digits or '_', starting with a letter")
                continue
            if not isinstance(members, list) or not members:
                self.problem(
                    line, f"class '{name}' must be a non-empty list of words or phrases, e.g. [her, ex, missus]"
                )
                continue
            good = (self.class_member(name, m, _line_of_item(members, i, line)) for i, m in enumerate(members))
            classes[name] = tuple(m for m in good if m is not None)
            lines[name] = line
        return classes, lines

    def class_member(self, name: str, m: Any, mline: int) -> str | None:
        """A class member as stored (lower case), or None after a problem."""
        if not isinstance(m, str) or not m.strip():
            self.problem(mline, f"class '{name}' has an empty or non-text member; write a word or phrase")
            return None
        try:
            seq = parse_pattern(m, **self.gap_kw)
        except PatternSyntaxError as err:
            self.problem(mline, f"class '{name}' member: {err}")
            return None
        if any(isinstance(it, (Gap, ClassRef)) for it in seq.items) or any(
            isinstance(it, Group)
            and any(isinstance(x, (Gap, ClassRef, Group)) for a in it.alternatives for x in a.items)
            for it in seq.items
        ):
            self.problem(
                mline,
                f"class '{name}' member '{m}' may use words, '(a|b)' and '?' only (no '*' or '@', no brackets "
                "inside brackets); list other variants as their own members",
            )
            return None
        return m.strip().lower()

    # ------------------------------------------------------------- negation bridge --
    def negation_bridge(self) -> set[str]:
        bridge: set[str] = set()
        raw = self.section("negation_bridge", list, [], "'negation_bridge' must be a list of single words")
        for i, w in enumerate(raw):
            line = _line_of_item(raw, i, 1)
            if not isinstance(w, str) or not w.strip() or " " in w.strip():
                self.problem(line, f"negation_bridge entry {w!r} must be one word, e.g. 'ever'")
                continue
            bridge.add(w.strip().lower())
        return bridge

    # --------------------------------------------------------------- list sections --
    def check_classes(self, seq: Seq, line: int, where: str) -> bool:
        """Does every '@class' in ``seq`` exist? (A problem for each that does not.)"""
        ok = True
        for ref in class_refs(seq):
            if ref.name not in self.classes and ref.name not in BUILTIN_CLASSES:
                known = ", ".join("@" + c for c in list(self.classes) + list(BUILTIN_CLASSES)) or "(none defined)"
                self.problem(
                    line, f"{where} uses '@{ref.name}', which is not in 'classes:'; use one of {known} or add it"
                )
                ok = False
        return ok

    def list_section(self, section: str) -> tuple[ListEntry, ...]:
        data = self.data
        raw = data.get(section)
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(_line_of_key(data, section, 1), f"'{section}' must be a list, one '- phrase' a line")
            return ()
        entries: list[ListEntry] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            line = _line_of_item(raw, i, _line_of_key(data, section, 1))
            if not isinstance(item, str):
                self.problem(line, f"'{section}' entries must be text; put this entry in quotes")
                continue
            key = " ".join(item.lower().split())
            if key in seen:
                self.problem(line, f"'{item}' is listed twice in '{section}' (first on line {seen[key]}); keep one")
                continue
            seen[key] = line
            try:
                seq = parse_pattern(item, **self.gap_kw)
            except PatternSyntaxError as err:
                self.problem(line, f"in '{section}': {err}")
                continue
            if self.check_classes(seq, line, f"'{section}' entry '{item}'"):
                entries.append(ListEntry(item, seq, line))
        return tuple(entries)

    # ------------------------------------------------------------------ categories --
    def categories(self) -> tuple[list[PatternDef], dict[str, str]]:
        """Every category's patterns, and the categories' labels."""
        patterns: list[PatternDef] = []
        labels: dict[str, str] = {}
        raw = self.data.get("categories")
        if not isinstance(raw, dict) or not raw:
            self.problem(
                _line_of_key(self.data, "categories", 1),
                "'categories' is missing or empty; add 'categories:' with at least one of " + ", ".join(CATEGORIES),
            )
            raw = {}
        for cat, body in raw.items():
            cline = _line_of_key(raw, cat, 1)
            if cat not in CATEGORIES:
                self.problem(cline, f"unknown category '{cat}'; use one of: {', '.join(CATEGORIES)}")
                continue
            if not isinstance(body, dict):
                self.problem(cline, f"category '{cat}' must have 'patterns:' (a list of patterns)")
                continue
            for key in body:
                if key not in CATEGORY_KEYS:
                    self.problem(
                        _line_of_key(body, key, cline),
                        f"unknown field '{key}' in category '{cat}'; use 'label' or 'patterns'",
                    )
            labels[cat] = str(body.get("label") or cat)
            pats = body.get("patterns")
            if not isinstance(pats, list) or not pats:
                self.problem(
                    _line_of_key(body, "patterns", cline),
                    f"category '{cat}' needs 'patterns:' with at least one pattern",
                )
                continue
            for i, pat in enumerate(pats):
                pdef = self.pattern(cat, pat, _line_of_item(pats, i, cline))
                if pdef is not None:
                    patterns.append(pdef)
        return patterns, labels

    # -------------------------------------------------------------------- patterns --
    def pattern(self, cat: str, pat: Any, pline: int) -> PatternDef | None:
        """One pattern of category ``cat``, or None after a problem."""
        if not isinstance(pat, dict):
            self.problem(pline, f"each pattern in '{cat}' must have 'id:' and 'match:' fields")
            return None
        for key in pat:
            if key not in PATTERN_KEYS:
                self.problem(
                    _line_of_key(pat, key, pline),
                    f"unknown field '{key}' in a pattern of '{cat}'; allowed: {', '.join(PATTERN_KEYS)}",
                )
        pid = self.pattern_id(pat, pline)
        if pid is None:
            return None
        options = self.pattern_options(pat, pid, pline)
        if options is None:
            return None
        severity, history = options
        found = self.pattern_lines(pat, pid, "match", True, pline)
        also = self.pattern_lines(pat, pid, "with", False, pline)
        if found is None or also is None:
            return None
        texts, parsed = found
        ex, ex_lines = self.text_list(pat, "examples", pid, pline)
        nex, nex_lines = self.text_list(pat, "not_examples", pid, pline)
        return PatternDef(
            id=pid,
            category=cat,
            severity=severity,
            match=tuple(texts),
            parsed=tuple(parsed),
            history=history,
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

    def pattern_id(self, pat: Any, pline: int) -> str | None:
        """The pattern's id, if well formed and not used before (then it is taken)."""
        pid = pat.get("id")
        if not isinstance(pid, str) or not _ID_RE.match(pid):
            self.problem(
                _line_of_key(pat, "id", pline),
                f"pattern id {pid!r} must be small letters, digits, '_' and '.', e.g. 'suicide.kill_myself'",
            )
            return None
        if pid in self.ids:
            self.problem(
                _line_of_key(pat, "id", pline),
                f"pattern id '{pid}' is used twice (first on line {self.ids[pid]}); make it unique",
            )
            return None
        self.ids[pid] = _line_of_key(pat, "id", pline)
        return pid

    def pattern_options(self, pat: Any, pid: str, pline: int) -> tuple[str, str] | None:
        """(severity, history) once those and the true/false flags are valid, else None."""
        sev = pat.get("severity", "high")
        if sev not in SEVERITIES:
            self.problem(
                _line_of_key(pat, "severity", pline),
                f"severity {sev!r} of '{pid}' must be 'imminent' (life in danger now) or 'high' (same-day contact)",
            )
            return None
        hist = pat.get("history", "known")
        if hist not in HISTORY_MODES:
            self.problem(
                _line_of_key(pat, "history", pline),
                f"history {hist!r} of '{pid}' must be 'known' (old events are not alerts) or 'always'",
            )
            return None
        bad_flag = False
        for flag in _PATTERN_FLAGS:
            if flag in pat and not isinstance(pat[flag], bool):
                self.problem(_line_of_key(pat, flag, pline), f"'{flag}' of '{pid}' must be true or false")
                bad_flag = True
        if bad_flag:
            return None
        return sev, hist

    def pattern_lines(self, pat: Any, pid: str, field: str, required: bool, pline: int):
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
            self.problem(fline, f"pattern '{pid}' needs '{field}:' with a pattern or a list of patterns")
            return None
        texts: list[str] = []
        seqs: list[Seq] = []
        ok = True  # report every bad line, not just the first
        for mtext, ml in items:
            if not isinstance(mtext, str):
                self.problem(ml, f"a '{field}' line of '{pid}' is not text; put it in quotes")
                ok = False
                continue
            try:
                seq = parse_pattern(mtext, **self.gap_kw)
            except PatternSyntaxError as err:
                self.problem(ml, f"pattern '{pid}': {err}")
                ok = False
                continue
            if not self.check_classes(seq, ml, f"pattern '{pid}'"):
                ok = False
                continue
            seqs.append(seq)
            texts.append(mtext)
        return (tuple(texts), tuple(seqs)) if ok else None

    def text_list(self, pat: Any, key: str, pid: str, pline: int) -> tuple[list[str], list[int]]:
        """A pattern's ``examples`` or ``not_examples``: (messages, their lines)."""
        raw = pat.get(key)
        if raw is None:
            return [], []
        kline = _line_of_key(pat, key, pline)
        if not isinstance(raw, list):
            self.problem(kline, f"'{key}' of '{pid}' must be a list of messages, one '- message' a line")
            return [], []
        out, lines = [], []
        for j, t in enumerate(raw):
            line = _line_of_item(raw, j, kline)
            if not isinstance(t, str) or not t.strip():
                self.problem(line, f"an entry of '{key}' in '{pid}' is empty or not text; write a message in quotes")
                continue
            out.append(t)
            lines.append(line)
        return out, lines
