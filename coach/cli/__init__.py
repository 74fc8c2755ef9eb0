"""The `coach` command. `coach --help` and `coach COMMAND --help` describe everything.

One module per group of commands; each adds its commands to the parser (``register``),
parses arguments, calls the library and prints:

    db.py            coach db upgrade                  create or migrate the app database
    content.py       coach content check|build|preview WEEK|publish
    run.py           coach train [--risk]              train the risk model and the Rasa model
                     coach test stories [--safety]     Rasa story tests (fail on any prediction error)
                     coach up                          Rasa + action server + worker (Ctrl-C stops)
                     coach chat [--week N] [--new]     talk to the coach in this terminal as a demo participant
                     coach worker [--once]             send alerts and the weekly messages
    staff.py         coach staff add|update|list|rota  staff, contacts and the on-call rota
    alerts.py        coach alerts list|show|ack        risk alerts, who was told, who acknowledged
    checks.py        coach checks list|seen            calm safety checks and review items
    risk.py          coach risk check|eval FILE        the risk decision (lexicon + model) alone
    participants.py  coach enrol, coach participants [--behind]
    site.py          coach site groups --site S ...    a site's group session dates
    channels.py      coach unlink, coach telegram set-webhook
    settings.py      coach settings example            every setting, as .env.example
    report.py        coach report completion           CSV of session completion

common.py holds what they share (errors, settings, the database, content loading). This is
the top layer: it may import anything, and nothing imports it.
"""

from __future__ import annotations

import argparse
from typing import List, Optional

from coach.cli import alerts, channels, checks, content, db, participants, report, risk, run, settings, site, staff
from coach.cli.common import fail
from coach.core.settings import SettingsError

# In the order `coach --help` lists them.
GROUPS = (db, content, run, staff, alerts, checks, risk, participants, site, channels, settings, report)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coach", description="ADVANCE-D digital coach")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in GROUPS:
        module.register(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SettingsError as exc:
        return fail(f"setting problem: {exc}")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    import sys

    sys.exit(main())
