"""Placeholders in content text: ``{goal}``, ``{week}``, ``{answer:NAME|fallback}``.

    >>> render("Your goal: {goal}", {"goal": "stay calm"})
    'Your goal: stay calm'
    >>> render("You said {answer:place|nothing yet}", {}, answers={})
    'You said nothing yet'
"""

from __future__ import annotations

import re
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([a-z0-9_.\-]+))?(?:\|([^{}]*))?\}")

# Typical filled-in lengths, used to check that a text still fits in 2 SMS segments.
TYPICAL_LENGTH = {"goal": 60, "answer": 60, "title": 30, "next_date": 18, "date": 18, "keys": 12,
                  "weeks": 12, "next": 40}


def placeholders(text: str) -> List[Tuple[str, Optional[str], Optional[str]]]:
    """[(name, argument, fallback)] for every placeholder in ``text``."""
    return [(m.group(1), m.group(2), m.group(3)) for m in PLACEHOLDER.finditer(text)]


def render(
    text: str,
    values: Mapping[str, object],
    answers: Optional[Mapping[str, str]] = None,
    answer_lookup: Optional[Callable[[str], Optional[str]]] = None,
) -> str:
    """Fill placeholders; unknown ones are left visible (the checker stops them reaching him)."""

    def sub(m: re.Match) -> str:
        name, arg, fallback = m.group(1), m.group(2), m.group(3)
        if name == "answer" and arg:
            value = None
            if answers is not None:
                value = answers.get(arg)
            if value is None and answer_lookup is not None:
                value = answer_lookup(arg)
            if value is None or not str(value).strip():
                return fallback if fallback is not None else "(not answered yet)"
            return str(value).strip()
        if name in values and values[name] is not None:
            return str(values[name])
        return fallback if fallback is not None else m.group(0)

    return PLACEHOLDER.sub(sub, text).strip()


def estimate(text: str, values: Optional[Dict[str, object]] = None) -> str:
    """``text`` with placeholders replaced by typical-length stand-ins (for length checks)."""
    values = values or {}

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name in values:
            return str(values[name])
        if name == "answer" and m.group(3):
            return "x" * max(len(m.group(3)), TYPICAL_LENGTH["answer"])
        return "x" * TYPICAL_LENGTH.get(name, 3)

    return PLACEHOLDER.sub(sub, text).strip()


def _joined(items: Sequence[str], word: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def or_list(items: Sequence[str]) -> str:
    """'A, B or C'."""
    return _joined(items, "or")


def and_list(items: Sequence[str]) -> str:
    """'1, 2 and 3'."""
    return _joined(items, "and")
