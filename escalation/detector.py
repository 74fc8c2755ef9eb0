"""Find messages that signal danger, on every message, so a human can be told at once.

Usage::

    from escalation.detector import RiskDetector

    det = RiskDetector.from_path("content/safety/lexicon.yml")   # builds once (a few seconds)
    d = det.detect("i cant do this anymore im going to top myself tonight")
    d.escalate   # True
    d.category   # "suicide_self_harm"
    d.severity   # "imminent"
    d.matched    # ["suicide.kill_myself:top myself", ...]
    d.to_dict()  # {"text", "escalate", "category", "severity", "matched"}

How a message is read (every rule is data in the lexicon; see content/safety/README.md):

1. Normalise: lower case, straight quotes, "sooo" -> "soo", contractions spelt out
   ("can't" -> "can not", "im" -> "i am"), then the lexicon's ``spellings`` ("gonna" ->
   "going to", "kms" -> "kill myself").
2. Tokenise with spaCy's English tokenizer (``nlp.make_doc``); give each word its base form
   from spaCy's lookup lemmatizer tables ("killed" -> "kill"); an unknown word one typo
   away from a lexicon word is read as that word ("strangeld" -> "strangled").
3. Find the patterns with spaCy's matchers. Each pattern line is compiled once into spaCy
   ``Matcher`` token patterns (LEMMA / LOWER sets, optional tokens, ``{0,n}`` gaps;
   ``spacy_patterns()`` returns them) and run in pieces:

   - the line is cut at its gaps (``*N``), and a run between gaps is cut again where a
     piece would stop being a fixed phrase or would multiply out to too many patterns;
   - a piece that is a fixed phrase (no number; base forms only or exact spellings only;
     its choices spelt out to at most 1,000 word sequences) is added to one of two
     ``PhraseMatcher``s (attr LEMMA, attr LOWER); a piece that is the same phrase in many
     lines (a class, say) is added once. Most pieces are phrases;
   - the other pieces (numbers, exact and base forms in one phrase, big choices, a gap
     inside a choice) go into that line's own ``Matcher``. The PhraseMatchers also find
     the words each such line requires; the Matcher runs only on messages that contain
     them all, and only on the few words around the line's rarest one;
   - a line matches where its pieces' matches chain: piece i + 1 starts where piece i
     ends, or within N words of it across a gap, none of them a clause break.

   Per message that is two PhraseMatcher calls plus a Matcher call for the few lines that
   need one. (Running every line through a Matcher instead is slower: spaCy repeats
   ``{0,n}`` gap states for every way through the gap, and checks ``{"IN": [...]}`` sets
   with a Python call per token.)
4. Each risk match is dropped if it sits inside an idiom ("kill myself laughing"), if a
   negator governs it ("i would never hit her"), if someone else is the subject ("he hit
   her"; not for child harm or substance emergencies), or if the nearest time marker says
   it is old, known history ("two years ago", "when i used to drink") rather than recent
   or intended ("last night", "again", "going to").
5. The alert takes the most severe surviving match (ties: child, partner, suicide,
   substance, others). Partner/child matches outrank a harm-to-others match; suicidal
   words outrank a substance emergency (an overdose "on purpose"); any harm match
   outranks a substance emergency in the same sentence ("knocked him out cold").
   ``matched`` lists every surviving match.

No Rasa, no network, and nothing happens at import: spaCy loads when a detector is built.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import product
from typing import Iterable

from escalation.lexicon import (
    BUILTIN_CLASSES,
    CATEGORIES,
    ClassRef,
    Gap,
    Group,
    Lexicon,
    LexiconError,
    PatternDef,
    Seq,
    Word,
    display_path,
    load_lexicon,
    parse_pattern,
)

__all__ = ["RiskDetector", "Detection", "CATEGORY_PRIORITY", "SEVERITY_RANK"]

SEVERITY_RANK = {"high": 1, "imminent": 2}
# Ties on severity: a child in the picture decides it ("the kids saw me hit her" is a
# safeguarding alert about the children), then the partner, then the rest.
CATEGORY_PRIORITY = {
    "harm_to_child": 5,
    "harm_to_partner": 4,
    "suicide_self_harm": 3,
    "substance_emergency": 2,
    "harm_to_others": 1,
}
assert set(CATEGORY_PRIORITY) == set(CATEGORIES)
HARM_CATEGORIES = frozenset({"harm_to_partner", "harm_to_child", "harm_to_others"})

SENT_BREAKS = frozenset({".", "!", "?", ";", "..", "...", "....", "\n"})
CLAUSE_BREAKS = SENT_BREAKS | frozenset({",", ":", "but", "although", "though", "however", "whereas", "(", ")"})
# Tokens a gap (*) may not cross.
GAP_STOP = frozenset(CLAUSE_BREAKS - {":", "(", ")"})
# What the built-in class @end matches (every message gets a final "." so @end works there too).
END_WORDS = frozenset({".", ",", "!", "?", ";", "..", "...", "but", ":"})
# Words allowed between a third-party subject and the act ("he then hit her", "my dad had battered her").
_THIRD_PARTY_BRIDGE = frozenset(
    "then just also even has had have was is be been would will 's 'd actually really apparently allegedly "
    "used to went go always once had've".split()
)

# Class names the 'retarget' option looks for (partner_mention: "she", "her", "my ex"...).
RETARGET_CLASSES = ("partner_mention", "child", "staff_woman", "partner_named", "child_context")

# Base forms the lookup table gets wrong for our purpose (or does not cover).
_LEMMA_OVERRIDES = {
    "'s": "be",
    "n't": "not",
    "'m": "be",
    "'re": "be",
    "'ll": "will",
    "'d": "would",
    "'ve": "have",
    "ca": "can",
    "wo": "will",
    "ai": "be",
    "dying": "die",
    "better": "better",
    "worse": "worse",
    "best": "best",
    "worst": "worst",
    "bit": "bit",
    "cos": "because",
    "meds": "med",
}

# Very common words: never typos of something else, and poor anchors for the index.
_COMMON = frozenset(
    """a an the and or but if so to of in on at by for with from up down out off over into onto
    i me my mine myself you your yours yourself he him his himself she her hers herself it its
    itself we us our ours they them their theirs themselves this that these those there here
    what which who whom whose when where why how not no nor never very just also too again still
    ever only even all any some each every both either neither much many more most less few
    own same other such than then now once about after before because while until since be have
    do will would can could should may might must shall get go going want like feel think know
    say make take come see look give tell one'""".split()
)

