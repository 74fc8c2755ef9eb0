"""The programme and what he is walked through: ``programme.yml``, ``messages.yml``,
``blocks/``, ``sessions/`` and ``toolkit.yml``, down to each step and its options.

Each function reads its file(s) with a ``Reader``, records every problem it finds, and
returns what could be loaded (so one pass reports every mistake at once).
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from coach.core.text import sms
from coach.programme.content.model import (
    MESSAGE_PLACEHOLDERS,
    RESERVED_SAVES,
    STEP_PLACEHOLDERS,
    STEP_TYPES,
    TOOLKIT,
    WHEN_VALUES,
    Flow,
    Option,
    Programme,
    Source,
    Step,
    Tool,
    Toolkit,
)
from coach.programme.content.reader import (
    MAX_SEGMENTS,
    Reader,
    display_path,
    line_of,
    suggest,
)

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SAVE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z_]+)?$")

STEP_FIELDS = {
    "message": {"wait"},
    "question": {"save_as"},
    "number": {"min", "max", "save_as"},
    "yesno": {"on_yes", "on_no", "save_as"},
    "quiz": {"options", "right", "wrong"},
    "choice": {"options", "save_as"},
}
COMMON_FIELDS = {"id", "type", "text", "skippable", "when", "reask"}
SESSION_FIELDS = ["week", "booster", "title", "summary", "video", "steps"]

Blocks = Dict[str, Tuple[List[Step], Source]]

# -- programme and messages --------------------------------------------------------


def programme(r: Reader) -> Programme:
    file, data = r.read(r.dir / "programme.yml")
    defaults = dict(name="ADVANCE-D coach", weekly_sessions=12, first_week_opens_after_days=7,
                    programme_length_weeks=14, booster_opens_months_after_end=1)
    if data is None:
        return Programme(**defaults)
    values = dict(defaults)
    for key in defaults:
        if key in data:
            v = data[key]
            if key != "name" and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                r.problem(file, line_of(data, key), f"'{key}' must be a whole number, got {v!r}")
            else:
                values[key] = v
    for key in data:
        if key not in defaults:
            r.problem(file, line_of(data, key), f"unknown setting '{key}'{suggest(key, defaults)}; remove it")
    return Programme(**values)


def messages(r: Reader) -> Dict[str, str]:
    file, data = r.read(r.dir / "messages.yml")
    out: Dict[str, str] = {}
    if data is None:
        return out
    known = MESSAGE_PLACEHOLDERS
    for key in data:
        line = line_of(data, key)
        if key not in known:
            r.problem(file, line, f"unknown message '{key}'{suggest(key, known)}; "
                      "the coach never sends it, so rename or remove it")
            continue
        text = r.check_text(file, line, f"message '{key}'", data[key], known[key], answers_ok=False)
        if text:
            out[key] = text
    for key in MESSAGE_PLACEHOLDERS:
        if key not in data:
            r.problem(file, 1, f"message '{key}' is missing; add it (the coach needs it)")
    return out


# -- steps -------------------------------------------------------------------------


def blocks(r: Reader) -> Blocks:
    out = {}
    for path in sorted((r.dir / "blocks").glob("*.yml")):
        file, data = r.read(path)
        if data is None:
            continue
        if not isinstance(data, dict) or "steps" not in data:
            r.problem(file, 1, "a block needs 'steps:' with a list of steps")
            continue
        found = steps(r, file, data, prefix=f"{path.stem}.", allow_use=False)
        out[path.stem] = (found, Source(file, 1))
    return out


def steps(r: Reader, file: str, parent: Any, prefix: str = "", blocks: Optional[Blocks] = None,
          allow_use: bool = True) -> List[Step]:
    """The ``steps:`` list of ``parent`` (a session, block or tool), with ``- use: BLOCK`` expanded."""
    raw = parent.get("steps")
    if not isinstance(raw, list) or not raw:
        r.problem(file, line_of(parent, "steps") if "steps" in parent else 1,
                  "'steps' must be a list with at least one step")
        return []
    out: List[Step] = []
    used_blocks: Dict[str, int] = {}
    for i, item in enumerate(raw):
        line = line_of(raw, i)
        if isinstance(item, dict) and "use" in item:
            if not allow_use:
                r.problem(file, line, "a block can't 'use' another block; copy the steps in")
                continue
            name = item["use"]
            if blocks is None or name not in blocks:
                r.problem(file, line, f"'use: {name}' refers to no block{suggest(name, blocks or {})}; "
                          f"use one of: {', '.join(sorted(blocks or {}))}")
                continue
            extra = set(item) - {"use"}
            if extra:
                r.problem(file, line, f"'use' steps take no other fields; remove {', '.join(sorted(extra))}")
            if name in used_blocks:
                r.problem(file, line, f"'use: {name}' is already used on line {used_blocks[name]}; "
                          "a session can use each block once, so remove this line")
                continue
            used_blocks[name] = line
            out.extend(blocks[name][0])
            continue
        found = step(r, file, line, item, prefix)
        if found:
            out.append(found)
    seen: Dict[str, int] = {}
    for s in out:
        if s.id in seen and s.source.file == file:
            r.problem(file, s.source.line, f"step id '{s.id}' is used twice (also line {seen[s.id]}); "
                      "give each step its own id")
        seen.setdefault(s.id, s.source.line)
    return out


def step(r: Reader, file: str, line: int, item: Any, prefix: str) -> Optional[Step]:
    if not isinstance(item, dict):
        r.problem(file, line, "each step must be a set of 'field: value' lines starting with '- id:'")
        return None
    sid = _step_id(r, file, line, item)
    stype = item.get("type")
    if stype not in STEP_TYPES:
        if stype is None:
            r.problem(file, line, f"step '{sid}' has no 'type'; use one of: {', '.join(STEP_TYPES)}")
        else:
            r.problem(file, line_of(item, "type", line), f"unknown step type '{stype}'{suggest(stype, STEP_TYPES)}; "
                      f"use one of: {', '.join(STEP_TYPES)}")
        return None
    allowed_fields = COMMON_FIELDS | STEP_FIELDS[stype]
    for key in item:
        if key not in allowed_fields:
            r.problem(file, line_of(item, key, line),
                      f"'{key}' is not a field of a {stype} step{suggest(key, allowed_fields)}; remove it")
    where = f"step '{sid}'"
    text = r.check_text(file, line_of(item, "text", line), where, item.get("text"), STEP_PLACEHOLDERS,
                        answers_ok=True) or ""
    extras: Dict[str, Any] = {}
    for name in ("right", "wrong", "on_yes", "on_no", "reask"):
        if name in item:
            extras[name] = r.check_text(file, line_of(item, name, line), f"{where} '{name}'", item[name],
                                        STEP_PLACEHOLDERS, answers_ok=True)
    when = item.get("when")
    if when is not None and when not in WHEN_VALUES:
        r.problem(file, line_of(item, "when", line),
                  f"'when: {when}' is not understood; use {' or '.join(WHEN_VALUES)}")
        when = None
    for flag in ("skippable", "wait"):
        if flag in item and not isinstance(item[flag], bool):
            r.problem(file, line_of(item, flag, line), f"'{flag}' must be true or false")
    save_as = _save_as(r, file, line, item, sid, stype)
    lo = hi = None
    if stype == "number":
        lo, hi = _number_range(r, file, line, where, item)
    options: Tuple[Option, ...] = ()
    if stype in ("quiz", "choice"):
        options = _options(r, file, line, where, item, quiz=(stype == "quiz"))
        if stype == "quiz":
            for name in ("right", "wrong"):
                if name not in item:
                    r.problem(file, line, f"quiz '{sid}' needs '{name}:' (what to say when his answer is {name})")
    return Step(
        id=prefix + sid, type=stype, text=text, source=Source(file, line), save_as=save_as,
        min=lo, max=hi, options=options, right=extras.get("right"), wrong=extras.get("wrong"),
        on_yes=extras.get("on_yes"), on_no=extras.get("on_no"), wait=bool(item.get("wait", False)),
        skippable=bool(item.get("skippable", True)), when=when, reask=extras.get("reask"),
    )


def _step_id(r: Reader, file: str, line: int, item: Dict) -> str:
    sid = item.get("id")
    if sid is None:
        r.problem(file, line, "step has no 'id'; add one like 'id: recap-1'")
        return f"step-{line}"
    if not isinstance(sid, str) or not ID_RE.match(sid):
        r.problem(file, line_of(item, "id", line),
                  f"step id {sid!r} must use small letters, numbers and '-' only, like 'recap-1'")
        return str(sid)
    return sid


def _save_as(r: Reader, file: str, line: int, item: Dict, sid: str, stype: str) -> Optional[str]:
    """Where the step's answer is saved (a question saves under its id by default); record the name."""
    save_as = item.get("save_as")
    if save_as is not None:
        if not isinstance(save_as, str) or not SAVE_RE.match(save_as):
            r.problem(file, line_of(item, "save_as", line),
                      f"save_as {save_as!r} must be a name in small letters and '_', like 'warning_signs'")
            save_as = None
        elif "." in save_as and save_as not in RESERVED_SAVES:
            r.problem(file, line_of(item, "save_as", line),
                      f"save_as '{save_as}' is not a record name{suggest(save_as, RESERVED_SAVES)}; "
                      f"use one of {', '.join(RESERVED_SAVES)} or a plain name without '.'")
            save_as = None
        elif save_as in RESERVED_SAVES and RESERVED_SAVES[save_as] != stype:
            r.problem(file, line_of(item, "save_as", line),
                      f"save_as '{save_as}' needs a {RESERVED_SAVES[save_as]} step, not {stype}")
    elif stype == "question":
        save_as = sid
    if save_as and "." not in save_as:
        r.saved_names.setdefault(save_as, Source(file, line))
    return save_as


