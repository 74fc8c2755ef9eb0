"""After a risk disclosure: the crisis reply, "are you safe right now?", and his answer.

The alert itself was written by the input channel before Rasa saw the message. If it
wasn't (the language model flagged a message the word list didn't, or a channel without
the risk check), it is raised here: signals add alerts, never remove them.
"""

from __future__ import annotations

import asyncio
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
from escalation.risk import Signal


def _signal(tracker: Tracker) -> Signal:
    risk = (tracker.latest_message or {}).get("risk") or {}
    if risk.get("escalate") and risk.get("category"):
        return Signal(risk["category"], risk.get("severity") or "high", tuple(risk.get("matched") or ()),
                      risk.get("source") or "detector")
    return Signal("unclassified", "high", ("intent:risk_disclosure",), "classifier")


def _respond(pid: str, message_id: str, text: str, signal: Signal) -> Optional[Dict[str, Any]]:
    with runtime().db.session() as s:
        if s.get(Participant, pid) is None:
            return None
        alert = find_alert_for_message(s, pid, message_id)
        if alert is None:
            alert = raise_alert(s, pid, text, message_id, signal, actor="rasa")
        elif signal.source == "classifier" and alert.source != "classifier":
            audit(s, alert.id, "second_signal", "rasa", source="classifier")
        Coach(runtime().content(), SqlStore(s)).suspend(pid)
        return {"id": alert.id, "category": alert.category, "severity": alert.severity}


class ActionRiskResponse(Action):
    def name(self) -> Text:
        return "action_risk_response"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        message_id = (tracker.latest_message or {}).get("message_id") or ""
        info = await asyncio.to_thread(_respond, tracker.sender_id, message_id, latest_text(tracker), _signal(tracker))
        replies = runtime().content().extra["safety_replies"]
        if info is None:  # not a participant we know: the general reply, no alert possible
            reply = replies["unclassified.high"]
        else:
            reply = replies.get(f"{info['category']}.{info['severity']}") or replies.get(f"{info['category']}.high") \
                or replies["unclassified.high"]
        dispatcher.utter_message(text=reply["text"])
        return [SlotSet("safety_check", bool(reply["ask_safe"] and info is not None)), SlotSet("has_flow", False)]


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
        safe = parse_yes_no(text, intent)
        replies = runtime().content().extra["safety_replies"]
        await asyncio.to_thread(_record_answer, tracker.sender_id, safe)
        key = {True: "safe_yes", False: "safe_no", None: "safe_unclear"}[safe]
        dispatcher.utter_message(text=replies[key])
        return {"safety_answer": text}


class ActionSafetyDone(Action):
    def name(self) -> Text:
        return "action_safety_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [SlotSet("safety_check", False), SlotSet("safety_answer", None)]
