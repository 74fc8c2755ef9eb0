"""How the two risk signals do together on a labelled file: the detector alone, and the
detector plus the trained intent classifier (what the running coach alerts on).

The RiskGate component in the trained model combines them: a message escalates when the
detector flags it or the classifier puts it in ``risk_disclosure``. This script parses each
message with the trained model (``models/coach.tar.gz``; run ``make train`` first) and
reports both, in the format of ``coach risk eval``.

    .venv/bin/python scripts/eval_risk_with_model.py FILE.jsonl [--limit 40]

The classifier is trained on content/language/risk_disclosure.yml; never on the eval set.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class _Verdict:
    escalate: bool
    category: str | None
    severity: str | None
    matched: tuple
    suppressed: tuple = ()


class ModelSignal:
    """The trained model's NLU, read through its ``risk`` output, shaped like the detector."""

    def __init__(self, model_path: Path):
        from rasa.core.agent import Agent

        self.agent = Agent.load(str(model_path))
        self.loop = asyncio.new_event_loop()
        self.sources = {"detector": 0, "classifier": 0}

    def detect(self, text: str) -> _Verdict:
        parsed = self.loop.run_until_complete(self.agent.parse_message(text))
        risk = parsed.get("risk") or {}
        if not risk.get("escalate"):
            return _Verdict(False, None, None, ())
        self.sources[risk.get("source", "detector")] = self.sources.get(risk.get("source"), 0) + 1
        return _Verdict(True, risk.get("category"), risk.get("severity"), tuple(risk.get("matched") or ()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--model", default=str(ROOT / "models" / "coach.tar.gz"))
    ap.add_argument("--limit", type=int, default=40, help="how many misses / false alarms to list")
    args = ap.parse_args()
    model = Path(args.model)
    if not model.exists():
        print(f"no trained model at {model}: run `make train` first", file=sys.stderr)
        return 2
    logging.disable(logging.WARNING)

    from escalation.cache import get_detector, lexicon_path
    from escalation.evaluate import evaluate, format_report, load_records

    records = load_records(args.file)
    alone = evaluate(get_detector(lexicon_path(ROOT / "content")), records)
    signal = ModelSignal(model)
    both = evaluate(signal, records)
    print(format_report(alone, title="Detector alone", limit=0).split("\n\nMISSED")[0])
    print()
    print(format_report(both, title="Detector + intent classifier (the running coach)", limit=args.limit))
    print(f"\nalerts raised by: detector {signal.sources['detector']}, "
          f"classifier only {signal.sources['classifier']}")
    print("(a classifier-only alert has category 'unclassified': it counts as a catch, not as a right category)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
