"""The risk model's training data: what clinicians and writers label in content/safety/model/.

Each ``*.yml`` file there has the layout the labelled test sets use::

    escalate:
      suicide_self_harm:
        - "a message that must alert staff"             # severity high
        - {text: "one that must alert now", severity: imminent}
    no_escalate:
      everyday:
        - "a message that must not"

    examples, problems = read_examples(content_dir)     # problems: "file:line: what, how to fix"
    data_fingerprint(content_dir)                        # changes when any file changes

The coach's short everyday replies are read too: the phrases of the content/language/
intents in ``LANGUAGE_NEGATIVES`` ("bye", "dunno", "yes", "6", "say again"...) are messages
that must not escalate (group ``language_<intent>``). Round 12's goodbye notes had taught
the model that "bye" on its own was a suicide risk.

Staff feedback is read too, when there is some: alerts the console closed as false alarms,
exported by `coach risk false-alarms`, reviewed by a clinician and saved (outside git, with
the databases) as ``COACH_HOME/risk-feedback.yml`` in the same layout. Passed in as
``feedback``; it changes the fingerprint like any other file.

Reading is strict: an unknown category or severity, an empty text, or the same text
labelled both ways is a problem with its file and line, never silently dropped.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from coach.core.risk import CATEGORIES, SEVERITIES

FOLDER = Path("safety") / "model"
LANGUAGE = Path("language")
# The coach's short everyday replies, read as must-not-escalate examples. Not the phrases of
# intents that describe struggling or ask things (toolkit, help, inform, pause, ask_*...):
# "how much more is there" (ask_progress) taught the model that "dont know how much more i
# can take" was ordinary, and toolkit's "having a rough day" must stay worth a calm check.
LANGUAGE_NEGATIVES = ("affirm", "choose_week", "deny", "dunno", "goodbye", "greet", "number", "repeat", "resume",
                      "skip", "start_session", "thanks")
TOP_KEYS = ("escalate", "no_escalate")
GROUP_RE = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_PER_CATEGORY = 30  # the model can't learn a category from fewer
MIN_PER_SEVERITY = 10  # ...nor what makes a message imminent from fewer


@dataclass(frozen=True)
class Example:
    text: str
    category: Optional[str]  # None: must not escalate
    severity: Optional[str]  # imminent | high for must-escalate; None otherwise
    group: str  # the category, or the no_escalate group
    file: str
    line: int

    @property
    def escalate(self) -> bool:
        return self.category is not None


def model_files(content_dir: Path) -> List[Path]:
    return sorted((Path(content_dir) / FOLDER).glob("*.yml"))


def language_files(content_dir: Path) -> List[Path]:
    return sorted(p for p in (Path(content_dir) / LANGUAGE).glob("*.yml") if p.stem in LANGUAGE_NEGATIVES)


def _feedback(feedback: Optional[Path]) -> List[Path]:
    return [Path(feedback)] if feedback is not None and Path(feedback).is_file() else []


def data_fingerprint(content_dir: Path, feedback: Optional[Path] = None) -> str:
    h = hashlib.sha256()
    for path in model_files(content_dir) + language_files(content_dir) + _feedback(feedback):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _line(node, index: int, default: int) -> int:
    try:
        return node.lc.item(index)[0] + 1
    except Exception:
        return default


def key(text: str) -> str:
    """How two texts are compared for 'the same message': case, spacing and punctuation aside."""
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def _read_file(path: Path, shown: str, problems: List[str]) -> List[Example]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError) as exc:
        problems.append(f"{shown}:1: YAML can't be read ({str(exc).splitlines()[0]}); check quotes and indentation")
        return []
    if not isinstance(data, dict):
        problems.append(f"{shown}:1: expected 'escalate:' and/or 'no_escalate:' at the top")
        return []
    out: List[Example] = []
    for top in data:
        if top not in TOP_KEYS:
            problems.append(f"{shown}:{data.lc.key(top)[0] + 1}: unknown section '{top}'; use escalate or no_escalate")
            continue
        groups = data[top] or {}
        if not isinstance(groups, dict):
            problems.append(f"{shown}:{data.lc.key(top)[0] + 1}: '{top}' must hold named lists")
            continue
        for group, items in groups.items():
            out += _read_group(top, group, items, groups, shown, problems)
    return out


def _read_group(top: str, group, items, groups, shown: str, problems: List[str]) -> List[Example]:
    line = groups.lc.key(group)[0] + 1
    if top == "escalate" and group not in CATEGORIES:
        problems.append(f"{shown}:{line}: '{group}' is not a risk category; use one of {', '.join(CATEGORIES)}")
        return []
    if top == "no_escalate" and not (isinstance(group, str) and GROUP_RE.match(group)):
        problems.append(f"{shown}:{line}: group name {group!r} must be lowercase_with_underscores")
        return []
    if not isinstance(items, list):
        problems.append(f"{shown}:{line}: '{group}' must be a list of messages")
        return []
    out = []
    for i, item in enumerate(items):
        at = _line(items, i, line)
        text, severity = (item.get("text"), item.get("severity", "high")) if isinstance(item, dict) else (item, "high")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{shown}:{at}: each entry is a message in quotes (or {{text: ..., severity: ...}})")
            continue
        if top == "escalate" and severity not in SEVERITIES:
            problems.append(f"{shown}:{at}: severity {severity!r} must be one of {', '.join(SEVERITIES)}")
            continue
        if top == "no_escalate" and isinstance(item, dict):
            problems.append(f"{shown}:{at}: messages that must not escalate have no severity; write just the text")
            continue
        out.append(Example(text.strip(), group if top == "escalate" else None,
                           severity if top == "escalate" else None, group, shown, at))
    return out


def _read_language(path: Path, shown: str, problems: List[str]) -> List[Example]:
    """One content/language/ file's phrases, as messages that must not escalate."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="rt").load(path.read_text(encoding="utf-8"))
    except (YAMLError, UnicodeDecodeError):
        return []  # `coach content check` reports a broken language file
    items = data.get("examples") if isinstance(data, dict) else None
    if not isinstance(items, list) or data.get("intent") not in LANGUAGE_NEGATIVES:
        return []
    group = "language_" + re.sub(r"[^a-z0-9_]", "_", str(data.get("intent") or path.stem).lower())
    return [Example(str(item).strip(), None, None, group, shown, _line(items, i, 1))
            for i, item in enumerate(items) if isinstance(item, str) and item.strip()]


