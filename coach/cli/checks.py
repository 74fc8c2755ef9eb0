"""`coach checks list|seen`: calm safety checks, and the review items a facilitator reads before a call.

When the risk model is unsure, nobody is paged: he is asked whether he is safe. A check
he didn't answer clearly (or at all, within ``RISK_CHECK_REVIEW_MINUTES``) becomes a review
item: listed here until someone marks it seen.
"""

from __future__ import annotations

from coach.cli.common import db, fail, group


def register(sub) -> None:
    ch = group(sub, "checks", "calm safety checks and review items for facilitators")
    ls = ch.add_parser("list", help="review items and unanswered checks, oldest first")
    ls.add_argument("--site")
    ls.add_argument("--all", action="store_true", help="include items already marked seen")
    ls.set_defaults(func=cmd_checks_list)
    seen = ch.add_parser("seen", help="mark a review item as seen (after the coaching call)")
    seen.add_argument("id", type=int)
    seen.set_defaults(func=cmd_checks_seen)


def _asked(context) -> str:
    for turn in reversed(context or []):
        if turn.get("who") != "participant":
            return (turn.get("text") or "").strip()[:120]
    return "(nothing: it was his first message)"


def cmd_checks_list(args) -> int:
    from coach.core.risk import LABELS
    from escalation.checks import checks_for_review

    with db().session() as s:
        items = checks_for_review(s, site=args.site, include_seen=args.all)
        for c in items:
            p = f"{c.probability:.0%}" if c.probability is not None else "-"
            why = f" ({c.review_reason})" if c.review_reason else ""
            print(f"#{c.id}  {c.created_at:%Y-%m-%d %H:%M}  {c.participant_id}  {c.status.upper()}{why}  "
                  f"{LABELS.get(c.category, c.category)}, model {p} sure")
            print(f"      he was asked: {_asked(c.context)}")
            print(f"      he wrote:     {c.text[:200]}")
            if c.answer is not None:
                print(f"      his answer:   {c.answer[:200] or '(none)'}")
        if not items:
            print("Nothing to review: no unanswered or unclear safety checks.")
    return 0


def cmd_checks_seen(args) -> int:
    from coach.core.db.models import RiskCheck, utcnow

    with db().session() as s:
        check = s.get(RiskCheck, args.id)
        if check is None:
            return fail(f"no check #{args.id}; see `coach checks list`")
        check.reviewed_at = utcnow()
    print(f"Check #{args.id} marked as seen.")
    return 0
