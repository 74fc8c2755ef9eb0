"""`coach db upgrade`: create or migrate the app database."""

from __future__ import annotations

from coach.cli.common import db, group, safe_url, settings


def register(sub) -> None:
    commands = group(sub, "db", "app database")
    commands.add_parser("upgrade", help="create or migrate the database (DATABASE_URL)").set_defaults(
        func=cmd_db_upgrade)


def cmd_db_upgrade(args) -> int:
    from coach.core.settings import make_private

    db().upgrade()
    make_private(settings().home)
    print(f"Database ready: {safe_url(settings().database_url)}")
    return 0
