"""Measure the risk detector on labelled messages.

Usage::

    from escalation.detector import RiskDetector
    from escalation.evaluate import evaluate, format_report, load_records

    det = RiskDetector.from_path("content/safety/lexicon.yml")
    report = evaluate(det, load_records("tests/unit/escalation/cases.yml"))
    print(format_report(report))

Command line (from the repository root)::

    python -m escalation.evaluate tests/unit/escalation/cases.yml /work/shared/eval/risk_dev.jsonl
    python -m escalation.evaluate --check            # lexicon problems only (exit 1 if any)

Records are mappings ``{"text", "escalate", "category"}`` (``category`` is None or missing
when ``escalate`` is false). ``load_records`` reads JSON Lines, or the YAML layout of
``tests/unit/escalation/cases.yml`` (``escalate: {category: [messages]}``,
``no_escalate: {group: [messages]}``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Iterable, Mapping

from coach.core.risk import CATEGORIES

__all__ = ["evaluate", "format_report", "load_records"]


def evaluate(detector, records: Iterable[Mapping]) -> dict:
    """Recall, precision, false-alarm rate and category accuracy of ``detector`` on ``records``."""
    tp = fn = fp = tn = 0
    cat_correct = 0
    per_cat = {
        c: {"n": 0, "detected": 0, "category_correct": 0, "predicted": 0, "predicted_correct": 0} for c in CATEGORIES
    }
    misses: list[dict] = []
    false_alarms: list[dict] = []
    wrong_category: list[dict] = []
    severities: dict[str, int] = {}
    elapsed = 0.0
    for rec in records:
        text = rec["text"]
        gold = bool(rec.get("escalate"))
        gold_cat = rec.get("category") if gold else None
        t0 = time.perf_counter()
        d = detector.detect(text)
        elapsed += time.perf_counter() - t0
        if d.escalate:
            severities[d.severity] = severities.get(d.severity, 0) + 1
            if d.category in per_cat:
                per_cat[d.category]["predicted"] += 1
        if gold:
            if gold_cat in per_cat:
                per_cat[gold_cat]["n"] += 1
            if d.escalate:
                tp += 1
                if gold_cat in per_cat:
                    per_cat[gold_cat]["detected"] += 1
                if d.category == gold_cat:
                    cat_correct += 1
                    if gold_cat in per_cat:
                        per_cat[gold_cat]["category_correct"] += 1
                        per_cat[gold_cat]["predicted_correct"] += 1
                else:
                    wrong_category.append(
                        {"text": text, "expected": gold_cat, "got": d.category, "matched": list(d.matched)}
                    )
            else:
                fn += 1
                misses.append({"text": text, "category": gold_cat, "suppressed": list(d.suppressed)})
        else:
            if d.escalate:
                fp += 1
                false_alarms.append(
                    {"text": text, "category": d.category, "severity": d.severity, "matched": list(d.matched)}
                )
            else:
                tn += 1
    n = tp + fn + fp + tn
    for _c, row in per_cat.items():
        row["recall"] = _ratio(row["detected"], row["n"])
        row["category_accuracy"] = _ratio(row["category_correct"], row["detected"])
        row["precision"] = _ratio(row["predicted_correct"], row["predicted"])
    return {
        "n": n,
        "positives": tp + fn,
        "negatives": fp + tn,
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "tn": tn,
        "recall": _ratio(tp, tp + fn),
        "precision": _ratio(tp, tp + fp),
        "false_alarm_rate": _ratio(fp, fp + tn),
        "category_accuracy": _ratio(cat_correct, tp),
        "per_category": per_cat,
        "severity_counts": severities,
        "mean_ms": (elapsed / n * 1000.0) if n else 0.0,
        "misses": misses,
        "false_alarms": false_alarms,
        "wrong_category": wrong_category,
    }


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _pct(x: float | None) -> str:
    return "  n/a" if x is None else f"{x * 100:5.1f}%"


def format_report(report: dict, *, title: str = "Risk detector evaluation", limit: int = 50) -> str:
    """A plain-text report: headline figures, per category, then misses and false alarms."""
    r = report
    lines = [
        title,
        "=" * len(title),
        f"messages {r['n']}  (must escalate {r['positives']}, benign {r['negatives']})",
        f"recall            {_pct(r['recall'])}   ({r['tp']} of {r['positives']} alerts raised; {r['fn']} missed)",
        f"precision         {_pct(r['precision'])}   ({r['fp']} false alarms among {r['tp'] + r['fp']} alerts)",
        f"false-alarm rate  {_pct(r['false_alarm_rate'])}   ({r['fp']} of {r['negatives']} benign messages)",
        f"category right    {_pct(r['category_accuracy'])}   (of true alerts)",
        f"mean time         {r['mean_ms']:.3f} ms per message",
    ]
    if r.get("severity_counts"):
        sev = ", ".join(f"{k}: {v}" for k, v in sorted(r["severity_counts"].items()))
        lines.append(f"alerts by severity {sev}")
    lines += ["", f"{'category':22} {'n':>4} {'recall':>7} {'cat ok':>7} {'precision':>9}"]
    for cat, row in r["per_category"].items():
        if row["n"] or row["predicted"]:
            lines.append(
                f"{cat:22} {row['n']:>4} {_pct(row['recall']):>7} {_pct(row['category_accuracy']):>7} "
                f"{_pct(row['precision']):>9}"
            )

    def section(name: str, rows: list[dict], fmt) -> None:
        lines.append("")
        lines.append(f"{name} ({len(rows)})")
        for row in rows[:limit]:
            lines.append("  - " + fmt(row))
        if len(rows) > limit:
            lines.append(f"  ... and {len(rows) - limit} more")

    section("MISSED (should escalate)", r["misses"], lambda m: f"[{m['category']}] {m['text']}")
    section(
        "FALSE ALARMS",
        r["false_alarms"],
        lambda m: f"[{m['category']}] {m['text']}   <- {', '.join(m['matched'])}",
    )
    section(
        "WRONG CATEGORY",
        r["wrong_category"],
        lambda m: f"[{m['expected']} -> {m['got']}] {m['text']}   <- {', '.join(m['matched'])}",
    )
    return "\n".join(lines)


def load_records(path: str | os.PathLike) -> list[dict]:
    """Labelled messages from JSON Lines or from the cases.yml layout."""
    p = os.fspath(path)
    if p.endswith(".jsonl"):
        out = []
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
        return out
    from ruamel.yaml import YAML

    with open(p, encoding="utf-8") as fh:
        data = YAML(typ="safe").load(fh)
    out = []
    for cat, items in (data.get("escalate") or {}).items():
        for item in items or []:
            if isinstance(item, dict):
                out.append({"text": item["text"], "escalate": True, "category": cat, "severity": item.get("severity"),
                            "category_known_limit": bool(item.get("category_known_limit"))})
            else:
                out.append({"text": item, "escalate": True, "category": cat})
    for group, items in (data.get("no_escalate") or {}).items():
        for item in items or []:
            out.append({"text": item, "escalate": False, "category": None, "group": group})
    return out


def default_lexicon_path() -> str:
    """content/safety/lexicon.yml from the working directory, else from this repository."""
    here = os.path.join("content", "safety", "lexicon.yml")
    if os.path.exists(here):
        return here
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), here)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m escalation.evaluate", description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="labelled messages (.jsonl or cases .yml)")
    ap.add_argument("--lexicon", default=None, help="default: content/safety/lexicon.yml")
    ap.add_argument("--check", action="store_true", help="only check the lexicon and list problems")
    ap.add_argument("--limit", type=int, default=50, help="rows to show per list")
    args = ap.parse_args(argv)
    if args.lexicon is None:
        args.lexicon = default_lexicon_path()

    from escalation.check import check_lexicon

    problems = check_lexicon(args.lexicon)
    for prob in problems:
        print(prob)
    if args.check or problems:
        if not problems:
            print(f"{args.lexicon}: no problems")
        return 1 if problems else 0
    from escalation.detector import RiskDetector

    det = RiskDetector.from_path(args.lexicon)
    for f in args.files:
        rep = evaluate(det, load_records(f))
        print(format_report(rep, title=f"Risk detector on {f}", limit=args.limit))
        print()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
