"""`coach settings example`: every setting the coach reads, as a commented .env.example."""

from __future__ import annotations

import sys

from coach.cli.common import group


def register(sub) -> None:
    st = group(sub, "settings", "the settings the coach reads")
    st.add_parser("example", help="print .env.example: every setting with its default and what it is for").set_defaults(
        func=cmd_settings_example)


def cmd_settings_example(args) -> int:
    from coach.core.settings import env_example

    sys.stdout.write(env_example())
    return 0
