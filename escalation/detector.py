"""Find messages that signal danger, on every message, so a human can be told at once.

Usage::

    from escalation.detector import RiskDetector

    det = RiskDetector.from_path("content/safety/lexicon.yml")   # builds once (~0.5 s)
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
3. Match the compiled patterns. Each pattern line is compiled once into token-level
   tests (the same semantics as spaCy ``Matcher`` token patterns: LEMMA / LOWER sets,
   optional tokens, ``{0,n}`` gaps; ``spacy_patterns()`` exports them in that format).
   They run in a small anchored matcher: an inverted index on each line's rarest
   required words means only the few lines that could match a message are tried.
   (spaCy's Matcher tries every pattern at every token; at this lexicon's size, tens of
   thousands of expanded sequences, that costs milliseconds per message.)
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
RETARGET_CLASSES = ("partner_mention", "child")

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
_CONTRACTIONS = [
    (re.compile(r"\bcan'?t\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\bain'?t\b"), "is not"),
    (re.compile(r"\bshan'?t\b"), "shall not"),
    (re.compile(r"\b(do|does|did|is|was|were|are|has|have|had|would|could|should|must|need|might|dare)n'?t\b"), r"\1 not"),
    (re.compile(r"\b([a-z]+)n't\b"), r"\1 not"),
    (re.compile(r"\bi'?m\b"), "i am"),
    (re.compile(r"\b(you|they|we)'re\b|\b(you|they)re\b"), lambda m: (m.group(1) or m.group(2)) + " are"),
    (re.compile(r"\b(i|you|we|they|he|she|it|that|there|who)'ll\b"), r"\1 will"),
    (re.compile(r"\b(you|they|we)ll\b"), r"\1 will"),
    (re.compile(r"\b(i|you|we|they|he|she|it|that|there|who)'d\b"), r"\1 would"),
    (re.compile(r"\b(i|you|we|they|who|could|would|should|might|must)'ve\b"), r"\1 have"),
    (re.compile(r"\bive\b"), "i have"),
    (re.compile(r"\b(he|she|it|that|there|who|what|where|here)'s\b"), r"\1 is"),
    (re.compile(r"\b(he|she|that|there|what)s\b"), r"\1 is"),
    # "id" is nearly always "i'd" in a chat ("id kill him"), except "id card" and the like
    (re.compile(r"\bid\b(?!\s+(?:card|cards|badge|number|check|checks|photo|theft|parade|documents?|please))"), "i would"),
    # "ill" is "i'll" unless it follows a word that makes it "unwell": "ill kill him" vs "i am ill"
    (re.compile(r"(?:^|(?<=\s)|(?<=[.,!?;]))ill\b"), lambda m: _ill(m)),
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
        for rx, repl in _CONTRACTIONS:
            t = rx.sub(repl, t)
        t = _SPACES.sub(" ", t).strip()
        return t + " ." if (t and sentinel) else t


# ------------------------------------------------------------------------------------------
# Compiled token patterns. Each node answers: starting at token i, where can I end?
# ------------------------------------------------------------------------------------------


class _Tok:
    """One token whose base form is in ``lemmas`` or whose exact spelling is in ``lowers``."""

    __slots__ = ("lemmas", "lowers")
    nullable = False

    def __init__(self, lemmas: Iterable[str] = (), lowers: Iterable[str] = ()):
        self.lemmas = frozenset(lemmas)
        self.lowers = frozenset(lowers)

    def ends(self, lem, low, stop, n, i):
        if i < n and (lem[i] in self.lemmas or low[i] in self.lowers):
            return (i + 1,)
        return ()

    def first(self):
        return self.lemmas, self.lowers


class _NumTok:
    """Any number: digits ("30", "2.5") or a number word ("thirty", "a dozen" -> "dozen")."""

    __slots__ = ()
    nullable = False
    WORDS = frozenset(
        "two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
        "dozen dozens hundreds couple few".split()
    )

    def ends(self, lem, low, stop, n, i):
        if i < n:
            w = low[i]
            if w in self.WORDS or (w[:1].isdigit() and w.replace(".", "", 1).isdigit()):
                return (i + 1,)
        return ()

    def first(self):
        return frozenset(), frozenset()  # anything can start it: never used as an anchor


class _Gap:
    __slots__ = ("size",)
    nullable = True

    def __init__(self, size: int):
        self.size = size

    def ends(self, lem, low, stop, n, i):
        out = [i]
        j = i
        for _ in range(self.size):
            if j < n and not stop[j]:
                j += 1
                out.append(j)
            else:
                break
        return out

    def first(self):
        return frozenset(), frozenset()


class _Alt:
    """Choices. Options are indexed by their possible first word, so only the few that can
    start at a token are tried."""

    __slots__ = ("options", "nullable", "_by_lemma", "_by_lower", "_always")

    def __init__(self, options: list, nullable: bool):
        self.options = options
        self.nullable = nullable
        self._by_lemma: dict[str, list] = {}
        self._by_lower: dict[str, list] = {}
        self._always: list = []
        for opt in options:
            lemmas, lowers = opt.first()
            if opt.nullable or not (lemmas or lowers):
                self._always.append(opt)
                continue
            for w in lemmas:
                self._by_lemma.setdefault(w, []).append(opt)
            for w in lowers:
                self._by_lower.setdefault(w, []).append(opt)

    def ends(self, lem, low, stop, n, i):
        out = [i] if self.nullable else []
        if i < n:
            tried = None
            for group in (self._by_lemma.get(lem[i]), self._by_lower.get(low[i])):
                if group:
                    for opt in group:
                        if tried is None:
                            tried = set()
                        elif id(opt) in tried:
                            continue
                        tried.add(id(opt))
                        out.extend(opt.ends(lem, low, stop, n, i))
        for opt in self._always:
            out.extend(opt.ends(lem, low, stop, n, i))
        return out

    def first(self):
        lemmas: set[str] = set()
        lowers: set[str] = set()
        for opt in self.options:
            a, b = opt.first()
            lemmas |= a
            lowers |= b
        return frozenset(lemmas), frozenset(lowers)


class _Seq:
    __slots__ = ("items", "nullable")

    def __init__(self, items: list):
        self.items = items
        self.nullable = all(it.nullable for it in items)

    def ends(self, lem, low, stop, n, i):
        cur = (i,)
        for it in self.items:
            if len(cur) == 1:
                nxt = it.ends(lem, low, stop, n, cur[0])
            else:
                acc: set[int] = set()
                for e in cur:
                    acc.update(it.ends(lem, low, stop, n, e))
                nxt = tuple(acc)
            if not nxt:
                return ()
            cur = nxt
        return cur

    def first(self):
        lemmas: set[str] = set()
        lowers: set[str] = set()
        for it in self.items:
            a, b = it.first()
            lemmas |= a
            lowers |= b
            if not it.nullable:
                break
        return frozenset(lemmas), frozenset(lowers)


class _Line:
    """One compiled 'match' line (or list entry): its tree, start words and required words."""

    __slots__ = ("key", "node", "first_lemmas", "first_lowers", "required")

    def __init__(self, key: str, node: _Seq):
        self.key = key
        self.node = node
        self.first_lemmas, self.first_lowers = node.first()
        # every required part must find one of its first words somewhere in the message
        self.required = [
            frozenset(a | b) for a, b in (it.first() for it in node.items if not it.nullable) if a or b
        ]


class RiskDetector:
    """Compiled lexicon + spaCy tokenizer/lemma tables + anchored matcher. Build once, reuse."""

    def __init__(self, lexicon: Lexicon):
        import spacy  # imported here so importing this module costs nothing

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
        self._class_nodes: dict[tuple[str, bool], object] = {}

        self._pdefs: dict[str, PatternDef] = {p.id: p for p in lexicon.patterns}

        # Keywords for typo correction: literal words in risk patterns and classes.
        keywords: set[str] = set()
        for p in lexicon.patterns:
            for seq in p.parsed:
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

        self._risk_lines: list[_Line] = []
        self._ctx_lines: list[_Line] = []
        problems: list[str] = []
        for p in lexicon.patterns:
            for seq, text in zip(p.parsed, p.match):
                try:
                    self._risk_lines.append(_Line(p.id, self._compile(seq)))
                except ValueError as err:
                    problems.append(f"{self._shown}:{p.line}: pattern '{p.id}' ('{text}'): {err}")
        for section, entries in lexicon.lists.items():
            for entry in entries:
                try:
                    self._ctx_lines.append(_Line("ctx:" + section, self._compile(entry.parsed)))
                except ValueError as err:
                    problems.append(f"{self._shown}:{entry.line}: in '{section}' ('{entry.text}'): {err}")
        for name in RETARGET_CLASSES:
            if name in lexicon.classes:
                self._ctx_lines.append(_Line("cls:" + name, self._compile(Seq((ClassRef(name),)))))
        if problems:
            file, line, msg = problems[0].split(":", 2)
            raise LexiconError(file, int(line), msg.strip(), problems)
        self._risk_index = self._build_index(self._risk_lines)
        self._ctx_index = self._build_index(self._ctx_lines)

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

    def _build_index(self, lines: list[_Line]):
        """For each line pick its rarest required token set; index the line under it."""
        by_lemma: dict[str, list[int]] = {}
        by_lower: dict[str, list[int]] = {}
        for idx, line in enumerate(lines):
            best = None
            for it in line.node.items:
                if it.nullable:
                    continue
                lemmas, lowers = it.first()
                words = lemmas | lowers
                if not words:  # e.g. @number: anything can start it, useless as an index key
                    continue
                score = (sum(1 for w in words if w in _COMMON or len(w) <= 2), len(words))
                if best is None or score < best[0]:
                    best = (score, lemmas, lowers)
            if best is None:
                raise ValueError(f"'{line.key}' has no required word to look for; add one")
            for w in best[1]:
                by_lemma.setdefault(w, []).append(idx)
            for w in best[2]:
                by_lower.setdefault(w, []).append(idx)
        return by_lemma, by_lower

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

    def _compile_node(self, node):
        if isinstance(node, Gap):
            return _Gap(node.size)
        if isinstance(node, Word):
            toks = self._word_tokens(node.text, node.exact)
            parts = [_Tok(lemmas=[v]) if a == "LEMMA" else _Tok(lowers=[v]) for a, v in toks]
            core = parts[0] if len(parts) == 1 else _Seq(parts)
            return _Alt([core], True) if node.optional else core
        if isinstance(node, ClassRef):
            if node.name not in self.lexicon.classes and node.name in BUILTIN_CLASSES:
                core = _NumTok() if node.name == "number" else _Tok(lowers=END_WORDS)
                return _Alt([core], True) if node.optional else core
            key = (node.name, node.optional)
            hit = self._class_nodes.get(key)
            if hit is None:  # compiled once, shared by every pattern that uses the class
                hit = self._compile_node(Group(self._class_alts(node.name), node.optional))
                self._class_nodes[key] = hit
            return hit
        if isinstance(node, Group):
            lemmas: set[str] = set()
            lowers: set[str] = set()
            multi = []
            for alt in node.alternatives:
                c = self._compile_seq(alt)
                if len(c.items) == 1 and isinstance(c.items[0], _Tok):
                    lemmas |= c.items[0].lemmas
                    lowers |= c.items[0].lowers
                else:
                    multi.append(c)
            options: list = []
            if lemmas or lowers:
                options.append(_Tok(lemmas, lowers))
            options.extend(multi)
            if len(options) == 1 and not node.optional:
                return options[0]
            return _Alt(options, node.optional or any(o.nullable for o in options))
        raise TypeError(node)  # pragma: no cover

    def _class_alts(self, name: str) -> tuple:
        hit = self._class_cache.get(name)
        if hit is None:
            hit = tuple(parse_pattern(m) for m in self.lexicon.classes[name])
            self._class_cache[name] = hit
        return hit

    def _compile_seq(self, seq: Seq) -> _Seq:
        return _Seq([self._compile_node(it) for it in seq.items])

    def _compile(self, seq: Seq) -> _Seq:
        compiled = self._compile_seq(seq)
        if compiled.nullable:
            raise ValueError("it can match nothing once optional parts are left out; make a word required")
        return compiled

    # ------------------------------------------------------ spaCy Matcher export --
    def spacy_patterns(self, pattern_id: str, limit: int = 2000) -> list[list[dict]]:
        """The pattern's lines as spaCy ``Matcher`` token patterns (for inspection/tests).

        Multi-word choices are expanded into separate patterns, so this can be large;
        at most ``limit`` are returned."""
        p = self._pdefs[pattern_id]
        out: list[list[dict]] = []
        for seq in p.parsed:
            for variant in self._expand_seq(seq):
                if len(out) >= limit:
                    return out
                while variant and variant[0][0] == "gap":
                    variant = variant[1:]
                while variant and variant[-1][0] == "gap":
                    variant = variant[:-1]
                if not variant:
                    continue
                pat = []
                for e in variant:
                    if e[0] == "gap":
                        pat.append({"LOWER": {"NOT_IN": sorted(GAP_STOP)}, "OP": "{0,%d}" % e[1]})
                    else:
                        _, attr, vals, optional = e
                        spec: dict = {attr: next(iter(vals))} if len(vals) == 1 else {attr: {"IN": sorted(vals)}}
                        if optional:
                            spec["OP"] = "?"
                        pat.append(spec)
                out.append(pat)
        return out

    def _expand(self, node) -> list[list[tuple]]:
        if isinstance(node, Gap):
            return [[("gap", node.size)]]
        if isinstance(node, Word):
            toks = self._word_tokens(node.text, node.exact)
            if len(toks) == 1:
                return [[("tok", toks[0][0], frozenset([toks[0][1]]), node.optional)]]
            seq = [("tok", a, frozenset([v]), False) for a, v in toks]
            return [[], seq] if node.optional else [seq]
        if isinstance(node, ClassRef):
            if node.name not in self.lexicon.classes and node.name in BUILTIN_CLASSES:
                if node.name == "number":
                    return [[("tok", "LIKE_NUM", frozenset([True]), node.optional)]]
                return [[("tok", "LOWER", END_WORDS, node.optional)]]
            return self._expand(Group(self._class_alts(node.name), node.optional))
        singles: dict[str, set[str]] = {}
        multi: list[list[tuple]] = []
        has_empty = node.optional
        for alt in node.alternatives:
            for variant in self._expand_seq(alt):
                if not variant:
                    has_empty = True
                elif len(variant) == 1 and variant[0][0] == "tok" and not variant[0][3]:
                    singles.setdefault(variant[0][1], set()).update(variant[0][2])
                else:
                    multi.append(variant)
        if len(singles) == 1 and not multi and has_empty:
            attr, vals = next(iter(singles.items()))
            return [[("tok", attr, frozenset(vals), True)]]
        out = [[("tok", attr, frozenset(vals), False)] for attr, vals in singles.items()]
        out.extend(multi)
        if has_empty:
            out.append([])
        return out

    def _expand_seq(self, seq: Seq) -> Iterable[list[tuple]]:
        parts = [self._expand(it) for it in seq.items]
        for combo in product(*parts):
            yield [e for variant in combo for e in variant]

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
    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """(lower-case words, base forms) as the matcher sees them - for authors and tests."""
        norm = self._normalise(text)
        low = [t.lower_ for t in self._tokenizer(norm) if not t.is_space]
        canon = self._canon_cached
        return low, [canon(w) for w in low]

    @staticmethod
    def _run(lines: list[_Line], index, lem, low, stop, n) -> dict[str, list[tuple[int, int, int]]]:
        by_lemma, by_lower = index
        cand: set[int] = set()
        for w in lem:
            hit = by_lemma.get(w)
            if hit:
                cand.update(hit)
        for w in low:
            hit = by_lower.get(w)
            if hit:
                cand.update(hit)
        found: dict[str, list[tuple[int, int, int]]] = {}
        present = set(lem)
        present.update(low)
        for idx in sorted(cand):
            line = lines[idx]
            if any(present.isdisjoint(req) for req in line.required):
                continue
            fl, fw = line.first_lemmas, line.first_lowers
            node = line.node
            for i in range(n):
                if lem[i] in fl or low[i] in fw:
                    ends = node.ends(lem, low, stop, n, i)
                    if ends:
                        ends = [e for e in ends if e > i]
                        if ends:
                            found.setdefault(line.key, []).append((i, min(ends), max(ends)))
        return found

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

    def _judge(self, text: str) -> Detection:
        low, lem = self.tokens(text)
        n = len(low)
        if n == 0:
            return Detection(text, False)
        stop = [w in GAP_STOP for w in low]
        risk = self._run(self._risk_lines, self._risk_index, lem, low, stop, n)
        if not risk:
            return Detection(text, False)
        ctx = self._run(self._ctx_lines, self._ctx_index, lem, low, stop, n)

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
            # an idiom cancels a risk phrase it overlaps, unless the risk phrase is longer and
            # contains it ("kicked the door in" is not the idiom "kicked the door")
            if any(xs < e and s < xe and not (s <= xs and xe <= emax and emax - s > xe - xs) for xs, xe in idioms):
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
