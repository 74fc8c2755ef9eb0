"""Shared plumbing for actions: run the engine for this tracker's participant, send its reply.

Actions stay thin: find the participant (the tracker's sender id is already the
pseudonymous participant id), call one engine method in one database transaction
(in a worker thread, so the action server's event loop never blocks), send messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Callable, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.runtime import runtime
from coach.programme.answers import is_command
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


# Mid-session, the classifier's guess at a digression (help, the toolkit, a question, a reminder
# change, "only joking") below this confidence is not trusted for text that isn't phrased as a
# question: it is his answer to the question he was asked ("I go quiet, then I snap" once read
# as "how do I stop?"). Typed reply words (HELP, TOOLS, WHERE) are always what they say.
DIGRESSION_SURE = 0.8
ASKS = re.compile(r"\?|^\s*(?:what|whats|what's|who|whos|who's|how|when|whens|when's|where|why|can|could|is|are|"
                  r"do|does|will|would|am|should|wot|wat|wen|hw)\b", re.I)


def mid_session(tracker: Tracker) -> bool:
    return tracker.active_loop_name == "flow_form"


def is_his_answer(tracker: Tracker) -> bool:
    """Is this digression really his answer to the session's question? (See DIGRESSION_SURE.)"""
    text = latest_text(tracker)
    confidence = ((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0
    return (mid_session(tracker) and confidence < DIGRESSION_SURE and not ASKS.search(text)
            and not is_command(text))


async def digress(tracker: Tracker, dispatcher: CollectingDispatcher, fn: Optional[Callable[[Coach, str], Reply]],
                  as_answer: bool = False, **kw) -> Reply:
    """The one way every mid-session digression starts: run ``fn``, unless what he sent is his
    answer (``is_his_answer``, or ``as_answer`` when the caller knows it is): then the engine
    takes it as the answer, and the session moves on or asks again."""
    if as_answer or fn is None or is_his_answer(tracker):
        text = latest_text(tracker)
        return await run_engine(tracker, dispatcher, lambda coach, pid: coach.answer(pid, text))
    return await run_engine(tracker, dispatcher, fn, **kw)
