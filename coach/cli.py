"""The `coach` command. `coach --help` and `coach COMMAND --help` describe everything.

    coach db upgrade                  create or migrate the app database
    coach content check|build|preview WEEK|publish
    coach train                       train the Rasa model if bot/ changed
    coach test stories                Rasa story tests (fail on any prediction error)
    coach up                          Rasa + action server for other clients (Ctrl-C stops)
    coach chat [--week N]             talk to the coach in this terminal as a demo participant
    coach report completion           CSV of session completion
"""

from __future__ import annotations

import argparse
import csv
import json
import signal
import sys
import time
from datetime import date
from pathlib import Path
from typing import List, Optional

from coach.settings import SettingsError, get_settings


def _fail(message: str, code: int = 1) -> int:
    print(f"coach: {message}", file=sys.stderr)
    return code


# -- db ----------------------------------------------------------------------------------------

def cmd_db_upgrade(args) -> int:
    from coach.db import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    print(f"Database ready: {_safe_url(settings.database_url)}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- content -------------------------------------------------------------------------------------

def cmd_content_check(args) -> int:
    from coach.content.loader import check_content

    settings = get_settings()
    problems = check_content(settings.content_dir)
    for p in problems:
        print(p)
    if problems:
        print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} found. Fix them and run `coach content check` again.")
        return 1
    print("Content OK: no problems found.")
    return 0


def _load_or_report():
    from coach.content.loader import ContentError, load_content

    settings = get_settings()
    try:
        return load_content(settings.content_dir)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        print("\nContent has problems; fix them first (coach content check).", file=sys.stderr)
        return None


def cmd_content_build(args) -> int:
    from coach.content.build import stale_outputs, write_outputs

    settings = get_settings()
    content = _load_or_report()
    if content is None:
        return 1
    if args.check:
        stale = stale_outputs(content, settings.bot_dir)
        for path in stale:
            print(f"{path}: out of date with content/; run `coach content build`")
        return 1 if stale else 0
    changed = write_outputs(content, settings.bot_dir)
    for path in changed:
        print(f"wrote {path}")
    if not changed:
        print("Generated Rasa files are up to date.")
    return 0


def cmd_content_publish(args) -> int:
    from coach.content.build import write_outputs
    from coach.runner import model_is_fresh

    settings = get_settings()
    started = time.perf_counter()
    content = _load_or_report()
    if content is None:
        return 1
    changed = write_outputs(content, settings.bot_dir)
    elapsed = time.perf_counter() - started
    print(f"Checked and built in {elapsed:.2f}s (content {content.fingerprint}).")
    if changed or not model_is_fresh(settings):
        print("The phrases the coach understands changed: run `make train` and restart the coach.")
    else:
        print("Live now: the running coach reads the new wording on the next message. No retraining needed.")
    return 0


def cmd_content_preview(args) -> int:
    from coach.content.preview import preview

    content = _load_or_report()
    if content is None:
        return 1
    return preview(content, args.week, sys.stdin, sys.stdout)


# -- training, tests, running ------------------------------------------------------------------

def cmd_train(args) -> int:
    from coach.runner import StackError, train

    if cmd_content_build(argparse.Namespace(check=False)) != 0:
        return 1
    started = time.perf_counter()
    try:
        trained = train(get_settings(), force=args.force)
    except StackError as exc:
        return _fail(str(exc))
    if trained:
        print(f"Trained in {time.perf_counter() - started:.0f}s.")
    else:
        print("Model is up to date with bot/ (nothing to train).")
    return 0


def cmd_test_stories(args) -> int:
    import subprocess

    from coach.runner import bin_path, model_path, rasa_env, train

    settings = get_settings()
    train(settings)
    stories = settings.bot_dir.parent / "tests" / "stories"
    results = settings.home / "results" / "stories"
    cmd = [bin_path("rasa"), "test", "core", "--model", str(model_path(settings)), "--stories", str(stories),
           "--out", str(results), "--fail-on-prediction-errors"]
    result = subprocess.run(cmd, cwd=settings.bot_dir, env=rasa_env(settings))
    if result.returncode != 0:
        failed = results / "failed_test_stories.yml"
        return _fail(f"story tests failed; see {failed}" if failed.exists() else "story tests failed")
    print("Story tests passed.")
    return 0


