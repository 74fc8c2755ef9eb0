"""NLU cross-validation: intent F1 of the trained pipeline on content/language/ phrases.

Runs `rasa test nlu --cross-validation` (3 folds by default; each fold trains DIET, so
this takes several minutes on 2 cores) and prints the macro and weighted F1.

    .venv/bin/python scripts/bench_nlu.py [--folds 3]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.app.runner import bin_path  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as out:
        cmd = [bin_path("rasa"), "test", "nlu", "--nlu", "data/nlu", "--config", "config.yml",
               "--cross-validation", "--folds", str(args.folds), "--out", out]
        subprocess.run(cmd, cwd=ROOT / "bot", check=True, stdout=subprocess.DEVNULL)
        report = json.loads((Path(out) / "intent_report.json").read_text())
    print(f"NLU intent cross-validation ({args.folds} folds)")
    print(f"  accuracy     {report['accuracy']:.3f}")
    print(f"  macro F1     {report['macro avg']['f1-score']:.3f}")
    print(f"  weighted F1  {report['weighted avg']['f1-score']:.3f}")
    worst = sorted(((v['f1-score'], k) for k, v in report.items() if isinstance(v, dict) and 'support' in v
                    and k not in ('macro avg', 'weighted avg', 'micro avg')))[:5]
    print("  lowest F1:   " + ", ".join(f"{k} {f:.2f}" for f, k in worst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
