"""Compiling the lexicon's patterns for spaCy's matchers (step 3, at build time).

Each pattern line is compiled once into spaCy ``Matcher`` token patterns (LEMMA / LOWER
sets, optional tokens, ``{0,n}`` gaps) and cut into pieces: the line is cut at its gaps
(``*N``), and a run between gaps is cut again where a piece would stop being a fixed
phrase or would multiply out to too many patterns. A piece that is a fixed phrase goes to
the PhraseMatchers, the others to the line's own Matcher (escalation.detector.matching).

Owns: the steps and paths an element compiles to, merging paths, the limits that decide
phrase or Matcher, the words a line requires and its anchor, ``_Rule`` (one compiled
line), ``_Compiler`` (the lexicon's words, classes and lines -> rules) and what a gap may
not cross (GAP_STOP) and what @end matches (END_WORDS).
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product
from typing import Callable, Iterable

from escalation.detector.normalise import CLAUSE_BREAKS
from escalation.detector.words import _COMMON
from escalation.lexicon import (
    BUILTIN_CLASSES,
    ClassRef,
    Gap,
    Group,
    Lexicon,
    LexiconError,
    Seq,
    Word,
    parse_pattern,
)

# Tokens a gap (*) may not cross.
GAP_STOP = frozenset(CLAUSE_BREAKS - {":", "(", ")"})
# What the built-in class @end matches (every message gets a final "." so @end works there too).
END_WORDS = frozenset({".", ",", "!", "?", ";", "..", "...", "but", ":"})

# ------------------------------------------------------------------------------------------
# Compiling patterns for spaCy's matchers.
#
# A pattern element compiles to "paths": sequences of steps, one step per Matcher token
# pattern.
#   ("LEMMA", words, optional)  the token's base form is one of ``words``
#   ("LOWER", words, optional)  the token is spelt exactly as one of ``words``
#   ("NUM", None, optional)     the token is a number ("30", "2.5", "thirty", "dozen")
#   ("GAP", n, True)            0 to n tokens that are not clause breaks
# Choices of single words become one step ({"LEMMA": {"IN": [...]}}); choices of several
# words need one path each, and paths that differ in a single place are merged back
# ("ex wife", "ex partner" -> "ex (wife|partner)"; "in bed", "in bed asleep" ->
# "in bed asleep?"). A line is cut into pieces (_Compiler.rule, _cut); a piece's paths
# are either spelt out into PhraseMatcher phrases or become its Matcher's token patterns.
# ------------------------------------------------------------------------------------------

NUMBER_WORDS = frozenset(
    "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "dozen dozens hundreds couple few".split()
)
# A piece that is a fixed phrase is added to the PhraseMatchers if it spells out to at most
# this many word sequences; else it goes to a Matcher. Elements are joined into one phrase
# piece only while it spells out to at most _JOIN_LIMIT sequences (each joined piece is new
# phrases to store; a lone element, such as a class, is shared by every line using it).
_PHRASE_LIMIT = 1000
_JOIN_LIMIT = 100
# A Matcher piece is kept to at most this many token patterns (multi-word choices multiply).
_PIECE_PATTERNS = 12
# Leading word tests that spell out to at most this many patterns are spelt out (_entry_variants).
_ENTRY_PATTERNS = 16
_WORD_ATTRS = ("LEMMA", "LOWER")


@lru_cache(maxsize=1)
def _number_regex() -> str:
    """A spaCy REGEX for "any number": digits with at most one decimal point, or a number word.

    Digits are the characters ``str.isdigit`` accepts (so "²" counts, as it always has)."""
    codes = [c for c in range(0x110000) if chr(c).isdigit()]
    ranges: list[list[int]] = []
    for c in codes:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    digit = "[" + "".join(re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges) + "]"
    return r"\A(?:" + digit + r"+(?:\." + digit + r"*)?|" + "|".join(sorted(NUMBER_WORDS)) + r")\Z"


def _optional(step: tuple) -> tuple:
    return step if step[2] else (step[0], step[1], True)


def _merge_two(p: tuple, q: tuple) -> tuple | None:
    """One path that matches exactly what ``p`` or ``q`` matches, or None."""
    if len(p) == len(q):
        k = -1
        for i, (a, b) in enumerate(zip(p, q)):
            if a != b:
                if k >= 0:
                    return None
                k = i
        if k < 0:
            return p
        a, b = p[k], q[k]
        if a[0] != b[0] or a[0] == "GAP":
            return None
        if a[1] == b[1]:  # "x" or "x?" -> "x?"
            return p[:k] + (_optional(a),) + p[k + 1 :]
        if a[0] in _WORD_ATTRS and a[2] == b[2]:  # "x" or "y" -> "(x|y)"
            return p[:k] + ((a[0], a[1] | b[1], a[2]),) + p[k + 1 :]
        return None
    if len(p) > len(q):
        p, q = q, p
    if len(q) != len(p) + 1:
        return None
    for k in range(len(q)):  # q is p with one more step: "a c" or "a b c" -> "a b? c"
        if q[:k] == p[:k] and q[k + 1 :] == p[k:]:
            return q[:k] + (_optional(q[k]),) + q[k + 1 :]
    return None


def _merge_paths(paths: Iterable[tuple]) -> list[tuple]:
    out = list(dict.fromkeys(paths))
    changed = True
    while changed:
        changed = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                m = _merge_two(out[i], out[j])
                if m is not None:
                    out[i] = m
                    del out[j]
                    changed = True
                    break
            if changed:
                break
    return out


def _nullable(paths: list[tuple]) -> bool:
    """Can these paths match no token at all?"""
    return any(all(step[2] for step in path) for path in paths)


def _step_len(step: tuple) -> int:
    """The most tokens a step can take."""
    return step[1] if step[0] == "GAP" else 1


def _rarity(words: Iterable[tuple[str, str]]) -> tuple[int, int]:
    """Sort key: word sets with fewer very common or very short words, then smaller sets, first."""
    plain = {w for _, w in words}
    return (sum(1 for w in plain if w in _COMMON or len(w) <= 2), len(plain))


def _needed(paths: list[tuple]) -> tuple[frozenset, int, int] | None:
    """Words one of which any match of these paths contains: for each path the rarest of its
    required word steps. Also the most tokens a match can have before that word, and from
    it to the end. None when a path has no required word (only a number, say)."""
    words: set[tuple[str, str]] = set()
    before = after = 0
    for path in paths:
        best = None
        for k, (attr, value, optional) in enumerate(path):
            if attr in _WORD_ATTRS and not optional:
                cand = frozenset((attr, w) for w in value)
                if best is None or _rarity(cand) < _rarity(best[1]):
                    best = (k, cand)
        if best is None:
            return None
        k, cand = best
        words |= cand
        before = max(before, sum(map(_step_len, path[:k])))
        after = max(after, sum(map(_step_len, path[k:])))
    return frozenset(words), before, after


def _entry_variants(path: tuple) -> list[tuple]:
    """The path with its leading word tests spelt out one word per pattern, when that makes
    few patterns. spaCy checks a pattern's first token at every token of the text; a plain
    word test is checked in C, a set ({"IN": [...]}) by a Python call."""
    j = 0
    total = 1
    while j < len(path):
        attr, value, optional = path[j]
        if attr not in _WORD_ATTRS:
            return [path]
        total *= len(value) + optional
        if not optional:
            break
        j += 1
    else:
        return [path]
    if total == 1 or total > _ENTRY_PATTERNS:
        return [path]
    choices = []
    for attr, value, optional in path[: j + 1]:
        options: list[tuple] = [((attr, frozenset([w]), False),) for w in sorted(value)]
        if optional:
            options.append(())
        choices.append(options)
    return list(dict.fromkeys(tuple(s for c in combo for s in c) + path[j + 1 :] for combo in product(*choices)))


def _phrase_size(elements: list[list[tuple]]) -> int | None:
    """How many word sequences the elements (each a list of paths) spell out to in a row, or
    None when they are not a fixed phrase for the PhraseMatchers: a gap or a number, base
    forms and exact spellings in one sequence, or too many sequences (_PHRASE_LIMIT for one
    element, _JOIN_LIMIT for several)."""
    limit = _PHRASE_LIMIT if len(elements) == 1 else _JOIN_LIMIT
    attrs: set[str] = set()
    total = 1
    for paths in elements:
        count = 0
        for path in paths:
            kinds = {attr for attr, _, _ in path}
            if len(kinds) != 1 or not kinds <= set(_WORD_ATTRS):
                return None
            attrs |= kinds
            size = 1
            for _, value, optional in path:
                size *= len(value) + optional
            count += size
        total *= count
        if total > limit:
            return None
    if len(elements) > 1 and len(attrs) > 1:
        return None
    return total


def _phrase_sequences(paths: list[tuple]) -> list[tuple[str, tuple[str, ...]]] | None:
    """A piece's paths as the word sequences they match, [(attr, words)], or None when the
    piece is not a fixed phrase (see _phrase_size)."""
    if _phrase_size([paths]) is None:
        return None
    out: dict[tuple[str, tuple[str, ...]], None] = {}
    for path in paths:
        attr = path[0][0]
        choices = [sorted(value) + ([None] if optional else []) for _, value, optional in path]
        for combo in product(*choices):
            words = tuple(w for w in combo if w is not None)
            if attr == "LOWER" and any(w.lower() != w for w in words):
                return None  # the LOWER PhraseMatcher could not find it
            out[(attr, words)] = None
    return list(out)


def _spacy_token(step: tuple) -> dict:
    attr, value, optional = step
    if attr == "GAP":
        return {"LOWER": {"NOT_IN": sorted(GAP_STOP)}, "OP": "{0,%d}" % value}
    if attr == "NUM":
        spec: dict = {"LOWER": {"REGEX": _number_regex()}}
    elif len(value) == 1:
        spec = {attr: next(iter(value))}
    else:
        spec = {attr: {"IN": sorted(value)}}
    if optional:
        spec["OP"] = "?"
    return spec


class _Rule:
    """One compiled 'match' line (or list entry)."""

    __slots__ = ("key", "index", "pieces", "gaps", "required", "anchor", "before", "after")

    def __init__(self, key, index, pieces, gaps, required, anchor, before, after):
        self.key: str = key  # pattern id, or "ctx:<section>" / "cls:<class>"
        self.index: int = index  # position in the lexicon (matches are reported in this order)
        self.pieces: list[list[tuple]] = pieces  # the line cut at its gaps: each piece's paths
        self.gaps: list[int] = gaps  # the gap (most words) between piece i and i + 1; 0: adjacent
        self.required: list[frozenset] = required  # word sets; every one occurs in a message it matches
        self.anchor: frozenset = anchor  # the rarest of them
        self.before: int = before  # most tokens a match has before its anchor word
        self.after: int = after  # most tokens from its anchor word to its end



def _gap_paths(size: int) -> list[tuple]:
    return [(("GAP", size, True),)]


class _Compiler:
    """Compiles the lexicon's lines into _Rules. Words are read the way messages are
    (normalised, tokenised, base forms); a class is compiled once and shared by every line
    that uses it."""

    def __init__(self, lexicon: Lexicon, normalise: Callable[..., str], tokenizer, canon: Callable[[str], str]):
        self.lexicon = lexicon
        self._normalise = normalise
        self._tokenizer = tokenizer
        self._canon = canon
        self._word_cache: dict[tuple[str, bool], list[tuple[str, str]]] = {}
        self._class_cache: dict[str, tuple] = {}
        self._class_paths: dict[tuple[str, bool], list[tuple]] = {}

    def compile(self, shown: str, find_classes: Iterable[str]) -> tuple[list[_Rule], list[_Rule]]:
        """(risk rules, context rules), or LexiconError naming every line that cannot be
        compiled. Context rules: the list sections ("ctx:<section>"), each pattern's
        ``with:`` lines ("with:<id>") and the classes in ``find_classes`` ("cls:<class>")."""
        lexicon = self.lexicon
        risk_rules: list[_Rule] = []
        ctx_rules: list[_Rule] = []
        problems: list[str] = []

        def add(rules: list[_Rule], key: str, seq: Seq, where: str) -> None:
            try:
                rules.append(self.rule(key, len(rules), seq))
            except ValueError as err:
                problems.append(f"{where}: {err}")

        for p in lexicon.patterns:
            for seq, text in zip(p.parsed, p.match):
                add(risk_rules, p.id, seq, f"{shown}:{p.line}: pattern '{p.id}' ('{text}')")
        for section, entries in lexicon.lists.items():
            for entry in entries:
                add(ctx_rules, "ctx:" + section, entry.parsed, f"{shown}:{entry.line}: in '{section}' ('{entry.text}')")
        for p in lexicon.patterns:  # "with:" lines: context a pattern needs somewhere in the message
            for seq, text in zip(p.with_parsed, p.with_match):
                add(ctx_rules, "with:" + p.id, seq, f"{shown}:{p.line}: pattern '{p.id}' (with '{text}')")
        for name in find_classes:
            if name in lexicon.classes:
                ctx_rules.append(self.rule("cls:" + name, len(ctx_rules), Seq((ClassRef(name),))))
        if problems:
            file, line, msg = problems[0].split(":", 2)
            raise LexiconError(file, int(line), msg.strip(), problems)
        return risk_rules, ctx_rules

    def class_alts(self, name: str) -> tuple:
        """The members of class ``name``, parsed."""
        hit = self._class_cache.get(name)
        if hit is None:
            hit = tuple(parse_pattern(m) for m in self.lexicon.classes[name])
            self._class_cache[name] = hit
        return hit

    def _word_tokens(self, text: str, exact: bool) -> list[tuple[str, str]]:
        key = (text, exact)
        hit = self._word_cache.get(key)
        if hit is not None:
            return hit
        norm = self._normalise(text, sentinel=False)
        toks = [t.text for t in self._tokenizer(norm)]
        if not toks:
            raise ValueError(f"'{text}' has no words after normalising; remove it")
        out = [("LOWER", t) for t in toks] if exact else [("LEMMA", self._canon(t)) for t in toks]
        self._word_cache[key] = out
        return out

    def paths(self, node) -> list[tuple]:
        """The Matcher paths of one pattern element (see the top of this section)."""
        if isinstance(node, Gap):
            return _gap_paths(node.size)
        if isinstance(node, Word):
            path = tuple((attr, frozenset([v]), False) for attr, v in self._word_tokens(node.text, node.exact))
            return _merge_paths([path, ()]) if node.optional else [path]
        if isinstance(node, ClassRef):
            if node.name not in self.lexicon.classes and node.name in BUILTIN_CLASSES:
                step = ("NUM", None, node.optional) if node.name == "number" else ("LOWER", END_WORDS, node.optional)
                return [(step,)]
            key = (node.name, node.optional)
            hit = self._class_paths.get(key)
            if hit is None:  # compiled once, shared by every pattern that uses the class
                hit = self.paths(Group(self.class_alts(node.name), node.optional))
                self._class_paths[key] = hit
            return hit
        if isinstance(node, Group):
            paths = [path for alt in node.alternatives for path in self._seq_paths(alt.items)]
            if node.optional:
                paths.append(())
            return _merge_paths(paths)
        raise TypeError(node)  # pragma: no cover

    def _seq_paths(self, items) -> list[tuple]:
        parts = [self.paths(it) for it in items]
        return _merge_paths(tuple(step for path in combo for step in path) for combo in product(*parts))

    def rule(self, key: str, index: int, seq: Seq) -> _Rule:
        """One line compiled: its elements' paths, cut into pieces, and the words it requires."""
        parts = [self.paths(it) for it in seq.items]
        nullable = [_nullable(paths) for paths in parts]
        if all(nullable):
            raise ValueError("it can match nothing once optional parts are left out; make a word required")
        segments, gaps = _segments(seq.items, parts, nullable)
        pieces, piece_gaps = _pieces(segments, gaps)
        required, anchor, before, after = _requirements(key, parts, nullable)
        return _Rule(key, index, pieces, piece_gaps, required, anchor, before, after)


