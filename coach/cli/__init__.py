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

from coach.core.settings import SettingsError, get_settings


def _fail(message: str, code: int = 1) -> int:
    print(f"coach: {message}", file=sys.stderr)
    return code


# -- db ----------------------------------------------------------------------------------------

def cmd_db_upgrade(args) -> int:
    from coach.core.db import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    print(f"Database ready: {_safe_url(settings.database_url)}")
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- content -------------------------------------------------------------------------------------

def _all_problems(content_dir: Path) -> List[str]:
    """Every problem in content/: the sessions and messages, then the risk lexicon (its
    examples run through the detector)."""
    from coach.programme.content.loader import check_content
    from escalation.check import check_lexicon

    problems = [str(p) for p in check_content(content_dir)]
    lexicon = content_dir / "safety" / "lexicon.yml"
    if lexicon.exists():
        problems += check_lexicon(lexicon)
    return problems


def cmd_content_check(args) -> int:
    settings = get_settings()
    problems = _all_problems(settings.content_dir)
    for p in problems:
        print(p)
    if problems:
        print(f"\n{len(problems)} problem{'s' if len(problems) != 1 else ''} found. Fix them and run `coach content check` again.")
        return 1
    print("Content OK: no problems found.")
    return 0


def _load_or_report(with_lexicon: bool = False):
    from coach.programme.content.loader import ContentError, load_content

    settings = get_settings()
    try:
        content = load_content(settings.content_dir)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        print("\nContent has problems; fix them first (coach content check).", file=sys.stderr)
        return None
    if with_lexicon:
        from escalation.check import check_lexicon

        problems = check_lexicon(settings.content_dir / "safety" / "lexicon.yml")
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print("\nThe risk lexicon has problems; fix them first (coach content check).", file=sys.stderr)
            return None
    return content


def cmd_content_build(args) -> int:
    from coach.programme.content.build import stale_outputs, write_outputs

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
    from coach.programme.content.build import write_outputs
    from coach.app.runner import model_is_fresh

    settings = get_settings()
    started = time.perf_counter()
    content = _load_or_report(with_lexicon=True)
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
    from coach.programme.content.preview import preview

    content = _load_or_report()
    if content is None:
        return 1
    return preview(content, args.week, sys.stdin, sys.stdout)


# -- training, tests, running ------------------------------------------------------------------

def cmd_train(args) -> int:
    from coach.app.runner import StackError, train

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

    from coach.app.runner import bin_path, model_path, rasa_env, train

    settings = get_settings()
    train(settings)
    stories = settings.bot_dir.parent / "tests" / "stories"
    if args.safety:
        stories = stories / "safety"
    results = settings.home / "results" / ("safety" if args.safety else "stories")
    cmd = [bin_path("rasa"), "test", "core", "--model", str(model_path(settings)), "--stories", str(stories),
           "--out", str(results), "--fail-on-prediction-errors"]
    result = subprocess.run(cmd, cwd=settings.bot_dir, env=rasa_env(settings))
    if result.returncode != 0:
        failed = results / "failed_test_stories.yml"
        return _fail(f"story tests failed; see {failed}" if failed.exists() else "story tests failed")
    print("Safety story group passed (100%)." if args.safety else "Story tests passed.")
    return 0


def _prepare_run(settings) -> Optional[int]:
    from coach.core.db import upgrade
    from coach.app.runner import StackError, train

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
    from coach.app.runner import Stack, StackError

    settings = get_settings()
    failed = _prepare_run(settings)
    if failed is not None:
        return failed
    print("Starting the action server, Rasa and the worker (about 30-60 seconds)...")
    stack = Stack(settings)
    try:
        stack.start()
    except StackError as exc:
        return _fail(str(exc))
    channels = ["REST (POST /webhooks/rest/webhook)"]
    if settings.telegram_enabled:
        channels.append("Telegram (/webhooks/telegram/webhook)")
    if settings.sms_enabled:
        channels.append("SMS (/webhooks/sms/webhook)")
    print(f"Coach is up on {settings.rasa_url}: channels: {', '.join(channels)}.")
    if not (settings.telegram_enabled or settings.sms_enabled):
        print("Telegram and SMS are off (no TELEGRAM_* or TWILIO_* variables set): REST channel only.")
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
    from coach.app.chat import run_chat

    settings = get_settings()
    failed = _prepare_run(settings)
    if failed is not None:
        return failed
    return run_chat(settings, week=args.week, new=args.new)