def _prepare_run(settings) -> Optional[int]:
    from coach.db import upgrade
    from coach.runner import StackError, train

    upgrade(settings.database_url)
    if cmd_content_build(argparse.Namespace(check=False)) != 0:
        return 1
    try:
        if train(settings):
            print("Model trained.")
    except StackError as exc:
        return _fail(str(exc))
    return None


def cmd_up(args) -> int:
    from coach.runner import Stack, StackError

    settings = get_settings()
    failed = _prepare_run(settings)
    if failed is not None:
        return failed
    print("Starting the action server and Rasa (about 30-60 seconds)...")
    stack = Stack(settings)
    try:
        stack.start()
    except StackError as exc:
        return _fail(str(exc))
    channels = ["REST (POST /webhooks/rest/webhook)"]
    print(f"Coach is up on {settings.rasa_url}: channels: {', '.join(channels)}.")
    print("Telegram and SMS are off: no TELEGRAM_* or TWILIO_* variables are set." if not (settings.telegram_enabled or settings.sms_enabled) else "")
    print("Press Ctrl-C to stop.")
    stopping = {"now": False}

    def on_signal(signum, _frame):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        while not stopping["now"]:
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    print(f"The {name} process stopped (exit {proc.returncode}); stopping the rest.", file=sys.stderr)
                    stopping["now"] = True
            time.sleep(0.5)
    finally:
        print("Stopping...")
        stack.stop()
        print("Stopped.")
    return 0


def cmd_chat(args) -> int:
    from coach.chat import run_chat

    settings = get_settings()
    failed = _prepare_run(settings)
    if failed is not None:
        return failed
    return run_chat(settings, week=args.week, new=args.new)


# -- reports --------------------------------------------------------------------------------------

def cmd_report_completion(args) -> int:
    from coach.reports import completion_rows

    content = _load_or_report()
    if content is None:
        return 1
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["participant", "site", "week", "title", "started", "completed", "steps_done", "steps_total"])
    for row in completion_rows(content):
        writer.writerow(row)
    return 0


# -- parser ---------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description="ADVANCE-D digital coach")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    db = sub.add_parser("db", help="app database").add_subparsers(dest="db_command", metavar="SUBCOMMAND")
    db.required = True
    db.add_parser("upgrade", help="create or migrate the database (DATABASE_URL)").set_defaults(func=cmd_db_upgrade)

    content = sub.add_parser("content", help="check, preview, build and publish content/").add_subparsers(
        dest="content_command", metavar="SUBCOMMAND")
    content.required = True
    content.add_parser("check", help="find problems: file:line: what is wrong, how to fix it").set_defaults(func=cmd_content_check)
    b = content.add_parser("build", help="write the Rasa files generated from content/")
    b.add_argument("--check", action="store_true", help="only report generated files that are out of date")
    b.set_defaults(func=cmd_content_build)
    p = content.add_parser("preview", help="walk a session in this terminal (no training needed)")
    p.add_argument("week", help="0-12, or 'booster', or 'toolkit'")
    p.set_defaults(func=cmd_content_preview)
    content.add_parser("publish", help="check + build; says whether a retrain is needed").set_defaults(func=cmd_content_publish)

    t = sub.add_parser("train", help="train the Rasa model if bot/ changed")
    t.add_argument("--force", action="store_true", help="train even if nothing changed")
    t.set_defaults(func=cmd_train)

    test = sub.add_parser("test", help="Rasa story tests").add_subparsers(dest="test_command", metavar="SUBCOMMAND")
    test.required = True
    test.add_parser("stories", help="rasa test core on tests/stories, failing on any prediction error").set_defaults(func=cmd_test_stories)

    sub.add_parser("up", help="start Rasa (REST on localhost) and the action server; Ctrl-C stops").set_defaults(func=cmd_up)
    c = sub.add_parser("chat", help="talk to the coach in this terminal as a demo participant")
    c.add_argument("--week", type=int, default=None, help="put the demo participant on this week (0-13)")
    c.add_argument("--new", action="store_true", help="start again as a new demo participant")
    c.set_defaults(func=cmd_chat)

    report = sub.add_parser("report", help="reports for facilitators (CSV)").add_subparsers(dest="report_command", metavar="REPORT")
    report.required = True
    report.add_parser("completion", help="participant, week, started, completed, steps done").set_defaults(func=cmd_report_completion)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        return _fail(f"setting problem: {exc}")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