def _segments(items, parts: list[list[tuple]], nullable: list[bool]) -> tuple[list[list], list[int]]:
    """Cut a line at its gaps into segments of elements, each [(item, paths, nullable), ...],
    and the gaps between them; a segment that can match nothing (all optional) stays joined
    to a neighbour, gap included."""
    segments: list[list] = [[]]
    gaps: list[int] = []  # gaps[i]: the gap between segments i and i + 1
    for item, paths, null in zip(items, parts, nullable):
        if isinstance(item, Gap):
            if segments[-1]:
                gaps.append(item.size)
                segments.append([])
            else:  # two gaps in a row: one gap as long as both
                gaps[-1] += item.size
        else:
            segments[-1].append((item, paths, null))
    i = 0
    while i < len(segments):
        if not all(null for _, _, null in segments[i]):
            i += 1
            continue
        if i > 0:
            gap = Gap(gaps.pop(i - 1))
            segments[i - 1] += [(gap, _gap_paths(gap.size), True)] + segments.pop(i)
        else:
            gap = Gap(gaps.pop(0))
            first = segments.pop(0)
            segments[0] = first + [(gap, _gap_paths(gap.size), True)] + segments[0]
    return segments, gaps


def _pieces(segments: list[list], gaps: list[int]) -> tuple[list[list[tuple]], list[int]]:
    """Each segment cut into pieces (see _cut), and the gap before each piece after the
    first (0 within a segment)."""
    pieces: list[list[tuple]] = []
    piece_gaps: list[int] = []
    for s, segment in enumerate(segments):
        runs = _cut(segment)
        if s > 0:
            piece_gaps.append(gaps[s - 1])
        piece_gaps.extend([0] * (len(runs) - 1))
        pieces.extend(runs)
    return pieces, piece_gaps


