"""``reminders.yml``: the messages the coach sends without being asked (a session is open,
still waiting, a coaching call, the booster). Their first line shows on a lock screen, so
it must be discreet (``reader.DISCREET_WORDS``) and carry no placeholder.
"""

from __future__ import annotations

from typing import Dict

from coach.programme.content.reader import Reader, indiscreet_words, line_of, suggest

REMINDER_MESSAGES = {  # name: placeholders allowed
    "session_open": ("week", "next_group"),
    "follow_up": ("week", "next_group"),
    "pick_up": ("week", "next_group"),
    "coaching_call": ("week", "next_group"),
    "booster": ("week", "next_group"),
    "next_group": ("date", "time"),
}


def reminders(r: Reader) -> Dict[str, str]:
    """content/reminders.yml: proactive messages. The first line shows on a lock screen."""
    file, data = r.read(r.dir / "reminders.yml")
    out: Dict[str, str] = {}
    if not isinstance(data, dict):
        return out
    for key, allowed in REMINDER_MESSAGES.items():
        if key not in data:
            r.problem(file, 1, f"reminder '{key}' is missing; add it")
            continue
        line = line_of(data, key)
        text = r.check_text(file, line, f"reminder '{key}'", data[key], allowed, answers_ok=False)
        if not text:
            continue
        first = text.splitlines()[0].lower()
        bad = indiscreet_words(first)
        if key != "next_group" and (bad or "{" in first):  # next_group is a fragment of other messages
            r.problem(file, line, f"the first line of '{key}' shows on a lock screen; take out "
                      f"{', '.join(bad) or 'the {...}'} (a neutral first line like \"Hi, it's your coach.\")")
        out[key] = text
    for key in data:
        if key not in REMINDER_MESSAGES:
            r.problem(file, line_of(data, key), f"unknown reminder '{key}'{suggest(key, REMINDER_MESSAGES)}; remove it")
    return out