def _number_range(r: Reader, file: str, line: int, where: str, item: Dict) -> Tuple[int, int]:
    lo, hi = item.get("min"), item.get("max")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (lo, hi)):
        r.problem(file, line, f"{where} needs whole numbers 'min' and 'max' (for example min: 0 and max: 10)")
        return 0, 10
    if lo >= hi:
        r.problem(file, line_of(item, "max", line), f"{where}: 'max' ({hi}) must be bigger than 'min' ({lo})")
    return lo, hi


def _options(r: Reader, file: str, line: int, where: str, item: Any, quiz: bool) -> Tuple[Option, ...]:
    raw = item.get("options")
    if not isinstance(raw, list) or len(raw) < 2:
        r.problem(file, line_of(item, "options", line) if "options" in item else line,
                  f"{where} needs 'options:' with at least two choices (each with 'key' and 'text')")
        return ()
    out = []
    for i, opt in enumerate(raw):
        oline = line_of(raw, i, line)
        if not isinstance(opt, dict) or "key" not in opt or "text" not in opt:
            r.problem(file, oline, f"each option of {where} needs 'key' (like A) and 'text'")
            continue
        key = str(opt["key"]).strip()
        text = str(opt["text"]).strip()
        if not re.fullmatch(r"[A-Za-z0-9]{1,2}", key):
            r.problem(file, oline, f"option key {key!r} of {where} should be a letter or number, like A or 1")
        out.append(Option(key=key.upper(), text=text, correct=bool(opt.get("correct", False))))
    keys = [o.key for o in out]
    if len(set(keys)) != len(keys):
        r.problem(file, line, f"{where} has two options with the same key; give each a different letter")
    if quiz and sum(o.correct for o in out) != 1:
        r.problem(file, line, f"{where} needs exactly one option with 'correct: true'")
    if not quiz and any(o.correct for o in out):
        r.problem(file, line, f"{where} is a choice (no right answer); remove 'correct', or make it a quiz")
    return tuple(out)


