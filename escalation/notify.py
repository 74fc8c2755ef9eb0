"""What staff are told: alert messages from the templates in content/safety/staff_alerts.yml.

Telegram messages show a neutral first line; the details sit under a spoiler, so a lock
screen shows nothing sensitive. SMS carries no message text at all (reply INFO <code>).
Sending is not done here: the dispatcher hands these texts to a ``coach.core.notify.Notifier``.

    view = AlertView(code, participant, site, severity, category, text, context, followups)
    format_telegram(templates, view, round_no)    # HTML, details under a spoiler
    format_sms(templates, view, round_no)         # no message text
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Dict, List, Sequence

from coach.core.risk import LABELS
from coach.core.text.render import render


@dataclass(frozen=True)
class AlertView:
    """Everything a staff message may show about an alert."""

    code: str
    participant: str
    site: str
    severity: str
    category: str
    text: str
    context: Sequence[dict]
    followups: Sequence[str]
    why: Sequence[str] = ()  # what raised it: the lexicon's words, the model's category and probability

    @property
    def asked(self) -> str:
        """What the coach had just said to him (the question he was answering, usually)."""
        for turn in reversed(list(self.context)):
            if turn.get("who") != "participant":
                return (turn.get("text") or "").strip()[:200] or "(nothing)"
        return "(nothing: this was his first message)"

    def values(self, round_no: int = 0, max_text: int = 600) -> Dict[str, object]:
        context = "\n".join(f"{'him' if t.get('who') == 'participant' else 'coach'}: {t.get('text', '')[:200]}"
                            for t in self.context[-6:]) or "(nothing earlier)"
        follow = ""
        if self.followups:
            follow = "Since then he wrote: " + " / ".join(f'"{f[:200]}"' for f in self.followups[-5:])
        return {
            "code": self.code, "participant": self.participant, "site": self.site,
            "severity": self.severity.upper(), "category": LABELS.get(self.category, self.category),
            "text": self.text[:max_text] + ("..." if len(self.text) > max_text else ""),
            "context": context, "followups": follow, "round": round_no,
            "why": "; ".join(_why(w) for w in self.why[:4]) or "(not recorded)", "asked": self.asked,
        }


def _why(signal: str) -> str:
    """'lexicon harm_to_partner.strangle:grabbed her by the throat' -> 'words: "grabbed her by the throat"'."""
    if signal.startswith("lexicon ") and ":" in signal:
        return f'words: "{signal.split(":", 1)[1]}"'
    if signal.startswith("model "):
        parts = signal.split()
        if len(parts) == 3:
            return f"risk model: {LABELS.get(parts[1], parts[1])}, {float(parts[2]):.0%} sure"
    return signal


def format_sms(templates: Dict[str, str], view: AlertView, round_no: int) -> str:
    text = render(templates["sms"], view.values(round_no))
    if round_no:
        text = _prefix(templates, round_no) + text
    return text


def format_telegram(templates: Dict[str, str], view: AlertView, round_no: int) -> str:
    """HTML for Telegram: the first line plain, the rest hidden under a spoiler."""
    values = view.values(round_no)
    full = render(templates["telegram"], values)
    first, _, rest = full.partition("\n")
    prefix = _prefix(templates, round_no) if round_no else ""
    body = html.escape(rest.strip())
    return f"{html.escape(prefix + first)}\n<tg-spoiler>{body}</tg-spoiler>" if body else html.escape(prefix + first)


def _prefix(templates: Dict[str, str], round_no: int) -> str:
    """'Reminder 2: ' (rendering trims the template's own trailing space, so it is put back)."""
    return render(templates["reminder_prefix"], {"round": round_no}) + " "


def format_info(templates: Dict[str, str], view: AlertView) -> str:
    return render(templates["sms_info"], view.values(max_text=250))


def split_followups(events: List) -> List[str]:
    return [e.detail.get("text", "") for e in events if e.kind == "participant_followup"]
