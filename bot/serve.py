"""`python -m bot.serve run ...`: Rasa's server, with its API token kept off the command line.

`rasa run --auth-token=...` puts the token in /proc/<pid>/cmdline, which every local user
can read with `ps`, and with it the trackers, trigger_intent and PUT /model. The runner
starts this module instead, with the token only in the environment (RASA_AUTH_TOKEN, which
/proc shows to the same user alone); here it joins Rasa's arguments inside the process,
where `ps` can't see it.
"""

from __future__ import annotations

import os
import sys
from typing import List


def rasa_argv(argv: List[str], environ=os.environ) -> List[str]:
    token = environ.get("RASA_AUTH_TOKEN", "")
    if token and "--enable-api" in argv and not any(a.startswith("--auth-token") for a in argv):
        argv = argv + [f"--auth-token={token}"]  # "=": a token may start with "-"
    return ["rasa"] + argv


def main() -> None:
    sys.argv = rasa_argv(sys.argv[1:])
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
