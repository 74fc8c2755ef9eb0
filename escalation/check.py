"""Checking what safety authors write: the lexicon (its structure, then every example run)
and the risk model's labelled messages (content/safety/model/).

The lexicon module reads and validates the file; this module also builds the detector and
runs each pattern's ``examples`` (must raise an alert through that pattern) and
``not_examples`` (must not). It sits above both, so neither imports the other.

    from escalation.check import check_lexicon
    for problem in check_lexicon("content/safety/lexicon.yml"):
        print(problem)                       # "file:line: what is wrong, how to fix it"
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List

from escalation.detector import RiskDetector
from escalation.lexicon import LexiconError, display_path, read_lexicon
from escalation.model.data import FOLDER, read_examples


def check_lexicon(path: str | os.PathLike, *, run_examples: bool = True) -> list[str]:
    """Every problem in the lexicon as "file:line: what is wrong, how to fix it".

    Checks the YAML, every field and pattern, then (when the structure is sound and
    ``run_examples``) builds the detector and checks each pattern's ``examples`` raise an
    alert through that pattern and its ``not_examples`` do not.
    """
    lex, problems = read_lexicon(path)
    if problems or lex is None or not run_examples:
        return problems
    try:
        det = RiskDetector(lex)
    except LexiconError as err:
        return list(err.problems)
    shown = display_path(path)
    for p in lex.patterns:
        for text, line in zip(p.examples, p.example_lines):
            d = det.detect(text)
            hit = any(m.split(":", 1)[0] == p.id for m in d.matched)
            if not hit:
                why = det.explain(text, p.id)
                problems.append(
                    f"{shown}:{line}: example '{text}' of pattern '{p.id}' is not caught by it ({why}); "
                    "change the pattern so it matches, or move the example"
                )
        for text, line in zip(p.not_examples, p.not_example_lines):
            d = det.detect(text)
            if any(m.split(":", 1)[0] == p.id for m in d.matched):
                problems.append(
                    f"{shown}:{line}: not_example '{text}' of pattern '{p.id}' raises an alert through it; "
                    "narrow the pattern, or add the phrase to 'idioms:' if it is a figure of speech"
                )
    return problems


def check_safety(content_dir: Path) -> List[str]:
    """Every problem in content/safety/: the lexicon, then the risk model's training data."""
    problems: List[str] = []
    lexicon = Path(content_dir) / "safety" / "lexicon.yml"
    if lexicon.exists():
        problems += check_lexicon(lexicon)
    if (Path(content_dir) / FOLDER).is_dir():
        problems += read_examples(Path(content_dir), display=display_path)[1]
    return problems
