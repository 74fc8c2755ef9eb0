"""`coach risk check|eval`: the risk detector on its own, without Rasa or a database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from coach.cli.common import fail, group, settings


def register(sub) -> None:
    risk = group(sub, "risk", "the risk detector without Rasa or a database")
    risk.add_parser("check", help="messages on stdin, one per line -> one JSON object per line").set_defaults(
        func=cmd_risk_check)
    ev = risk.add_parser("eval", help="recall, precision and false alarms on a labelled .jsonl file")
    ev.add_argument("file")
    ev.set_defaults(func=cmd_risk_eval)


def detector():
    """The detector built from content/safety/lexicon.yml."""
    from escalation.detector import RiskDetector

    return RiskDetector.from_path(settings().content_dir / "safety" / "lexicon.yml")


def cmd_risk_check(args) -> int:
    risk_detector = detector()
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        print(json.dumps(risk_detector.detect(text).to_dict(), ensure_ascii=False), flush=True)
    return 0


def cmd_risk_eval(args) -> int:
    from escalation.evaluate import evaluate, format_report

    path = Path(args.file)
    if not path.exists():
        return fail(f"no file {path}")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            return fail(f"{path}:{number}: not JSON ({exc.msg}); each line must be one JSON object")
    print(format_report(evaluate(detector(), records)))
    return 0
