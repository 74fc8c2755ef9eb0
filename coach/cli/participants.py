"""`coach enrol` and `coach participants [--behind]`: enrolling men, their joining codes,
and who is where in the programme."""

from __future__ import annotations

from datetime import date

from coach.cli.common import db, fail, load_or_report, vault


def register(sub) -> None:
    e = sub.add_parser("enrol", help="enrol a participant and print his single-use joining code")
    e.add_argument("--site")
    e.add_argument("--start", help="date of his goal-setting 1:1 (YYYY-MM-DD): week 1 opens a week later")
    e.add_argument("--week", type=int, help="instead of --start: a start date that makes this week's session "
                   "(0 welcome, 1-12) his current one today, for demos and trying a week out")
    e.add_argument("--participant", help="an existing participant: issue a new code (old ones stop working)")
    e.add_argument("--days", type=int, default=14, help="days until the code expires (default 14)")
    e.set_defaults(func=cmd_enrol)
    pa = sub.add_parser("participants", help="list participants with week, channels and status")
    pa.add_argument("--site")
    pa.add_argument("--behind", action="store_true",
                    help="only those who haven't started or finished this week's session, longest silent first")
    pa.set_defaults(func=cmd_participants)


def cmd_enrol(args) -> int:
    from coach.programme.enrolment import enrol_with_code, reissue_code

    if args.participant:
        with db().session() as s:
            enrolled = reissue_code(s, vault(), args.participant, days=args.days)
        if enrolled is None:
            return fail(f"no participant {args.participant}; see `coach participants`")
    else:
        if not args.site or (args.start is None) == (args.week is None):
            return fail("give --site and either --start (the date of his goal-setting 1:1) or --week N, "
                        "or --participant for a new code")
        if args.week is not None:
            from coach.programme import calendar as cal

            content = load_or_report()
            if content is None:
                return 1
            last = content.programme.weekly_sessions
            if not 0 <= args.week <= last:
                return fail(f"--week must be from 0 (the welcome) to {last}, got {args.week}")
            start = cal.start_for_week(content.programme, args.week, cal.uk_today())
        else:
            try:
                start = date.fromisoformat(args.start)
            except ValueError:
                return fail(f"--start must be a date like 2026-03-02, got {args.start!r}")
        with db().session() as s:
            enrolled = enrol_with_code(s, vault(), args.site, start, days=args.days)
    print(f"Participant {enrolled.participant_id} (site {enrolled.site}, starts {enrolled.start_date}).")
    print(f"Joining code: {enrolled.code}  (single use, expires in {enrolled.days} days)")
    print(f"He sends:  JOIN {enrolled.code}  to the coach on Telegram or by text.")
    return 0


def cmd_participants(args) -> int:
    from coach.programme import calendar as cal
    from coach.programme.roster import roster

    content = load_or_report()
    if content is None:
        return 1
    if args.behind:
        return participants_behind(content, args.site)
    rows = roster(db(), content.programme, cal.uk_today(), site=args.site)
    print(f"{'participant':<10} {'site':<10} {'week':>4}  {'done':>4}  {'channels':<14} {'status':<22} last contact")
    for r in rows:
        channels = ",".join(r.channels) or "-"
        status = f"opted out ({r.opt_out_reason})" if r.opted_out else r.status
        if r.is_demo:
            status += " (demo)"
        last = f"{r.last_contact_at:%Y-%m-%d %H:%M}" if r.last_contact_at else "never"
        print(f"{r.participant:<10} {r.site:<10} {r.week:>4}  {r.sessions_done:>4}  {channels:<14} {status:<22} {last}")
    if not rows:
        print("No participants yet. Enrol one with `coach enrol --site SITE --start YYYY-MM-DD`.")
    return 0


def participants_behind(content, site=None) -> int:
    from coach.core.db.models import utcnow
    from coach.programme import calendar as cal
    from coach.programme.roster import behind

    rows = behind(db(), content.programme, cal.uk_today(), utcnow(), site=site)
    print(f"{'participant':<10} {'site':<10} {'week':>4}  {'state':<22} {'days since contact':>18}")
    for r in rows:
        days = "never" if r["days_since_contact"] is None else str(r["days_since_contact"])
        note = "  (messages off)" if r["opted_out"] else ""
        print(f"{r['participant']:<10} {r['site']:<10} {r['week']:>4}  {r['state']:<22} {days:>18}{note}")
    if not rows:
        print("Nobody is behind: everyone has finished the session open this week.")
    return 0
