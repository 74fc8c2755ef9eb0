"""`coach chat`: the whole stack on this machine, and a conversation in the terminal.

It starts the action server and Rasa (logs in .coach/logs/), makes or reuses a demo
participant (remembered in .coach/demo-participant), and sends what you type to Rasa's
REST channel, exactly as a phone would through the Telegram or SMS channels.
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from typing import List, Optional

from coach.app.runner import Stack, StackError
from coach.core.db import Database
from coach.core.db.models import Participant
from coach.core.settings import Settings
from coach.programme import calendar as cal
from coach.programme.content.cache import content_cache
from coach.programme.enrolment import enrol


def demo_participant(settings: Settings, week: Optional[int], new: bool) -> str:
    """The demo participant's id, created if needed and put on ``week`` if given."""
    marker = settings.home / "demo-participant"
    programme = content_cache(settings.content_dir).get().programme
    today = cal.uk_today()
    with Database.from_settings(settings).session() as s:
        pid = marker.read_text().strip() if marker.exists() and not new else None
        p = s.get(Participant, pid) if pid else None
        if p is None:
            p = enrol(s, site=settings.default_site, start=cal.start_for_week(programme, week or 1, today),
                      is_demo=True)
            settings.home.mkdir(parents=True, exist_ok=True)
            marker.write_text(p.id + "\n")
        elif week is not None:
            p.start_date = cal.start_for_week(programme, week, today)
        return p.id


def send(settings: Settings, sender: str, text: str, timeout: float = 120.0) -> List[dict]:
    """One message to the REST channel; the coach's replies."""
    req = urllib.request.Request(
        f"{settings.rasa_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"[]")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        return [{"text": f"(error {exc.code}: {detail})"}]


def show(messages: List[dict], out=sys.stdout) -> None:
    for m in messages:
        lines = (m.get("text") or "").splitlines() or [""]
        for i, line in enumerate(lines):
            out.write(("coach> " if i == 0 else "       ") + line + "\n")
        buttons = m.get("buttons") or []
        if buttons:
            out.write("       [" + "] [".join(b.get("title", "") for b in buttons) + "]\n")
    out.flush()


def run_chat(settings: Settings, week: Optional[int] = None, new: bool = False) -> int:
    pid = demo_participant(settings, week, new)
    log_dir = settings.home / "logs"
    print(f"Starting the coach (logs in {log_dir}); this takes about a minute...")
    stack = Stack(settings, log_dir=log_dir)
    try:
        stack.start()
    except StackError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 1
    try:
        print(f"\nYou are demo participant {pid}. Say hi to start. Ctrl-D or /quit to leave.\n")
        while True:
            try:
                text = input("you>   ")
            except EOFError:
                print()
                break
            if text.strip() == "/quit":
                break
            if not text.strip():
                continue
            show(send(settings, pid, text))
    except KeyboardInterrupt:
        print()
    finally:
        print("Stopping the coach...")
        stack.stop()
    return 0