_TRANSLATE = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
    }
)

_ELONGATION = re.compile(r"([a-z])\1{2,}")
_ELONGATED_WORD = re.compile(r"[a-z]*([a-z])\1{2,}[a-z]*")
_NEWLINES = re.compile(r"[\r\n]+")
_SPACES = re.compile(r"\s+")
_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
# "my 4 year old", "her two-year-old": a child (ages 0-17), read as the word "child"
_CHILD_AGE = re.compile(
    r"\b(?:1[0-7]|[0-9]|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen)[ -]?(?:year|yr|month|week)s?[ -]?olds?\b"
)
# Rules about who did it apply to these (a child at risk from anyone is still an alert,
# and "he's not breathing" is the whole point of a substance emergency).
_THIRD_PARTY_CATEGORIES = frozenset({"harm_to_partner", "harm_to_others", "suicide_self_harm"})
_OTHERS_POSSESSIVE = frozenset({"his", "their", "your", "someone's"})
_POSSESSIVE_FILLERS = frozenset("new old little big younger older best eldest youngest baby step fucking stupid".split())
# Contractions are spelt out so "can't", "cant" and "cannot" all read "can not".
# Each rule: (pattern, replacement, needles). A pattern can only match a text that contains
# one of its needles, so it is skipped for texts without (most messages have few contractions).
_CONTRACTIONS = [
    (re.compile(r"\bcan'?t\b|\bcannot\b"), "can not", ("can",)),
    (re.compile(r"\bwon'?t\b"), "will not", ("won",)),
    (re.compile(r"\bain'?t\b"), "is not", ("ain",)),
    (re.compile(r"\bshan'?t\b"), "shall not", ("shan",)),
    (
        re.compile(r"\b(do|does|did|is|was|were|are|has|have|had|would|could|should|must|need|might|dare)n'?t\b"),
        r"\1 not",
        ("nt", "n't"),
    ),
    (re.compile(r"\b([a-z]+)n't\b"), r"\1 not", ("n't",)),
    (re.compile(r"\bi'?m\b"), "i am", ("im", "i'm")),
    (re.compile(r"\b(you|they|we)'re\b|\b(you|they)re\b"), lambda m: (m.group(1) or m.group(2)) + " are", ("re",)),
    (re.compile(r"\b(i|you|we|they|he|she|it|that|there|who)'ll\b"), r"\1 will", ("'ll",)),
    (re.compile(r"\b(you|they|we)ll\b"), r"\1 will", ("ll",)),
    (re.compile(r"\b(i|you|we|they|he|she|it|that|there|who)'d\b"), r"\1 would", ("'d",)),
    (re.compile(r"\b(i|you|we|they|who|could|would|should|might|must)'ve\b"), r"\1 have", ("'ve",)),
    (re.compile(r"\bive\b"), "i have", ("ive",)),
    (re.compile(r"\b(he|she|it|that|there|who|what|where|here)'s\b"), r"\1 is", ("'s",)),
    (re.compile(r"\b(he|she|that|there|what)s\b"), r"\1 is", ("es", "ts")),
    # "id" is nearly always "i'd" in a chat ("id kill him"), except "id card" and the like
    (
        re.compile(r"\bid\b(?!\s+(?:card|cards|badge|number|check|checks|photo|theft|parade|documents?|please))"),
        "i would",
        ("id",),
    ),
    # "ill" is "i'll" unless it follows a word that makes it "unwell": "ill kill him" vs "i am ill"
    (re.compile(r"(?:^|(?<=\s)|(?<=[.,!?;]))ill\b"), lambda m: _ill(m), ("ill",)),
]
_ILL_AFTER = frozenset(
    "am is are was were be been being feel feeling felt very really so quite bit proper dead get got getting "
    "gets mentally seriously terminally critically chronically fell fall falls falling become became look looks "
    "looking looked seem seems seemed sound sounds too an".split()
)
_ILL_BEFORE = frozenset("health with in again today at from and or person people luck will feeling".split())


def _ill(m: "re.Match[str]") -> str:
    text = m.string
    before = text[: m.start()].split()
    after = text[m.end() :].split()
    prev = before[-1].strip(".,!?;") if before else ""
    nxt = after[0].strip(".,!?;") if after else ""
    if prev in _ILL_AFTER or nxt in _ILL_BEFORE or not nxt:
        return "ill"
    return "i will"


@dataclass
class Detection:
    """The verdict on one message.

    ``matched``: surviving matches as "pattern_id:words" (the one that set the category first).
    ``suppressed``: matches that were cancelled, with the reason, for audits and tuning;
    not part of ``to_dict()``.
    """

    text: str
    escalate: bool
    category: str | None = None
    severity: str | None = None
    matched: list = field(default_factory=list)
    suppressed: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "escalate": self.escalate,
            "category": self.category,
            "severity": self.severity,
            "matched": list(self.matched),
        }


