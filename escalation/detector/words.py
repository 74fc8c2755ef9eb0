"""Word forms: the base form the matchers see for each word of a message (step 2).

Each word gets its base form from spaCy's lookup lemmatizer tables ("killed" -> "kill"),
with a few overrides; text-speak endings and doubled consonants are undone ("hurtin",
"slaped"); an unknown word one typo away from a lexicon word is read as that word
("strangeld" -> "strangled").

Owns: loading spaCy's blank English pipeline and its tables (``load_english``), the very
common words (_COMMON: never corrected, and poor anchors for the matchers), and
``_WordForms``: the known words, the typo index and ``canon`` (word -> base form, cached).
spaCy is imported only when ``load_english`` runs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from escalation.lexicon import Group, Lexicon, Seq, Word

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


def load_english():
    """spaCy's blank English pipeline with a lookup lemmatizer: (nlp, the lookup table of
    word -> base form, every base form spaCy knows)."""
    import spacy

    nlp = spacy.blank("en")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    # Keys of spaCy's lookup tables are string hashes: use .get(word), never iterate keys.
    lemma_table = lemmatizer.lookups.get_table("lemma_lookup")
    base_forms: set[str] = {v for v in lemma_table.values() if isinstance(v, str)}
    try:  # the base-form vocabulary of spaCy's rule lemmatizer (adj/adv/noun/verb)
        from spacy.lookups import load_lookups

        index = load_lookups("en", ["lemma_index"]).get_table("lemma_index")
        for pos in ("adj", "adv", "noun", "verb"):
            base_forms.update(w for w in (index.get(pos) or ()) if isinstance(w, str))
    except Exception:  # pragma: no cover - spacy-lookups-data without the index
        pass
    return nlp, lemma_table, frozenset(base_forms)


def _literal_words(seq: Seq) -> Iterable[str]:
    """The plain words a parsed pattern spells out (not its classes)."""
    for it in seq.items:
        if isinstance(it, Word):
            yield from (w for w in re.split(r"[\s']+", it.text) if w.isalpha())
        elif isinstance(it, Group):
            for alt in it.alternatives:
                yield from _literal_words(alt)


class _WordForms:
    """Base forms for the lexicon's detector: spaCy's table, the words it knows (never
    corrected) and the lexicon's keywords (the targets of typo correction)."""

    def __init__(self, lemma_table, base_forms: frozenset, lexicon: Lexicon):
        self.lemma_table = lemma_table
        self.fuzzy_min: int = lexicon.settings["fuzzy_min_length"]
        self.known_words: set[str] = set(base_forms) | _COMMON
        self.canon = lru_cache(maxsize=100_000)(self._canon_uncached)

        # Keywords for typo correction: literal words in risk patterns and classes.
        keywords: set[str] = set()
        for p in lexicon.patterns:
            for seq in p.parsed + p.with_parsed:
                keywords.update(_literal_words(seq))
        for members in lexicon.classes.values():
            for m in members:
                keywords.update(w for w in re.split(r"[^a-z]+", m) if w.isalpha())
        for sec in lexicon.lists.values():
            for entry in sec:
                self.known_words.update(_literal_words(entry.parsed))
        self.known_words.update(keywords)
        self.known_words.update(w for v in lexicon.spellings.values() for w in v.split())
        self.fuzzy_index: dict[str, set[str]] = {}
        self._build_fuzzy(keywords)

    def is_word(self, word: str) -> bool:
        """A word to leave as it is (the normaliser keeps "kill" in "killlll")."""
        return word in self.known_words or self.lemma_table.get(word) is not None

    def lemma(self, word: str) -> str | None:
        return self.lemma_table.get(word)

    def _build_fuzzy(self, keywords: set[str]) -> None:
        forms = set(keywords)
        for k in keywords:  # regular inflections the lookup table knows ("strangle" -> "strangled")
            base = self.lemma(k) or k
            for form in _inflections(base):
                if self.lemma(form) == base:
                    forms.add(form)
        for form in forms:
            if len(form) < self.fuzzy_min - 1:
                continue
            for variant in {form, *_deletions(form)}:
                self.fuzzy_index.setdefault(variant, set()).add(form)

    def _canon_uncached(self, tok: str) -> str:
        o = _LEMMA_OVERRIDES.get(tok)
        if o is not None:
            return o
        lem = self.lemma_table.get(tok)
        if lem is not None:
            return lem
        if tok.isalpha() and len(tok) >= 5 and tok not in self.known_words:
            lem = self._respelt(tok)
            if lem is not None:
                return lem
        if len(tok) >= self.fuzzy_min and tok.isalpha() and tok not in self.known_words:
            cands: set[str] = set()
            for variant in (tok, *_deletions(tok)):
                hit = self.fuzzy_index.get(variant)
                if hit:
                    cands.update(hit)
            lemmas = {self.lemma(c) or c for c in cands}
            if len(lemmas) == 1:
                return lemmas.pop()
        return tok

    def _respelt(self, tok: str) -> str | None:
        """The base form of an unknown word with a text-speak ending or a single/double
        consonant: "hurtin", "topin", "slaped", "stabing"; None if there is none."""
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
                    lem = self.lemma_table.get(cand)
                    if lem is not None and lem != cand:
                        return lem
        return None


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
