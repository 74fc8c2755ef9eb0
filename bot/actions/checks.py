"""The calm safety check and "only joking".

The check itself was stored by the input channel when the risk decision said "check"
(escalation.checks). Here the dialogue asks it and takes his answer:

- YES: the check is settled as safe and his session carries on where it was;
- NO: normally the channel already made that an alert (the dialogue then gives the crisis
  reply); if it reaches here, the alert is raised here;
- anything else, including "only joking": a review item for his facilitator, and the
  session carries on. Nothing he says cancels an alert or a check.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from bot.actions.common import digress, latest_intent, mid_session
from bot.runtime import runtime
from coach.core.db.models import Alert, Participant, RiskCheck, utcnow
from coach.programme.answers import parse_yes_no
from coach.programme.engine import Coach
from coach.programme.store import SqlStore
from escalation.alerts import raise_alert
from escalation.checks import answer_check, open_check
from escalation.risk import ANSWERED_NO, Signal

RECENT = timedelta(hours=24)  # "only joking" this soon after an alert or a check is about it


def _coach(s) -> Coach:
    return Coach(runtime().content(), SqlStore(s))


def _hold(pid: str) -> None:
    with runtime().db.session() as s:
        if s.get(Participant, pid) is not None:
            _coach(s).hold(pid)


class ActionRiskCheck(Action):
    """The check was stored at the channel: hold his session while the check form asks."""

    def name(self) -> Text:
        return "action_risk_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        await asyncio.to_thread(_hold, tracker.sender_id)
        return [SlotSet("check_answer", None)]


class AskCheckAnswer(Action):
    def name(self) -> Text:
        return "action_ask_check_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text=runtime().content().extra["safety_replies"]["check_question"])
        return []


def _settle(pid: str, message_id: str, text: str, intent: str) -> str:
    """Settle his open check from his answer; the key of the reply to send."""
    safe = None if intent == "retract" else parse_yes_no(text, intent)
    with runtime().db.session() as s:
        if s.get(Participant, pid) is None:
            return "check_unclear"
        if safe is True:
            answer_check(s, pid, "safe", text)
            return "check_safe"
        if safe is False:  # the channel normally made this an alert already; never leave it unraised
            check = open_check(s, pid)
            signal = Signal(check.category if check else "unclassified", "imminent", (ANSWERED_NO,), "check")
            alert = raise_alert(s, pid, text, message_id, signal, actor="rasa")
            answer_check(s, pid, "alert", text, alert_id=alert.id)
            return "safe_no"
        reason = "he said he was joking or misunderstood" if intent == "retract" else "no clear answer"
        answer_check(s, pid, "review", text, reason=reason)
        return "retract_check" if intent == "retract" else "check_unclear"


class ValidateCheckForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_check_form"

    async def validate_check_answer(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        if not isinstance(slot_value, str):
            return {"check_answer": None}  # a slot reset, not an answer: keep asking
        message_id = (tracker.latest_message or {}).get("message_id") or ""
        key = await asyncio.to_thread(_settle, tracker.sender_id, message_id, slot_value, latest_intent(tracker))
        dispatcher.utter_message(text=runtime().content().extra["safety_replies"][key])
        return {"check_answer": slot_value}


def _flow_waiting(pid: str) -> bool:
    with runtime().db.session() as s:
        return s.get(Participant, pid) is not None and _coach(s).active(pid)


class ActionCheckDone(Action):
    """After his answer: his session carries on if one was waiting (the form asks "Back to ...")."""

    def name(self) -> Text:
        return "action_check_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        waiting = await asyncio.to_thread(_flow_waiting, tracker.sender_id)
        return [SlotSet("check_answer", None), SlotSet("has_flow", waiting)]


def _recent(pid: str) -> Optional[str]:
    """'alert' or 'check' if he had one in the last day (an open check becomes a review item)."""
    since = utcnow() - RECENT
    with runtime().db.session() as s:
        if s.execute(select(Alert.id).where(Alert.participant_id == pid, Alert.created_at >= since)).first():
            return "alert"
        check = s.execute(select(RiskCheck).where(RiskCheck.participant_id == pid, RiskCheck.created_at >= since)
                          .order_by(RiskCheck.id.desc())).scalars().first()
        if check is None:
            return None
        if check.status == "open":
            answer_check(s, pid, "review", "", reason="he said he was joking or misunderstood")
        return "check"


class ActionRetract(Action):
    """'Only joking', 'you misunderstood': a caring answer. It cancels nothing. With no alert
    or check to take back, mid-session it is an answer to his question."""

    def name(self) -> Text:
        return "action_retract"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        recent = await asyncio.to_thread(_recent, tracker.sender_id)
        content = runtime().content()
        if recent is None and mid_session(tracker):
            # Nothing to take back, mid-session: it is his answer ("sumfin like that" as a goal
            # is asked again with examples, not told "I didn't follow that").
            await digress(tracker, dispatcher, None, as_answer=True)
        elif recent is None:
            dispatcher.utter_message(text=content.messages["fallback"])
        else:
            dispatcher.utter_message(text=content.extra["safety_replies"][f"retract_{recent}"])
        return []

