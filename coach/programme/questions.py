"""What he can ask at any point that isn't his session, and the notice that comes first.

The words are content (``content/messages.yml``: ``notice`` and ``question_*``); this module
only picks them and fills them in. After an answer, his session carries on where it was
(the engine's ``hold``: the form asks the current question again, "Back to ...").

    with_notice(coach, pid, reply)          # on his first reply ever: the notice goes first
    topic_of("ask_privacy")                 # -> "privacy"; None for any other intent
    answer(coach, pid, "schedule", now=utcnow)       # his site's next group date, from the store
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

from coach.core.text.render import render
from coach.programme import calendar as cal
from coach.programme.answers import wants_goal_change
from coach.programme.preferences import say_time
from coach.programme.reply import Out, Reply

if TYPE_CHECKING:
    from coach.programme.engine import Coach

TOPICS = ("privacy", "person", "schedule", "video", "data", "stop", "goal")
INTENTS = tuple(f"ask_{t}" for t in TOPICS)


def topic_of(intent: Optional[str]) -> Optional[str]:
    return intent[4:] if intent in INTENTS else None


def with_notice(coach: "Coach", pid: str, reply: Reply) -> Reply:
    """The notice comes first, once, whatever he first sends and whatever week he joins on.
    It is recorded as seen in the same transaction as the reply that carries it."""
    if not coach.store.notice_seen(pid):
        coach.store.mark_notice_seen(pid)
        reply.messages.insert(0, Out(coach.msg["notice"]))
    return reply


def answer(coach: "Coach", pid: str, topic: str, now: Optional[datetime] = None, text: str = "") -> Reply:
    """The authored answer to one of TOPICS; the session (if any) then carries on.
    "change my goal" at his goal review is not a question: the session takes it (asks for the new goal)."""
    if topic == "goal" and wants_goal_change(text) and _at_goal_review(coach, pid):
        return coach.answer(pid, text)
    msg = coach.msg
    reply = Reply()
    if topic == "schedule":
        next_group = coach.store.next_group(pid, now or datetime.utcnow())
        if next_group is not None:
            local = cal.utc_to_local(next_group)
            group = render(msg["question_group_next"], {"date": cal.format_date(local.date()),
                                                        "time": say_time(local.strftime("%H:%M"))})
        else:
            group = msg["question_group_unknown"]
        session = "" if coach.active(pid) else coach.next_text(pid)  # mid-session, he knows where he is
        reply.say(render(msg["question_schedule"], {"group": group, "session": session}).strip())
    elif topic == "video":
        week = _his_week(coach, pid)
        flow = coach.content.sessions.get(week) if week is not None else None
        if flow is not None and flow.video:
            reply.say(render(msg["question_video"], {"week": week, "link": flow.video}))
        else:
            session = f"week {week}" if week else "your welcome session"
            reply.say(render(msg["question_video_none"], {"session": session}))
    elif topic == "goal":
        goal = coach.store.goal(pid)
        reply.say(render(msg["question_goal"], {"goal": goal}) if goal else msg["question_goal_none"])
    else:
        reply.say(msg[f"question_{topic}"])
    reply.active = coach.hold(pid)
    return reply


def fallback(coach: "Coach", pid: str) -> Reply:
    """He answered when nothing was asked (after LATER, say): point him back to his paused
    session by name, not to a list of commands."""
    reply = Reply()
    paused = sorted(w for w in coach.store.started_weeks(pid) - coach.store.completed_weeks(pid)
                    if w in coach.content.sessions)
    if paused and not coach.active(pid):
        week = paused[-1]
        reply.say(render(coach.msg["fallback_paused"], {"week": week, "title": coach.content.session_title(week)}))
    else:
        reply.say(coach.msg["fallback"])
    return reply


def _at_goal_review(coach: "Coach", pid: str) -> bool:
    stack = coach.store.get_stack(pid)
    step = coach._current_step(stack[-1]) if stack and stack[-1]["flow"].startswith("week:") else None
    return step is not None and step.save_as in ("goal.rating", "goal.next_step")


def _his_week(coach: "Coach", pid: str) -> Optional[int]:
    """The week he is on: the session he is in, else the latest he started, else week 1."""
    for frame in reversed(coach.store.get_stack(pid)):
        if frame["flow"].startswith("week:"):
            return int(frame["flow"].split(":", 1)[1])
    started = [w for w in coach.store.started_weeks(pid) if w >= 1]
    return max(started) if started else 1