class _Normaliser:
    def __init__(self, spellings: dict[str, str], is_word=None):
        self._map = dict(spellings)
        self._is_word = is_word or (lambda w: False)
        if spellings:
            keys = sorted(spellings, key=len, reverse=True)
            alt = "|".join(re.escape(k) for k in keys)
            self._re = re.compile(r"(?<![\w'])(?:" + alt + r")(?![\w'])")
        else:
            self._re = None

    def _unstretch(self, m: "re.Match[str]") -> str:
        """"kmsss" -> "kms", "dieeee" -> "die", "killlll" -> "kill": keep doubles only if that is a word."""
        word = m.group(0)
        double = _ELONGATION.sub(r"\1\1", word)
        single = _ELONGATION.sub(r"\1", word)
        for cand in (double, single):
            if cand in self._map or self._is_word(cand):
                return cand
        return double

    def __call__(self, text: str, sentinel: bool = True) -> str:
        t = text.translate(_TRANSLATE).lower()
        t = _NEWLINES.sub(" . ", t)
        if _ELONGATION.search(t):
            t = _ELONGATED_WORD.sub(self._unstretch, t)
        if self._re is not None:
            t = self._re.sub(lambda m: self._map[m.group(0)], t)
        t = _HYPHEN.sub(" ", t)  # "multi-storey" -> "multi storey" (after spellings like "self-harm")
        t = _CHILD_AGE.sub("child", t)
        for rx, repl, needles in _CONTRACTIONS:
            if any(n in t for n in needles):
                t = rx.sub(repl, t)
        t = _SPACES.sub(" ", t).strip()
        return t + " ." if (t and sentinel) else t


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
# "in bed asleep?"). A line is cut into pieces (RiskDetector._rule, _cut); a piece's paths
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


class _Bank:
    """A list of compiled lines and how spaCy finds them.

    Each piece of a line is either a fixed phrase, added to the detector's PhraseMatchers
    (pieces that are the same phrase share one key), or a set of token patterns in the
    line's own Matcher. A line is tried when all its phrase pieces were found and (if it has
    a Matcher) every word set it requires is in the message; its Matcher runs only on the
    part of the message around its anchor words. The pieces' matches are then chained."""

    def __init__(self, name: str, rules: list[_Rule], vocab, matcher_cls, word_key, phrase_key):
        self.rules = rules
        self.plans: list[list[tuple[bool, int]]] = []  # per line, per piece: (phrase?, PhraseMatcher id or piece no.)
        self.matchers: list = []  # per line: its Matcher, or None when every piece is a phrase
        self.required: list[list[frozenset]] = []  # per Matcher line: required sets as PhraseMatcher ids
        self.anchor_ids: list[list[int]] = []
        self.by_phrase: dict[int, list[int]] = {}  # phrase id -> lines tried when it is found
        self.by_word: dict[int, list[int]] = {}  # word id -> Matcher-only lines anchored on it
        self.piece_of: dict[int, int] = {}  # Matcher match id -> piece number
        for r, rule in enumerate(rules):
            plan: list[tuple[bool, int]] = []
            matcher = None
            trigger = None  # (rarity, phrase id): the line is tried when its rarest phrase is found
            for k, paths in enumerate(rule.pieces):
                phrase = phrase_key(paths)
                if phrase is not None:
                    pid, rank = phrase
                    plan.append((True, pid))
                    if trigger is None or rank < trigger[0]:
                        trigger = (rank, pid)
                    continue
                if matcher is None:
                    matcher = matcher_cls(vocab, validate=False)
                key = f"{name}#{r}.{k}"
                matcher.add(key, [[_spacy_token(s) for s in v] for path in paths for v in _entry_variants(path)])
                self.piece_of[vocab.strings[key]] = k
                plan.append((False, k))
            self.plans.append(plan)
            self.matchers.append(matcher)
            if matcher is not None:
                self.required.append(sorted({frozenset(word_key(w) for w in req) for req in rule.required}, key=len))
                self.anchor_ids.append(sorted({word_key(w) for w in rule.anchor}))
            else:
                self.required.append([])
                self.anchor_ids.append([])
            if trigger is not None:
                self.by_phrase.setdefault(trigger[1], []).append(r)
            else:
                for w in self.anchor_ids[r]:
                    self.by_word.setdefault(w, []).append(r)

    def words_needed(self) -> set[tuple[str, str]]:
        """The words the Matcher lines need the PhraseMatchers to look for."""
        return {
            w for rule, matcher in zip(self.rules, self.matchers) if matcher is not None for req in rule.required for w in req
        }

    def run(self, doc, low: list[str], present: dict[int, list[int]], words: set[int], phrases: dict, index: dict):
        """{line key: [(start, shortest end, longest end), ...]}, lines in lexicon order.

        From the PhraseMatchers: ``present`` (word id -> positions; ``words``: its keys),
        ``phrases`` (phrase id -> [(start, end), ...]). ``index`` caches phrase id ->
        {start: [ends]} for this message (shared by both banks)."""
        tried: set[int] = set()
        by_phrase = self.by_phrase
        for pid in by_phrase.keys() & phrases.keys():
            tried.update(by_phrase[pid])
        if self.by_word:
            by_word = self.by_word
            for w in by_word.keys() & present.keys():
                tried.update(by_word[w])
        found: dict[str, list[tuple[int, int, int]]] = {}
        if not tried:
            return found
        n = len(doc)
        stop = None
        rules, plans, matchers, piece_of = self.rules, self.plans, self.matchers, self.piece_of
        for r in sorted(tried):
            plan = plans[r]
            missing = False
            for phrase, pid in plan:
                if phrase and pid not in phrases:  # a phrase piece is not in the message
                    missing = True
                    break
            if missing:
                continue
            rule = rules[r]
            matcher = matchers[r]
            if matcher is not None:
                for req in self.required[r]:
                    if words.isdisjoint(req):  # a word the line requires is not in the message
                        missing = True
                        break
                if missing:
                    continue
                positions = sorted(p for w in self.anchor_ids[r] for p in present.get(w, ()))
                before, after = rule.before, rule.after
                windows: list[tuple[int, int]] = []
                for p in positions:
                    lo, hi = max(0, p - before), min(n, p + after)
                    if windows and lo <= windows[-1][1]:
                        windows[-1] = (windows[-1][0], hi)
                    else:
                        windows.append((lo, hi))
                by_piece: dict[int, dict[int, list[int]]] = {}
                for lo, hi in windows:
                    for mid, s, e in matcher(doc[lo:hi], allow_missing=True):
                        by_piece.setdefault(piece_of[mid], {}).setdefault(s + lo, []).append(e + lo)
            cur = None
            for k, (phrase, pid) in enumerate(plan):
                if phrase:
                    nxt = index.get(pid)
                    if nxt is None:
                        nxt = index[pid] = {}
                        for s, e in phrases[pid]:
                            hit = nxt.get(s)
                            if hit is None:
                                nxt[s] = [e]
                            else:
                                hit.append(e)
                else:
                    nxt = by_piece.get(pid)
                    if not nxt:
                        cur = None
                        break
                if cur is None:
                    cur = nxt
                    continue
                gap = rule.gaps[k - 1]
                joined: dict[int, list[int]] = {}
                if gap:
                    if stop is None:
                        stop = [w in GAP_STOP for w in low]
                    for s, ends in cur.items():
                        acc: list[int] = []
                        for e in set(ends):
                            j, last = e, min(e + gap, n)
                            while True:  # the next piece may start after up to `gap` words, none a clause break
                                hit = nxt.get(j)
                                if hit:
                                    acc.extend(hit)
                                if j >= last or stop[j]:
                                    break
                                j += 1
                        if acc:
                            joined[s] = acc
                else:
                    for s, ends in cur.items():
                        acc = [e2 for e in set(ends) for e2 in nxt.get(e, ())]
                        if acc:
                            joined[s] = acc
                cur = joined
                if not cur:
                    break
            if cur:
                out = found.setdefault(rule.key, [])
                for s in sorted(cur):
                    ends = cur[s]
                    out.append((s, min(ends), max(ends)))
        return found


