"""The risk decision for one message: made once, where the message comes in, and carried with it.

``decide`` is the one function the running coach, ``coach risk check``, ``coach risk eval``
and the benchmarks share. It reads the message (normalised first: Unicode NFKC, zero-width
and control characters removed, spaced-out letters joined) with two nets and gives one of
three tiers:

- **alert**: strong evidence. The authored lexicon matched, or the risk model is above its
  alert threshold (or above its check threshold and the message reads as imminent), or he
  answered NO, or said something risky, in reply to a safety check. Staff are paged.
- **check**: uncertain evidence. The model is between its thresholds. Nobody is paged; he
  is asked calmly whether he and the people around him are safe.
- **none**.

The decision travels into Rasa in the message's metadata, so nothing downstream reads
the message again.

    decision = decide(text, detector, model)            # model may be None (lexicon only)
    decision.tier, decision.category, decision.severity, decision.probability, decision.signals
    metadata = {"risk": decision.to_metadata()}
    RiskDecision.from_metadata(metadata["risk"])        # None if the message never passed a check
    decision.signal                                     # the Signal an alert is raised with
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Tuple

from coach.core.risk import CATEGORIES, SEVERITIES, UNCLASSIFIED

TIERS = ("alert", "check", "none")
ANSWERED_NO = "answered NO to the safety check"
ALERT, CHECK, NONE = TIERS
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u200e\u200f"), None)
# three or more single letters with one space, dot, dash or star between them: "k i l l", "d.i.e"
_SPACED = re.compile(r"(?<![\w])(?:[^\W\d_][ .\-*_]){2,}[^\W\d_](?![\w])")


@dataclass(frozen=True)
class Signal:
    """What raised the alert: the lexicon, the model, or his answer to a safety check."""

    category: str
    severity: str
    matched: Sequence[str]
    source: str  # detector | model | check

    @classmethod
    def from_detection(cls, detection) -> "Signal":
        return cls(detection.category, detection.severity, tuple(detection.matched), "detector")


@dataclass(frozen=True)
class RiskContext:
    """What the ingress knows about him that changes a decision."""

    open_check: Optional[str] = None  # an unanswered safety check, and the category it was about
    answered_no: bool = False  # his message reads as NO ("not safe") to that check
    recent_alert: bool = False  # staff were alerted about him minutes ago: his words join that alert


@dataclass(frozen=True)
class RiskDecision:
    tier: str = NONE
    category: Optional[str] = None
    severity: Optional[str] = None
    probability: Optional[float] = None  # the model's probability of risk, when it ran
    signals: Tuple[str, ...] = ()  # why: "lexicon pattern:words", "model harm_to_partner 0.91", ...
    source: str = ""  # detector | model | check

    @property
    def escalate(self) -> bool:
        return self.tier == ALERT

    @property
    def signal(self) -> Optional[Signal]:
        if self.tier == NONE:
            return None
        return Signal(self.category or UNCLASSIFIED, self.severity or "high", self.signals, self.source)

    def to_metadata(self) -> dict:
        return {"checked": True, "tier": self.tier, "escalate": self.escalate, "category": self.category,
                "severity": self.severity, "probability": self.probability, "signals": list(self.signals),
                "source": self.source}

    @classmethod
    def from_metadata(cls, data: Any) -> Optional["RiskDecision"]:
        """The decision carried with a message; None if it has none or it is not one we wrote
        (the caller then reads the message itself)."""
        if not isinstance(data, Mapping) or data.get("checked") is not True:
            return None
        tier, escalate = data.get("tier"), data.get("escalate")
        if tier not in TIERS or escalate is not (tier == ALERT):
            return None
        if tier == NONE:
            return cls(probability=_probability(data.get("probability")))
        category, severity, signals = data.get("category"), data.get("severity"), data.get("signals")
        if category not in CATEGORIES + (UNCLASSIFIED,) or severity not in SEVERITIES:
            return None
        if not isinstance(signals, (list, tuple)):
            return None
        return cls(tier, category, severity, _probability(data.get("probability")), tuple(str(s) for s in signals),
                   str(data.get("source") or ""))


def _probability(value) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


NOTHING = RiskDecision()
NO_CONTEXT = RiskContext()


def prepare(text: Optional[str]) -> str:
    """The message as every check reads it: NFKC (full-width letters become plain), zero-width
    and control characters gone, spaced-out letters joined ("k i l l" -> "kill")."""
    t = unicodedata.normalize("NFKC", text or "").translate(_INVISIBLE)
    t = "".join(" " if unicodedata.category(ch)[0] == "C" and ch not in "\n" else ch for ch in t)
    return _SPACED.sub(lambda m: re.sub(r"[ .\-*_]", "", m.group(0)), t).strip()


def decide(text: Optional[str], detector, model=None, context: RiskContext = NO_CONTEXT) -> RiskDecision:
    """The one decision for one message (see the module's doc)."""
    prepared = prepare(text)
    if context.open_check and context.answered_no:
        # "Are you and the people around you safe right now?" - "No": as urgent as it gets
        return RiskDecision(ALERT, context.open_check, "imminent", None, (ANSWERED_NO,), "check")
    if not prepared:
        return NOTHING
    detection = detector.detect(prepared)
    guess = model.predict(prepared) if model is not None else None
    model_says = f"model {guess.category} {guess.probability:.2f}" if guess is not None else None
    if detection.escalate:
        signals = tuple(f"lexicon {m}" for m in detection.matched) + ((model_says,) if model_says else ())
        return RiskDecision(ALERT, detection.category, detection.severity, guess and guess.probability, signals,
                            "detector")
    if guess is None:
        return NOTHING
    t = model.thresholds
    imminent = guess.imminent >= t.imminent
    if guess.probability >= t.alert or (guess.probability >= t.check and imminent):
        tier = ALERT
    elif guess.probability >= t.check:
        tier = CHECK
    else:
        return RiskDecision(probability=guess.probability)
    if tier == CHECK and context.open_check:  # more risk in answer to a check: now it is an alert
        return RiskDecision(ALERT, guess.category, "imminent" if imminent else "high", guess.probability,
                            (model_says, "risk again while a safety check was open"), "check")
    if tier == CHECK and context.recent_alert:  # staff are already on it: no check on top of the alert
        return RiskDecision(probability=guess.probability, signals=(model_says, "added to the open alert"))
    return RiskDecision(tier, guess.category, "imminent" if imminent else "high", guess.probability, (model_says,),
                        "model")
