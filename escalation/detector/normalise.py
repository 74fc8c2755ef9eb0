"""Normalising a message's text before it is tokenised (step 1 of reading a message).

Lower case, straight quotes, "sooo" -> "soo", contractions spelt out ("can't" ->
"can not", "im" -> "i am"), then the lexicon's ``spellings`` ("gonna" -> "going to",
"kms" -> "kill myself"). Newlines become sentence breaks and every message gets a final
"." (so the built-in class @end works there too).

Owns: ``_Normaliser`` and its rules (quotes, stretched words, hyphens, child ages,
contractions, "ill" vs "i'll"), and the tokens that end a sentence or a clause
(SENT_BREAKS, CLAUSE_BREAKS) in the text it produces.
"""

from __future__ import annotations

import re

SENT_BREAKS = frozenset({".", "!", "?", ";", "..", "...", "....", "\n"})
CLAUSE_BREAKS = SENT_BREAKS | frozenset({",", ":", "but", "although", "though", "however", "whereas", "(", ")"})

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
