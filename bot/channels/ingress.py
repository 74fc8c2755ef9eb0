"""One trip per inbound message: everything decided before Rasa sees it, in one transaction.

For a webhook update (Telegram, SMS), ``admit``:

1. reads the message for risk, once (``escalation.risk.assess``): the decision is carried
   into Rasa with the message, so nothing downstream reads it again;
2. in ONE transaction: finds who sent it (a staff member, a participant, or nobody we
   know: keyed hashes, so Rasa only ever sees the pseudonymous participant id), loads the
   participant once, writes the inbox row (a redelivered update is a no-op, even after a
   restart), decides the route (STOP, START, HELP, opted out, a sticker... or the
   dialogue), applies it (opting him out or in), and adds what he wrote to any alert still
   open for him ("only joking" cancels nothing);
3. if the message signals danger, writes the alert and its first notifications (a second
   transaction, with the conversation so far as context) BEFORE the provider gets its 200
   and before Rasa replies, then sends it at once, waiting at most ``ALERT_FIRST_WAIT``
   so staff hear before he gets his reply. This never depends on the dialogue model.

``admit_rest`` does the same for the REST channel (no inbox; demo enrolment instead).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, replace
from typing import List, Optional, Set

from rasa.shared.core.events import BotUttered, UserUttered
from sqlalchemy.exc import IntegrityError

from bot.runtime import Runtime
from coach.core.db.models import InboundMessage, Participant, utcnow
from coach.core.identity import find_participant, is_participant_id, link_identity
from coach.messaging.inbound import Inbound
from coach.programme.answers import parse_yes_no
from coach.programme.calendar import start_for_week, uk_today
from coach.programme.enrolment import enrol, is_help, is_start, is_stop, opt_in, opt_out
from escalation.alerts import add_followup, open_alerts_for, raise_alert, staff_by_contact
from escalation.checks import answer_check, open_check, record_check
from escalation.risk import NO_CONTEXT, NOTHING, RiskContext, RiskDecision, decide

log = logging.getLogger(__name__)
MAX_TEXT = 20_000  # characters; longer REST bodies are refused with a clear 413
CONTEXT_TURNS = 6
ALERT_FIRST_WAIT = 2.0  # seconds a flagged message waits for its alert to go out before Rasa replies


class NotStored(Exception):
    """The update could not be put in the inbox (database unavailable): answered 503 so the
    provider delivers it again; Telegram and Twilio both retry."""


def new_message_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Turn:
    """What the ingress decided about one update.

    route: duplicate | staff | unknown | reply (a direct answer, no Rasa) | dialogue (to Rasa)
           | done (nothing to send)
    """

    route: str
    decision: RiskDecision = NOTHING
    pid: Optional[str] = None
    site_id: Optional[int] = None
    staff_id: Optional[int] = None
    row_id: Optional[int] = None
    message_id: str = ""
    text: str = ""  # what goes to Rasa (dialogue only)
    said: str = ""  # what he wrote, for an alert or a safety check
    reply: Optional[str] = None  # key of content/messages.yml to answer with (route "reply")
    alert_id: Optional[int] = None

    @property
    def metadata(self) -> dict:
        """What travels into Rasa with the message (stored in his tracker: no contact details)."""
        return {"risk": self.decision.to_metadata()}


def route_for(p: Participant, inbound: Inbound, channel: str, decision: RiskDecision = NOTHING) -> tuple:
    """(route, reply key, status of the inbox row) for a participant's update.

    A photo's caption or an edited message that signals danger goes to the dialogue like any
    message, so he gets the crisis reply (999, the right helpline) and not "please type"."""
    text = inbound.text or ""
    if inbound.kind == "blocked":
        return "done", None, "done"
    if inbound.kind == "unblocked":
        return "done", None, "ignored"
    if inbound.kind == "text" and is_stop(text):
        return "reply", "stopped", "done"
    if inbound.kind == "text" and is_start(text):
        return "reply", "started", "done"
    if p.opted_out_at is not None:  # the SMS network blocks messages to a stopped number anyway
        return ("reply" if channel != "sms" else "done"), "still_stopped", "ignored"
    if inbound.kind == "text" and is_help(text):
        return "reply", "sms_help" if channel == "sms" else "help", "done"
    if inbound.kind in ("non_text", "edited") and decision.escalate:
        return "dialogue", None, "processing"
    if inbound.kind in ("non_text", "edited") or (inbound.kind == "text" and not text.strip()):
        return "reply", "edited" if inbound.kind == "edited" else "non_text", "done"
    return "dialogue", None, "processing"


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


class Ingress:
    def __init__(self, rt: Runtime):
        self.rt = rt
        self._tasks: Set[asyncio.Task] = set()

    def decide(self, text: Optional[str], context: RiskContext = NO_CONTEXT) -> RiskDecision:
        """The one risk decision (escalation.risk.decide) with this process's detector and model."""
        return decide(text, self.rt.detector(), self.rt.risk_model(), context)

    @staticmethod
    def context(s, pid: str, text: str) -> RiskContext:
        """An unanswered safety check, or an alert minutes ago, changes how his next message is read."""
        check = open_check(s, pid)
        recent_alert = bool(open_alerts_for(s, pid))
        if check is None:
            return RiskContext(recent_alert=recent_alert)
        return RiskContext(open_check=check.category, answered_no=parse_yes_no(text or "", None) is False,
                           recent_alert=recent_alert)

    def decide_for(self, pid: str, text: str) -> RiskDecision:
        """A decision for a message read outside the one transaction (after a restart)."""
        with self.rt.db.session() as s:
            return self.decide(text, self.context(s, pid, text))

    # -- webhooks ------------------------------------------------------------------------------

    async def admit(self, channel: str, inbound: Inbound, agent=None) -> Turn:
        """Decide what one update is and record it; raises ``NotStored`` if it could not be kept."""
        try:
            turn = await asyncio.to_thread(self._admit, channel, inbound)
        except Exception as exc:
            raise NotStored() from exc
        if turn.pid and turn.route != "duplicate":
            turn = await self.after_decision(turn, agent)
        return turn

    def _admit(self, channel: str, inbound: Inbound) -> Turn:
        """The one transaction: who, the risk decision, the inbox row, the route and what it
        changes, follow-ups."""
        message_id = new_message_id()
        try:
            with self.rt.db.session() as s:
                staff = staff_by_contact(s, self.rt.vault, channel, inbound.sender)
                p = None if staff else find_participant(s, self.rt.vault, channel, inbound.sender)
                decision = NOTHING
                if inbound.has_text and staff is None:
                    context = self.context(s, p.id, inbound.text) if p else RiskContext()
                    decision = self.decide(inbound.text, context)
                if p is None:
                    route, reply, status = ("staff" if staff else "unknown"), None, "done"
                else:
                    route, reply, status = route_for(p, inbound, channel, decision)
                dialogue = route == "dialogue"
                row = InboundMessage(channel=channel, external_id=inbound.external_id,
                                     participant_id=p.id if p else None, message_id=message_id, status=status,
                                     text=inbound.text if dialogue else None,
                                     processed_at=None if dialogue else utcnow())
                s.add(row)
                s.flush()  # a redelivered update stops here (unique provider id)
                if p is not None:
                    self._apply(s, p, inbound, reply, channel)
                    if inbound.has_text and not decision.escalate:
                        add_followup(s, p.id, inbound.text, message_id)
                return Turn(route, decision, pid=p.id if p else None, site_id=p.site_id if p else None,
                            staff_id=staff.id if staff else None,
                            row_id=row.id, message_id=message_id, text=inbound.text if dialogue else "",
                            said=inbound.text if inbound.has_text else "", reply=reply)
        except IntegrityError:
            return Turn("duplicate")

    @staticmethod
    def _apply(s, p: Participant, inbound: Inbound, reply: Optional[str], channel: str) -> None:
        if inbound.kind == "blocked":
            opt_out(s, p.id, f"{channel}_blocked")
        elif reply == "stopped":
            opt_out(s, p.id, f"{channel}_stop")
        elif reply == "started":
            opt_in(s, p.id)

    # -- REST ------------------------------------------------------------------------------------

    async def admit_rest(self, handle: str, text: str, agent=None) -> Optional[Turn]:
        """A REST message: his participant id (None if not enrolled and demo enrolment is off)."""
        message_id = new_message_id()
        turn = await asyncio.to_thread(self._admit_rest, handle, text, message_id)
        if turn is None:
            return None
        return await self.after_decision(turn, agent)

    def _admit_rest(self, handle: str, text: str, message_id: str) -> Optional[Turn]:
        """Who he is (enrolling a demo participant if allowed; None if not enrolled) and the decision."""
        rt = self.rt
        with rt.db.session() as s:
            direct = s.get(Participant, handle) if rt.settings.auto_enrol and is_participant_id(handle) else None
            if direct is not None:  # local tools (coach chat) address a participant directly
                found = direct
            else:
                found = find_participant(s, rt.vault, "rest", handle)
                if found is None and not rt.settings.auto_enrol:
                    return None
                if found is None:
                    start = start_for_week(rt.content().programme, 1, uk_today())
                    found = enrol(s, site=rt.settings.default_site, start=start, is_demo=True)
                    link_identity(s, rt.vault, found.id, "rest", handle)
            decision = self.decide(text, self.context(s, found.id, text))
            if not decision.escalate:
                add_followup(s, found.id, text, message_id)
            return Turn("dialogue", decision, pid=found.id, site_id=found.site_id, message_id=message_id, text=text,
                        said=text)

    # -- risk --------------------------------------------------------------------------------------

    async def after_decision(self, turn: Turn, agent=None) -> Turn:
        """An alert is written (and sent at once); a safety check is stored. Both with the
        conversation so far, so staff see what he was answering."""
        if turn.decision.tier == "none" or not turn.said:
            return turn
        context = await recent_turns(agent, turn.pid)
        if turn.decision.escalate:
            alert_id = await asyncio.to_thread(self._record_alert, turn, context)
            await self._send_soon(alert_id)
            return replace(turn, alert_id=alert_id)
        await asyncio.to_thread(self._record_check, turn, context)
        return turn

    def _record_alert(self, turn: Turn, context: List[dict]) -> int:
        with self.rt.db.session() as s:
            alert = raise_alert(s, turn.pid, turn.said, turn.message_id, turn.decision.signal, context=context,
                                actor="channel", site_id=turn.site_id,
                                tries_per_person=self.rt.settings.alert_tries_per_person)
            add_followup(s, turn.pid, turn.said, turn.message_id)
            answer_check(s, turn.pid, "alert", turn.said, alert_id=alert.id)  # a check he answered this way
            return alert.id

    def _record_check(self, turn: Turn, context: List[dict]) -> None:
        with self.rt.db.session() as s:
            record_check(s, turn.pid, turn.site_id, turn.message_id, turn.said, turn.decision, context)

    async def _send_soon(self, alert_id: int) -> None:
        """The alert goes out before his reply: wait for it (normally ~0.1 s), but never long:
        if staff's channel is slow, the send carries on in the background (and the worker is
        the safety net if this process dies)."""
        dispatcher = self.rt.dispatcher
        if not dispatcher.notifiers:
            return  # nothing configured to send with here: the worker's job
        task = asyncio.get_running_loop().create_task(dispatcher.dispatch_alert(alert_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=ALERT_FIRST_WAIT)
        except asyncio.TimeoutError:
            log.warning("alert %s is taking a while to send; replying to him meanwhile", alert_id)
        except Exception:  # the worker retries; his reply must not fail because of it
            log.exception("sending alert %s failed here; the worker will retry", alert_id)
