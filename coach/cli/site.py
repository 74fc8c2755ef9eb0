"""`coach site groups`: a site's fortnightly group session dates (UK time)."""

from __future__ import annotations

from datetime import date, time

from coach.cli.common import db, fail, group


def register(sub) -> None:
    site = group(sub, "site", "sites: group session dates")
    sg = site.add_parser("groups", help="show or set a site's fortnightly group dates (UK time)")
    sg.add_argument("--site", required=True)
    sg.add_argument("dates", nargs="*", help="dates YYYY-MM-DD to add")
    sg.add_argument("--first", help="first group date: adds --count dates, --every days apart")
    sg.add_argument("--every", type=int, default=14)
    sg.add_argument("--count", type=int, default=7)
    sg.add_argument("--time", default="19:00", help="start time, UK (default 19:00)")
    sg.add_argument("--clear", action="store_true", help="remove the site's dates first")
    sg.set_defaults(func=cmd_site_groups)


def cmd_site_groups(args) -> int:
    from coach.programme import calendar as cal
    from coach.programme.sites import add_group_dates, group_dates, series

    try:
        at = time.fromisoformat(args.time)
        days = series(date.fromisoformat(args.first), args.every, args.count) if args.first else []
        days += [date.fromisoformat(d) for d in args.dates]
    except ValueError as exc:
        return fail(f"dates are YYYY-MM-DD and the time HH:MM ({exc})")
    with db().session() as s:
        if days or args.clear:
            add_group_dates(s, args.site, days, at, clear=args.clear)
        starts = group_dates(s, args.site)
    for local in starts:
        print(f"{args.site}: {cal.format_date(local.date())} {local:%Y} at {local:%H:%M}")
    if not starts:
        print(f"No group dates for {args.site}. "
              f"Add them: coach site groups --site {args.site} --first 2026-03-05 --time 19:00")
    return 0
