"""`coach unlink` and `coach telegram set-webhook`: a participant's link to Telegram or SMS,
and the Telegram bot's webhook."""

from __future__ import annotations

from coach.cli.common import db, fail, group, settings


def register(sub) -> None:
    un = sub.add_parser("unlink", help="remove a participant's Telegram or SMS link")
    un.add_argument("participant")
    un.add_argument("--channel", required=True, choices=["telegram", "sms", "rest"])
    un.set_defaults(func=cmd_unlink)
    tg = group(sub, "telegram", "Telegram bot set-up")
    sw = tg.add_parser("set-webhook", help="register PUBLIC_BASE_URL/webhooks/telegram/webhook with the secret token")
    sw.add_argument("--url", help="override the webhook URL")
    sw.set_defaults(func=cmd_telegram_set_webhook)


def cmd_unlink(args) -> int:
    from coach.programme.enrolment import unlink

    with db().session() as s:
        n = unlink(s, args.participant, args.channel)
    if not n:
        return fail(f"{args.participant} has no {args.channel} link")
    print(f"Unlinked {args.participant} from {args.channel}. "
          "Give him a new code (coach enrol --participant) to link again.")
    return 0


def cmd_telegram_set_webhook(args) -> int:
    import asyncio

    from coach.messaging.telegram import set_webhook

    try:
        url = asyncio.run(set_webhook(settings(), args.url))
    except Exception as exc:
        return fail(f"could not set the webhook: {exc}")
    print(f"Telegram will send updates to {url} (with the secret token).")
    return 0
