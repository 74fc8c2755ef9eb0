"""`coach train`, `coach test stories`, `coach up`, `coach chat`, `coach worker`: training,
story tests and running the coach (the long-running parts live in ``coach.app``)."""

from __future__ import annotations

import signal
import sys
import time
from typing import Optional

from coach.cli.common import db, fail, group, settings
from coach.cli.content import build


def register(sub) -> None:
    t = sub.add_parser("train", help="train the risk model and the Rasa model where their inputs changed")
    t.add_argument("--force", action="store_true", help="train even if nothing changed")
    t.add_argument("--risk", action="store_true", help="only the risk model (content/safety/model/)")
    t.set_defaults(func=cmd_train)

    test = group(sub, "test", "Rasa story tests")
    ts = test.add_parser("stories", help="rasa test core on tests/stories, failing on any prediction error")
    ts.add_argument("--safety", action="store_true",
                    help="only the safety group (tests/stories/safety), which must pass at 100%%")
    ts.set_defaults(func=cmd_test_stories)

    sub.add_parser("up", help="start Rasa (REST on localhost) and the action server; Ctrl-C stops").set_defaults(
        func=cmd_up)
    c = sub.add_parser("chat", help="talk to the coach in this terminal as a demo participant")
    c.add_argument("--week", type=int, default=None, help="put the demo participant on this week (0-13)")
    c.add_argument("--new", action="store_true", help="start again as a new demo participant")
    c.set_defaults(func=cmd_chat)

    sub.add_parser("demo", help="fill the database with a demo site and staff log-ins for the console").set_defaults(
        func=cmd_demo)
    sub.add_parser("web", help="serve the staff console on WEB_HOST:WEB_PORT (coach up starts it too)").set_defaults(
        func=cmd_web)
    w = sub.add_parser("worker", help="send alerts, retry, re-notify (runs until Ctrl-C)")
    w.add_argument("--once", action="store_true", help="one pass, then exit")
    w.set_defaults(func=cmd_worker)


def cmd_web(args) -> int:
    import uvicorn

    from coach.web.app import create_app

    config = settings()
    uvicorn.run(create_app(config), host=config.web_host, port=config.web_port, log_level="warning",
                proxy_headers=True, forwarded_allow_ips="127.0.0.1", server_header=False,
                ws="none")  # no websockets (and Rasa pins an old websockets release)
    return 0


def cmd_train(args) -> int:
    from coach.app.runner import StackError, train, train_risk

    if not args.risk and build() != 0:
        return 1
    started = time.perf_counter()
    try:
        report = train_risk(settings(), force=args.force)
    except StackError as exc:
        return fail(str(exc))
    if report is None:
        print("Risk model is up to date with content/safety/model/ (nothing to train).")
    else:
        figures = report["cross_validated"]
        print(f"Risk model trained in {report['seconds']:.0f}s on {figures['messages']} messages; thresholds "
              f"{report['thresholds']}; cross-validated: recall {figures['recall_any']:.1%}, "
              f"false alerts {figures['false_alerts']:.1%}, false checks {figures['false_checks']:.1%}.")
    if args.risk:
        return 0
    started = time.perf_counter()
    try:
        trained = train(settings(), force=args.force, with_risk=False)
    except StackError as exc:
        return fail(str(exc))
    if trained:
        print(f"Trained in {time.perf_counter() - started:.0f}s.")
    else:
        print("Model is up to date with bot/ (nothing to train).")
    return 0


def cmd_test_stories(args) -> int:
    import subprocess

    from coach.app.runner import bin_path, model_path, rasa_env, train

    config = settings()
    train(config)
    stories = config.bot_dir.parent / "tests" / "stories"
    if args.safety:
        stories = stories / "safety"
    results = config.home / "results" / ("safety" if args.safety else "stories")
    cmd = [bin_path("rasa"), "test", "core", "--model", str(model_path(config)), "--stories", str(stories),
           "--out", str(results), "--fail-on-prediction-errors"]
    result = subprocess.run(cmd, cwd=config.bot_dir, env=rasa_env(config))
    if result.returncode != 0:
        failed = results / "failed_test_stories.yml"
        return fail(f"story tests failed; see {failed}" if failed.exists() else "story tests failed")
    print("Safety story group passed (100%)." if args.safety else "Story tests passed.")
    return 0


def prepare_run(config) -> Optional[int]:
    """Migrate the database, build content/ and train if needed: None when ready, else the exit code."""
    from coach.app.runner import StackError, train

    db().upgrade()
    if build() != 0:
        return 1
    try:
        if train(config):
            print("Model trained.")
    except StackError as exc:
        return fail(str(exc))
    return None


def cmd_up(args) -> int:
    from coach.app.runner import Stack, StackError

    config = settings()
    failed = prepare_run(config)
    if failed is not None:
        return failed
    print("Starting the action server, Rasa, the worker and the staff console (about 30-60 seconds)...")
    stack = Stack(config, web=True)
    try:
        stack.start()
    except StackError as exc:
        return fail(str(exc))
    channels = ["REST (POST /webhooks/rest/webhook)"]
    if config.telegram_enabled:
        channels.append("Telegram (/webhooks/telegram/webhook)")
    if config.sms_enabled:
        channels.append("SMS (/webhooks/sms/webhook)")
    print(f"Coach is up on {config.rasa_url}: channels: {', '.join(channels)}.")
    print(f"Staff console: http://{config.web_host}:{config.web_port}/ "
          "(log-ins: coach staff add --login, or coach demo)")
    if not (config.telegram_enabled or config.sms_enabled):
        print("Telegram and SMS are off (no TELEGRAM_* or TWILIO_* variables set): REST channel only.")
    print("Press Ctrl-C to stop.")
    _watch(stack)
    return 0


def _watch(stack) -> None:
    """Wait for Ctrl-C, SIGTERM or one of the stack's processes to stop, then stop them all."""
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


def cmd_chat(args) -> int:
    from coach.app.chat import run_chat

    config = settings()
    failed = prepare_run(config)
    if failed is not None:
        return failed
    return run_chat(config, week=args.week, new=args.new)


def cmd_worker(args) -> int:
    import asyncio
    import logging

    from coach.app.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("httpx", "httpcore"):  # they log request URLs, which hold the bot and API tokens
        logging.getLogger(name).setLevel(logging.WARNING)
    config = settings()
    db().upgrade()
    return asyncio.run(run_worker(config, once=args.once))


def cmd_demo(args) -> int:
    from coach.app.demo import SITE, fill
    from coach.cli.common import load_or_report, vault
    content = load_or_report()
    if content is None:
        return 1
    config = settings()
    if config.is_production:
        return fail("coach demo makes up people and log-ins; it is refused in production (COACH_ENV=production)")
    with db().session() as s:
        logins = fill(s, content, vault())
    print(f"Demo site '{SITE}' is ready: 12 men at weeks 1-12, with check-ins, answers, calls, groups and alerts.")
    print(f"Open the console at http://{config.web_host}:{config.web_port}/ (start it with `coach up` or `coach web`)")
    print("and log in as any of these (new passwords each time you run coach demo):")
    roles = {"facilitator": "facilitator", "iss": "ISS worker (women's support)", "supervisor": "supervisor"}
    for d in logins:
        print(f"  {d.login:<6} {d.password}   {d.name}, {roles[d.role]}")
    return 0
