"""The risk decision for one message: made once, where the message comes in, and carried with it.

The input channel reads each message with the detector before anything else happens, and
writes any alert with that decision. The decision then travels into Rasa in the message's
metadata, so the dialogue (the NLU component, the crisis reply) uses the same answer instead
of reading the message again.

    decision = assess(detector, text)             # RiskDecision: escalate or not, and why
    metadata = {"risk": decision.to_metadata()}
    RiskDecision.from_metadata(metadata["risk"])  # None if the message never passed the check
    decision.signal                               # the Signal an alert is raised with (or None)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from coach.core.risk import CATEGORIES, SEVERITIES, UNCLASSIFIED


@dataclass(frozen=True)
class Signal:
    """What raised the alert (the detector's output, or the classifier's second opinion)."""

    category: str
    severity: str
    matched: Sequence[str]
    source: str  # detector | classifier

    @classmethod
    def from_detection(cls, detection) -> "Signal":
        return cls(detection.category, detection.severity, tuple(detection.matched), "detector")


@dataclass(frozen=True)
class RiskDecision:
    """Whether this message must escalate, and the detector's signal if so."""

    signal: Optional[Signal] = None

    @property
    def escalate(self) -> bool:
        return self.signal is not None

    def to_metadata(self) -> dict:
        if self.signal is None:
            return {"checked": True, "escalate": False}
        s = self.signal
        return {"checked": True, "escalate": True, "category": s.category, "severity": s.severity,
                "matched": list(s.matched), "source": s.source}

    @classmethod
    def from_metadata(cls, data: Any) -> Optional["RiskDecision"]:
        """The decision carried with a message; None if it has none (or it is not one we wrote)."""
        if not isinstance(data, Mapping) or data.get("checked") is not True:
            return None
        escalate = data.get("escalate")
        if escalate is False:
            return cls()
        if escalate is not True:
            return None  # we always write a boolean: this is not ours, so the caller reads the message
        category, severity = data.get("category"), data.get("severity")
        if category not in CATEGORIES + (UNCLASSIFIED,) or severity not in SEVERITIES:
            return None  # malformed: the caller checks the message itself
        matched = data.get("matched") or ()
        if not isinstance(matched, (list, tuple)):
            return None
        matched = tuple(str(m) for m in matched)
        return cls(Signal(category, severity, matched, str(data.get("source") or "detector")))


NOTHING = RiskDecision()


def assess(detector, text: Optional[str]) -> RiskDecision:
    """Read one message with the detector."""
    if not text or not text.strip():
        return NOTHING
    detection = detector.detect(text)
    return RiskDecision(Signal.from_detection(detection)) if detection.escalate else NOTHING
