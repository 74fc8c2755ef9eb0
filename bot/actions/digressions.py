"""Things he can ask any time: help, progress, the toolkit, pause, and short replies."""

from __future__ import annotations

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.common import digress, latest_intent, latest_text, run_engine
from bot.runtime import runtime
from coach.programme import questions
from coach.programme.answers import repeat_mode
from coach.programme.engine import Coach
from coach.programme.reply import Reply


class ActionHelp(Action):
    def name(self) -> Text:
        return "action_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        await digress(tracker, dispatcher, lambda coach, pid: coach.help(pid))
        return []


class ActionProgress(Action):
    def name(self) -> Text:
        return "action_progress"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        await digress(tracker, dispatcher, lambda coach, pid: coach.progress(pid))
        return []


class ActionOpenToolkit(Action):
    def name(self) -> Text:
        return "action_open_toolkit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        reply = await digress(tracker, dispatcher, lambda coach, pid: coach.open_toolkit(pid))
        return [SlotSet("has_flow", reply.active)]


class ActionPause(Action):
    def name(self) -> Text:
        return "action_pause"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        await run_engine(tracker, dispatcher, lambda coach, pid: coach.pause(pid))
        return [SlotSet("flow_answer", None), SlotSet("has_flow", False)]


class _Say(Action):
    """Send one everyday message from content/messages.yml."""

    action_name = ""
    message = ""

    def name(self) -> Text:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        def say(coach: Coach, pid: str) -> Reply:
            reply = Reply()
            reply.say(coach.msg[self.message])
            return reply

        await run_engine(tracker, dispatcher, say, unknown=self.message)  # through the engine: the notice
        return []


class ActionAnswerQuestion(Action):
    """A real question ("is this confidential", "when is my call"): the authored answer,
    then his session (if any) carries on where it was."""

    def name(self) -> Text:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        topic = questions.topic_of(latest_intent(tracker)) or "person"
        text = latest_text(tracker)
        await digress(tracker, dispatcher, lambda coach, pid: questions.answer(coach, pid, topic, text=text))
        return []


class ActionFallback(Action):
    """An answer with nothing asked: back to his paused session by name, if he has one."""

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        await run_engine(tracker, dispatcher, questions.fallback, unknown="fallback")
        return []


class ActionGoodbye(_Say):
    action_name, message = "action_goodbye", "goodbye"


class ActionThanks(_Say):
    action_name, message = "action_thanks", "thanks"


class ActionNoProblem(_Say):
    action_name, message = "action_no_problem", "no_problem"


class ActionRepeatLast(Action):
    """'What?' outside a session: the coach's last message again (REPEAT: all of its last turn)."""

    def name(self) -> Text:
        return "action_repeat_last"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        # The bot's messages between his previous message and this one.
        last: List[dict] = []
        users = 0
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                users += 1
                if users == 2:
                    break
            elif event.get("event") == "bot" and users == 1:
                last.insert(0, event)
        if not last:
            dispatcher.utter_message(text=runtime().content().messages["fallback"])
        if repeat_mode(latest_text(tracker)) != "repeat":
            last = last[-1:]  # "wot": the last message only (one SMS, not the whole block)
        for event in last:
            dispatcher.utter_message(text=event.get("text"), buttons=(event.get("data") or {}).get("buttons"))
        return []
