"""After a risk disclosure: the crisis reply, "are you safe right now?", and his answer.

The alert itself was written by the input channel before Rasa saw the message, from the
one risk decision (escalation.risk). If it wasn't (a message that never passed a channel:
``rasa shell``, the HTTP API), it is raised here from the decision the NLU component made.
Writing about risk again within ``REPEAT_WINDOW`` of the crisis reply gets a short answer,
not the whole reply and the question again. "Only joking" gets a caring answer and cancels
nothing.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select

from bot.actions.common import latest_text
from bot.runtime import runtime
from coach.core.db.models import Alert, Participant
from coach.programme.answers import parse_yes_no
from coach.programme.engine import Coach
from coach.programme.store import SqlStore
from escalation.alerts import audit, find_alert_for_message, queue_round, raise_alert
from escalation.risk import RiskDecision, Signal

REPEAT_WINDOW = timedelta(minutes=10)


def _signal(tracker: Tracker) -> Signal:
    decision = RiskDecision.from_metadata((tracker.latest_message or {}).get("risk"))
    if decision is not None and decision.escalate:
        return decision.signal
    return Signal("unclassified", "high", ("risk_disclosure without a decision",), "dialogue")


def _answered_recently(tracker: Tracker, category: str) -> bool:
    """He had the crisis reply for this same category within REPEAT_WINDOW (so: no loop). A
    different kind of risk still gets its own whole reply."""
    events = list(tracker.events)
    now = (events[-1].get("timestamp") if events else None) or time.time()
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    risk_of = None
    for e in events[:last_user]:
        if e.get("event") == "user":
            risk_of = ((e.get("parse_data") or {}).get("risk") or {}).get("category")
        elif (e.get("event") == "action" and e.get("name") == "action_risk_response" and risk_of == category
              and now - (e.get("timestamp") or 0) <= REPEAT_WINDOW.total_seconds()):
            return True
    return False


def _respond(pid: str, message_id: str, text: str, signal: Signal) -> Optional[Dict[str, Any]]:
    with runtime().db.session() as s:
        if s.get(Participant, pid) is None:
            return None
        alert = find_alert_for_message(s, pid, message_id)
        if alert is None:  # a message that never passed a channel: raised from the decision made here
            alert = raise_alert(s, pid, text, message_id, signal, actor="rasa")
        Coach(runtime().content(), SqlStore(s)).suspend(pid)
        return {"id": alert.id, "category": alert.category, "severity": alert.severity}


class ActionRiskResponse(Action):
    def name(self) -> Text:
        return "action_risk_response"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message_id = (tracker.latest_message or {}).get("message_id") or ""
        info = await asyncio.to_thread(_respond, tracker.sender_id, message_id, latest_text(tracker), _signal(tracker))
        replies = runtime().content().extra["safety_replies"]
        # NO to the calm check ("are you safe right now?"): he has just answered that question
        answered_no = tracker.active_loop_name == "check_form" and parse_yes_no(latest_text(tracker)) is False
        if info is not None and _answered_recently(tracker, info["category"]):  # no loop: he had it just now
            dispatcher.utter_message(text=replies["repeat"])
            return [SlotSet("safety_check", False), SlotSet("has_flow", False)]
        if info is None:  # not a participant we know: the general reply, no alert possible
            reply = replies["unclassified.high"]
        else:
            reply = replies.get(f"{info['category']}.{info['severity']}") or replies.get(f"{info['category']}.high") \
                or replies["unclassified.high"]
        dispatcher.utter_message(text=reply["text"])
        ask = bool(reply["ask_safe"] and info is not None and not answered_no)
        return [SlotSet("safety_check", ask), SlotSet("has_flow", False)]


class AskSafetyAnswer(Action):
    def name(self) -> Text:
        return "action_ask_safety_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(text=runtime().content().extra["safety_replies"]["safe_question"])
        return []


def _record_answer(pid: str, safe: Optional[bool]) -> None:
    """His answer is on the alert already (as a follow-up); 'not safe' also makes it urgent now."""
    if safe is not False:
        return
    rt = runtime()
    with rt.db.session() as s:
        alert = s.execute(select(Alert).where(Alert.participant_id == pid, Alert.status == "open")
                          .order_by(Alert.id.desc())).scalars().first()
        if alert is None:
            return
        audit(s, alert.id, "participant_not_safe", "participant")
        if alert.severity != "imminent":
            alert.severity = "imminent"
        queue_round(s, alert, alert.last_round + 1, actor="rasa", tries_per_person=rt.settings.alert_tries_per_person)


class ValidateSafetyForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_safety_form"

    async def validate_safety_answer(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> Dict[Text, Any]:
        if not isinstance(slot_value, str):
            return {"safety_answer": None}  # a slot reset, not an answer: keep asking
        text = slot_value
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        replies = runtime().content().extra["safety_replies"]
        if intent == "retract":  # "only joking": the alert stands (his words are on it for staff)
            dispatcher.utter_message(text=replies["retract_alert"])
            return {"safety_answer": text}
        safe = parse_yes_no(text, intent)
        await asyncio.to_thread(_record_answer, tracker.sender_id, safe)
        key = {True: "safe_yes", False: "safe_no", None: "safe_unclear"}[safe]
        dispatcher.utter_message(text=replies[key])
        return {"safety_answer": text}


class ActionSafetyDone(Action):
    def name(self) -> Text:
        return "action_safety_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [SlotSet("safety_check", False), SlotSet("safety_answer", None)]
