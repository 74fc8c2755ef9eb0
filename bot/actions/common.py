"""Shared plumbing for actions: run the engine for this tracker's participant, send its reply.

Actions stay thin: find the participant (the tracker's sender id is already the
pseudonymous participant id), call one engine method in one database transaction
(in a worker thread, so the action server's event loop never blocks), send messages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, List

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.runtime import runtime
from coach.programme.engine import Coach
from coach.programme.enrolment import touch
from coach.programme.questions import with_notice
from coach.programme.reply import Reply
from coach.programme.store import SqlStore, UnknownParticipant

log = logging.getLogger(__name__)


def _run(pid: str, fn: Callable[[Coach, str], Reply]) -> Reply:
    content = runtime().content()
    with runtime().db.session() as session:
        coach = Coach(content, SqlStore(session))
        reply = with_notice(coach, pid, fn(coach, pid))  # his first reply ever starts with the notice
        touch(session, pid)
        return reply


async def run_engine(tracker: Tracker, dispatcher: CollectingDispatcher, fn: Callable[[Coach, str], Reply],
                     unknown: str = "not_enrolled") -> Reply:
    """Run ``fn(coach, participant_id)`` and send what it says. Unknown senders get the
    ``unknown`` message (by default: how to join)."""
    pid = tracker.sender_id
    try:
        reply = await asyncio.to_thread(_run, pid, fn)
    except UnknownParticipant:
        log.warning("no participant %s", pid)
        reply = Reply()
        reply.say(runtime().content().messages[unknown])
        reply.active = False
    send(dispatcher, reply)
    return reply


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    for out in reply.messages:
        buttons: List[dict] = [{"title": b, "payload": b} for b in out.buttons]
        dispatcher.utter_message(text=out.text, buttons=buttons or None)


def latest_intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""
