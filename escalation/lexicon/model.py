"""The lexicon as data: what reading content/safety/lexicon.yml produces.

Owns: Lexicon (settings, spellings, classes, the list sections, the patterns), PatternDef
(one pattern with its lines parsed), ListEntry (one line of a list section), LexiconError
(a problem located to a file and line) and ``display_path`` (paths as authors see them).
Built by escalation.lexicon.schema; compiled by the detector.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from escalation.lexicon.syntax import Seq


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
