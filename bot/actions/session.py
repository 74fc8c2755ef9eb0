"""Starting, asking, answering and finishing a flow (the `flow_form` and its helpers)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.common import latest_intent, latest_text, run_engine
from coach.programme.answers import WORD_NUMBERS

WEEK_RE = re.compile(r"\bweek\s*(\d{1,2}|[a-z]+)\b", re.I)


def requested_week(text: str) -> Optional[int]:
    """'week 3', 'do week two' -> 3 / 2; None if no week is named."""
    m = WEEK_RE.search(text or "")
    if not m:
        return None
    token = m.group(1).lower()
    if token.isdigit():
        return int(token)
    words = dict(WORD_NUMBERS, eleven=11, twelve=12)
    return words.get(token)


class ActionBegin(Action):
    """He said hi, start, carry on or 'week 3': start or resume the right flow."""

    def name(self) -> Text:
        return "action_begin"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        week = requested_week(latest_text(tracker)) if latest_intent(tracker) == "choose_week" else None
        reply = await run_engine(tracker, dispatcher, lambda coach, pid: coach.begin(pid, week=week))
        return [SlotSet("has_flow", reply.active)]


class AskFlowAnswer(Action):
    """The flow form's question: the engine sends messages up to the next question."""

    def name(self) -> Text:
        return "action_ask_flow_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        await run_engine(tracker, dispatcher, lambda coach, pid: coach.prompt(pid))
        return []


class ValidateFlowForm(FormValidationAction):
    """His answer: stored and acknowledged by the engine. The form goes on until the flow ends."""

    def name(self) -> Text:
        return "validate_flow_form"

    async def validate_flow_answer(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not isinstance(slot_value, str):
            return {"flow_answer": None}  # a slot reset, not an answer: nothing to do
        text = slot_value
        intent = latest_intent(tracker)
        reply = await run_engine(tracker, dispatcher, lambda coach, pid: coach.answer(pid, text, intent=intent))
        # None: ask again (the next question); "done": the flow has ended, the form completes.
        return {"flow_answer": None if reply.active else "done"}


class ActionFlowDone(Action):
    def name(self) -> Text:
        return "action_flow_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        return [SlotSet("flow_answer", None), SlotSet("has_flow", False)]
