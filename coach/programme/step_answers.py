"""One step's answer: what his reply means for it, how to ask again, and where it is saved.

The engine walks the flow; this module knows the step types. No Rasa, no database: values
go to a ``Store``.

    understand(step, "bout 6", intent=None)      # -> 6 for a number step, None if unclear
    reask_text(messages, step, "a few")           # -> "About how many? ..."
    save(store, pid, week, step, 6)               # -> feedback to send, if the step has any
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping, Optional

from coach.core.text.render import or_list, render
from coach.programme import answers as parse
from coach.programme.content.model import Step

if TYPE_CHECKING:
    from coach.programme.store import Store

GOAL_TEXTS = ("goal.text", "goal.next_step")


def understand(step: Step, text: str, intent: Optional[str]):
    """What his reply means for this step, or None if it doesn't answer it."""
    if step.type == "question":
        short = len(text.split()) <= 5
        if short and (parse.is_skip(text, intent) or parse.is_repeat(text, intent)):
            return None
        if step.save_as in GOAL_TEXTS:
            return parse.goal_text(text)  # not "5", "dunno" or "i already told u": asked again
        return text  # stored exactly as given
    if step.type == "number":
        return parse.parse_number(text, step.min, step.max).value
    if step.type == "yesno":
        return parse.parse_yes_no(text, intent)
    if step.type in ("quiz", "choice"):
        key = parse.parse_option(text, [o.key for o in step.options], [o.text for o in step.options])
        if key is None and step.type == "choice" and len(step.options) == 2:
            yn = parse.parse_yes_no(text)
            if yn is not None and {o.key for o in step.options} == {"Y", "N"}:
                key = "Y" if yn else "N"
        return key
    return None


def reask_text(msg: Mapping[str, str], step: Step, text: str) -> str:
    """What to say when his reply didn't answer the step: the step's own words, else by type."""
    if step.reask:
        return step.reask
    if step.type == "number":
        problem = parse.parse_number(text, step.min, step.max).problem
        key = f"reask_number_{problem}" if problem in ("dunno", "vague", "unclear", "words") else "reask_number"
        return render(msg[key], {"min": step.min, "max": step.max})
    if step.type == "yesno":
        return msg["reask_yesno"]
    if step.save_as in GOAL_TEXTS:
        return msg["reask_" + step.save_as.replace(".", "_")]
    if step.type in ("quiz", "choice"):
        return render(msg["reask_choice"], {"keys": or_list([o.key for o in step.options])})
    return msg["reask_empty"]


def save(store: "Store", pid: str, week: Optional[int], step: Step, value) -> Optional[str]:
    """Save his answer where the content says; return feedback to send, if any."""
    target = step.save_as
    if step.type == "quiz":
        option = next((o for o in step.options if o.key == value), None)
        correct = bool(option and option.correct)
        if week is not None:
            verdict = "right" if correct else "not right"
            store.save_text(pid, week, step.id, step.id, f"{value} ({verdict})")
        return step.right if correct else step.wrong
    if week is None:
        return step.on_yes if value is True else step.on_no if value is False else None
    if step.type == "choice":
        value_text = next(o for o in step.options if o.key == value).text
    elif step.type == "yesno":
        value_text = "yes" if value else "no"
    else:
        value_text = str(value)
    if target and target.startswith("checkin."):
        store.save_checkin(pid, week, target.split(".", 1)[1], int(value))
    elif target == "goal.text":
        store.set_goal(pid, week, str(value))
    elif target == "goal.rating":
        store.rate_goal(pid, week, rating=int(value))
    elif target == "goal.next_step":
        store.rate_goal(pid, week, next_step=str(value))
    elif target:
        store.save_text(pid, week, step.id, target, value_text)
    if step.type == "yesno":
        return step.on_yes if value else step.on_no
    return None