# -- reports --------------------------------------------------------------------------------------

def cmd_report_completion(args) -> int:
    from coach.programme.reports import completion_rows

    content = _load_or_report()
    if content is None:
        return 1
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["participant", "site", "week", "title", "started", "completed", "steps_done", "steps_total"])
    for row in completion_rows(content):
        writer.writerow(row)
    return 0


# -- worker, staff, alerts, risk ------------------------------------------------------------------

def cmd_worker(args) -> int:
    import asyncio
    import logging

    from coach.core.db import upgrade
    from coach.app.worker import run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("httpx", "httpcore"):  # they log request URLs, which hold the bot and API tokens
        logging.getLogger(name).setLevel(logging.WARNING)
    settings = get_settings()
    upgrade(settings.database_url)
    return asyncio.run(run_worker(settings, once=args.once))


def _vault():
    from coach.core.identity import IdentityVault

    return IdentityVault.from_settings(get_settings())


def _staff_row(p) -> str:
    how = "+".join(c for c, on in (("telegram", p.notify_telegram), ("sms", p.notify_sms)) if on) or "none"
    return f"{p.id:>4}  {p.site.code:<10} {p.role:<12} {p.name:<24} notify: {how}{'' if p.active else '  (inactive)'}"


def cmd_staff_add(args) -> int:
    from coach.core.db import session_scope
    from escalation.staff import StaffError, add_staff

    try:
        with session_scope() as s:
            person = add_staff(s, _vault(), args.site, args.name, args.role, telegram_chat_id=args.telegram_chat_id,
                               phone=args.phone, notify=args.notify.split(",") if args.notify else ())
            print(f"Added staff {person.id}: {person.name} ({person.role}, site {args.site}).")
            if not (person.notify_telegram or person.notify_sms):
                print("Warning: no Telegram chat or phone, so alerts can't reach them. Use `coach staff update`.")
    except StaffError as exc:
        return _fail(str(exc))
    return 0


def cmd_staff_update(args) -> int:
    from coach.core.db import session_scope
    from coach.core.db.models import Staff
    from escalation.staff import StaffError, set_contacts

    try:
        with session_scope() as s:
            person = s.get(Staff, args.id)
            if person is None:
                return _fail(f"no staff {args.id}; see `coach staff list`")
            set_contacts(s, _vault(), person, args.telegram_chat_id, args.phone,
                         args.notify.split(",") if args.notify else None)
            if args.name:
                person.name = args.name
            if args.deactivate:
                person.active = False
            if args.activate:
                person.active = True
            print(_staff_row(person))
    except StaffError as exc:
        return _fail(str(exc))
    return 0


def cmd_staff_list(args) -> int:
    from coach.core.db import session_scope
    from escalation.staff import list_staff

    with session_scope() as s:
        people = list_staff(s, args.site)
        for p in people:
            print(_staff_row(p))
        if not people:
            print("No staff yet. Add some with `coach staff add`.")
    return 0


def _when(text: Optional[str]):
    if not text:
        return None
    from datetime import datetime, timezone

    from coach.programme.calendar import UK

    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UK)
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def cmd_staff_rota(args) -> int:
    from coach.core.db import session_scope
    from escalation.staff import StaffError, rota, set_rota

    try:
        with session_scope() as s:
            if args.staff:
                set_rota(s, args.site, args.role, args.staff, _when(args.start), _when(args.end))
            rows = rota(s, args.site)
            for r in rows:
                window = f"{r.starts_at or '...'} to {r.ends_at or '...'} UTC" if (r.starts_at or r.ends_at) else "always"
                print(f"{r.role:<12} {r.position:>2}. {r.staff.name} (staff {r.staff_id})  [{window}]")
            if not rows:
                print(f"No rota for site {args.site}: alerts go to every active facilitator (and ISS worker) there.")
    except StaffError as exc:
        return _fail(str(exc))
    return 0


