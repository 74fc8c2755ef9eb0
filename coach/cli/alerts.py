"""`coach alerts list|show|ack`: risk alerts, who was told and when, who acknowledged."""

from __future__ import annotations

from coach.cli.common import db, fail, group


def register(sub) -> None:
    al = group(sub, "alerts", "risk alerts: list, show, acknowledge")
    ls = al.add_parser("list", help="alerts with who was told, when, and who acknowledged")
    ls.add_argument("--open", action="store_true", help="only unacknowledged")
    ls.add_argument("--history", action="store_true", help="every audited event")
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(func=cmd_alerts_list)
    sh = al.add_parser("show", help="one alert in full")
    sh.add_argument("code")
    sh.set_defaults(func=cmd_alerts_show)
    ak = al.add_parser("ack", help="acknowledge an alert")
    ak.add_argument("code")
    ak.add_argument("--staff", type=int, help="your staff id (recorded in the audit)")
    ak.set_defaults(func=cmd_alerts_ack)


def cmd_alerts_list(args) -> int:
    from escalation.reports import list_alerts

    alerts = list_alerts(db(), open_only=args.open, limit=args.limit, with_history=args.history)
    for a in alerts:
        ack = ""
        if a.status == "acknowledged":
            ack = f" by {a.acknowledged_by or 'cli'} via {a.acknowledged_via} at {a.acknowledged_at:%Y-%m-%d %H:%M:%S}"
        print(f"{a.code}  {a.created_at:%Y-%m-%d %H:%M:%S}  {a.participant_id}  {a.site}  {a.category}/{a.severity}"
              f"  {a.status.upper()}{ack}")
        for n in a.notifications:
            when = f"{n.sent_at:%H:%M:%S}" if n.sent_at else "-"
            print(f"      round {n.round}  {n.channel:<8} {n.staff_name:<20} {n.status:<9} {when}"
                  f"{'  ' + (n.last_error or '')[:60] if n.last_error else ''}")
        print_history(a.history)
    if not alerts:
        print("No alerts.")
    return 0


def print_history(history) -> None:
    for e in history:
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if k not in ("matched",))
        print(f"      {e.at:%Y-%m-%d %H:%M:%S}  {e.kind:<20} {e.actor:<12} {detail[:120]}")


def cmd_alerts_show(args) -> int:
    from escalation.reports import find_alert

    a = find_alert(db(), args.code)
    if a is None:
        return fail(f"no alert {args.code}; see `coach alerts list`")
    _audit("view_alert", a.code)
    print(f"Alert {a.code}: {a.participant_id}, {a.category}/{a.severity}, from the {a.source}, {a.status}")
    print(f"He wrote: {a.text}")
    print("Matched: " + ", ".join(a.matched))
    print("Before that:")
    for turn in a.context:
        print(f"  {turn.get('who')}: {turn.get('text')}")
    print("History:")
    print_history(a.history)
    return 0


def cmd_alerts_ack(args) -> int:
    from escalation.alerts import AckError, acknowledge

    try:
        with db().session() as s:
            alert = acknowledge(s, args.code, staff_id=args.staff, via="cli",
                                actor=f"cli:{args.staff}" if args.staff else f"cli:{os_user()}")
            print(f"Alert {alert.code} acknowledged.")
    except AckError as exc:
        return fail(str(exc))
    return 0


def os_user() -> str:
    """Who ran the command, as the system knows them (the audit's actor when no --staff)."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name for this uid (a container): the number will do
        import os

        return str(os.getuid())


def _audit(action: str, code: str) -> None:
    from sqlalchemy import select

    from coach.core.accounts import record
    from coach.core.db.models import Alert

    with db().session() as s:
        alert = s.execute(select(Alert).where(Alert.code == code)).scalar_one()
        record(s, None, action, participant_id=alert.participant_id, alert_id=alert.id, actor=f"cli:{os_user()}",
               site_id=alert.site_id)