class RiskDetector:
    """Compiled lexicon + spaCy tokenizer/lemma tables + spaCy PhraseMatchers and Matchers.
    Build once, reuse (detect() does not change it)."""

    def __init__(self, lexicon: Lexicon):
        # imported here so importing this module costs nothing
        import numpy
        import spacy
        from spacy.attrs import LEMMA
        from spacy.matcher import Matcher, PhraseMatcher
        from spacy.tokens import Doc

        if not isinstance(lexicon, Lexicon):
            raise TypeError("RiskDetector needs a Lexicon; use RiskDetector.from_path(path)")
        self.lexicon = lexicon
        self._shown = display_path(lexicon.path)
        nlp = spacy.blank("en")
        lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
        self._nlp = nlp
        self._tokenizer = nlp.tokenizer
        # Keys of spaCy's lookup tables are string hashes: use .get(word), never iterate keys.
        self._lemma_table = lemmatizer.lookups.get_table("lemma_lookup")
        base_forms: set[str] = {v for v in self._lemma_table.values() if isinstance(v, str)}
        try:  # the base-form vocabulary of spaCy's rule lemmatizer (adj/adv/noun/verb)
            from spacy.lookups import load_lookups

            index = load_lookups("en", ["lemma_index"]).get_table("lemma_index")
            for pos in ("adj", "adv", "noun", "verb"):
                base_forms.update(w for w in (index.get(pos) or ()) if isinstance(w, str))
        except Exception:  # pragma: no cover - spacy-lookups-data without the index
            pass
        self._base_forms = frozenset(base_forms)
        self._normalise = _Normaliser(
            lexicon.spellings, lambda w: w in self._known_words or self._lemma_table.get(w) is not None
        )
        settings = lexicon.settings
        self._neg_window = settings["negation_window"]
        self._near_window = settings["near_negation_window"]
        self._fuzzy_min = settings["fuzzy_min_length"]

        self._known_words: set[str] = set(self._base_forms) | _COMMON
        self._canon_cached = lru_cache(maxsize=100_000)(self._canon_uncached)
        self._word_cache: dict[tuple[str, bool], list[tuple[str, str]]] = {}
        self._class_cache: dict[str, tuple] = {}

        self._pdefs: dict[str, PatternDef] = {p.id: p for p in lexicon.patterns}

        # Keywords for typo correction: literal words in risk patterns and classes.
        keywords: set[str] = set()
        for p in lexicon.patterns:
            for seq in p.parsed + p.with_parsed:
                keywords.update(self._literal_words(seq))
        for members in lexicon.classes.values():
            for m in members:
                keywords.update(w for w in re.split(r"[^a-z]+", m) if w.isalpha())
        for sec in lexicon.lists.values():
            for entry in sec:
                self._known_words.update(self._literal_words(entry.parsed))
        self._known_words.update(keywords)
        self._known_words.update(w for v in lexicon.spellings.values() for w in v.split())
        self._fuzzy_index: dict[str, set[str]] = {}
        self._build_fuzzy(keywords)

        self._bridge = frozenset(self._canon(w) for w in lexicon.negation_bridge) | frozenset(lexicon.negation_bridge)

        # Compile every line into pieces (see _rule).
        self._class_paths: dict[tuple[str, bool], list[tuple]] = {}
        risk_rules: list[_Rule] = []
        ctx_rules: list[_Rule] = []
        problems: list[str] = []
        for p in lexicon.patterns:
            for seq, text in zip(p.parsed, p.match):
                try:
                    risk_rules.append(self._rule(p.id, len(risk_rules), seq))
                except ValueError as err:
                    problems.append(f"{self._shown}:{p.line}: pattern '{p.id}' ('{text}'): {err}")
        for section, entries in lexicon.lists.items():
            for entry in entries:
                try:
                    ctx_rules.append(self._rule("ctx:" + section, len(ctx_rules), entry.parsed))
                except ValueError as err:
                    problems.append(f"{self._shown}:{entry.line}: in '{section}' ('{entry.text}'): {err}")
        for p in lexicon.patterns:  # "with:" lines: context a pattern needs somewhere in the message
            for seq, text in zip(p.with_parsed, p.with_match):
                try:
                    ctx_rules.append(self._rule("with:" + p.id, len(ctx_rules), seq))
                except ValueError as err:
                    problems.append(f"{self._shown}:{p.line}: pattern '{p.id}' (with '{text}'): {err}")
        for name in RETARGET_CLASSES:
            if name in lexicon.classes:
                ctx_rules.append(self._rule("cls:" + name, len(ctx_rules), Seq((ClassRef(name),))))
        if problems:
            file, line, msg = problems[0].split(":", 2)
            raise LexiconError(file, int(line), msg.strip(), problems)

        # Two PhraseMatchers, on base forms (our LEMMA) and on exact spellings (LOWER). They
        # find the phrase pieces (key "phrase#<n>") and, for the lines with a Matcher, the
        # words each one requires (key "LEMMA word" / "LOWER word").
        vocab = nlp.vocab
        self._strings = vocab.strings
        self._lemma_attr = [LEMMA]
        self._doc_cls = Doc
        self._numpy = numpy
        self._phrase_lemma = PhraseMatcher(vocab, attr="LEMMA")
        self._phrase_lower = PhraseMatcher(vocab, attr="LOWER")

        hashes: dict[str, int] = {}

        def add_phrases(key: str, sequences: list[tuple[str, tuple[str, ...]]]) -> int:
            # PhraseMatcher.add takes each phrase as a Doc or, as spaCy's own unpickling does,
            # as the sequence of its attribute values (string hashes). The second saves
            # making tens of thousands of Docs at build time.
            for attr, matcher in (("LEMMA", self._phrase_lemma), ("LOWER", self._phrase_lower)):
                phrases = []
                for a, words in sequences:
                    if a == attr:
                        phrase = []
                        for w in words:
                            h = hashes.get(w)
                            if h is None:
                                h = hashes[w] = vocab.strings.add(w)
                            phrase.append(h)
                        phrases.append(phrase)
                if phrases:
                    matcher.add(key, phrases)
            return vocab.strings.add(key)

        phrase_keys: dict[tuple, tuple[int, tuple] | None] = {}

        def phrase_key(paths: list[tuple]) -> tuple[int, tuple] | None:
            """(PhraseMatcher id, rarity) of a piece that is a fixed phrase, else None. The
            same phrase (a class, say) always gets the same id."""
            sig = tuple(paths)
            if sig not in phrase_keys:
                sequences = _phrase_sequences(paths)
                if sequences is None:
                    phrase_keys[sig] = None
                else:
                    pid = add_phrases(f"phrase#{len(phrase_keys)}", sequences)
                    phrase_keys[sig] = (pid, _rarity({(attr, words[0]) for attr, words in sequences}))
            return phrase_keys[sig]

        def word_key(w: tuple[str, str]) -> int:
            return vocab.strings.add(f"{w[0]} {w[1]}")

        self._risk = _Bank("risk", risk_rules, vocab, Matcher, word_key, phrase_key)
        self._ctx = _Bank("ctx", ctx_rules, vocab, Matcher, word_key, phrase_key)
        for attr, word in sorted(self._risk.words_needed() | self._ctx.words_needed()):
            add_phrases(f"{attr} {word}", [(attr, (word,))])
        self._phrase_ids = frozenset(v[0] for v in phrase_keys.values() if v is not None)

        # words that make "her" a possessive ("her son") rather than the partner
        self._non_partner_nouns: set[str] = set()
        pronouns = {"him", "them", "someone", "somebody", "her", "he", "she", "his", "anyone", "anybody"}
        for name in ("child", "others"):
            for seq in self._class_alts(name) if name in lexicon.classes else ():
                last = seq.items[-1]
                alts = [a.items[-1] for a in last.alternatives] if isinstance(last, Group) else [last]
                for w in alts:
                    if isinstance(w, Word):
                        head = w.text.split()[-1]
                        if head not in pronouns:
                            self._non_partner_nouns.add(self._canon(head))

    # ---------------------------------------------------------------- construction --
    @classmethod
    def from_path(cls, path: str | os.PathLike) -> "RiskDetector":
        return cls(load_lexicon(path))

    @staticmethod
    def _literal_words(seq: Seq) -> Iterable[str]:
        for it in seq.items:
            if isinstance(it, Word):
                yield from (w for w in re.split(r"[\s']+", it.text) if w.isalpha())
            elif isinstance(it, Group):
                for alt in it.alternatives:
                    yield from RiskDetector._literal_words(alt)

    def _lemma(self, word: str) -> str | None:
        return self._lemma_table.get(word)

    def _build_fuzzy(self, keywords: set[str]) -> None:
        forms = set(keywords)
        for k in keywords:  # regular inflections the lookup table knows ("strangle" -> "strangled")
            base = self._lemma(k) or k
            for form in _inflections(base):
                if self._lemma(form) == base:
                    forms.add(form)
        for form in forms:
            if len(form) < self._fuzzy_min - 1:
                continue
            for variant in {form, *_deletions(form)}:
                self._fuzzy_index.setdefault(variant, set()).add(form)

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

    def _class_alts(self, name: str) -> tuple:
        hit = self._class_cache.get(name)
        if hit is None:
            hit = tuple(parse_pattern(m) for m in self.lexicon.classes[name])
            self._class_cache[name] = hit
        return hit

    def _paths(self, node) -> list[tuple]:
        """The Matcher paths of one pattern element (see the top of this section)."""
        if isinstance(node, Gap):
            return [(("GAP", node.size, True),)]
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
                hit = self._paths(Group(self._class_alts(node.name), node.optional))
                self._class_paths[key] = hit
            return hit
        if isinstance(node, Group):
            paths = [path for alt in node.alternatives for path in self._seq_paths(alt.items)]
            if node.optional:
                paths.append(())
            return _merge_paths(paths)
        raise TypeError(node)  # pragma: no cover

    def _seq_paths(self, items) -> list[tuple]:
        parts = [self._paths(it) for it in items]
        return _merge_paths(tuple(step for path in combo for step in path) for combo in product(*parts))

    @staticmethod
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

    def _rule(self, key: str, index: int, seq: Seq) -> _Rule:
        parts = [self._paths(it) for it in seq.items]
        nullable = [_nullable(paths) for paths in parts]
        if all(nullable):
            raise ValueError("it can match nothing once optional parts are left out; make a word required")
        # Cut the line at its gaps into segments of elements; a segment that can match
        # nothing (all optional) stays joined to a neighbour, gap included.
        segments: list[list] = [[]]  # each: [(item, paths, nullable), ...]
        gaps: list[int] = []  # gaps[i]: the gap between segments i and i + 1
        for item, paths, null in zip(seq.items, parts, nullable):
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
                segments[i - 1] += [(gap, self._paths(gap), True)] + segments.pop(i)
            else:
                gap = Gap(gaps.pop(0))
                first = segments.pop(0)
                segments[0] = first + [(gap, self._paths(gap), True)] + segments[0]
        # Cut each segment into pieces (see _cut).
        pieces: list[list[tuple]] = []
        piece_gaps: list[int] = []
        for s, segment in enumerate(segments):
            runs = self._cut(segment)
            if s > 0:
                piece_gaps.append(gaps[s - 1])
            piece_gaps.extend([0] * (len(runs) - 1))
            pieces.extend(runs)
        # The words a message must contain (one set per required element) and the anchor.
        lengths = [max(sum(map(_step_len, path)) for path in paths) for paths in parts]
        needed = [None if null else _needed(paths) for paths, null in zip(parts, nullable)]
        required = [n[0] for n in needed if n]
        if not required:
            raise ValueError(f"'{key}' has no required word to look for; add one")
        i = min((i for i, n in enumerate(needed) if n), key=lambda i: _rarity(needed[i][0]))
        anchor, before, after = needed[i]
        before += sum(lengths[:i])
        after += sum(lengths[i + 1 :])
        return _Rule(key, index, pieces, piece_gaps, required, anchor, before, after)

    # ------------------------------------------------------ spaCy Matcher patterns --
    def spacy_patterns(self, pattern_id: str, limit: int = 2000) -> list[list[dict]]:
        """The pattern's lines as spaCy ``Matcher`` token patterns, for inspection and tests.

        These are the paths the detector runs, whole: a spaCy ``Matcher`` loaded with them
        finds exactly the spans detect() works on, given a Doc of ``tokens(text)`` (words
        and base forms). At run time each line is matched in pieces (see ``runtime()``):
        phrase pieces spelt out in the PhraseMatchers, the rest in a Matcher, the gaps
        between pieces bridged when the pieces are chained. Every combination of the
        pieces' paths is one pattern here, so this can be large; at most ``limit``."""
        if pattern_id not in self._pdefs:
            raise KeyError(pattern_id)
        out: list[list[dict]] = []
        for rule in self._risk.rules:
            if rule.key != pattern_id:
                continue
            for combo in product(*rule.pieces):
                if len(out) >= limit:
                    return out
                steps = list(combo[0])
                for gap, path in zip(rule.gaps, combo[1:]):
                    if gap:
                        steps.append(("GAP", gap, True))
                    steps.extend(path)
                out.append([_spacy_token(step) for step in steps])
        return out

    def matchers(self) -> dict:
        """The spaCy objects detect() runs, for inspection and tests: the two PhraseMatchers
        (base forms, exact spellings) and the Matchers of the lines that need one."""
        return {
            "phrase_matchers": [self._phrase_lemma, self._phrase_lower],
            "risk_matchers": [m for m in self._risk.matchers if m is not None],
            "context_matchers": [m for m in self._ctx.matchers if m is not None],
        }

    def runtime(self, pattern_id: str) -> list[list[tuple]]:
        """How each line of a pattern runs, for authors and tests: per line, its pieces in
        order as ("phrase", number of word sequences) or ("matcher", number of token
        patterns), with ("gap", n) between pieces that may have up to n words between them."""
        if pattern_id not in self._pdefs:
            raise KeyError(pattern_id)
        out = []
        bank = self._risk
        for r, rule in enumerate(bank.rules):
            if rule.key != pattern_id:
                continue
            line: list[tuple] = []
            for k, (paths, (phrase, ref)) in enumerate(zip(rule.pieces, bank.plans[r])):
                if k and rule.gaps[k - 1]:
                    line.append(("gap", rule.gaps[k - 1]))
                if phrase:
                    line.append(("phrase", len(_phrase_sequences(paths) or ())))
                else:
                    line.append(("matcher", sum(len(_entry_variants(p)) for p in paths)))
            out.append(line)
        return out

    # ------------------------------------------------------------------- word forms --
    def _canon(self, tok: str) -> str:
        return self._canon_cached(tok)

    def _canon_uncached(self, tok: str) -> str:
        o = _LEMMA_OVERRIDES.get(tok)
        if o is not None:
            return o
        lem = self._lemma_table.get(tok)
        if lem is not None:
            return lem
        if tok.isalpha() and len(tok) >= 5 and tok not in self._known_words:
            # text-speak endings and single/double consonants: "hurtin", "topin", "slaped", "stabing"
            stem = None
            if tok.endswith("in"):
                stem, tail = tok[:-2], "ing"
            elif tok.endswith("ing"):
                stem, tail = tok[:-3], "ing"
            elif tok.endswith("ed"):
                stem, tail = tok[:-2], "ed"
            if stem and len(stem) >= 2:
                for cand in (stem + tail, stem + stem[-1] + tail, stem + "e" + tail[1:] if tail == "ed" else stem + tail):
                    if cand != tok:
                        lem = self._lemma_table.get(cand)
                        if lem is not None and lem != cand:
                            return lem
        if len(tok) >= self._fuzzy_min and tok.isalpha() and tok not in self._known_words:
            cands: set[str] = set()
            for variant in (tok, *_deletions(tok)):
                hit = self._fuzzy_index.get(variant)
                if hit:
                    cands.update(hit)
            lemmas = {self._lemma(c) or c for c in cands}
            if len(lemmas) == 1:
                return lemmas.pop()
        return tok

    # ---------------------------------------------------------------------- detect --
    def _read(self, text: str):
        """The message as a spaCy Doc (normalised, tokenised), its lower-case words and base forms."""
        doc = self._tokenizer(self._normalise(text))
        low = [t.lower_ for t in doc]
        if any(map(str.isspace, low)):  # never after normalising; kept so positions always agree
            low = [w for w in low if not w.isspace()]
            doc = self._doc_cls(self._nlp.vocab, words=low)
        canon = self._canon_cached
        return doc, low, [canon(w) for w in low]

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """(lower-case words, base forms) as the matcher sees them - for authors and tests."""
        _, low, lem = self._read(text)
        return low, lem

    def _annotate(self, doc, lem: list[str]) -> None:
        """Give the Doc's tokens our base forms (spaCy's LEMMA attribute), for the matchers."""
        add = self._strings.add
        doc.from_array(self._lemma_attr, self._numpy.array([add(w) for w in lem], dtype="uint64").reshape(-1, 1))

    def _scan(self, doc):
        """Run the PhraseMatchers: (needed word id -> positions, phrase id -> [(start, end)])."""
        present: dict[int, list[int]] = {}
        phrases: dict[int, list[tuple[int, int]]] = {}
        phrase_ids = self._phrase_ids
        for matches in (self._phrase_lemma(doc), self._phrase_lower(doc)):
            for m, s, e in matches:
                if m in phrase_ids:
                    hit = phrases.get(m)
                    if hit is None:
                        phrases[m] = [(s, e)]
                    else:
                        hit.append((s, e))
                else:
                    hit = present.get(m)
                    if hit is None:
                        present[m] = [s]
                    else:
                        hit.append(s)
        return present, phrases

    def detect(self, text: str | None, known_history: Iterable[str] | None = None) -> Detection:
        """Judge one message.

        ``known_history`` (already-known disclosures, e.g. pattern ids) is accepted for
        future use. Today old events are recognised from time markers in the message
        itself, and a disclosure without any marker escalates: safer to ask than to miss.
        """
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise TypeError(f"detect() needs a str, not {type(text).__name__}")
        return self._judge(text)

    def explain(self, text: str, pattern_id: str) -> str:
        """Why pattern ``pattern_id`` did or did not alert on ``text`` (for authors)."""
        d = self._judge(text)
        for m in d.matched:
            if m.split(":", 1)[0] == pattern_id:
                return f"alerted on '{m.split(':', 1)[1]}'"
        reasons = [s for s in d.suppressed if s.split(":", 1)[0] == pattern_id]
        if reasons:
            return "matched but cancelled: " + "; ".join(r.split(":", 1)[1] for r in reasons)
        return f"the words never matched; the matcher read it as '{' '.join(self.tokens(text)[1])}'"

    def _matches(self, text: str, all_context: bool = False):
        """The message's words, base forms and line matches before any reading rule:
        (low, lem, risk, context), the matches as {pattern id or "ctx:<section>" /
        "cls:<class>": [(start, shortest end, longest end), ...]}. Context lines are only
        looked for when there is a risk match, unless ``all_context``."""
        doc, low, lem = self._read(text)
        if not low:
            return low, lem, {}, {}
        self._annotate(doc, lem)
        present, phrases = self._scan(doc)
        words = set(present)
        index: dict = {}
        risk = self._risk.run(doc, low, present, words, phrases, index)
        if not risk and not all_context:
            return low, lem, risk, {}
        return low, lem, risk, self._ctx.run(doc, low, present, words, phrases, index)

    def _judge(self, text: str) -> Detection:
        low, lem, risk, ctx = self._matches(text)
        n = len(low)
        if not risk:
            return Detection(text, False)

        clause = [0] * n
        sent = [0] * n
        c = s_id = 0
        for i, w in enumerate(low):
            clause[i] = c
            sent[i] = s_id
            if w in CLAUSE_BREAKS:
                c += 1
            if w in SENT_BREAKS:
                s_id += 1

        idioms = [(s, emax) for s, _, emax in ctx.get("ctx:idioms", ())]
        exceptions = [(s, emax) for s, _, emax in ctx.get("ctx:negation_exceptions", ())]

        def live(key: str) -> list[tuple[int, int]]:
            return [
                (s, e) for s, e, _ in ctx.get(key, ()) if not any(xs <= s and e <= xe for xs, xe in exceptions)
            ]

        negators = live("ctx:negators")
        near_negators = live("ctx:near_negators")
        bridge = self._bridge

        def negated(start: int) -> bool:
            for _, ne in negators:
                if ne > start or clause[ne - 1] != clause[start] or start - ne > self._neg_window:
                    continue
                if all(lem[j] in bridge or low[j] in bridge for j in range(ne, start)):
                    return True
            for _, ne in near_negators:
                if ne <= start and start - ne <= self._near_window and clause[ne - 1] == clause[start]:
                    return True
            return False

        def dist(ms: int, me: int, s: int, e: int) -> int:
            if me <= s:
                return s - me
            if ms >= e:
                return ms - e
            return 0

        markers = []
        for kind, key, scope in (
            ("current", "ctx:current_markers", "sentence"),
            ("past", "ctx:past_markers", "sentence"),
            ("past", "ctx:known_markers", "message"),
        ):
            for ms, me, _ in ctx.get(key, ()):
                if kind == "current" and negated(ms):
                    continue
                markers.append((kind, scope, ms, me))

        def timing(s: int, e: int) -> str:
            """'past' when the nearest time marker says old/known history, else 'current'."""
            best = None
            for kind, scope, ms, me in markers:
                if clause[ms] == clause[s]:
                    rank = 0
                elif sent[ms] == sent[s]:
                    rank = 1
                elif scope == "message":
                    rank = 2
                else:
                    continue
                score = (rank, dist(ms, me, s, e), 0 if kind == "current" else 1)
                if best is None or score < best[0]:
                    best = (score, kind)
            return best[1] if best else "current"

        third_party_ends = {e for _, e, _ in ctx.get("ctx:third_party", ())}

        def third_party(start: int) -> bool:
            """Someone else is the subject: "he hit her", "my mate wants to die"."""
            j = start
            for _ in range(4):
                if j in third_party_ends:
                    return True
                if j > 0 and low[j - 1] in _THIRD_PARTY_BRIDGE:
                    j -= 1
                else:
                    return False
            return j in third_party_ends

        repeats = [s for s, _, _ in ctx.get("ctx:repeat_markers", ()) if not negated(s)]
        imminent_sents = {sent[s] for s, _, _ in ctx.get("ctx:imminent_markers", ())}
        class_sents = {name: {sent[s] for s, _, _ in ctx.get("cls:" + name, ())} for name in RETARGET_CLASSES}

        alerts: dict[str, tuple[int, int, str, str]] = {}  # id -> (start, end, category, severity)
        suppressed: list[str] = []
        hits = sorted(((pid, s, e, emax) for pid, spans in risk.items() for s, e, emax in spans), key=lambda r: (r[1], -r[2]))
        for pid, s, e, emax in hits:
            if pid in alerts:
                continue
            p = self._pdefs[pid]
            span = " ".join(low[s:e])
            if p.with_parsed and not ctx.get("with:" + pid):
                suppressed.append(f"{pid}:{span} (none of its 'with' words in the message)")
                continue
            # an idiom cancels a risk phrase it overlaps, unless the risk phrase contains it and
            # goes on after it ("kicked the door in" is not the idiom "kicked the door"; "bought
            # the kids nerf guns" ends on the idiom "nerf gun", so it is the idiom)
            if any(xs < e and s < xe and not (s <= xs and xe < emax) for xs, xe in idioms):
                suppressed.append(f"{pid}:{span} (idiom)")
                continue
            if p.negation and negated(s):
                suppressed.append(f"{pid}:{span} (negated)")
                continue
            if p.check_subject and p.category in _THIRD_PARTY_CATEGORIES and (
                third_party(s) or (p.category == "harm_to_partner" and any(w in _OTHERS_POSSESSIVE for w in low[s:e]))
            ):
                suppressed.append(f"{pid}:{span} (someone else's act)")
                continue
            if p.category == "harm_to_partner" and low[emax - 1] == "her" and emax < n:
                # "her son", "her new fella": the harm is to someone else (their pattern decides)
                nxt = emax + 1 if (low[emax] in _POSSESSIVE_FILLERS and emax + 1 < n) else emax
                if lem[nxt] in self._non_partner_nouns:
                    suppressed.append(f"{pid}:{span} (her = possessive: '{' '.join(low[emax:nxt + 1])}')")
                    continue
            if p.history == "known" and timing(s, e) == "past":
                if not any(r >= e for r in repeats):
                    suppressed.append(f"{pid}:{span} (past/known history)")
                    continue
            category = p.category
            if p.retarget:
                if sent[s] in class_sents.get("partner_mention", ()):
                    category = "harm_to_partner"
                elif sent[s] in class_sents.get("child", ()):
                    category = "harm_to_child"
            if (category == "harm_to_partner" and sent[s] in class_sents.get("staff_woman", ())
                    and not class_sents.get("partner_named")):
                # "that social worker ... i'll put her through the window": her is the worker
                category = "harm_to_others"
            elif (category == "harm_to_others" and any(w in ("him", "kid") for w in low[s:emax])
                    and class_sents.get("child_context")):
                # "gave him a smack ... school will ask questions": him is a child
                category = "harm_to_child"
            severity = p.severity
            if severity != "imminent" and sent[s] in imminent_sents:
                severity = "imminent"
            alerts[pid] = (s, e, category, severity)

        if not alerts:
            return Detection(text, False, suppressed=_dedupe(suppressed))

        items = list(alerts.items())
        severity = max((v[3] for _, v in items), key=SEVERITY_RANK.__getitem__)
        choose = items
        cats = {v[2] for _, v in choose}
        if "harm_to_others" in cats and cats & {"harm_to_partner", "harm_to_child"}:
            choose = [it for it in choose if it[1][2] != "harm_to_others"]
        if "suicide_self_harm" in cats and "substance_emergency" in cats:
            # an overdose told alongside suicidal words is a suicide attempt
            choose = [it for it in choose if it[1][2] != "substance_emergency"]
        harm_sents = {sent[v[0]] for _, v in choose if v[2] in HARM_CATEGORIES}
        trimmed = [it for it in choose if not (it[1][2] == "substance_emergency" and sent[it[1][0]] in harm_sents)]
        choose = trimmed or choose
        best = max(choose, key=lambda it: (SEVERITY_RANK[it[1][3]], CATEGORY_PRIORITY[it[1][2]], -it[1][0]))
        ordered = sorted(
            items,
            key=lambda it: (it[0] != best[0], -SEVERITY_RANK[it[1][3]], -CATEGORY_PRIORITY[it[1][2]], it[1][0]),
        )
        matched = [f"{pid}:{' '.join(low[v[0]:v[1]])}" for pid, v in ordered]
        return Detection(text, True, best[1][2], severity, matched, _dedupe(suppressed))


def _inflections(base: str) -> set[str]:
    out = {base + "s", base + "es", base + "ed", base + "ing", base + "d"}
    if base.endswith("e"):
        out |= {base[:-1] + "ing", base + "d"}
    if base.endswith("y"):
        out |= {base[:-1] + "ies", base[:-1] + "ied"}
    if len(base) >= 3 and base[-1] not in "aeiouwxy" and base[-2] in "aeiou":
        out |= {base + base[-1] + "ed", base + base[-1] + "ing"}
    return out


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for it in items:
        if it not in seen:
            seen.add(it)
            out.append(it)
    return out
