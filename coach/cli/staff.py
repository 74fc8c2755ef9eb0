"""`coach staff add|update|list|rota`: facilitators, ISS workers, supervisors and the on-call rota."""

from __future__ import annotations

from typing import Optional

from coach.cli.common import db, fail, group, vault
from coach.core.accounts import AccountError


def register(sub) -> None:
    staff = group(sub, "staff", "facilitators, ISS workers, supervisors and the on-call rota")
    a = staff.add_parser("add", help="add a staff member")
    a.add_argument("--site", required=True)
    a.add_argument("--name", required=True)
    a.add_argument("--role", required=True, choices=["facilitator", "iss", "supervisor"])
    a.add_argument("--telegram-chat-id", help="their Telegram chat id with the coach's bot")
    a.add_argument("--phone", help="mobile in international form, e.g. +447700900123")
    a.add_argument("--notify", help="telegram, sms or telegram,sms (default: whatever contacts are given)")
    a.add_argument("--login", help="a log-in name for the staff console; you are then asked for a password")
    a.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of standard input, not a prompt")
    a.set_defaults(func=cmd_staff_add)
    pw = staff.add_parser("password", help="set a console password (and log-in name); unlocks a locked log-in")
    pw.add_argument("staff", help="staff id or log-in name")
    pw.add_argument("--login", help="set or change their log-in name too")
    pw.add_argument("--password-stdin", action="store_true",
                    help="read the password from the first line of standard input, not a prompt")
    pw.set_defaults(func=cmd_staff_password)
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


def staff_row(p) -> str:
    how = "+".join(c for c, on in (("telegram", p.notify_telegram), ("sms", p.notify_sms)) if on) or "none"
    login = f"  login: {p.login}" if p.login else ""
    return (f"{p.id:>4}  {p.site.code:<10} {p.role:<12} {p.name:<24} notify: {how}{login}"
            f"{'' if p.active else '  (inactive)'}")


def cmd_staff_add(args) -> int:
    from escalation.staff import StaffError, add_staff

    try:
        with db().session() as s:
            person = add_staff(s, vault(), args.site, args.name, args.role, telegram_chat_id=args.telegram_chat_id,
                               phone=args.phone, notify=args.notify.split(",") if args.notify else ())
            print(f"Added staff {person.id}: {person.name} ({person.role}, site {args.site}).")
            if not (person.notify_telegram or person.notify_sms):
                print("Warning: no Telegram chat or phone, so alerts can't reach them. Use `coach staff update`.")
            if args.login:
                _set_password(s, person, args.login, args.password_stdin)
                print(f"They can log in to the console as {person.login!r}.")
    except (StaffError, AccountError) as exc:
        return fail(str(exc))
    return 0


def read_password(from_stdin: bool) -> str:
    """Never from the command line (it would show in `ps` and shell history)."""
    import getpass
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password (at least 10 characters): ")
    if getpass.getpass("Type it again: ") != first:
        raise AccountError("the two passwords were different; nothing was changed")
    return first


def _set_password(s, person, login: Optional[str], from_stdin: bool) -> None:
    from coach.core.accounts import record, set_password

    set_password(s, person, read_password(from_stdin), login=login)
    record(s, None, "set_password", detail={"staff": person.id, "login": person.login}, site_id=person.site_id)


def cmd_staff_password(args) -> int:
    from sqlalchemy import select

    from coach.core.db.models import Staff

    try:
        with db().session() as s:
            key = args.staff.strip()
            person = s.get(Staff, int(key)) if key.isdigit() else \
                s.execute(select(Staff).where(Staff.login == key.lower())).scalar_one_or_none()
            if person is None:
                return fail(f"no staff {key!r}; see `coach staff list`")
            _set_password(s, person, args.login, args.password_stdin)
            print(f"Password set for {person.name}; they log in as {person.login!r}. Their old sessions are ended.")
    except AccountError as exc:
        return fail(str(exc))
    return 0


def cmd_staff_update(args) -> int:
    from escalation.staff import StaffError, update_staff

    active = True if args.activate else False if args.deactivate else None
    try:
        with db().session() as s:
            person = update_staff(s, vault(), args.id, name=args.name, telegram_chat_id=args.telegram_chat_id,
                                  phone=args.phone, notify=args.notify.split(",") if args.notify else None,
                                  active=active)
            if person is None:
                return fail(f"no staff {args.id}; see `coach staff list`")
            print(staff_row(person))
    except StaffError as exc:
        return fail(str(exc))
    return 0


def cmd_staff_list(args) -> int:
    from escalation.staff import list_staff

    with db().session() as s:
        people = list_staff(s, args.site)
        for p in people:
            print(staff_row(p))
        if not people:
            print("No staff yet. Add some with `coach staff add`.")
    return 0


def uk_time(text: Optional[str]):
    """'2026-03-07T17:00' (UK time unless it says otherwise) -> naive UTC, as the rota stores it."""
    if not text:
        return None
    from datetime import datetime, timezone

    from coach.programme.calendar import UK

    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UK)
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def cmd_staff_rota(args) -> int:
    from escalation.staff import StaffError, rota, set_rota

    try:
        window = uk_time(args.start), uk_time(args.end)
    except ValueError:
        return fail("--from and --until are UK times like 2026-03-07T17:00")
    try:
        with db().session() as s:
            if args.staff:
                set_rota(s, args.site, args.role, args.staff, *window)
            rows = rota(s, args.site)
            for r in rows:
                timed = r.starts_at or r.ends_at
                window = f"{r.starts_at or '...'} to {r.ends_at or '...'} UTC" if timed else "always"
                print(f"{r.role:<12} {r.position:>2}. {r.staff.name} (staff {r.staff_id})  [{window}]")
            if not rows:
                print(f"No rota for site {args.site}: alerts go to every active facilitator (and ISS worker) there.")
    except StaffError as exc:
        return fail(str(exc))
    return 0
