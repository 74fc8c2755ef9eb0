"""Reading content files and the checks every kind of file shares.

A ``Reader`` is one pass over ``content/``: it parses YAML keeping line numbers, collects
every ``Problem`` as ``file:line: what is wrong, how to fix it``, and checks texts the coach
sends (placeholders, GSM-7 characters, SMS length). The modules for each kind of file
(``sessions``, ``language``, ``safety``, ``reminders``) use it; ``loader`` runs them in order.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from coach.core.text import sms
from coach.core.text.render import estimate, placeholders
from coach.programme.content.model import Source

MAX_SEGMENTS = 2
# Words that must never be on a lock screen (first line of anything sent unasked).
DISCREET_WORDS = ("abus", "violen", "assault", "rape", "suicid", "kill", "harm", "hurt", "hit", "drug", "alcohol",
                  "drink", "overdose", "weapon", "knife", "police", "danger", "risk", "crisis", "partner", "child")
# Parsed YAML by file content: an unchanged file is never parsed twice (the loader only reads it).
_PARSED: Dict[str, Any] = {}


@dataclass(frozen=True)
class Problem:
    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def line_of(node: Any, key: Any = None, default: int = 1) -> int:
    """1-based line of ``node`` (or of ``node[key]``) from ruamel's position info."""
    try:
        if key is None:
            return node.lc.line + 1
        if isinstance(key, int):
            return node.lc.item(key)[0] + 1
        return node.lc.key(key)[0] + 1
    except Exception:
        return default


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def indiscreet_words(first_line: str) -> List[str]:
    """The ``DISCREET_WORDS`` that start a word of ``first_line`` (what a lock screen shows)."""
    first = first_line.lower()
    return [w for w in DISCREET_WORDS if re.search(rf"\b{w}", first)]


class Reader:
    def __init__(self, content_dir: Path):
        self.dir = content_dir
        self.problems: List[Problem] = []
        self.yaml = YAML(typ="rt")
        self.unreadable: List[str] = []  # files that could not be parsed
        # {answer:NAME} may name an answer saved in another file: steps record both here and
        # sessions.check_answer_references compares them once every file has been read.
        self.saved_names: Dict[str, Source] = {}
        self.answer_refs: List[Tuple[str, Source]] = []

    def problem(self, file: str, line: int, message: str) -> None:
        self.problems.append(Problem(Source(file, line), message))

    def read(self, path: Path) -> Tuple[str, Any]:
        """Parse one YAML file; on failure record the problem (and that checks relying on it are unsafe)."""
        name = display_path(path)
        before = len(self.problems)
        file, data = self._read(path, name)
        if len(self.problems) > before:
            self.unreadable.append(name)
        return file, data

    def _read(self, path: Path, name: str) -> Tuple[str, Any]:
        try:
            raw = path.read_bytes()
            key = hashlib.sha1(raw).hexdigest()
            if key not in _PARSED:
                _PARSED[key] = self.yaml.load(raw.decode("utf-8"))
                while len(_PARSED) > 512:
                    _PARSED.pop(next(iter(_PARSED)))
            return name, _PARSED[key]
        except FileNotFoundError:
            self.problem(name, 1, "file is missing; create it (see content/README.md)")
        except UnicodeDecodeError as exc:
            self.problem(name, 1, f"is not UTF-8 text ({exc.reason}); save it as UTF-8")
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problem(name, line, f"YAML can't be read: {what}; "
                         "check indentation and quotes on this line or the one above")
        return name, None

    def check_text(self, file: str, line: int, where: str, text: Any, allowed: Iterable[str], *,
                   answers_ok: bool) -> Optional[str]:
        """Check a text he may be sent; return it stripped (``None`` when there is no text).

        Only ``allowed`` placeholders may appear (and ``{answer:NAME}`` when ``answers_ok``);
        it must be plain GSM-7 and fit ``MAX_SEGMENTS`` texts with placeholders filled in."""
        if not isinstance(text, str) or not text.strip():
            self.problem(file, line, f"{where} has no text; add the words he should see")
            return None
        text = text.strip()
        bad = sms.non_gsm_characters(text)
        if bad:
            shown = ", ".join(sorted({repr(ch) for _, ch in bad}))
            self.problem(
                file, line,
                f"{where} uses {shown}, which makes SMS use 70-character pieces; "
                "type plain ' \" - or ... instead and remove emoji",
            )
        allowed = set(allowed)
        for name, arg, _fallback in placeholders(text):
            if name == "answer" and answers_ok:
                if not arg:
                    self.problem(file, line, f"{where} has {{answer}} without a name; write {{answer:NAME}}")
                else:
                    self.answer_refs.append((arg, Source(file, line)))
            elif name not in allowed:
                can = [("{" + a + "}") for a in sorted(allowed)] + (["{answer:NAME}"] if answers_ok else [])
                fix = f"use {', '.join(can)}" if can else "this message can't include any {...}; remove it"
                self.problem(file, line, f"{where} uses {{{name}}}, which the coach can't fill in here; {fix}")
        if not bad:
            filled = estimate(text)
            n = sms.segment_count(filled)
            if n > MAX_SEGMENTS:
                self.problem(
                    file, line,
                    f"{where} is too long for SMS: {sms.describe(filled)} (at most {MAX_SEGMENTS}, "
                    f"{153 * MAX_SEGMENTS} characters with words filled in); shorten it or split it into two steps",
                )
        return text
