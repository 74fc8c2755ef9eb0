"""What every input channel does before a message reaches Rasa.

1. Find the participant: provider ids (REST handles, phone numbers, Telegram ids) are
   looked up by keyed hash, so Rasa only ever sees the pseudonymous participant id.
2. Check the message for risk and, if it signals danger, write the alert (and its first
   notifications) to the database BEFORE the message goes on to Rasa, and send it at once:
   the message waits (at most ALERT_FIRST_WAIT) so the alert reaches staff before his reply.
   This never depends on what the dialogue model predicts. Anything he writes after an
   alert is added to it for staff to judge ("only joking" cancels nothing).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import List, Optional, Set

from rasa.shared.core.events import BotUttered, UserUttered

from coach.programme.content.cache import content_cache
from coach.core.db import session_scope
from coach.core.db.models import Participant
from coach.core.identity import IdentityVault, find_participant, is_participant_id, link_identity
from coach.programme.enrolment import enrol
from coach.programme.calendar import start_for_week, uk_today
from coach.core.settings import Settings, get_settings

from escalation.alerts import Signal, add_followup, raise_alert
from escalation.cache import get_detector

log = logging.getLogger(__name__)
MAX_TEXT = 20_000  # characters; longer REST bodies are refused with a clear 413
CONTEXT_TURNS = 6
ALERT_FIRST_WAIT = 2.0  # seconds a flagged message waits for its alert to go out before Rasa replies


def new_message_id() -> str:
    return uuid.uuid4().hex


async def recent_turns(agent, pid: str, n: int = CONTEXT_TURNS) -> List[dict]:
    """The last ``n`` messages of his conversation (from Rasa's tracker store), oldest first."""
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return []
    try:
        tracker = await agent.tracker_store.retrieve(pid)
    except Exception:  # context is helpful, never essential
        log.exception("could not read the conversation for alert context")
        return []
    if tracker is None:
        return []
    turns = [{"who": "participant" if isinstance(e, UserUttered) else "coach", "text": e.text or ""}
             for e in tracker.events if isinstance(e, (UserUttered, BotUttered))]
    return turns[-n:]


@dataclass
class Ingress:
    settings: Settings
    vault: IdentityVault
    _tasks: Set[asyncio.Task] = field(default_factory=set)
    _dispatcher: object = None

    @classmethod
    def from_settings(cls, settings: Optional[Settings] = None) -> "Ingress":
        settings = settings or get_settings()
        return cls(settings=settings, vault=IdentityVault.from_settings(settings))

    def resolve_rest_sender(self, handle: str) -> Optional[str]:
        """Participant id for a REST sender handle; enrol a demo participant if allowed."""
        with session_scope() as s:
            if self.settings.auto_enrol and is_participant_id(handle) and s.get(Participant, handle):
                return handle  # local tools (coach chat) address a participant directly
            found = find_participant(s, self.vault, "rest", handle)
            if found is not None:
                return found.id
            if not self.settings.auto_enrol:
                return None
            programme = content_cache().get().programme
            p = enrol(s, site=self.settings.default_site, start=start_for_week(programme, 1, uk_today()), is_demo=True)
            link_identity(s, self.vault, p.id, "rest", handle)
            return p.id

    # -- risk ---------------------------------------------------------------------------------

    async def before_dialogue(self, pid: str, text: str, message_id: str, agent=None) -> Optional[int]:
        """Check one inbound message; persist an alert if it signals danger. Returns the alert id."""
        detection = get_detector(self.settings.content_dir / "safety" / "lexicon.yml").detect(text)
        context = await recent_turns(agent, pid) if detection.escalate else []
        alert_id = await asyncio.to_thread(self._record, pid, text, message_id, detection, context)
        if alert_id is not None:
            task = self._dispatch_soon(alert_id)
            if task is not None:
                # The alert goes out before his reply: wait for it (normally ~0.1 s), but never
                # long: if staff's channel is slow, the send carries on in the background.
                try:
                    await asyncio.wait_for(asyncio.shield(task), timeout=ALERT_FIRST_WAIT)
                except asyncio.TimeoutError:
                    log.warning("alert %s is taking a while to send; replying to him meanwhile", alert_id)
                except Exception:  # the worker retries; his reply must not fail because of it
                    log.exception("sending alert %s failed here; the worker will retry", alert_id)
        return alert_id

    def _record(self, pid: str, text: str, message_id: str, detection, context) -> Optional[int]:
        with session_scope() as s:
            if detection.escalate:
                alert = raise_alert(s, pid, text, message_id, Signal.from_detection(detection), context=context,
                                    actor="channel")
                add_followup(s, pid, text, message_id)
                return alert.id
            add_followup(s, pid, text, message_id)
        return None

    def _dispatch_soon(self, alert_id: int) -> Optional[asyncio.Task]:
        """Send now, as a task (the worker is the safety net if this process dies)."""
        if self._dispatcher is None:
            from coach.app.worker import make_dispatcher

            self._dispatcher = make_dispatcher(self.settings, actor="rasa")
        if not self._dispatcher.notifiers:
            return None  # nothing configured to send with here: the worker's job
        task = asyncio.get_running_loop().create_task(self._dispatcher.dispatch_alert(alert_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task