def cmd_alerts_list(args) -> int:
    from sqlalchemy import select

    from coach.core.db import session_scope
    from coach.core.db.models import Alert, AlertNotification, Site, Staff

    with session_scope() as s:
        q = select(Alert).order_by(Alert.id.desc()).limit(args.limit)
        if args.open:
            q = q.where(Alert.status == "open")
        alerts = s.execute(q).scalars().all()
        for a in alerts:
            site = s.get(Site, a.site_id)
            sent = s.execute(select(AlertNotification, Staff).join(Staff, Staff.id == AlertNotification.staff_id)
                             .where(AlertNotification.alert_id == a.id).order_by(AlertNotification.id)).all()
            ack = ""
            if a.status == "acknowledged":
                who = s.get(Staff, a.acknowledged_by).name if a.acknowledged_by else "cli"
                ack = f" by {who} via {a.acknowledged_via} at {a.acknowledged_at:%Y-%m-%d %H:%M:%S}"
            print(f"{a.code}  {a.created_at:%Y-%m-%d %H:%M:%S}  {a.participant_id}  {site.code}  {a.category}/{a.severity}"
                  f"  {a.status.upper()}{ack}")
            for n, person in sent:
                when = f"{n.sent_at:%H:%M:%S}" if n.sent_at else "-"
                print(f"      round {n.round}  {n.channel:<8} {person.name:<20} {n.status:<9} {when}"
                      f"{'  ' + (n.last_error or '')[:60] if n.last_error else ''}")
            if args.history:
                _print_history(s, a.id)
        if not alerts:
            print("No alerts.")
    return 0


def _print_history(s, alert_id: int) -> None:
    from escalation.alerts import events

    for e in events(s, alert_id):
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if k not in ("matched",))
        print(f"      {e.at:%Y-%m-%d %H:%M:%S}  {e.kind:<20} {e.actor:<12} {detail[:120]}")


def cmd_alerts_show(args) -> int:
    from sqlalchemy import select

    from coach.core.db import session_scope
    from coach.core.db.models import Alert

    with session_scope() as s:
        a = s.execute(select(Alert).where(Alert.code == args.code.upper())).scalar_one_or_none()
        if a is None:
            return _fail(f"no alert {args.code}; see `coach alerts list`")
        print(f"Alert {a.code}: {a.participant_id}, {a.category}/{a.severity}, from the {a.source}, {a.status}")
        print(f"He wrote: {a.text}")
        print("Matched: " + ", ".join(a.matched or []))
        print("Before that:")
        for turn in a.context or []:
            print(f"  {turn.get('who')}: {turn.get('text')}")
        print("History:")
        _print_history(s, a.id)
    return 0


def cmd_alerts_ack(args) -> int:
    from coach.core.db import session_scope
    from escalation.alerts import AckError, acknowledge

    try:
        with session_scope() as s:
            alert = acknowledge(s, args.code, staff_id=args.staff, via="cli",
                                actor=f"cli:{args.staff}" if args.staff else "cli")
            print(f"Alert {alert.code} acknowledged.")
    except AckError as exc:
        return _fail(str(exc))
    return 0


def _detector():
    from escalation.detector import RiskDetector

    return RiskDetector.from_path(get_settings().content_dir / "safety" / "lexicon.yml")


def cmd_risk_check(args) -> int:
    detector = _detector()
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        print(json.dumps(detector.detect(text).to_dict(), ensure_ascii=False), flush=True)
    return 0


def cmd_risk_eval(args) -> int:
    from escalation.evaluate import evaluate, format_report

    path = Path(args.file)
    if not path.exists():
        return _fail(f"no file {path}")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            return _fail(f"{path}:{number}: not JSON ({exc.msg}); each line must be one JSON object")
    print(format_report(evaluate(_detector(), records)))
    return 0


# -- participants and channels ---------------------------------------------------------------------