def _cut(segment: list) -> list[list[tuple]]:
    """Cut a segment (a line between gaps) into pieces, each a list of paths.

    As few pieces as possible, while a piece that is a fixed phrase stays one (for the
    PhraseMatchers, see _phrase_size) and a piece that is not stays small (at most
    _PIECE_PATTERNS paths). Every piece holds a required element, so none can match
    nothing; a gap inside a segment stays with the element before it."""
    runs: list[list] = []
    cur: list = []
    has_required = False
    for item, paths, null in segment:
        if cur and has_required and not isinstance(item, Gap):
            if _phrase_size(cur) is not None:
                cut = _phrase_size(cur + [paths]) is None  # the phrase would stop being one
            else:  # a Matcher piece: cut before a phrase, or when it gets big
                size = 1
                for p in cur + [paths]:
                    size *= len(p)
                cut = _phrase_size([paths]) is not None or size > _PIECE_PATTERNS
            if cut:
                runs.append(cur)
                cur, has_required = [], False
        cur.append(paths)
        has_required = has_required or not null
    if has_required or not runs:
        runs.append(cur)
    else:  # trailing optional elements join the last piece
        runs[-1].extend(cur)
    return [_merge_paths(tuple(s for path in combo for s in path) for combo in product(*run)) for run in runs]


def _requirements(
    key: str, parts: list[list[tuple]], nullable: list[bool]
) -> tuple[list[frozenset], frozenset, int, int]:
    """The words a message must contain (one set per required element) and the anchor: the
    rarest set, with the most tokens a match has before it and from it to its end."""
    lengths = [max(sum(map(_step_len, path)) for path in paths) for paths in parts]
    needed = [None if null else _needed(paths) for paths, null in zip(parts, nullable)]
    required = [n[0] for n in needed if n]
    if not required:
        raise ValueError(f"'{key}' has no required word to look for; add one")
    i = min((i for i, n in enumerate(needed) if n), key=lambda i: _rarity(needed[i][0]))
    anchor, before, after = needed[i]
    before += sum(lengths[:i])
    after += sum(lengths[i + 1 :])
    return required, anchor, before, after
