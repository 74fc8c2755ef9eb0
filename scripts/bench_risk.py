"""The risk decision against its goals, on every evaluation file and on the untuned fresh set.

Uses ``escalation.risk.decide``, the function the running coach, `coach risk check` and
`coach risk eval` use, with the lexicon in content/safety/ and the trained model in models/
(`make train-risk` first; `make bench-risk` does it).

    .venv/bin/python scripts/bench_risk.py [--eval-dir ../shared/eval] [--details FILE]

Prints one row per file: recall (alert or check), recall as alert, imminent as alert,
false alerts, false checks, false alarms of any tier, right category among catches, p95
time, and under it how many messages must and must not escalate. The goals are the last
rows. On real suicidal posts (suicide.jsonl) the "false any" column is "flagged among the
others". Files under eval/ are for evaluation only: this
script only reads them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.core.settings import load_settings  # noqa: E402
from escalation.cache import get_detector, get_model, lexicon_path, model_path  # noqa: E402
from escalation.evaluate import load_records  # noqa: E402
from escalation.measure import format_measure, measure, pct  # noqa: E402
from escalation.risk import decide  # noqa: E402

FRESH = ROOT / "tests" / "unit" / "escalation" / "fresh"
GOALS = ("goal", ">= 97%", "", ">= 95%", "<= 3%", "<= 8%", "", ">= 90%", "< 5 ms")
SMS_GOALS = ("goal, everyday SMS", "", "", "", "<= 0.5%", "", "<= 2%", "", "")


def files(eval_dir: Path):
    found = sorted(eval_dir.glob("*.jsonl")) + sorted((eval_dir / "real").glob("*.jsonl"))
    return found + sorted(FRESH.glob("round1[0-9].jsonl"))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval-dir", default=str(ROOT.parent / "shared" / "eval"))
    ap.add_argument("--details", help="print misses and false alarms for this file name")
    args = ap.parse_args()
    settings = load_settings()
    detector = get_detector(lexicon_path(settings.content_dir))
    model = get_model(model_path(settings.models_dir))
    if model is None:
        print("no risk model: run `make train-risk` first", file=sys.stderr)
        return 1
    print(f"thresholds: {model.thresholds.to_dict()}")
    widths = (22, 9, 9, 10, 8, 8, 8, 9, 6)
    header = ("file", "recall", "as alert", "imminent", "false", "false", "false", "category", "p95")
    sub = ("(must / must not)", "(any)", "", "as alert", "alerts", "checks", "any", "right", "ms")
    for row in (header, sub):
        print("  ".join(f"{c:<{w}}" for c, w in zip(row, widths)))
    for path in files(Path(args.eval_dir)):
        records = load_records(path)
        report = measure(lambda text: decide(text, detector, model), records)
        cells = (path.name, pct(report["recall"]), pct(report["recall_alert"]), pct(report["imminent_as_alert"]),
                 pct(report["false_alerts"]), pct(report["false_checks"]), pct(report["any_tier"]),
                 pct(report["right_category"]), f"{report['p95_ms']:.2f}")
        print("  ".join(f"{c:<{w}}" for c, w in zip(cells, widths)))
        print(f"  ({report['must_escalate']} / {report['must_not']})")
        if args.details and path.name == args.details:
            print(format_measure(report, title=str(path)))
    for goals in (GOALS, SMS_GOALS):
        print("  ".join(f"{c:<{w}}" for c, w in zip(goals, widths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
