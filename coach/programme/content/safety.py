"""``safety/replies.yml`` and ``safety/staff_alerts.yml``: what he is sent the moment he
writes something that signals danger, and what staff receive about it.

The categories and severities replies are needed for are the shared risk vocabulary
(``coach.core.risk.REPLY_KEYS``). The risk lexicon (``safety/lexicon.yml``) is not checked
here: ``escalation.check`` checks it.
"""

from __future__ import annotations

from typing import Any, Dict

from coach.core.risk import REPLY_KEYS
from coach.core.text import sms
from coach.core.text.render import estimate, placeholders
from coach.programme.content.reader import (
    MAX_SEGMENTS,
    Reader,
    indiscreet_words,
    line_of,
    suggest,
)

SAFETY_REPLIES = REPLY_KEYS  # category: the severities it needs a reply for
SAFETY_MESSAGES = ("safe_question", "safe_yes", "safe_no", "safe_unclear", "check_question", "check_safe",
                   "check_unclear", "retract_alert", "retract_check", "repeat")
_ALERT_FIELDS = ("code", "site", "participant", "severity", "category", "text", "context", "followups", "round",
                 "why", "asked")
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
# Staff alerts whose first line a lock screen may show.
LOCK_SCREEN_ALERTS = ("telegram", "sms", "first_line")


def safety_replies(r: Reader) -> Dict[str, Any]:
    """content/safety/replies.yml: one reply per category and severity, plus the safety question."""
    file, data = r.read(r.dir / "safety" / "replies.yml")
    out: Dict[str, Any] = {}
    if not isinstance(data, dict):
        return out
    for key in SAFETY_MESSAGES:
        if key not in data:
            r.problem(file, 1, f"'{key}' is missing; add it (the coach needs it after a risk reply)")
        else:
            out[key] = r.check_text(file, line_of(data, key), f"'{key}'", data[key], (), answers_ok=False)
    for category, severities in SAFETY_REPLIES.items():
        block = data.get(category)
        if not isinstance(block, dict):
            r.problem(file, 1, f"no replies for '{category}'; add '{category}:' with {', '.join(severities)}")
            continue
        for severity in severities:
            item = block.get(severity)
            line = line_of(block, severity) if severity in block else line_of(data, category)
            if not isinstance(item, dict):
                r.problem(file, line, f"'{category}' has no '{severity}' reply; add it with 'text:' and 'ask_safe:'")
                continue
            text = r.check_text(file, line_of(item, "text", line), f"{category} {severity} reply",
                                item.get("text"), (), answers_ok=False)
            if text and "999" not in text:
                r.problem(file, line, f"the {category} {severity} reply must say to call 999 if anyone is in danger")
            if not isinstance(item.get("ask_safe"), bool):
                r.problem(file, line, f"'{category}' '{severity}' needs 'ask_safe: true' or 'ask_safe: false'")
            out[f"{category}.{severity}"] = {"text": text or "", "ask_safe": bool(item.get("ask_safe"))}
    for key in data:
        if key not in SAFETY_REPLIES and key not in SAFETY_MESSAGES:
            r.problem(file, line_of(data, key),
                      f"unknown entry '{key}'{suggest(key, list(SAFETY_REPLIES) + list(SAFETY_MESSAGES))}; remove it")
    return out


def staff_alerts(r: Reader) -> Dict[str, str]:
    """content/safety/staff_alerts.yml: what staff receive. The first line must be discreet."""
    file, data = r.read(r.dir / "safety" / "staff_alerts.yml")
    out: Dict[str, str] = {}
    if not isinstance(data, dict):
        return out
    for key, (allowed, sms_length) in STAFF_ALERT_TEMPLATES.items():
        if key not in data or not isinstance(data[key], str) or not data[key].strip():
            r.problem(file, 1, f"'{key}' is missing; add it")
            continue
        line = line_of(data, key)
        text = data[key].strip()
        for name, _arg, _fb in placeholders(text):
            if name not in allowed:
                r.problem(file, line, f"'{key}' uses {{{name}}}; use only {', '.join('{' + a + '}' for a in allowed)}")
        if sms_length and sms.segment_count(estimate(text)) > MAX_SEGMENTS:
            r.problem(file, line, f"'{key}' is too long for SMS: {sms.describe(estimate(text))}; shorten it")
        out[key] = text
    for key in LOCK_SCREEN_ALERTS:
        first = out.get(key, "").splitlines()[0] if out.get(key) else ""
        bad = indiscreet_words(first)
        if bad or "{text}" in first or "{category}" in first:
            r.problem(file, line_of(data, key), f"the first line of '{key}' shows on a lock screen; "
                      f"take out {', '.join(bad) or '{text}/{category}'}")
    return out
