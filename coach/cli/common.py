"""What every command group shares: errors, settings, the database, the identity vault, content.

This is the entry point, so this is where ``get_settings()`` is called; everything below
the CLI is handed the settings, a ``Database`` or a session.

    def register(sub):                                   # in each command module
        staff = group(sub, "staff", "facilitators, ...")
        staff.add_parser("list", help="list staff").set_defaults(func=cmd_staff_list)

    def cmd_staff_list(args) -> int:
        with db().session() as s: ...
        return fail("what went wrong")                   # "coach: ..." on stderr, exit 1
"""

from __future__ import annotations

import sys

from coach.core.settings import get_settings


def fail(message: str, code: int = 1) -> int:
    print(f"coach: {message}", file=sys.stderr)
    return code


def settings():
    return get_settings()


def db():
    """The app database the settings name (``DATABASE_URL``)."""
    from coach.core.db import Database

    return Database.from_settings(get_settings())


def vault():
    """Hashes and encrypts phone numbers and Telegram ids (``COACH_HASH_KEY``, ``COACH_SECRET_KEY``)."""
    from coach.core.identity import IdentityVault

    return IdentityVault.from_settings(get_settings())


def safe_url(url: str) -> str:
    """A database URL fit to print: the password hidden."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def group(sub, name: str, help: str, metavar: str = "SUBCOMMAND"):
    """A command with subcommands (``coach NAME SUBCOMMAND``); returns the subparsers to add them to."""
    commands = sub.add_parser(name, help=help).add_subparsers(dest=f"{name}_command", metavar=metavar)
    commands.required = True
    return commands


def load_or_report(with_lexicon: bool = False):
    """The content, or None after saying on stderr what is wrong with it (and with the risk
    lexicon too, if ``with_lexicon``)."""
    from coach.programme.content.loader import ContentError, load_content

    content_dir = get_settings().content_dir
    try:
        content = load_content(content_dir)
    except ContentError as exc:
        print(exc, file=sys.stderr)
        print("\nContent has problems; fix them first (coach content check).", file=sys.stderr)
        return None
    if with_lexicon:
        from escalation.check import check_safety

        problems = check_safety(content_dir)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print("\nThe risk lexicon or the risk model's data has problems; fix them first (coach content check).",
                  file=sys.stderr)
            return None
    return content

