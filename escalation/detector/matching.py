"""Finding the compiled lines in a message with spaCy's matchers (step 3, per message).

Per message that is two PhraseMatcher calls plus a Matcher call for the few lines that
need one:

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

(Running every line through a Matcher instead is slower: spaCy repeats ``{0,n}`` gap
states for every way through the gap, and checks ``{"IN": [...]}`` sets with a Python
call per token.)

Owns: ``_PhraseBook`` (the two PhraseMatchers and their keys) and ``_Bank`` (a list of
compiled lines, their Matchers, and running and chaining them on one message).
"""

from __future__ import annotations

from escalation.detector.compile import GAP_STOP, _entry_variants, _phrase_sequences, _rarity, _Rule, _spacy_token


class _PhraseBook:
    """Two PhraseMatchers, on base forms (our LEMMA) and on exact spellings (LOWER). They
    find the phrase pieces (key "phrase#<n>") and, for the lines with a Matcher, the words
    each one requires (key "LEMMA word" / "LOWER word")."""

    def __init__(self, vocab, phrase_matcher_cls):
        self.vocab = vocab
        self.lemma = phrase_matcher_cls(vocab, attr="LEMMA")
        self.lower = phrase_matcher_cls(vocab, attr="LOWER")
        self._hashes: dict[str, int] = {}
        self._keys: dict[tuple, tuple[int, tuple] | None] = {}

    def add(self, key: str, sequences: list[tuple[str, tuple[str, ...]]]) -> int:
        """Add the word sequences [(attr, words)] under ``key``; its id."""
        # PhraseMatcher.add takes each phrase as a Doc or, as spaCy's own unpickling does,
        # as the sequence of its attribute values (string hashes). The second saves
        # making tens of thousands of Docs at build time.
        strings = self.vocab.strings
        hashes = self._hashes
        for attr, matcher in (("LEMMA", self.lemma), ("LOWER", self.lower)):
            phrases = []
            for a, words in sequences:
                if a == attr:
                    phrase = []
                    for w in words:
                        h = hashes.get(w)
                        if h is None:
                            h = hashes[w] = strings.add(w)
                        phrase.append(h)
                    phrases.append(phrase)
            if phrases:
                matcher.add(key, phrases)
        return strings.add(key)

    def phrase_key(self, paths: list[tuple]) -> tuple[int, tuple] | None:
        """(PhraseMatcher id, rarity) of a piece that is a fixed phrase, else None. The
        same phrase (a class, say) always gets the same id."""
        sig = tuple(paths)
        if sig not in self._keys:
            sequences = _phrase_sequences(paths)
            if sequences is None:
                self._keys[sig] = None
            else:
                pid = self.add(f"phrase#{len(self._keys)}", sequences)
                self._keys[sig] = (pid, _rarity({(attr, words[0]) for attr, words in sequences}))
        return self._keys[sig]

    def word_key(self, w: tuple[str, str]) -> int:
        return self.vocab.strings.add(f"{w[0]} {w[1]}")

    def add_words(self, words: set[tuple[str, str]]) -> None:
        """Look for these (attr, word)s too: the words the Matcher lines require."""
        for attr, word in sorted(words):
            self.add(f"{attr} {word}", [(attr, (word,))])

    def phrase_ids(self) -> frozenset:
        """The ids of the phrase pieces (the other keys are required words)."""
        return frozenset(v[0] for v in self._keys.values() if v is not None)


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
            w
            for rule, matcher in zip(self.rules, self.matchers)
            if matcher is not None
            for req in rule.required
            for w in req
        }

    def run(self, doc, low: list[str], present: dict[int, list[int]], words: set[int], phrases: dict, index: dict):
        """{line key: [(start, shortest end, longest end), ...]}, lines in lexicon order.

        From the PhraseMatchers: ``present`` (word id -> positions; ``words``: its keys),
        ``phrases`` (phrase id -> [(start, end), ...]). ``index`` caches phrase id ->
        {start: [ends]} for this message (shared by both banks)."""
        found: dict[str, list[tuple[int, int, int]]] = {}
        tried = self._tried(present, phrases)
        if not tried:
            return found
        n = len(doc)
        stop: list[bool] = []  # per token: may a gap not cross it? (worked out when first needed)
        rules, plans, matchers = self.rules, self.plans, self.matchers
        for r in sorted(tried):
            plan = plans[r]
            missing = False
            for phrase, pid in plan:
                if phrase and pid not in phrases:  # a phrase piece is not in the message
                    missing = True
                    break
            if missing:
                continue
            by_piece = None
            if matchers[r] is not None:
                by_piece = self._match_pieces(r, doc, n, present, words)
                if by_piece is None:
                    continue
            rule = rules[r]
            cur = _chain(rule, plan, phrases, by_piece, index, low, n, stop)
            if cur:
                out = found.setdefault(rule.key, [])
                for s in sorted(cur):
                    ends = cur[s]
                    out.append((s, min(ends), max(ends)))
        return found

    def _tried(self, present: dict[int, list[int]], phrases: dict) -> set[int]:
        """The lines worth trying: those whose rarest phrase piece was found, and the
        Matcher-only lines whose anchor word was."""
        tried: set[int] = set()
        by_phrase = self.by_phrase
        for pid in by_phrase.keys() & phrases.keys():
            tried.update(by_phrase[pid])
        if self.by_word:
            by_word = self.by_word
            for w in by_word.keys() & present.keys():
                tried.update(by_word[w])
        return tried

    def _match_pieces(self, r: int, doc, n: int, present: dict[int, list[int]], words: set[int]):
        """Line ``r``'s Matcher run around its anchor words: piece number -> {start: [ends]};
        None when a word set the line requires is not in the message."""
        for req in self.required[r]:
            if words.isdisjoint(req):  # a word the line requires is not in the message
                return None
        rule = self.rules[r]
        matcher, piece_of = self.matchers[r], self.piece_of
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
        return by_piece


def _chain(rule: _Rule, plan, phrases: dict, by_piece, index: dict, low: list[str], n: int, stop: list[bool]):
    """Where the line's pieces chain, {start: [ends]} (empty or None where they do not):
    piece i + 1 starts where piece i ends, or within the gap's N words of it."""
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
                return None
        if cur is None:
            cur = nxt
            continue
        gap = rule.gaps[k - 1]
        if gap:
            if not stop:
                stop.extend([w in GAP_STOP for w in low])
            cur = _across_gap(cur, nxt, gap, n, stop)
        else:
            cur = _adjacent(cur, nxt)
        if not cur:
            return cur
    return cur


def _adjacent(cur: dict[int, list[int]], nxt: dict[int, list[int]]) -> dict[int, list[int]]:
    """The next piece starts where this one ends."""
    joined: dict[int, list[int]] = {}
    for s, ends in cur.items():
        acc = [e2 for e in set(ends) for e2 in nxt.get(e, ())]
        if acc:
            joined[s] = acc
    return joined


def _across_gap(cur: dict[int, list[int]], nxt: dict[int, list[int]], gap: int, n: int, stop: list[bool]):
    """The next piece starts after up to ``gap`` words, none a clause break."""
    joined: dict[int, list[int]] = {}
    for s, ends in cur.items():
        acc: list[int] = []
        for e in set(ends):
            j, last = e, min(e + gap, n)
            while True:
                hit = nxt.get(j)
                if hit:
                    acc.extend(hit)
                if j >= last or stop[j]:
                    break
                j += 1
        if acc:
            joined[s] = acc
    return joined
