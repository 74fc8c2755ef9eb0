"""Staff on the coach's own Telegram bot or SMS number: acknowledging alerts and asking for details.

    ACK K7Q2MX     (or the Acknowledge button on a Telegram alert)   -> the alert is acknowledged
    INFO K7Q2MX                                                      -> what he wrote, and when

Staff messages never reach Rasa and are never treated as a participant's. A participant's
own channel can never acknowledge: only a contact registered with ``coach staff`` gets here.
"""

from __future__ import annotations

import asyncio
from typing import Awaitable, Callable, Dict, Optional, Sequence

from sqlalchemy import select

from bot.runtime import Runtime
from coach.core.accounts import record
from coach.core.db.models import Alert, AlertEvent, Site, Staff
from coach.core.text.render import render
from coach.messaging.inbound import Inbound
from escalation.alerts import AckError, acknowledge
from escalation.notify import AlertView, format_info, split_followups
from escalation.triage import can_see

Say = Callable[[str, Sequence[str]], Awaitable[None]]
HELP = "Staff commands: ACK <code> to acknowledge an alert, INFO <code> for details."


class StaffDesk:
    def __init__(self, rt: Runtime, channel: str, say: Say, answer_button):
        self.rt, self.channel, self.say, self.answer_button = rt, channel, say, answer_button

    async def handle(self, staff_id: int, inbound: Inbound) -> None:
        templates = self.rt.content().extra["staff_alerts"]
        words = (inbound.text or "").strip().split()
        command = words[0].upper() if words else ""
        code = words[1] if len(words) > 1 else ""
        if inbound.kind == "button" and inbound.text.startswith("ack:"):
            command, code = "ACK", inbound.text[4:]
        if command == "ACK" and code:
            reply = await asyncio.to_thread(self.ack, staff_id, code, templates)
            await self.answer_button(inbound, reply, done=True)
            if inbound.kind != "button":
                await self.say(inbound.sender, [reply])
            return
        if command == "INFO" and code:
            await self.say(inbound.sender, [await asyncio.to_thread(self.info, staff_id, code, templates)])
            return
        await self.answer_button(inbound)
        await self.say(inbound.sender, [HELP])

    def ack(self, staff_id: int, code: str, templates: Dict[str, str]) -> str:
        try:
            with self.rt.db.session() as s:
                if _visible(s, staff_id, code) is None:  # another site's, or not for an ISS worker
                    return templates["ack_unknown"]
                alert = acknowledge(s, code, staff_id=staff_id, via=self.channel)
                already = alert.acknowledged_by != staff_id or alert.acknowledged_via != self.channel
                return render(templates["ack_already" if already else "ack_done"], {"code": alert.code})
        except AckError:
            return templates["ack_unknown"]

    def info(self, staff_id: int, code: str, templates: Dict[str, str]) -> str:
        with self.rt.db.session() as s:
            alert = _visible(s, staff_id, code)
            if alert is None:
                return templates["ack_unknown"]
            record(s, s.get(Staff, staff_id), "view_alert", participant_id=alert.participant_id, alert_id=alert.id,
                   via=self.channel)
            events = s.execute(select(AlertEvent).where(AlertEvent.alert_id == alert.id)).scalars().all()
            view = AlertView(alert.code, alert.participant_id, s.get(Site, alert.site_id).code, alert.severity,
                             alert.category, alert.text, alert.context or [], split_followups(events),
                             alert.matched or [])
            return format_info(templates, view)


def _visible(s, staff_id: int, code: str) -> Optional[Alert]:
    """The alert with this code if this member of staff may see it (escalation.triage.can_see:
    their own site; for an ISS worker, partner and child alerts only); else None, and they are
    told only that the code is unknown."""
    alert = s.execute(select(Alert).where(Alert.code == (code or "").strip().upper())).scalar_one_or_none()
    return alert if alert is not None and can_see(s.get(Staff, staff_id), alert) else None

