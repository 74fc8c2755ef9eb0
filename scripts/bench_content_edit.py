"""How long a text-only content edit takes to go live, and proof that no retrain is needed.

Copies content/ and bot/ to a temp folder, edits one message's wording, then times:
  1. `coach content publish` (check + build of the generated Rasa files);
  2. the running coach's content cache picking up the change (the next message sees it).
It also shows that the generated Rasa files and the model fingerprint did not change,
so the trained model is reused as it is.

    .venv/bin/python scripts/bench_content_edit.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from coach.app.runner import bot_fingerprint  # noqa: E402
from coach.programme.content.cache import ContentCache  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        content, bot = tmp / "content", tmp / "bot"
        shutil.copytree(ROOT / "content", content)
        shutil.copytree(ROOT / "bot", bot, ignore=shutil.ignore_patterns("__pycache__"))
        cache = ContentCache(content)
        before = cache.get()
        fp_before = bot_fingerprint(bot)
        session = content / "sessions" / "03-time-out.yml"
        text = session.read_text()
        old = before.sessions[3].steps[[s.id for s in before.sessions[3].steps].index("recap-1")].text.splitlines()[0]
        new_line = "This week is all about time-outs (wording edited by the benchmark)."
        session.write_text(text.replace(old.split(". ")[0] + ".", new_line, 1))

        env = dict(os.environ, COACH_CONTENT_DIR=str(content), COACH_BOT_DIR=str(bot), COACH_HOME=str(tmp / "home"))
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "coach.cli", "content", "publish"], env=env,
                             capture_output=True, text=True)
        publish_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        after = cache.get()
        reload_s = time.perf_counter() - t1
        live = any(new_line in s.text for s in after.sessions[3].steps)
        fp_after = bot_fingerprint(bot)
        print(out.stdout.strip())
        print(f"publish (check + build), as a command:  {publish_s:.2f} s")
        print(f"running coach picks up the change:      {reload_s * 1000:.0f} ms (on the next message)")
        print(f"new wording live:                        {'yes' if live else 'NO'}")
        print(f"Rasa training inputs unchanged:          {'yes (no retrain)' if fp_before == fp_after else 'NO'}")
        return 0 if live and fp_before == fp_after and out.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