def check_answer_references(r: Reader) -> None:
    """Every ``{answer:NAME}`` names an answer some step saves (run once every file is read)."""
    if r.unreadable:
        return  # the answer may be saved in the file we couldn't read
    for name, source in r.answer_refs:
        if name not in r.saved_names:
            r.problem(source.file, source.line,
                      f"{{answer:{name}}} refers to an answer no step saves{suggest(name, r.saved_names)}; "
                      "use a save_as name from a session")


# -- sessions and toolkit ----------------------------------------------------------


def sessions(r: Reader, programme: Programme, blocks: Blocks) -> Dict[int, Flow]:
    out: Dict[int, Flow] = {}
    paths = sorted((r.dir / "sessions").glob("*.yml"))
    for path in paths:
        file, data = r.read(path)
        if data is None:
            continue
        if not isinstance(data, dict):
            r.problem(file, 1, "a session file must start with 'week:' and 'title:', then 'steps:'")
            continue
        for key in data:
            if key not in SESSION_FIELDS:
                r.problem(file, line_of(data, key), f"unknown field '{key}'{suggest(key, SESSION_FIELDS)}; remove it")
        if data.get("booster") is True:
            week = programme.booster_week
        else:
            week = data.get("week")
            if not isinstance(week, int) or isinstance(week, bool) or not 0 <= week <= programme.weekly_sessions:
                r.problem(file, line_of(data, "week") if "week" in data else 1,
                          f"'week' must be a number from 0 to {programme.weekly_sessions} (or write 'booster: true')")
                continue
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            r.problem(file, 1, "session has no 'title'; add a short one, like 'title: Taking a time-out'")
            title = f"week {week}"
        if week in out:
            r.problem(file, 1, f"week {week} is already in {out[week].source.file}; each week needs its own file")
            continue
        found = steps(r, file, data, blocks=blocks)
        key = "booster" if week == programme.booster_week else f"week:{week}"
        video = data.get("video") or ""
        if video and not (isinstance(video, str) and re.fullmatch(r"https://\S+", video.strip())):
            r.problem(file, line_of(data, "video"), "'video' must be one web link starting https://, or left out")
            video = ""
        flow = Flow(key=key, title=title.strip(), steps=tuple(found), source=Source(file, 1),
                    week=week, summary=str(data.get("summary") or "").strip(), video=video.strip())
        if found:
            session_shape(r, file, flow, programme)
        out[week] = flow
    if r.unreadable:
        return out  # a file we couldn't read may be the "missing" week: fix the YAML first
    for week in range(0, programme.weekly_sessions + 2):
        if week not in out:
            what = "welcome session (week: 0)" if week == 0 else (
                "booster (booster: true)" if week == programme.booster_week else f"week {week}")
            r.problem(display_path(r.dir / "sessions"), 1,
                      f"the {what} is missing; add a file for it in content/sessions/")
    return out


