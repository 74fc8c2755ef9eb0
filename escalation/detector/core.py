"""RiskDetector: builds the reading of a lexicon once, then judges message after message.

Owns: building (spaCy's tokenizer and tables, word forms, the normaliser, the compiled
lines, the matchers, the judge), reading one message (normalise, tokenise, base forms,
the matchers' finds) and the public interface: ``detect``, ``explain``, ``tokens`` and the
inspection methods ``spacy_patterns``, ``matchers`` and ``runtime``.
"""

from __future__ import annotations

import os
from itertools import product
from typing import Iterable

from escalation.detector.compile import _Compiler, _entry_variants, _phrase_sequences, _Rule, _spacy_token
from escalation.detector.judge import RETARGET_CLASSES, Detection, _Judge, non_partner_nouns
from escalation.detector.matching import _Bank, _PhraseBook
from escalation.detector.normalise import _Normaliser
from escalation.detector.words import _WordForms, load_english
from escalation.lexicon import Lexicon, PatternDef, display_path, load_lexicon


class RiskDetector:
    """Compiled lexicon + spaCy tokenizer/lemma tables + spaCy PhraseMatchers and Matchers.
    Build once, reuse (detect() does not change it)."""

    def __init__(self, lexicon: Lexicon):
        # imported here so importing this module costs nothing
        import numpy
        from spacy.attrs import LEMMA
        from spacy.matcher import Matcher, PhraseMatcher
        from spacy.tokens import Doc

        if not isinstance(lexicon, Lexicon):
            raise TypeError("RiskDetector needs a Lexicon; use RiskDetector.from_path(path)")
        self.lexicon = lexicon
        self._shown = display_path(lexicon.path)
        self._pdefs: dict[str, PatternDef] = {p.id: p for p in lexicon.patterns}

        # Reading a message: spaCy's tokenizer and lookup tables, our word forms and normaliser.
        nlp, lemma_table, base_forms = load_english()
        self._nlp = nlp
        self._tokenizer = nlp.tokenizer
        self._strings = nlp.vocab.strings
        self._lemma_attr = [LEMMA]
        self._doc_cls = Doc
        self._numpy = numpy
        self._words = _WordForms(lemma_table, base_forms, lexicon)
        self._normalise = _Normaliser(lexicon.spellings, self._words.is_word)

        # Compile every line into pieces (see escalation.detector.compile) and load spaCy's
        # matchers with them.
        compiler = _Compiler(lexicon, self._normalise, self._tokenizer, self._words.canon)
        risk_rules, ctx_rules = compiler.compile(self._shown, RETARGET_CLASSES)
        self._load_matchers(risk_rules, ctx_rules, Matcher, PhraseMatcher)

        # The reading rules, with the lexicon's settings.
        canon = self._words.canon
        settings = lexicon.settings
        self._judgement = _Judge(
            self._pdefs,
            bridge=frozenset(canon(w) for w in lexicon.negation_bridge) | frozenset(lexicon.negation_bridge),
            neg_window=settings["negation_window"],
            near_window=settings["near_negation_window"],
            non_partner_nouns=non_partner_nouns(lexicon, compiler.class_alts, canon),
        )

    def _load_matchers(self, risk_rules: list[_Rule], ctx_rules: list[_Rule], matcher_cls, phrase_matcher_cls) -> None:
        """Two PhraseMatchers, on base forms (our LEMMA) and on exact spellings (LOWER), find
        the phrase pieces and, for the lines with a Matcher, the words each one requires; a
        bank per kind of line (risk patterns, context) holds those Matchers."""
        vocab = self._nlp.vocab
        book = _PhraseBook(vocab, phrase_matcher_cls)
        self._phrase_lemma = book.lemma
        self._phrase_lower = book.lower
        self._risk = _Bank("risk", risk_rules, vocab, matcher_cls, book.word_key, book.phrase_key)
        self._ctx = _Bank("ctx", ctx_rules, vocab, matcher_cls, book.word_key, book.phrase_key)
        book.add_words(self._risk.words_needed() | self._ctx.words_needed())
        self._phrase_ids = book.phrase_ids()

    @classmethod
    def from_path(cls, path: str | os.PathLike) -> "RiskDetector":
        return cls(load_lexicon(path))

    # ---------------------------------------------------------------------- detect --
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

    def tokens(self, text: str) -> tuple[list[str], list[str]]:
        """(lower-case words, base forms) as the matcher sees them - for authors and tests."""
        _, low, lem = self._read(text)
        return low, lem

    def _judge(self, text: str) -> Detection:
        low, lem, risk, ctx = self._matches(text)
        return self._judgement(text, low, lem, risk, ctx)

    def _read(self, text: str):
        """The message as a spaCy Doc (normalised, tokenised), its lower-case words and base forms."""
        doc = self._tokenizer(self._normalise(text))
        low = [t.lower_ for t in doc]
        if any(map(str.isspace, low)):  # never after normalising; kept so positions always agree
            low = [w for w in low if not w.isspace()]
            doc = self._doc_cls(self._nlp.vocab, words=low)
        canon = self._words.canon
        return doc, low, [canon(w) for w in low]

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
            for k, (paths, (phrase, _ref)) in enumerate(zip(rule.pieces, bank.plans[r])):
                if k and rule.gaps[k - 1]:
                    line.append(("gap", rule.gaps[k - 1]))
                if phrase:
                    line.append(("phrase", len(_phrase_sequences(paths) or ())))
                else:
                    line.append(("matcher", sum(len(_entry_variants(p)) for p in paths)))
            out.append(line)
        return out
