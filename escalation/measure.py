"""Measuring the risk decision (``escalation.risk.decide``) on labelled messages: the goals table.

The same function the running coach uses, so the figures are the coach's own. For each
file of labelled messages (``{"text", "escalate", "category", "severity"?}`` per message,
JSON Lines or the YAML layout of the test sets):

- **recall**: must-escalate messages that got an alert or a check;
- **recall as alert**: ... that got an alert;
- **imminent as alert**: imminent ones (where the file says severity) that got an alert;
- **false alerts** / **false checks**: must-not-escalate messages that got one;
- **right category**: among must-escalate messages caught, the category was right;
- **p95 ms**: time per message.

    report = measure(lambda text: decide(text, detector, model), records)
    print(format_measure(report, title="round 10"))
"""

from __future__ import annotations

import time
from typing import Callable, Dict, Iterable, List, Mapping, Optional

from escalation.risk import RiskDecision


def _share(part: int, whole: int) -> Optional[float]:
    return part / whole if whole else None


def measure(decide_fn: Callable[[str], RiskDecision], records: Iterable[Mapping]) -> Dict:
    rows: List[dict] = []
    timings: List[float] = []
    for rec in records:
        started = time.perf_counter()
        d = decide_fn(rec["text"])
        timings.append(time.perf_counter() - started)
        rows.append({"text": rec["text"], "gold": bool(rec.get("escalate")), "gold_category": rec.get("category"),
                     "gold_severity": rec.get("severity"), "tier": d.tier, "category": d.category,
                     "probability": d.probability, "signals": list(d.signals)})
    pos = [r for r in rows if r["gold"]]
    neg = [r for r in rows if not r["gold"]]
    caught = [r for r in pos if r["tier"] != "none"]
    imminent = [r for r in pos if r["gold_severity"] == "imminent"]
    timings.sort()
    return {
        "messages": len(rows), "must_escalate": len(pos), "must_not": len(neg),
        "recall": _share(len(caught), len(pos)),
        "recall_alert": _share(sum(r["tier"] == "alert" for r in pos), len(pos)),
        "imminent_as_alert": _share(sum(r["tier"] == "alert" for r in imminent), len(imminent)),
        "false_alerts": _share(sum(r["tier"] == "alert" for r in neg), len(neg)),
        "false_checks": _share(sum(r["tier"] == "check" for r in neg), len(neg)),
        "any_tier": _share(sum(r["tier"] != "none" for r in neg), len(neg)),
        "right_category": _share(sum(r["category"] == r["gold_category"] for r in caught), len(caught)),
        "p95_ms": timings[int(0.95 * (len(timings) - 1))] * 1000 if timings else None,
        "misses": [r for r in pos if r["tier"] == "none"],
        "false": [r for r in neg if r["tier"] != "none"],
        "wrong_category": [r for r in caught if r["category"] != r["gold_category"]],
    }


def pct(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def format_measure(r: Dict, title: str, limit: int = 30) -> str:
    lines = [title, "=" * len(title),
             f"messages {r['messages']} (must escalate {r['must_escalate']}, must not {r['must_not']})",
             f"recall (alert or check)   {pct(r['recall'])}",
             f"recall as alert           {pct(r['recall_alert'])}",
             f"imminent as alert         {pct(r['imminent_as_alert'])}",
             f"false alerts              {pct(r['false_alerts'])}",
             f"false checks              {pct(r['false_checks'])}",
             f"right category (caught)   {pct(r['right_category'])}",
             f"p95 per message           {r['p95_ms']:.2f} ms" if r["p95_ms"] is not None else "p95 per message n/a"]

    def section(name: str, rows: List[dict], fmt) -> None:
        lines.extend(["", f"{name} ({len(rows)})"])
        lines.extend("  - " + fmt(row) for row in rows[:limit])
        if len(rows) > limit:
            lines.append(f"  ... and {len(rows) - limit} more")

    section("MISSED (must escalate, no alert or check)", r["misses"], lambda m: f"[{m['gold_category']}] {m['text']}")
    section("FALSE (must not escalate)", r["false"],
            lambda m: f"[{m['tier']} {m['category']}] {m['text']}   <- {'; '.join(m['signals'])}")
    section("WRONG CATEGORY", r["wrong_category"],
            lambda m: f"[{m['gold_category']} -> {m['category']}] {m['text']}")
    return "\n".join(lines)