def session_shape(r: Reader, file: str, flow: Flow, programme: Programme) -> None:
    """Weekly sessions follow the programme's shape (see content/README.md)."""
    if not flow.interactive_steps:
        r.problem(file, 1, "this session never asks him anything; add at least one question")
    if flow.steps[-1].type != "message" or flow.steps[-1].wait:
        r.problem(file, flow.steps[-1].source.line,
                  "a session must end with a closing 'message' step (what comes next, how to get help)")
    if not 1 <= (flow.week or 0) <= programme.weekly_sessions:
        return
    ids = [s.id for s in flow.steps]
    types = [s.type for s in flow.steps]
    if not any(i.startswith("checkin.") for i in ids):
        r.problem(file, 1, "weekly session has no check-in; add '- use: checkin' as the first step")
    if not any(i.startswith("goal_review.") for i in ids):
        r.problem(file, 1, "weekly session has no goal review; add '- use: goal_review' before the close")
    if "quiz" not in types:
        r.problem(file, 1, "weekly session has no 'quiz' step to check he understood the recap; add one")
    own_questions = [s for s in flow.steps if s.type == "question" and "." not in s.id]
    if len(own_questions) < 2:
        r.problem(file, 1, "weekly session needs a practice exercise and a reflection: at least two 'question' steps")
    close = flow.steps[-1].text.lower()
    if "coaching" not in close:
        r.problem(file, flow.steps[-1].source.line, "the closing message should mention his coaching call")
    if not any(word in close for word in ("tools", "999", "samaritans")):
        r.problem(file, flow.steps[-1].source.line,
                  "the closing message should say how to get help (TOOLS, 999 or Samaritans 116 123)")


def toolkit(r: Reader) -> Toolkit:
    path = r.dir / "toolkit.yml"
    file, data = r.read(path)
    empty = Toolkit(intro="", after="", tools=(), source=Source(display_path(path), 1))
    if not isinstance(data, dict):
        if data is not None:
            r.problem(file, 1, "toolkit.yml needs 'intro:', 'tools:' and 'after:'")
        return empty
    intro = r.check_text(file, line_of(data, "intro") if "intro" in data else 1, "toolkit 'intro'",
                         data.get("intro"), (), answers_ok=False) or ""
    after = r.check_text(file, line_of(data, "after") if "after" in data else 1, "toolkit 'after'",
                         data.get("after"), (), answers_ok=False) or ""
    tools = []
    raw = data.get("tools")
    if not isinstance(raw, list) or not raw:
        r.problem(file, 1, "toolkit needs 'tools:' with at least one tool")
        raw = []
    for i, item in enumerate(raw):
        line = line_of(raw, i)
        if not isinstance(item, dict) or not all(k in item for k in ("key", "id", "name", "steps")):
            r.problem(file, line, "each tool needs 'key' (a number), 'id', 'name' and 'steps'")
            continue
        tid = str(item["id"])
        if not ID_RE.match(tid):
            r.problem(file, line_of(item, "id", line), f"tool id {tid!r} must use small letters, numbers and '-'")
        found = steps(r, file, item, prefix="")
        flow = Flow(key=f"{TOOLKIT}:{tid}", title=str(item["name"]), steps=tuple(found), source=Source(file, line))
        tools.append(Tool(key=str(item["key"]), id=tid, name=str(item["name"]).strip(), flow=flow))
    keys = [t.key for t in tools]
    if len(set(keys)) != len(keys):
        r.problem(file, 1, "two tools have the same 'key'; number them 1, 2, 3...")
    kit = Toolkit(intro=intro, after=after, tools=tuple(tools), source=Source(file, 1))
    if tools and sms.segment_count(kit.menu_text()) > MAX_SEGMENTS:
        r.problem(file, 1, f"the toolkit menu is too long for SMS: {sms.describe(kit.menu_text())}; "
                  "shorten 'intro' or the tool names")
    return kit