def read_examples(content_dir: Path, display=None, feedback: Optional[Path] = None) -> Tuple[List[Example], List[str]]:
    """Every labelled message in content/safety/model/ (and ``feedback``), and every problem found."""
    problems: List[str] = []
    examples: List[Example] = []
    files = model_files(content_dir)
    if not files:
        problems.append(f"{Path(content_dir) / FOLDER}:1: no training data; add labelled messages in *.yml files")
    for path in files:
        shown = display(path) if display else str(path)
        examples += _read_file(path, shown, problems)
    for path in language_files(content_dir):
        examples += _read_language(path, display(path) if display else str(path), problems)
    for path in _feedback(feedback):
        examples += _read_file(path, str(path), problems)
    seen: Dict[str, Example] = {}
    unique: List[Example] = []
    for ex in examples:
        k = key(ex.text)
        first = seen.get(k)
        if first is None:
            seen[k] = ex
            unique.append(ex)
        elif first.category != ex.category:
            problems.append(f"{ex.file}:{ex.line}: this message is also labelled "
                            f"{first.category or 'no_escalate'} at {first.file}:{first.line}; keep one label")
    if files:
        for category in CATEGORIES + (None,):
            n = sum(1 for ex in unique if ex.category == category)
            if n < MIN_PER_CATEGORY:
                name = category or "no_escalate"
                problems.append(f"{Path(content_dir) / FOLDER}:1: only {n} messages for {name}; the model needs "
                                f"at least {MIN_PER_CATEGORY}: add more")
        for severity in SEVERITIES:
            n = sum(1 for ex in unique if ex.severity == severity)
            if n < MIN_PER_SEVERITY:
                problems.append(f"{Path(content_dir) / FOLDER}:1: only {n} must-escalate messages are {severity}; the "
                                f"model needs at least {MIN_PER_SEVERITY}: add more")
    return unique, problems
