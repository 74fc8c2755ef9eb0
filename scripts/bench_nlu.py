"""NLU cross-validation: intent F1 of the trained pipeline on content/language/ phrases.

Runs `rasa test nlu --cross-validation` (3 folds by default; each fold trains DIET, so
this takes several minutes on 2 cores) and prints the macro and weighted F1, the F1 of
every intent, and the commonest confusions.

The macro F1 that matters is over the intents the classifier decides: what he can type.
The risk intents (risk_disclosure, risk_check) are set only by the risk decision
(bot/components/risk.py discards any guess of them) and `nudge` only by the worker; each
has two placeholder tokens so Rasa knows it. Rasa's own macro over every intent it
reports is printed too, for comparison.

    .venv/bin/python scripts/bench_nlu.py [--folds 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.app.runner import bin_path  # noqa: E402

NOT_CLASSIFIED = ("risk_disclosure", "risk_check", "nudge")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--keep", help="keep rasa's reports (errors.json, intent_report.json) in this folder")
    ap.add_argument("--config", default="config.yml", help="a pipeline to try instead of bot/config.yml")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep or tmp)
        config = str(Path(args.config).resolve()) if args.config != "config.yml" else "config.yml"
        cmd = [bin_path("rasa"), "test", "nlu", "--nlu", "data/nlu", "--config", config,
               "--cross-validation", "--folds", str(args.folds), "--out", str(out.resolve())]
        subprocess.run(cmd, cwd=ROOT / "bot", check=True, stdout=subprocess.DEVNULL)
        report = json.loads((out / "intent_report.json").read_text())
        errors = json.loads((out / "intent_errors.json").read_text()) if (out / "intent_errors.json").exists() else []
    intents = {k: v for k, v in report.items() if isinstance(v, dict) and "support" in v
               and k not in ("macro avg", "weighted avg", "micro avg")}
    decided = [v["f1-score"] for k, v in intents.items() if k not in NOT_CLASSIFIED]
    print(f"NLU intent cross-validation ({args.folds} folds, {sum(v['support'] for v in intents.values())} phrases)")
    print(f"  accuracy     {report['accuracy']:.3f}")
    print(f"  macro F1     {sum(decided) / len(decided):.3f}  ({len(decided)} intents the classifier decides; "
          f"not {', '.join(NOT_CLASSIFIED)}, which only the risk decision or the worker set)")
    print(f"  macro F1     {report['macro avg']['f1-score']:.3f}  (Rasa's, over all {len(intents)} intents it reports)")
    print(f"  weighted F1  {report['weighted avg']['f1-score']:.3f}")
    print("  per intent:  " + ", ".join(f"{k} {v['f1-score']:.2f}" for k, v in
                                        sorted(intents.items(), key=lambda kv: kv[1]["f1-score"])))
    pairs = Counter((e["intent"], e["intent_prediction"]["name"]) for e in errors if e.get("intent_prediction"))
    print("  confusions:  " + ", ".join(f"{a}->{b} {n}" for (a, b), n in pairs.most_common(12)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
