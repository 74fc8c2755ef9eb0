"""Load ``content/`` into ``Content`` and report every problem as ``file:line: what, how to fix``.

    from coach.programme.content.loader import load_content, check_content
    problems = check_content(Path("content"))      # [] when all is well
    content = load_content(Path("content"))        # raises ContentError listing problems

Loading and checking are one pass: the checker is the loader run to completion. This module
only runs the pass; the checks live with what authors edit:

    reader.py     reading YAML with line numbers, collecting problems, checking texts (SMS)
    sessions.py   programme.yml, messages.yml, blocks/, sessions/ (steps, options), toolkit.yml
    language.py   language/ (intents and their examples)
    safety.py     safety/replies.yml and safety/staff_alerts.yml
    reminders.py  reminders.yml
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import List, Tuple

from coach.programme.content import language, reminders, safety, sessions
from coach.programme.content.language import (
    INTENT_RE,
    REQUIRED_INTENTS,
    normalise_example,
)
from coach.programme.content.model import Content
from coach.programme.content.reader import (
    DISCREET_WORDS,
    MAX_SEGMENTS,
    Problem,
    Reader,
    display_path,
)
from coach.programme.content.reminders import REMINDER_MESSAGES
from coach.programme.content.safety import (
    SAFETY_MESSAGES,
    SAFETY_REPLIES,
    STAFF_ALERT_TEMPLATES,
)
from coach.programme.content.sessions import COMMON_FIELDS, ID_RE, SAVE_RE, STEP_FIELDS

__all__ = [
    "load_content", "check_content", "ContentError", "Problem", "display_path", "fingerprint",
    # re-exported from the modules that own them (older imports use this module)
    "normalise_example", "REQUIRED_INTENTS", "INTENT_RE", "DISCREET_WORDS", "MAX_SEGMENTS",
    "REMINDER_MESSAGES", "SAFETY_MESSAGES", "SAFETY_REPLIES", "STAFF_ALERT_TEMPLATES",
    "COMMON_FIELDS", "ID_RE", "SAVE_RE", "STEP_FIELDS",
]


class ContentError(Exception):
    def __init__(self, problems: List[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def fingerprint(content_dir: Path) -> str:
    """A hash of every content file: changes whenever an author saves a change."""
    h = hashlib.sha256()
    for path in sorted(content_dir.rglob("*.yml")):
        h.update(str(path.relative_to(content_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _load(content_dir: Path) -> Tuple[Content, List[Problem]]:
    content_dir = Path(content_dir)
    r = Reader(content_dir)
    programme = sessions.programme(r)
    messages = sessions.messages(r)
    blocks = sessions.blocks(r)
    weeks = sessions.sessions(r, programme, blocks)
    toolkit = sessions.toolkit(r)
    intents = language.language(r)
    extra = {"safety_replies": safety.safety_replies(r), "staff_alerts": safety.staff_alerts(r),
             "reminders": reminders.reminders(r)}
    sessions.check_answer_references(r)  # last: a step in any file may save the answer
    content = Content(programme=programme, messages=messages, sessions=weeks, toolkit=toolkit,
                      language=intents, fingerprint=fingerprint(content_dir), extra=extra)
    return content, r.problems


def check_content(content_dir: Path) -> List[Problem]:
    return _load(content_dir)[1]


def load_content(content_dir: Path) -> Content:
    """Load and check everything but the risk lexicon (``escalation.check`` checks that; the
    running coach's detector validates it when it loads it)."""
    content, problems = _load(content_dir)
    if problems:
        raise ContentError(problems)
    return content
