"""``language/``: one file per intent, with the phrases that mean it (``intent:``, ``means:``,
``examples:``). These become the Rasa training data (see ``build``); here they are checked:
every intent the dialogue relies on is there, and no phrase means two things.
"""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

from coach.programme.content.model import Source
from coach.programme.content.reader import Reader, display_path, line_of

INTENT_RE = re.compile(r"^[a-z][a-z_]*$")

# Intents the dialogue's rules depend on; language/ must define each of them.
REQUIRED_INTENTS = (
    "greet", "start_session", "resume", "affirm", "deny", "dunno", "number", "inform",
    "help", "ask_progress", "skip", "repeat", "pause", "toolkit", "choose_week",
    "thanks", "goodbye", "set_reminder", "nudge", "risk_disclosure", "risk_check", "retract",
    "ask_privacy", "ask_person", "ask_schedule", "ask_video", "ask_data", "ask_stop", "ask_goal",
)


def normalise_example(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def language(r: Reader) -> Dict[str, List[str]]:
    """intent -> its examples, each example in one intent only."""
    out: Dict[str, List[str]] = {}
    seen: Dict[str, Tuple[str, Source]] = {}
    for path in sorted((r.dir / "language").glob("*.yml")):
        file, data = r.read(path)
        if not isinstance(data, dict):
            if data is not None:
                r.problem(file, 1, "a language file needs 'intent:', 'means:' and 'examples:'")
            continue
        intent = data.get("intent")
        if not isinstance(intent, str) or not INTENT_RE.match(intent):
            r.problem(file, 1, "'intent' must be a name in small letters and '_', like 'affirm'")
            continue
        if intent in out:
            r.problem(file, 1, f"intent '{intent}' is defined in two files; merge them")
            continue
        examples = data.get("examples")
        if not isinstance(examples, list) or len(examples) < 2:
            r.problem(file, line_of(data, "examples") if "examples" in data else 1,
                      "'examples' must be a list with at least two phrases")
            continue
        good = []
        for i, ex in enumerate(examples):
            line = line_of(examples, i)
            if not isinstance(ex, str) or not ex.strip():
                r.problem(file, line, f"example {ex!r} is not text; put it in double quotes, like \"yes\"")
                continue
            norm = normalise_example(ex)
            if norm in seen and seen[norm][0] != intent:
                other_intent, other = seen[norm]
                r.problem(file, line, f"example {ex!r} also means '{other_intent}' ({other}); "
                          "keep it in one place only")
                continue
            if norm in seen:
                continue  # a harmless repeat within one intent
            seen[norm] = (intent, Source(file, line))
            good.append(ex.strip())
        out[intent] = good
    for intent in REQUIRED_INTENTS:
        if intent not in out:
            r.problem(display_path(r.dir / "language"), 1, f"no examples for '{intent}'; add language/{intent}.yml")
    return out
