"""`coach content check|build|preview|publish`: the authors' commands on content/."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import List

from coach.cli.common import group, load_or_report, settings


def register(sub) -> None:
    content = group(sub, "content", "check, preview, build and publish content/")
    content.add_parser("check", help="find problems: file:line: what is wrong, how to fix it").set_defaults(
        func=cmd_content_check)
    b = content.add_parser("build", help="write the Rasa files generated from content/")
    b.add_argument("--check", action="store_true", help="only report generated files that are out of date")
    b.set_defaults(func=cmd_content_build)
    p = content.add_parser("preview", help="walk a session in this terminal (no training needed)")
    p.add_argument("week", help="0-12, or 'booster', or 'toolkit'")
    p.set_defaults(func=cmd_content_preview)
    content.add_parser("publish", help="check + build; says whether a retrain is needed").set_defaults(
        func=cmd_content_publish)


def all_problems(content_dir: Path) -> List[str]:
    """Every problem in content/: the sessions and messages, then the risk lexicon (its
    examples run through the detector) and the risk model's labelled messages."""
    from coach.programme.content.loader import check_content
    from escalation.check import check_safety

    return [str(p) for p in check_content(content_dir)] + check_safety(content_dir)


def cmd_content_check(args) -> int:
    problems = all_problems(settings().content_dir)
    for p in problems:
        print(p)
    if problems:
        print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} found. "
              "Fix them and run `coach content check` again.")
        return 1
    print("Content OK: no problems found.")
    return 0


def cmd_content_build(args) -> int:
    return build(check=args.check)


def build(check: bool = False) -> int:
    """Write the Rasa files generated from content/ (or, with ``check``, list those out of date)."""
    from coach.programme.content.build import stale_outputs, write_outputs

    bot_dir = settings().bot_dir
    content = load_or_report()
    if content is None:
        return 1
    if check:
        stale = stale_outputs(content, bot_dir)
        for path in stale:
            print(f"{path}: out of date with content/; run `coach content build`")
        return 1 if stale else 0
    changed = write_outputs(content, bot_dir)
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print("Generated Rasa files are up to date.")
    return 0


def cmd_content_publish(args) -> int:
    from coach.app.runner import model_is_fresh
    from coach.programme.content.build import write_outputs

    config = settings()
    started = time.perf_counter()
    content = load_or_report(with_lexicon=True)
    if content is None:
        return 1
    changed = write_outputs(content, config.bot_dir)
    elapsed = time.perf_counter() - started
    print(f"Checked and built in {elapsed:.2f}s (content {content.fingerprint}).")
    if changed or not model_is_fresh(config):
        print("The phrases the coach understands changed: run `make train` and restart the coach.")
    else:
        print("Live now: the running coach reads the new wording on the next message. No retraining needed.")
    return 0


def cmd_content_preview(args) -> int:
    from coach.programme.content.preview import preview

    content = load_or_report()
    if content is None:
        return 1
    return preview(content, args.week, sys.stdin, sys.stdout)
