"""The pattern language authors write in the lexicon, parsed into a small tree.

A pattern is words separated by spaces (documented for authors in
``content/safety/README.md``):

- ``kill myself``          words match any form ("killed", "killing") by default;
- ``=fitting``             ``=`` matches exactly this spelling only;
- ``(kill|end|top) myself`` alternatives, each may be several words: ``(end it all|end my life)``;
- ``really?`` / ``(the|my)?`` ``?`` makes a word or group optional;
- ``@partner``             any word or phrase from the ``classes:`` list named ``partner``
                           (built in: ``@number`` any number, ``@end`` end of a clause);
- ``*`` / ``*5``           a gap of up to 3 (or 5) other words, never across . , ! ? ; "but".

Owns: the tree (Word, ClassRef, Group, Gap, Seq), ``parse_pattern`` and its errors, and
small questions about a parsed pattern (``count_variants``, ``class_refs``). It knows
nothing of YAML (escalation.lexicon.schema) or of spaCy (the detector lowers the tree to
spaCy patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Union

# Classes every pattern may use without defining them.
BUILTIN_CLASSES = {
    "number": "any number: 3, 30, 2.5, three, thirty, a dozen",
    "end": "the end of a clause or of the message (. , ! ? ; but)",
}

_CLASS_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_WORD_RE = re.compile(r"^[a-z0-9'&./£$-]+$")


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
    parser = _Parser(src, default_gap, max_gap)
    seq = parser.seq(set())
    if parser.pos != len(parser.toks):  # pragma: no cover - seq() consumes all at top level or raises
        raise PatternSyntaxError(f"could not read '{src}'")
    _check_whole(seq, src)
    return seq


class _Parser:
    """Reads one pattern's tokens left to right; a group reads its choices recursively."""

    def __init__(self, src: str, default_gap: int, max_gap: int):
        self.src = src
        self.toks = _lex(src)
        self.pos = 0
        self.default_gap = default_gap
        self.max_gap = max_gap

    def seq(self, stop: set[str]) -> Seq:
        """Elements up to the end or to a token in ``stop`` (left unread)."""
        items: list[Node] = []
        toks = self.toks
        while self.pos < len(toks) and toks[self.pos] not in stop:
            items.append(self._element(toks[self.pos]))
        return Seq(tuple(items))

    def _element(self, tok: str) -> Node:
        src = self.src
        if tok == "(":
            return self._group()
        if tok == ")":
            raise PatternSyntaxError(f"')' without a matching '(' in '{src}'; remove it or add the '('")
        if tok == "|":
            raise PatternSyntaxError(
                f"'|' outside brackets in '{src}'; put choices in brackets, e.g. '(kill|end) myself'"
            )
        if tok == "?":
            raise PatternSyntaxError(
                f"'?' must follow a word or a ')' directly in '{src}', e.g. 'really?' or '(the|my)?'"
            )
        if tok.startswith("*"):
            return self._gap(tok)
        self.pos += 1
        optional = self._question_mark()
        if tok.startswith("@"):
            return self._class_ref(tok, optional)
        return self._word(tok, optional)

    def _question_mark(self) -> bool:
        """Read a '?' after an element, if there is one."""
        if self.pos < len(self.toks) and self.toks[self.pos] == "?":
            self.pos += 1
            return True
        return False

    def _group(self) -> Group:
        """'(' choice | choice ... ')' '?'?"""
        toks, src = self.toks, self.src
        self.pos += 1
        alts = [self.seq({"|", ")"})]
        while self.pos < len(toks) and toks[self.pos] == "|":
            self.pos += 1
            alts.append(self.seq({"|", ")"}))
        if self.pos >= len(toks) or toks[self.pos] != ")":
            raise PatternSyntaxError(f"'(' has no matching ')' in '{src}'; close every group, e.g. '(kill|end) myself'")
        self.pos += 1
        optional = self._question_mark()
        for alt in alts:
            if not alt.items:
                raise PatternSyntaxError(
                    f"a group in '{src}' has an empty choice ('||', '(|' or '|)'); "
                    "remove the extra '|' or use '(word)?' to make a group optional"
                )
            if isinstance(alt.items[0], Gap) or isinstance(alt.items[-1], Gap):
                raise PatternSyntaxError(
                    f"a choice inside a group in '{src}' starts or ends with '*'; put the gap outside the group"
                )
        return Group(tuple(alts), optional)

    def _gap(self, tok: str) -> Gap:
        """'*' (the default gap) or '*N'."""
        src, default_gap, max_gap = self.src, self.default_gap, self.max_gap
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
        self.pos += 1
        if self.pos < len(self.toks) and self.toks[self.pos] == "?":
            raise PatternSyntaxError(f"a gap cannot be optional in '{src}'; a gap already allows 0 words")
        return Gap(size)

    def _class_ref(self, tok: str, optional: bool) -> ClassRef:
        name = tok[1:]
        if not _CLASS_NAME_RE.match(name):
            raise PatternSyntaxError(
                f"'{tok}' in '{self.src}' is not a class name; use '@' and a name from 'classes:', e.g. '@partner'"
            )
        return ClassRef(name, optional)

    def _word(self, tok: str, optional: bool) -> Word:
        exact = tok.startswith("=")
        word = tok[1:] if exact else tok
        word_l = word.lower()
        if not word_l or not _WORD_RE.match(word_l):
            raise PatternSyntaxError(
                f"'{tok}' in '{self.src}' has characters the pattern syntax does not allow; "
                "use letters, digits and ' - . & only (write choices as '(a|b)')"
            )
        return Word(word_l, exact, optional)


def _check_whole(seq: Seq, src: str) -> None:
    """What a whole pattern needs beyond its elements: words, a required one, no gap at an end."""
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
