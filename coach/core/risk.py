"""The risk vocabulary every layer shares: categories, severities and their labels.

The lexicon (content/safety/lexicon.yml), the safety replies authors write for each
category and severity, the alerts and the staff messages all use these names. This is the
one list; nothing else spells it out.
"""

from __future__ import annotations

from typing import Dict, Tuple

# In the order ties are broken when one message signals several (most urgent to act on first
# is decided by severity; then a child in the picture decides it, then the partner...).
CATEGORIES: Tuple[str, ...] = (
    "suicide_self_harm",
    "harm_to_partner",
    "harm_to_child",
    "harm_to_others",
    "substance_emergency",
)
UNCLASSIFIED = "unclassified"  # the language model's second opinion, with no category of its own
SEVERITIES: Tuple[str, ...] = ("imminent", "high")
# Where a partner or child may be at risk, the women's support (ISS) worker is told too.
ISS_CATEGORIES = frozenset({"harm_to_partner", "harm_to_child", UNCLASSIFIED})

LABELS: Dict[str, str] = {
    "suicide_self_harm": "suicide or self-harm",
    "harm_to_partner": "partner or ex-partner may be at risk",
    "harm_to_child": "a child may be at risk",
    "harm_to_others": "others may be at risk",
    "substance_emergency": "substance emergency",
    UNCLASSIFIED: "unclear (flagged by the language model)",
}

# The replies authors must write: every category at both severities; the classifier's
# unclassified signal is always 'high'.
REPLY_KEYS: Dict[str, Tuple[str, ...]] = {**{c: SEVERITIES for c in CATEGORIES}, UNCLASSIFIED: ("high",)}
