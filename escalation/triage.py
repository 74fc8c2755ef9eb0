"""Alert triage in the staff console: who may see an alert, and acknowledging, owning,
noting and closing it. Every step is written to the alert's own history (``AlertEvent``)
and to the audit log.

Who sees what (the information-sharing protocol, in code):
- a facilitator or supervisor sees every alert at their own site;
- an ISS worker sees only the alerts at her site where a partner or child may be at risk
  (``needs_iss``: partner, child, or unclear); nothing else about him.
Staff never see another site's alerts.
"""

from __future__ import annotations

from typing import List, Optional

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from coach.core.accounts import record
from coach.core.db.models import Alert, Staff, utcnow
from escalation.alerts import AckError, acknowledge, audit

# How an alert was closed. "false_alarm" is the label the risk model's next training reads.
OUTCOMES = {
    "spoke_safe": "Spoke to him: he is safe",
    "spoke_plan": "Spoke to him: safety plan agreed",
    "partner_contacted": "ISS contacted his (ex)partner",
    "police": "Police called",
    "ambulance": "Ambulance or crisis team called",
    "marac": "MARAC referral",
    "safeguarding": "Children's safeguarding referral",
    "no_contact": "Could not reach him: passed to the next call",
    "false_alarm": "False alarm: nothing to act on",
}
NOTE_LIMIT = 2000


class TriageError(ValueError):
    """Why a triage step was refused; the message says what to do."""


def can_see(staff: Staff, alert: Alert) -> bool:
    if staff is None or not staff.active or alert.site_id != staff.site_id:
        return False
    return staff.role in ("facilitator", "supervisor") or (staff.role == "iss" and bool(alert.needs_iss))


def queue(s: Session, staff: Staff, include_closed: bool = False, limit: int = 200) -> List[Alert]:
    """The alerts this person may see: open first (imminent before high, oldest first), then
    acknowledged, then (if asked) closed, newest first."""
    q = select(Alert).where(Alert.site_id == staff.site_id)
    if staff.role == "iss":
        q = q.where(Alert.needs_iss.is_(True))
    if not include_closed:
        q = q.where(Alert.closed_at.is_(None))
    state = case((Alert.closed_at.is_not(None), 2), (Alert.status == "open", 0), else_=1)
    urgency = case((Alert.severity == "imminent", 0), else_=1)
    q = q.order_by(state, case((Alert.status == "open", urgency), else_=0),
                   case((Alert.status == "open", Alert.created_at), else_=None), Alert.created_at.desc())
    return list(s.execute(q.limit(limit)).scalars())


def get(s: Session, staff: Staff, code: str) -> Alert:
    alert = s.execute(select(Alert).where(Alert.code == (code or "").strip().upper())).scalar_one_or_none()
    if alert is None or not can_see(staff, alert):
        raise TriageError("There is no alert with that code that you can see.")
    return alert


def state(alert: Alert) -> str:
    return "closed" if alert.closed_at else alert.status


def view(s: Session, staff: Staff, code: str) -> Alert:
    alert = get(s, staff, code)
    record(s, staff, "view_alert", participant_id=alert.participant_id, alert_id=alert.id)
    return alert


def ack(s: Session, staff: Staff, code: str) -> Alert:
    alert = get(s, staff, code)
    try:
        acknowledge(s, alert.code, staff.id, via="web")
    except AckError as exc:
        raise TriageError(str(exc)) from exc
    record(s, staff, "ack_alert", participant_id=alert.participant_id, alert_id=alert.id)
    return alert


def take(s: Session, staff: Staff, code: str) -> Alert:
    """Take ownership (acknowledging it too, if nobody has): she is the one following it up."""
    alert = get(s, staff, code)
    if alert.closed_at:
        raise TriageError("This alert is closed.")
    if alert.status == "open":
        acknowledge(s, alert.code, staff.id, via="web")
    previous = alert.owner_id
    alert.owner_id = staff.id
    audit(s, alert.id, "owned", f"staff:{staff.id}", previous=previous)
    record(s, staff, "own_alert", participant_id=alert.participant_id, alert_id=alert.id, previous=previous)
    return alert


def note(s: Session, staff: Staff, code: str, text: str) -> Alert:
    alert = get(s, staff, code)
    text = (text or "").strip()
    if not text:
        raise TriageError("The note is empty: write what happened or what you did.")
    if len(text) > NOTE_LIMIT:
        raise TriageError(f"The note is too long ({len(text)} characters); keep it under {NOTE_LIMIT}.")
    audit(s, alert.id, "note", f"staff:{staff.id}", text=text, name=staff.name)
    record(s, staff, "note_alert", participant_id=alert.participant_id, alert_id=alert.id)
    return alert


def close(s: Session, staff: Staff, code: str, outcome: str, text: Optional[str] = None) -> Alert:
    """Close with an outcome (and an optional note). An open alert is acknowledged first, so
    no more reminders go out. Closing twice is refused, not repeated."""
    alert = get(s, staff, code)
    if outcome not in OUTCOMES:
        raise TriageError("Choose how it ended from the list.")
    if alert.closed_at:
        raise TriageError("This alert is already closed.")
    if (text or "").strip():
        note(s, staff, code, text or "")
    if alert.status == "open":
        acknowledge(s, alert.code, staff.id, via="web")
    alert.closed_at = utcnow()
    alert.closed_by = staff.id
    alert.outcome = outcome
    audit(s, alert.id, "closed", f"staff:{staff.id}", outcome=outcome)
    record(s, staff, "close_alert", participant_id=alert.participant_id, alert_id=alert.id, outcome=outcome)
    return alert
