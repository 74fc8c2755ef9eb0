#!/usr/bin/env python
"""Benchmark the risk detector: per-message time, then accuracy on labelled sets.

Usage (from the repository root):

    python scripts/bench_detector.py                      # timing + own cases + dev set if present
    python scripts/bench_detector.py --n 5000 --dev /work/shared/eval/risk_dev.jsonl

Timing: builds the detector once (reported separately, with the spaCy matchers it runs),
then times ``detect()`` on ``--n`` messages (default 4000): the labelled messages from
tests/unit/escalation plus randomly joined pairs of them and everyday coaching replies, so
the cache of word forms does not make every call a repeat. Prints p50 / p95 / p99 / mean /
max in milliseconds.
Accuracy: recall, precision, false-alarm rate and category accuracy on each labelled file
(format_report from escalation.evaluate; misses and false alarms listed).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from escalation.evaluate import evaluate, format_report, load_records  # noqa: E402

CASES_DIR = REPO / "tests" / "unit" / "escalation"
DEFAULT_DEV = Path("/work/shared/eval/risk_dev.jsonl")

EVERYDAY = [
    "had a decent week, went to my meeting",
    "mood 6 craving 3",
    "i used my time out when she started on me",
    "my warning signs are getting hot and going quiet",
    "yes",
    "no",
    "skip",
    "i went for a walk and came back calmer",
    "the kids stayed at mine on saturday, we went to the park",
    "work was stressful but i didnt drink",
    "my goal is to be more patient with my son",
    "i rang my keyworker like we said",
    "feeling a bit low but ok",
    "can we do this later im at work",
    "what week is it",
]


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lexicon", default=str(REPO / "content" / "safety" / "lexicon.yml"))
    ap.add_argument("--n", type=int, default=4000, help="messages to time")
    ap.add_argument("--dev", default=str(DEFAULT_DEV), help="dev set (.jsonl); skipped if missing")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--limit", type=int, default=20, help="misses/false alarms to list per file")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    from escalation.detector import RiskDetector

    det = RiskDetector.from_path(args.lexicon)
    build_s = time.perf_counter() - t0

    files = sorted(CASES_DIR.glob("cases.yml")) + sorted(CASES_DIR.glob("holdout*.yml"))
    labelled = [r for f in files for r in load_records(f)]
    texts = [r["text"] for r in labelled] + EVERYDAY
    rng = random.Random(args.seed)
    messages = list(texts)
    while len(messages) < args.n:
        a, b = rng.choice(texts), rng.choice(texts)
        messages.append(f"{a}. {b}" if rng.random() < 0.5 else f"{a} {b}")
    messages = messages[: args.n]
    rng.shuffle(messages)

    det.detect("warm up")
    times = []
    alerts = 0
    for m in messages:
        s = time.perf_counter()
        d = det.detect(m)
        times.append((time.perf_counter() - s) * 1000.0)
        alerts += d.escalate
    print(f"detector built in {build_s:.2f} s (spaCy import + lexicon load + compile; once per process)")
    runtime = det.matchers() if hasattr(det, "matchers") else None
    if runtime:
        lines = sum(len(p.match) for p in det.lexicon.patterns) + sum(len(v) for v in det.lexicon.lists.values())
        print(
            f"runtime: {len(runtime['phrase_matchers'])} spaCy PhraseMatchers "
            f"({sum(len(m) for m in runtime['phrase_matchers'])} keys) and "
            f"{len(runtime['risk_matchers']) + len(runtime['context_matchers'])} spaCy Matchers "
            f"(lines that need one, of {lines})"
        )
    print(
        f"detect() on {len(times)} messages ({alerts} alerts): "
        f"p50 {percentile(times, 0.5):.3f} ms  p95 {percentile(times, 0.95):.3f} ms  "
        f"p99 {percentile(times, 0.99):.3f} ms  mean {statistics.fmean(times):.3f} ms  max {max(times):.3f} ms"
    )
    print()

    reports = [(f.relative_to(REPO), load_records(f)) for f in files]
    reports.append(("all own cases (cases.yml + holdout*.yml)", labelled))
    if args.dev and os.path.exists(args.dev):
        reports.append((args.dev, load_records(args.dev)))
    else:
        print(f"(dev set {args.dev} not found: skipped)\n")
    for fresh in sorted((CASES_DIR / "fresh").glob("*.jsonl")):
        # never tuned on: the honest estimate for new wording (content/safety/README.md section 5)
        reports.append((f"{fresh.relative_to(REPO)} (fresh: never tuned on)", load_records(fresh)))
    for name, recs in reports:
        print(format_report(evaluate(det, recs), title=f"Risk detector on {name}", limit=args.limit))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