def cmd_enrol(args) -> int:
    from coach.core.db import session_scope
    from coach.core.db.models import Participant
    from coach.programme.enrolment import issue_code
    from coach.programme.enrolment import enrol

    with session_scope() as s:
        if args.participant:
            p = s.get(Participant, args.participant)
            if p is None:
                return _fail(f"no participant {args.participant}; see `coach participants`")
        else:
            if not args.site or not args.start:
                return _fail("give --site and --start (the date of his goal-setting 1:1), or --participant for a new code")
            try:
                start = date.fromisoformat(args.start)
            except ValueError:
                return _fail(f"--start must be a date like 2026-03-02, got {args.start!r}")
            p = enrol(s, site=args.site, start=start)
        code = issue_code(s, _vault(), p.id, days=args.days)
        print(f"Participant {p.id} (site {p.site.code if p.site else args.site}, starts {p.start_date}).")
        print(f"Joining code: {code}  (single use, expires in {args.days} days)")
        print(f"He sends:  JOIN {code}  to the coach on Telegram or by text.")
    return 0


def cmd_participants(args) -> int:
    from sqlalchemy import select

    from coach.programme import calendar as cal
    from coach.core.db import session_scope
    from coach.core.db.models import ChannelIdentity, Participant, SessionProgress, Site

    content = _load_or_report()
    if content is None:
        return 1
    if args.behind:
        return cmd_participants_behind(content)
    today = cal.uk_today()
    with session_scope() as s:
        q = select(Participant, Site.code).join(Site, Site.id == Participant.site_id).order_by(Participant.created_at)
        if args.site:
            q = q.where(Site.code == args.site)
        rows = s.execute(q).all()
        print(f"{'participant':<10} {'site':<10} {'week':>4}  {'done':>4}  {'channels':<14} {'status':<22} last contact")
        for p, site in rows:
            week = cal.current_week(content.programme, p.start_date, today)
            channels = ",".join(sorted({c.channel for c in s.execute(select(ChannelIdentity).where(
                ChannelIdentity.participant_id == p.id)).scalars()})) or "-"
            done = s.execute(select(SessionProgress).where(SessionProgress.participant_id == p.id,
                                                           SessionProgress.completed_at.isnot(None))).scalars().all()
            status = p.status if p.opted_out_at is None else f"opted out ({p.opt_out_reason})"
            if p.is_demo:
                status += " (demo)"
            last = f"{p.last_contact_at:%Y-%m-%d %H:%M}" if p.last_contact_at else "never"
            print(f"{p.id:<10} {site:<10} {week:>4}  {len(done):>4}  {channels:<14} {status:<22} {last}")
        if not rows:
            print("No participants yet. Enrol one with `coach enrol --site SITE --start YYYY-MM-DD`.")
    return 0


def cmd_participants_behind(content) -> int:
    from coach.programme import calendar as cal
    from coach.core.db.models import utcnow
    from coach.programme.schedule import behind

    rows = list(behind(content, cal.uk_today(), utcnow()))
    print(f"{'participant':<10} {'site':<10} {'week':>4}  {'state':<22} {'days since contact':>18}")
    for r in sorted(rows, key=lambda r: -(r["days_since_contact"] if r["days_since_contact"] is not None else 10**6)):
        days = "never" if r["days_since_contact"] is None else str(r["days_since_contact"])
        note = "  (messages off)" if r["opted_out"] else ""
        print(f"{r['participant']:<10} {r['site']:<10} {r['week']:>4}  {r['state']:<22} {days:>18}{note}")
    if not rows:
        print("Nobody is behind: everyone has finished the session open this week.")
    return 0


def cmd_site_groups(args) -> int:
    from datetime import time, timedelta

    from sqlalchemy import select

    from coach.programme import calendar as cal
    from coach.core.db import session_scope
    from coach.core.db.models import SiteGroup
    from coach.core.identity import ensure_site

    with session_scope() as s:
        site = ensure_site(s, args.site)
        new = []
        try:
            at = time.fromisoformat(args.time)
            if args.first:
                first = date.fromisoformat(args.first)
                new = [first + timedelta(days=args.every * i) for i in range(args.count)]
            new += [date.fromisoformat(d) for d in args.dates]
        except ValueError as exc:
            return _fail(f"dates are YYYY-MM-DD and the time HH:MM ({exc})")
        if args.clear:
            for g in s.execute(select(SiteGroup).where(SiteGroup.site_id == site.id)).scalars():
                s.delete(g)
            s.flush()
        for d in new:
            when = cal.local_to_utc(d, at)
            if s.execute(select(SiteGroup).where(SiteGroup.site_id == site.id, SiteGroup.starts_at == when)).first() is None:
                s.add(SiteGroup(site_id=site.id, starts_at=when))
        s.flush()
        groups = s.execute(select(SiteGroup).where(SiteGroup.site_id == site.id).order_by(SiteGroup.starts_at)).scalars().all()
        for g in groups:
            local = cal.utc_to_local(g.starts_at)
            print(f"{args.site}: {cal.format_date(local.date())} {local:%Y} at {local:%H:%M}")
        if not groups:
            print(f"No group dates for {args.site}. Add them: coach site groups --site {args.site} --first 2026-03-05 --time 19:00")
    return 0


