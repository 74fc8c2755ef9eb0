"""Load ``content/`` into ``Content`` and report every problem as ``file:line: what, how to fix``.

    from coach.programme.content.loader import load_content, check_content
    problems = check_content(Path("content"))      # [] when all is well
    content = load_content(Path("content"))        # raises ContentError listing problems

Loading and checking are one pass: the checker is the loader run to completion.
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
from coach.programme.content.model import (
    MESSAGE_PLACEHOLDERS,
    RESERVED_SAVES,
    STEP_PLACEHOLDERS,
    STEP_TYPES,
    TOOLKIT,
    WHEN_VALUES,
    Content,
    Flow,
    Option,
    Programme,
    Source,
    Step,
    Tool,
    Toolkit,
)
from coach.core.text.render import estimate, placeholders

MAX_SEGMENTS = 2
SAFETY_REPLIES = {
    "suicide_self_harm": ("imminent", "high"),
    "harm_to_partner": ("imminent", "high"),
    "harm_to_child": ("imminent", "high"),
    "harm_to_others": ("imminent", "high"),
    "substance_emergency": ("imminent", "high"),
    "unclassified": ("high",),
}
SAFETY_MESSAGES = ("safe_question", "safe_yes", "safe_no", "safe_unclear")
_ALERT_FIELDS = ("code", "site", "participant", "severity", "category", "text", "context", "followups", "round")
STAFF_ALERT_TEMPLATES = {  # name: (placeholders allowed, must fit SMS)
    "first_line": (_ALERT_FIELDS, False),
    "telegram": (_ALERT_FIELDS, False),
    "sms": (_ALERT_FIELDS, True),
    "sms_info": (_ALERT_FIELDS, False),
    "reminder_prefix": (("round",), False),
    "ack_done": (("code",), True),
    "ack_already": (("code",), True),
    "ack_unknown": ((), True),
}
REMINDER_MESSAGES = {
    "session_open": ("week", "next_group"),
    "follow_up": ("week", "next_group"),
    "pick_up": ("week", "next_group"),
    "coaching_call": ("week", "next_group"),
    "booster": ("week", "next_group"),
    "next_group": ("date", "time"),
}
# Words that must never be on a lock screen (first line of anything sent unasked).
DISCREET_WORDS = ("abus", "violen", "assault", "rape", "suicid", "kill", "harm", "hurt", "hit", "drug", "alcohol",
                  "drink", "overdose", "weapon", "knife", "police", "danger", "risk", "crisis", "partner", "child")
# Parsed YAML by file content: an unchanged file is never parsed twice (the loader only reads it).
_PARSED: Dict[str, Any] = {}
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SAVE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z_]+)?$")
INTENT_RE = re.compile(r"^[a-z][a-z_]*$")

STEP_FIELDS = {
    "message": {"wait"},
    "question": {"save_as"},
    "number": {"min", "max", "save_as"},
    "yesno": {"on_yes", "on_no", "save_as"},
    "quiz": {"options", "right", "wrong"},
    "choice": {"options", "save_as"},
}
COMMON_FIELDS = {"id", "type", "text", "skippable", "when", "reask"}

# Intents the dialogue's rules depend on; language/ must define each of them.
REQUIRED_INTENTS = (
    "greet", "start_session", "resume", "affirm", "deny", "dunno", "number", "inform",
    "help", "ask_progress", "skip", "repeat", "pause", "toolkit", "choose_week",
    "thanks", "goodbye", "set_reminder", "nudge",
)


@dataclass(frozen=True)
class Problem:
    source: Source
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: List[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def fingerprint(content_dir: Path) -> str:
    """A hash of every content file: changes whenever an author saves a change."""
    h = hashlib.sha256()
    for path in sorted(content_dir.rglob("*.yml")):
        h.update(str(path.relative_to(content_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _line(node: Any, key: Any = None, default: int = 1) -> int:
    """1-based line of ``node`` (or of ``node[key]``) from ruamel's position info."""
    try:
        if key is None:
            return node.lc.line + 1
        if isinstance(key, int):
            return node.lc.item(key)[0] + 1
        return node.lc.key(key)[0] + 1
    except Exception:
        return default


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class _Loader:
    def __init__(self, content_dir: Path):
        self.dir = content_dir
        self.problems: List[Problem] = []
        self.yaml = YAML(typ="rt")
        self.saved_names: Dict[str, Source] = {}
        self.answer_refs: List[Tuple[str, Source]] = []
        self.unreadable: List[str] = []  # files that could not be parsed

    # -- helpers ---------------------------------------------------------------------

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
            self.problem(name, line, f"YAML can't be read: {what}; check indentation and quotes on this line or the one above")
        return name, None

    def check_text(self, file: str, line: int, where: str, text: Any, allowed: Iterable[str], *, answers_ok: bool) -> Optional[str]:
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

    # -- programme and messages --------------------------------------------------------

    def programme(self) -> Programme:
        file, data = self.read(self.dir / "programme.yml")
        defaults = dict(name="ADVANCE-D coach", weekly_sessions=12, first_week_opens_after_days=7,
                        programme_length_weeks=14, booster_opens_months_after_end=1)
        if data is None:
            return Programme(**defaults)
        values = dict(defaults)
        for key in defaults:
            if key in data:
                v = data[key]
                if key != "name" and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                    self.problem(file, _line(data, key), f"'{key}' must be a whole number, got {v!r}")
                else:
                    values[key] = v
        for key in data:
            if key not in defaults:
                self.problem(file, _line(data, key), f"unknown setting '{key}'{_suggest(key, defaults)}; remove it")
        return Programme(**values)

    def messages(self) -> Dict[str, str]:
        file, data = self.read(self.dir / "messages.yml")
        out: Dict[str, str] = {}
        if data is None:
            return out
        known = MESSAGE_PLACEHOLDERS
        for key in data:
            line = _line(data, key)
            if key not in known:
                self.problem(file, line, f"unknown message '{key}'{_suggest(key, known)}; the coach never sends it, so rename or remove it")
                continue
            text = self.check_text(file, line, f"message '{key}'", data[key], known[key], answers_ok=False)
            if text:
                out[key] = text
        for key in MESSAGE_PLACEHOLDERS:
            if key not in data:
                self.problem(file, 1, f"message '{key}' is missing; add it (the coach needs it)")
        return out

    # -- steps -------------------------------------------------------------------------

    def blocks(self) -> Dict[str, Tuple[List[Step], Source]]:
        out = {}
        for path in sorted((self.dir / "blocks").glob("*.yml")):
            file, data = self.read(path)
            if data is None:
                continue
            if not isinstance(data, dict) or "steps" not in data:
                self.problem(file, 1, "a block needs 'steps:' with a list of steps")
                continue
            steps = self.steps(file, data, prefix=f"{path.stem}.", allow_use=False)
            out[path.stem] = (steps, Source(file, 1))
        return out

    def steps(self, file: str, parent: Any, prefix: str = "", blocks: Optional[Dict] = None, allow_use: bool = True) -> List[Step]:
        raw = parent.get("steps")
        if not isinstance(raw, list) or not raw:
            self.problem(file, _line(parent, "steps") if "steps" in parent else 1, "'steps' must be a list with at least one step")
            return []
        steps: List[Step] = []
        used_blocks: Dict[str, int] = {}
        for i, item in enumerate(raw):
            line = _line(raw, i)
            if isinstance(item, dict) and "use" in item:
                if not allow_use:
                    self.problem(file, line, "a block can't 'use' another block; copy the steps in")
                    continue
                name = item["use"]
                if blocks is None or name not in blocks:
                    self.problem(file, line, f"'use: {name}' refers to no block{_suggest(name, blocks or {})}; "
                                 f"use one of: {', '.join(sorted(blocks or {}))}")
                    continue
                extra = set(item) - {"use"}
                if extra:
                    self.problem(file, line, f"'use' steps take no other fields; remove {', '.join(sorted(extra))}")
                if name in used_blocks:
                    self.problem(file, line, f"'use: {name}' is already used on line {used_blocks[name]}; "
                                 "a session can use each block once, so remove this line")
                    continue
                used_blocks[name] = line
                steps.extend(blocks[name][0])
                continue
            step = self.step(file, line, item, prefix)
            if step:
                steps.append(step)
        seen: Dict[str, int] = {}
        for step in steps:
            if step.id in seen and step.source.file == file:
                self.problem(file, step.source.line, f"step id '{step.id}' is used twice (also line {seen[step.id]}); give each step its own id")
            seen.setdefault(step.id, step.source.line)
        return steps

    def step(self, file: str, line: int, item: Any, prefix: str) -> Optional[Step]:
        if not isinstance(item, dict):
            self.problem(file, line, "each step must be a set of 'field: value' lines starting with '- id:'")
            return None
        sid = item.get("id")
        if sid is None:
            self.problem(file, line, "step has no 'id'; add one like 'id: recap-1'")
            sid = f"step-{line}"
        elif not isinstance(sid, str) or not ID_RE.match(sid):
            self.problem(file, _line(item, "id", line), f"step id {sid!r} must use small letters, numbers and '-' only, like 'recap-1'")
            sid = str(sid)
        stype = item.get("type")
        if stype not in STEP_TYPES:
            if stype is None:
                self.problem(file, line, f"step '{sid}' has no 'type'; use one of: {', '.join(STEP_TYPES)}")
            else:
                self.problem(file, _line(item, "type", line), f"unknown step type '{stype}'{_suggest(stype, STEP_TYPES)}; use one of: {', '.join(STEP_TYPES)}")
            return None
        allowed_fields = COMMON_FIELDS | STEP_FIELDS[stype]
        for key in item:
            if key not in allowed_fields:
                self.problem(file, _line(item, key, line), f"'{key}' is not a field of a {stype} step{_suggest(key, allowed_fields)}; remove it")
        where = f"step '{sid}'"
        text = self.check_text(file, _line(item, "text", line), where, item.get("text"), STEP_PLACEHOLDERS, answers_ok=True) or ""
        extras: Dict[str, Any] = {}
        for name in ("right", "wrong", "on_yes", "on_no", "reask"):
            if name in item:
                extras[name] = self.check_text(file, _line(item, name, line), f"{where} '{name}'", item[name], STEP_PLACEHOLDERS, answers_ok=True)
        when = item.get("when")
        if when is not None and when not in WHEN_VALUES:
            self.problem(file, _line(item, "when", line), f"'when: {when}' is not understood; use {' or '.join(WHEN_VALUES)}")
            when = None
        for flag in ("skippable", "wait"):
            if flag in item and not isinstance(item[flag], bool):
                self.problem(file, _line(item, flag, line), f"'{flag}' must be true or false")
        save_as = item.get("save_as")
        if save_as is not None:
            if not isinstance(save_as, str) or not SAVE_RE.match(save_as):
                self.problem(file, _line(item, "save_as", line), f"save_as {save_as!r} must be a name in small letters and '_', like 'warning_signs'")
                save_as = None
            elif "." in save_as and save_as not in RESERVED_SAVES:
                self.problem(file, _line(item, "save_as", line), f"save_as '{save_as}' is not a record name{_suggest(save_as, RESERVED_SAVES)}; "
                             f"use one of {', '.join(RESERVED_SAVES)} or a plain name without '.'")
                save_as = None
            elif save_as in RESERVED_SAVES and RESERVED_SAVES[save_as] != stype:
                self.problem(file, _line(item, "save_as", line), f"save_as '{save_as}' needs a {RESERVED_SAVES[save_as]} step, not {stype}")
        elif stype == "question":
            save_as = sid
        if save_as and "." not in save_as:
            self.saved_names.setdefault(save_as, Source(file, line))
        lo = hi = None
        if stype == "number":
            lo, hi = item.get("min"), item.get("max")
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)):
                self.problem(file, line, f"{where} needs whole numbers 'min' and 'max' (for example min: 0 and max: 10)")
                lo, hi = 0, 10
            elif lo >= hi:
                self.problem(file, _line(item, "max", line), f"{where}: 'max' ({hi}) must be bigger than 'min' ({lo})")
        options: Tuple[Option, ...] = ()
        if stype in ("quiz", "choice"):
            options = self.options(file, line, where, item, quiz=(stype == "quiz"))
            if stype == "quiz":
                for name in ("right", "wrong"):
                    if name not in item:
                        self.problem(file, line, f"quiz '{sid}' needs '{name}:' (what to say when his answer is {name})")
        return Step(
            id=prefix + sid, type=stype, text=text, source=Source(file, line), save_as=save_as,
            min=lo, max=hi, options=options, right=extras.get("right"), wrong=extras.get("wrong"),
            on_yes=extras.get("on_yes"), on_no=extras.get("on_no"), wait=bool(item.get("wait", False)),
            skippable=bool(item.get("skippable", True)), when=when, reask=extras.get("reask"),
        )

    def options(self, file: str, line: int, where: str, item: Any, quiz: bool) -> Tuple[Option, ...]:
        raw = item.get("options")
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(file, _line(item, "options", line) if "options" in item else line,
                         f"{where} needs 'options:' with at least two choices (each with 'key' and 'text')")
            return ()
        out = []
        for i, opt in enumerate(raw):
            oline = _line(raw, i, line)
            if not isinstance(opt, dict) or "key" not in opt or "text" not in opt:
                self.problem(file, oline, f"each option of {where} needs 'key' (like A) and 'text'")
                continue
            key = str(opt["key"]).strip()
            text = str(opt["text"]).strip()
            if not re.fullmatch(r"[A-Za-z0-9]{1,2}", key):
                self.problem(file, oline, f"option key {key!r} of {where} should be a letter or number, like A or 1")
            out.append(Option(key=key.upper(), text=text, correct=bool(opt.get("correct", False))))
        keys = [o.key for o in out]
        if len(set(keys)) != len(keys):
            self.problem(file, line, f"{where} has two options with the same key; give each a different letter")
        if quiz and sum(o.correct for o in out) != 1:
            self.problem(file, line, f"{where} needs exactly one option with 'correct: true'")
        if not quiz and any(o.correct for o in out):
            self.problem(file, line, f"{where} is a choice (no right answer); remove 'correct', or make it a quiz")
        return tuple(out)

    # -- sessions and toolkit ----------------------------------------------------------

    def sessions(self, programme: Programme, blocks: Dict) -> Dict[int, Flow]:
        out: Dict[int, Flow] = {}
        paths = sorted((self.dir / "sessions").glob("*.yml"))
        for path in paths:
            file, data = self.read(path)
            if data is None:
                continue
            if not isinstance(data, dict):
                self.problem(file, 1, "a session file must start with 'week:' and 'title:', then 'steps:'")
                continue
            for key in data:
                if key not in {"week", "booster", "title", "summary", "steps"}:
                    self.problem(file, _line(data, key), f"unknown field '{key}'{_suggest(key, ['week', 'booster', 'title', 'summary', 'steps'])}; remove it")
            if data.get("booster") is True:
                week = programme.booster_week
            else:
                week = data.get("week")
                if not isinstance(week, int) or isinstance(week, bool) or not 0 <= week <= programme.weekly_sessions:
                    self.problem(file, _line(data, "week") if "week" in data else 1,
                                 f"'week' must be a number from 0 to {programme.weekly_sessions} (or write 'booster: true')")
                    continue
            title = data.get("title")
            if not isinstance(title, str) or not title.strip():
                self.problem(file, 1, "session has no 'title'; add a short one, like 'title: Taking a time-out'")
                title = f"week {week}"
            if week in out:
                self.problem(file, 1, f"week {week} is already in {out[week].source.file}; each week needs its own file")
                continue
            steps = self.steps(file, data, blocks=blocks)
            key = "booster" if week == programme.booster_week else f"week:{week}"
            flow = Flow(key=key, title=title.strip(), steps=tuple(steps), source=Source(file, 1),
                        week=week, summary=str(data.get("summary") or "").strip())
            if steps:
                self.session_shape(file, flow, programme)
            out[week] = flow
        if self.unreadable:
            return out  # a file we couldn't read may be the "missing" week: fix the YAML first
        for week in range(0, programme.weekly_sessions + 2):
            if week not in out:
                what = "welcome session (week: 0)" if week == 0 else (
                    "booster (booster: true)" if week == programme.booster_week else f"week {week}")
                self.problem(display_path(self.dir / "sessions"), 1, f"the {what} is missing; add a file for it in content/sessions/")
        return out

    def session_shape(self, file: str, flow: Flow, programme: Programme) -> None:
        """Weekly sessions follow the programme's shape (see content/README.md)."""
        if not flow.interactive_steps:
            self.problem(file, 1, "this session never asks him anything; add at least one question")
        if flow.steps[-1].type != "message" or flow.steps[-1].wait:
            self.problem(file, flow.steps[-1].source.line, "a session must end with a closing 'message' step (what comes next, how to get help)")
        if not 1 <= (flow.week or 0) <= programme.weekly_sessions:
            return
        ids = [s.id for s in flow.steps]
        types = [s.type for s in flow.steps]
        if not any(i.startswith("checkin.") for i in ids):
            self.problem(file, 1, "weekly session has no check-in; add '- use: checkin' as the first step")
        if not any(i.startswith("goal_review.") for i in ids):
            self.problem(file, 1, "weekly session has no goal review; add '- use: goal_review' before the close")
        if "quiz" not in types:
            self.problem(file, 1, "weekly session has no 'quiz' step to check he understood the recap; add one")
        own_questions = [s for s in flow.steps if s.type == "question" and "." not in s.id]
        if len(own_questions) < 2:
            self.problem(file, 1, "weekly session needs a practice exercise and a reflection: at least two 'question' steps")
        close = flow.steps[-1].text.lower()
        if "coaching" not in close:
            self.problem(file, flow.steps[-1].source.line, "the closing message should mention his coaching call")
        if not any(word in close for word in ("tools", "999", "samaritans")):
            self.problem(file, flow.steps[-1].source.line, "the closing message should say how to get help (TOOLS, 999 or Samaritans 116 123)")

    def toolkit(self) -> Toolkit:
        path = self.dir / "toolkit.yml"
        file, data = self.read(path)
        empty = Toolkit(intro="", after="", tools=(), source=Source(display_path(path), 1))
        if not isinstance(data, dict):
            if data is not None:
                self.problem(file, 1, "toolkit.yml needs 'intro:', 'tools:' and 'after:'")
            return empty
        intro = self.check_text(file, _line(data, "intro") if "intro" in data else 1, "toolkit 'intro'", data.get("intro"), (), answers_ok=False) or ""
        after = self.check_text(file, _line(data, "after") if "after" in data else 1, "toolkit 'after'", data.get("after"), (), answers_ok=False) or ""
        tools = []
        raw = data.get("tools")
        if not isinstance(raw, list) or not raw:
            self.problem(file, 1, "toolkit needs 'tools:' with at least one tool")
            raw = []
        for i, item in enumerate(raw):
            line = _line(raw, i)
            if not isinstance(item, dict) or not all(k in item for k in ("key", "id", "name", "steps")):
                self.problem(file, line, "each tool needs 'key' (a number), 'id', 'name' and 'steps'")
                continue
            tid = str(item["id"])
            if not ID_RE.match(tid):
                self.problem(file, _line(item, "id", line), f"tool id {tid!r} must use small letters, numbers and '-'")
            steps = self.steps(file, item, prefix="")
            flow = Flow(key=f"{TOOLKIT}:{tid}", title=str(item["name"]), steps=tuple(steps), source=Source(file, line))
            tools.append(Tool(key=str(item["key"]), id=tid, name=str(item["name"]).strip(), flow=flow))
        keys = [t.key for t in tools]
        if len(set(keys)) != len(keys):
            self.problem(file, 1, "two tools have the same 'key'; number them 1, 2, 3...")
        kit = Toolkit(intro=intro, after=after, tools=tuple(tools), source=Source(file, 1))
        if tools and sms.segment_count(kit.menu_text()) > MAX_SEGMENTS:
            self.problem(file, 1, f"the toolkit menu is too long for SMS: {sms.describe(kit.menu_text())}; shorten 'intro' or the tool names")
        return kit

    def language(self) -> Dict[str, List[str]]:
        out: Dict[str, List[str]] = {}
        seen: Dict[str, Tuple[str, Source]] = {}
        for path in sorted((self.dir / "language").glob("*.yml")):
            file, data = self.read(path)
            if not isinstance(data, dict):
                if data is not None:
                    self.problem(file, 1, "a language file needs 'intent:', 'means:' and 'examples:'")
                continue
            intent = data.get("intent")
            if not isinstance(intent, str) or not INTENT_RE.match(intent):
                self.problem(file, 1, "'intent' must be a name in small letters and '_', like 'affirm'")
                continue
            if intent in out:
                self.problem(file, 1, f"intent '{intent}' is defined in two files; merge them")
                continue
            examples = data.get("examples")
            if not isinstance(examples, list) or len(examples) < 2:
                self.problem(file, _line(data, "examples") if "examples" in data else 1,
                             "'examples' must be a list with at least two phrases")
                continue
            good = []
            for i, ex in enumerate(examples):
                line = _line(examples, i)
                if not isinstance(ex, str) or not ex.strip():
                    self.problem(file, line, f"example {ex!r} is not text; put it in double quotes, like \"yes\"")
                    continue
                norm = normalise_example(ex)
                if norm in seen and seen[norm][0] != intent:
                    other_intent, other = seen[norm]
                    self.problem(file, line, f"example {ex!r} also means '{other_intent}' ({other}); keep it in one place only")
                    continue
                if norm in seen:
                    continue  # a harmless repeat within one intent
                seen[norm] = (intent, Source(file, line))
                good.append(ex.strip())
            out[intent] = good
        for intent in REQUIRED_INTENTS:
            if intent not in out:
                self.problem(display_path(self.dir / "language"), 1, f"no examples for '{intent}'; add language/{intent}.yml")
        return out

    def safety_replies(self) -> Dict[str, Any]:
        """content/safety/replies.yml: one reply per category and severity, plus the safety question."""
        path = self.dir / "safety" / "replies.yml"
        file, data = self.read(path)
        out: Dict[str, Any] = {}
        if not isinstance(data, dict):
            return out
        for key in SAFETY_MESSAGES:
            if key not in data:
                self.problem(file, 1, f"'{key}' is missing; add it (the coach needs it after a risk reply)")
            else:
                out[key] = self.check_text(file, _line(data, key), f"'{key}'", data[key], (), answers_ok=False)
        for category, severities in SAFETY_REPLIES.items():
            block = data.get(category)
            if not isinstance(block, dict):
                self.problem(file, 1, f"no replies for '{category}'; add '{category}:' with {', '.join(severities)}")
                continue
            for severity in severities:
                item = block.get(severity)
                line = _line(block, severity) if severity in block else _line(data, category)
                if not isinstance(item, dict):
                    self.problem(file, line, f"'{category}' has no '{severity}' reply; add it with 'text:' and 'ask_safe:'")
                    continue
                text = self.check_text(file, _line(item, "text", line), f"{category} {severity} reply", item.get("text"), (), answers_ok=False)
                if text and "999" not in text:
                    self.problem(file, line, f"the {category} {severity} reply must say to call 999 if anyone is in danger")
                if not isinstance(item.get("ask_safe"), bool):
                    self.problem(file, line, f"'{category}' '{severity}' needs 'ask_safe: true' or 'ask_safe: false'")
                out[f"{category}.{severity}"] = {"text": text or "", "ask_safe": bool(item.get("ask_safe"))}
        for key in data:
            if key not in SAFETY_REPLIES and key not in SAFETY_MESSAGES:
                self.problem(file, _line(data, key), f"unknown entry '{key}'{_suggest(key, list(SAFETY_REPLIES) + list(SAFETY_MESSAGES))}; remove it")
        return out

    def staff_alerts(self) -> Dict[str, str]:
        """content/safety/staff_alerts.yml: what staff receive. The first line must be discreet."""
        file, data = self.read(self.dir / "safety" / "staff_alerts.yml")
        out: Dict[str, str] = {}
        if not isinstance(data, dict):
            return out
        for key, (allowed, sms_length) in STAFF_ALERT_TEMPLATES.items():
            if key not in data or not isinstance(data[key], str) or not data[key].strip():
                self.problem(file, 1, f"'{key}' is missing; add it")
                continue
            line = _line(data, key)
            text = data[key].strip()
            for name, _arg, _fb in placeholders(text):
                if name not in allowed:
                    self.problem(file, line, f"'{key}' uses {{{name}}}; use only {', '.join('{' + a + '}' for a in allowed)}")
            if sms_length and sms.segment_count(estimate(text)) > MAX_SEGMENTS:
                self.problem(file, line, f"'{key}' is too long for SMS: {sms.describe(estimate(text))}; shorten it")
            out[key] = text
        for key in ("telegram", "sms", "first_line"):
            first = out.get(key, "").splitlines()[0] if out.get(key) else ""
            bad = [w for w in DISCREET_WORDS if re.search(rf"\b{w}", first.lower())]
            if bad or "{text}" in first or "{category}" in first:
                self.problem(file, _line(data, key), f"the first line of '{key}' shows on a lock screen; take out {', '.join(bad) or '{text}/{category}'}")
        return out

    def reminders(self) -> Dict[str, str]:
        """content/reminders.yml: proactive messages. The first line shows on a lock screen."""
        file, data = self.read(self.dir / "reminders.yml")
        out: Dict[str, str] = {}
        if not isinstance(data, dict):
            return out
        for key, allowed in REMINDER_MESSAGES.items():
            if key not in data:
                self.problem(file, 1, f"reminder '{key}' is missing; add it")
                continue
            line = _line(data, key)
            text = self.check_text(file, line, f"reminder '{key}'", data[key], allowed, answers_ok=False)
            if not text:
                continue
            first = text.splitlines()[0].lower()
            bad = [w for w in DISCREET_WORDS if re.search(rf"\b{w}", first)]
            if key != "next_group" and (bad or "{" in first):  # next_group is a fragment of other messages
                self.problem(file, line, f"the first line of '{key}' shows on a lock screen; take out "
                             f"{', '.join(bad) or 'the {...}'} (a neutral first line like \"Hi, it's your coach.\")")
            out[key] = text
        for key in data:
            if key not in REMINDER_MESSAGES:
                self.problem(file, _line(data, key), f"unknown reminder '{key}'{_suggest(key, REMINDER_MESSAGES)}; remove it")
        return out

    def references(self) -> None:
        if self.unreadable:
            return  # the answer may be saved in the file we couldn't read
        for name, source in self.answer_refs:
            if name not in self.saved_names:
                self.problem(source.file, source.line,
                             f"{{answer:{name}}} refers to an answer no step saves{_suggest(name, self.saved_names)}; "
                             "use a save_as name from a session")


def normalise_example(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def _load(content_dir: Path) -> Tuple[Content, List[Problem]]:
    content_dir = Path(content_dir)
    loader = _Loader(content_dir)
    programme = loader.programme()
    messages = loader.messages()
    blocks = loader.blocks()
    sessions = loader.sessions(programme, blocks)
    toolkit = loader.toolkit()
    language = loader.language()
    extra = {"safety_replies": loader.safety_replies(), "staff_alerts": loader.staff_alerts(),
             "reminders": loader.reminders()}
    loader.references()
    content = Content(programme=programme, messages=messages, sessions=sessions, toolkit=toolkit,
                      language=language, fingerprint=fingerprint(content_dir), extra=extra)
    return content, loader.problems


def check_content(content_dir: Path) -> List[Problem]:
    return _load(content_dir)[1]


def load_content(content_dir: Path) -> Content:
    """Load and check everything but the risk lexicon (``escalation.check`` checks that; the
    running coach's detector validates it when it loads it)."""
    content, problems = _load(content_dir)
    if problems:
        raise ContentError(problems)
    return content
