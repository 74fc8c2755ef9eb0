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
    fa = risk.add_parser("false-alarms", help="alerts the console closed as false alarms, as reviewable training "
                                               "data for COACH_HOME/risk-feedback.yml")
    fa.add_argument("--site", help="one site only (its code)")
    fa.set_defaults(func=cmd_risk_false_alarms)


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


def false_alarms_yaml(rows) -> str:
    """Reviewable training data: each text with its code, date and the staff note as a comment."""
    out = ["# Alerts closed as false alarms in the staff console, newest last.",
           "# Review each one with a clinician: delete any line that was not really a false alarm.",
           "# Then save this file as COACH_HOME/risk-feedback.yml (it stays out of git, with the",
           "# databases) and run `coach train --risk`: the risk model learns them as must-not-escalate.",
           "no_escalate:", "  staff_false_alarm:"]
    for alert, note in rows:
        comment = " ".join((note or "").split())[:120]
        out.append(f"    - {json.dumps(' '.join(alert.text.split()), ensure_ascii=False)}"
                   f"  # {alert.code} {alert.created_at:%Y-%m-%d} {alert.category}{': ' + comment if comment else ''}")
    return "\n".join(out) + "\n"


def cmd_risk_false_alarms(args) -> int:
    from sqlalchemy import select

    from coach.cli.common import db
    from coach.core.accounts import record
    from coach.core.db.models import Alert, AlertEvent, Site

    with db().session() as s:
        q = select(Alert).where(Alert.outcome == "false_alarm").order_by(Alert.created_at)
        if args.site:
            site = s.execute(select(Site).where(Site.code == args.site)).scalar_one_or_none()
            if site is None:
                return fail(f"no site {args.site!r}")
            q = q.where(Alert.site_id == site.id)
        rows = []
        for alert in s.execute(q).scalars():
            notes = [e.detail.get("text", "") for e in s.execute(select(AlertEvent).where(
                AlertEvent.alert_id == alert.id, AlertEvent.kind == "note").order_by(AlertEvent.id)).scalars()]
            rows.append((alert, notes[-1] if notes else ""))
        record(s, None, "export_false_alarms", detail={"count": len(rows), "site": args.site})
    sys.stdout.write(false_alarms_yaml(rows))
    if not rows:
        print("coach: no alerts have been closed as false alarms yet", file=sys.stderr)
    return 0