def cmd_unlink(args) -> int:
    from coach.core.db import session_scope
    from coach.programme.enrolment import unlink

    with session_scope() as s:
        n = unlink(s, args.participant, args.channel)
    if not n:
        return _fail(f"{args.participant} has no {args.channel} link")
    print(f"Unlinked {args.participant} from {args.channel}. Give him a new code (coach enrol --participant) to link again.")
    return 0


def cmd_telegram_set_webhook(args) -> int:
    import asyncio

    from coach.messaging.telegram import set_webhook

    try:
        url = asyncio.run(set_webhook(get_settings(), args.url))
    except Exception as exc:
        return _fail(f"could not set the webhook: {exc}")
    print(f"Telegram will send updates to {url} (with the secret token).")
    return 0


def cmd_settings_example(args) -> int:
    from coach.core.settings import env_example

    sys.stdout.write(env_example())
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
    ts = test.add_parser("stories", help="rasa test core on tests/stories, failing on any prediction error")
    ts.add_argument("--safety", action="store_true", help="only the safety group (tests/stories/safety), which must pass at 100%%")
    ts.set_defaults(func=cmd_test_stories)

    sub.add_parser("up", help="start Rasa (REST on localhost) and the action server; Ctrl-C stops").set_defaults(func=cmd_up)
    c = sub.add_parser("chat", help="talk to the coach in this terminal as a demo participant")
    c.add_argument("--week", type=int, default=None, help="put the demo participant on this week (0-13)")
    c.add_argument("--new", action="store_true", help="start again as a new demo participant")
    c.set_defaults(func=cmd_chat)

    w = sub.add_parser("worker", help="send alerts, retry, re-notify (runs until Ctrl-C)")
    w.add_argument("--once", action="store_true", help="one pass, then exit")
    w.set_defaults(func=cmd_worker)

    staff = sub.add_parser("staff", help="facilitators, ISS workers, supervisors and the on-call rota").add_subparsers(
        dest="staff_command", metavar="SUBCOMMAND")
    staff.required = True
    a = staff.add_parser("add", help="add a staff member")
    a.add_argument("--site", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=["facilitator", "iss", "supervisor"])
    a.add_argument("--telegram-chat-id", help="their Telegram chat id with the coach's bot")
    a.add_argument("--phone", help="mobile in international form, e.g. +447700900123")
    a.add_argument("--notify", help="telegram, sms or telegram,sms (default: whatever contacts are given)")
    a.set_defaults(func=cmd_staff_add)
    u = staff.add_parser("update", help="change contacts, notification choice, or (de)activate")
    u.add_argument("id", type=int)
    u.add_argument("--name")
    u.add_argument("--telegram-chat-id")
    u.add_argument("--phone")
    u.add_argument("--notify")
    u.add_argument("--deactivate", action="store_true")
    u.add_argument("--activate", action="store_true")
    u.set_defaults(func=cmd_staff_update)
    ls = staff.add_parser("list", help="list staff")
    ls.add_argument("--site")
    ls.set_defaults(func=cmd_staff_list)
    r = staff.add_parser("rota", help="show a site's on-call rota, or set it: --role R STAFF_ID [STAFF_ID ...]")
    r.add_argument("--site", required=True)
    r.add_argument("--role", choices=["facilitator", "iss"], default="facilitator")
    r.add_argument("staff", nargs="*", type=int, help="staff ids in call order (first is on duty)")
    r.add_argument("--from", dest="start", help="start of this rota (YYYY-MM-DDTHH:MM, UK time); default: always")
    r.add_argument("--until", dest="end", help="end of this rota (UK time)")
    r.set_defaults(func=cmd_staff_rota)

    al = sub.add_parser("alerts", help="risk alerts: list, show, acknowledge").add_subparsers(
        dest="alerts_command", metavar="SUBCOMMAND")
    al.required = True
    l2 = al.add_parser("list", help="alerts with who was told, when, and who acknowledged")
    l2.add_argument("--open", action="store_true", help="only unacknowledged")
    l2.add_argument("--history", action="store_true", help="every audited event")
    l2.add_argument("--limit", type=int, default=50)
    l2.set_defaults(func=cmd_alerts_list)
    sh = al.add_parser("show", help="one alert in full")
    sh.add_argument("code")
    sh.set_defaults(func=cmd_alerts_show)
    ak = al.add_parser("ack", help="acknowledge an alert")
    ak.add_argument("code")
    ak.add_argument("--staff", type=int, help="your staff id (recorded in the audit)")
    ak.set_defaults(func=cmd_alerts_ack)

    risk = sub.add_parser("risk", help="the risk detector without Rasa or a database").add_subparsers(
        dest="risk_command", metavar="SUBCOMMAND")
    risk.required = True
    risk.add_parser("check", help="messages on stdin, one per line -> one JSON object per line").set_defaults(func=cmd_risk_check)
    ev = risk.add_parser("eval", help="recall, precision and false alarms on a labelled .jsonl file")
    ev.add_argument("file")
    ev.set_defaults(func=cmd_risk_eval)

    e = sub.add_parser("enrol", help="enrol a participant and print his single-use joining code")
    e.add_argument("--site")
    e.add_argument("--start", help="date of his goal-setting 1:1 (YYYY-MM-DD): week 1 opens a week later")
    e.add_argument("--participant", help="an existing participant: issue a new code (old ones stop working)")
    e.add_argument("--days", type=int, default=14, help="days until the code expires (default 14)")
    e.set_defaults(func=cmd_enrol)
    pa = sub.add_parser("participants", help="list participants with week, channels and status")
    pa.add_argument("--site")
    pa.add_argument("--behind", action="store_true",
                    help="only those who haven't started or finished this week's session, longest silent first")
    pa.set_defaults(func=cmd_participants)
    site = sub.add_parser("site", help="sites: group session dates").add_subparsers(dest="site_command", metavar="SUBCOMMAND")
    site.required = True
    sg = site.add_parser("groups", help="show or set a site's fortnightly group dates (UK time)")
    sg.add_argument("--site", required=True)
    sg.add_argument("dates", nargs="*", help="dates YYYY-MM-DD to add")
    sg.add_argument("--first", help="first group date: adds --count dates, --every days apart")
    sg.add_argument("--every", type=int, default=14)
    sg.add_argument("--count", type=int, default=7)
    sg.add_argument("--time", default="19:00", help="start time, UK (default 19:00)")
    sg.add_argument("--clear", action="store_true", help="remove the site's dates first")
    sg.set_defaults(func=cmd_site_groups)
    un = sub.add_parser("unlink", help="remove a participant's Telegram or SMS link")
    un.add_argument("participant")
    un.add_argument("--channel", required=True, choices=["telegram", "sms", "rest"])
    un.set_defaults(func=cmd_unlink)
    tg = sub.add_parser("telegram", help="Telegram bot set-up").add_subparsers(dest="telegram_command", metavar="SUBCOMMAND")
    tg.required = True
    sw = tg.add_parser("set-webhook", help="register PUBLIC_BASE_URL/webhooks/telegram/webhook with the secret token")
    sw.add_argument("--url", help="override the webhook URL")
    sw.set_defaults(func=cmd_telegram_set_webhook)

    st = sub.add_parser("settings", help="the settings the coach reads").add_subparsers(dest="settings_command",
                                                                                     metavar="SUBCOMMAND")
    st.required = True
    st.add_parser("example", help="print .env.example: every setting with its default and what it is for").set_defaults(
        func=cmd_settings_example)

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
