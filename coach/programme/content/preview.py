"""`coach content preview WEEK`: walk a session in the terminal, without Rasa or a database.

It uses the real session engine with an in-memory store, so what you see is what he
sees. Type answers as he would. HELP, WHERE, TOOLS, SKIP, REPEAT and LATER work too;
/quit (or Ctrl-D) ends the preview.
"""

from __future__ import annotations

from typing import TextIO

from coach.programme import calendar as cal
from coach.programme.answers import normalise
from coach.programme.content.model import Content
from coach.programme.engine import Coach
from coach.programme.reply import Reply
from coach.programme.store import MemoryStore

PID = "preview"
COMMANDS = {"help": "help", "where": "progress", "progress": "progress", "tools": "toolkit",
            "toolkit": "toolkit", "later": "pause", "pause": "pause"}


def _week(content: Content, text: str) -> int:
    t = text.strip().lower()
    if t == "booster":
        return content.programme.booster_week
    try:
        return int(t)
    except ValueError:
        raise SystemExit(f"coach: WEEK must be 0-{content.programme.weekly_sessions}, 'booster' or 'toolkit', "
                         f"got {text!r}") from None


def _show(reply: Reply, out: TextIO) -> None:
    for m in reply.messages:
        for i, line in enumerate(m.text.splitlines() or [""]):
            out.write(("coach> " if i == 0 else "       ") + line + "\n")
        if m.buttons:
            out.write("       [" + "] [".join(m.buttons) + "]\n")
    out.flush()


def preview(content: Content, week_text: str, inp: TextIO, out: TextIO) -> int:
    toolkit_only = week_text.strip().lower() == "toolkit"
    week = 0 if toolkit_only else _week(content, week_text)
    if week not in content.sessions:
        out.write(f"There is no session for week {week}.\n")
        return 1
    store = MemoryStore(start=cal.start_for_week(content.programme, week, cal.uk_today()))
    coach = Coach(content, store)
    if toolkit_only:
        coach.open_toolkit(PID)
        reply = Reply(active=True)
    else:
        flow = content.sessions[week]
        out.write(f"Previewing {flow.title} ({flow.source.file}). /quit to stop.\n\n")
        reply = coach.begin(PID, week=week)
        _show(reply, out)
    while True:
        if reply.active:
            _show(coach.prompt(PID), out)
        if not coach.active(PID):
            out.write("\n(end of preview)\n")
            return 0
        out.write("you> ")
        out.flush()
        line = inp.readline()
        if not line or line.strip() == "/quit":
            out.write("\n(preview stopped)\n")
            return 0
        command = COMMANDS.get(normalise(line))
        if command == "help":
            reply = coach.help(PID)
        elif command == "progress":
            reply = coach.progress(PID)
        elif command == "toolkit":
            reply = coach.open_toolkit(PID)
        elif command == "pause":
            _show(coach.pause(PID), out)
            out.write("\n(paused: the preview ends here)\n")
            return 0
        else:
            reply = coach.answer(PID, line.rstrip("\n"))
        _show(reply, out)
