"""`coach risk check|eval`: the risk decision the running coach makes, without Rasa or a database.

Both call ``escalation.risk.decide`` with the lexicon in content/safety/ and the trained
risk model in models/ (lexicon alone, with a warning, before `make train`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from coach.cli.common import fail, group, settings


def register(sub) -> None:
    risk = group(sub, "risk", "the risk decision (lexicon + risk model) without Rasa or a database")
    risk.add_parser("check", help="messages on stdin, one per line -> one JSON object per line").set_defaults(
        func=cmd_risk_check)
    ev = risk.add_parser("eval", help="recall, false alerts and checks, category, speed on labelled messages")
    ev.add_argument("file", help=".jsonl ({text, escalate, category, severity?} a line) or a test set .yml")
    ev.add_argument("--limit", type=int, default=30, help="misses and false alarms to list (default 30)")
    ev.set_defaults(func=cmd_risk_eval)


def decider():
    """``text -> RiskDecision``: the one decision, with this install's lexicon and model."""
    from escalation.cache import get_detector, get_model, lexicon_path, model_path
    from escalation.risk import decide

    config = settings()
    detector = get_detector(lexicon_path(config.content_dir))
    model = get_model(model_path(config.models_dir))
    if model is None:
        print("coach: no risk model yet (run `make train`): the lexicon decides alone", file=sys.stderr)
    return lambda text: decide(text, detector, model)


def cmd_risk_check(args) -> int:
    decide = decider()
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        d = decide(text)
        out = {"text": text, "tier": d.tier, "escalate": d.escalate, "category": d.category, "severity": d.severity,
               "probability": None if d.probability is None else round(d.probability, 4), "signals": list(d.signals)}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def cmd_risk_eval(args) -> int:
    from escalation.evaluate import load_records
    from escalation.measure import format_measure, measure

    path = Path(args.file)
    if not path.exists():
        return fail(f"no file {path}")
    if path.suffix == ".jsonl":
        records = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                return fail(f"{path}:{number}: not JSON ({exc.msg}); each line must be one JSON object")
    else:
        records = load_records(path)
    print(format_measure(measure(decider(), records), title=f"Risk decision on {path}", limit=args.limit))
    return 0
