"""Load and check the risk lexicon that clinical content authors maintain.

Usage::

    from escalation.lexicon import load_lexicon, read_lexicon, LexiconError

    lex = load_lexicon("content/safety/lexicon.yml")     # raises LexiconError
    lex, problems = read_lexicon("content/safety/lexicon.yml")
    for problem in problems:
        print(problem)   # "content/safety/lexicon.yml:42: what is wrong, how to fix it"

The file format and the pattern syntax are documented for authors in
``content/safety/README.md``. In short, a pattern is words separated by spaces:

- ``kill myself``          words match any form ("killed", "killing") by default;
- ``=fitting``             ``=`` matches exactly this spelling only;
- ``(kill|end|top) myself`` alternatives, each may be several words: ``(end it all|end my life)``;
- ``really?`` / ``(the|my)?`` ``?`` makes a word or group optional;
- ``@partner``             any word or phrase from the ``classes:`` list named ``partner``
                           (built in: ``@number`` any number, ``@end`` end of a clause);
- ``*`` / ``*5``           a gap of up to 3 (or 5) other words, never across . , ! ? ; "but".

``read_lexicon`` checks the file's shape and syntax only; ``escalation.check.check_lexicon``
also builds the detector and runs each pattern's ``examples`` and ``not_examples``.

This package only reads YAML and checks its shape and syntax; it needs neither spaCy nor
Rasa, and never imports the detector. ``RiskDetector`` (escalation.detector) compiles the
parsed patterns. Its modules:

- ``syntax``: the pattern language (the parsed tree, ``parse_pattern``);
- ``model``: the lexicon as data (``Lexicon``, ``PatternDef``, ``LexiconError``...);
- ``schema``: reading the YAML file, section by section (``read_lexicon``, ``load_lexicon``).

The categories and severities are the shared vocabulary of coach.core.risk, re-exported
here for the code that has always imported them from this package.
"""

from __future__ import annotations

from coach.core.risk import CATEGORIES, SEVERITIES
from escalation.lexicon.model import Lexicon, LexiconError, ListEntry, PatternDef, display_path
from escalation.lexicon.schema import (
    CATEGORY_KEYS,
    DEFAULT_SETTINGS,
    HISTORY_MODES,
    LIST_SECTIONS,
    PATTERN_KEYS,
    SETTING_LIMITS,
    TOP_LEVEL_KEYS,
    load_lexicon,
    read_lexicon,
)
from escalation.lexicon.syntax import (
    BUILTIN_CLASSES,
    ClassRef,
    Gap,
    Group,
    Node,
    PatternSyntaxError,
    Seq,
    Word,
    class_refs,
    count_variants,
    parse_pattern,
)

__all__ = [
    "BUILTIN_CLASSES",
    "CATEGORIES",
    "CATEGORY_KEYS",
    "DEFAULT_SETTINGS",
    "HISTORY_MODES",
    "LIST_SECTIONS",
    "PATTERN_KEYS",
    "SETTING_LIMITS",
    "SEVERITIES",
    "TOP_LEVEL_KEYS",
    "ClassRef",
    "Gap",
    "Group",
    "Lexicon",
    "LexiconError",
    "ListEntry",
    "Node",
    "PatternDef",
    "PatternSyntaxError",
    "Seq",
    "Word",
    "class_refs",
    "count_variants",
    "display_path",
    "load_lexicon",
    "parse_pattern",
    "read_lexicon",
]
