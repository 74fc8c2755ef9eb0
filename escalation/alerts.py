"""Alerts: raised, routed, followed up and acknowledged, with every step audited.

An alert and its first notifications are written in ONE transaction (the outbox); sending
happens afterwards (``escalation.dispatch``), so nothing is sent that isn't recorded and
nothing recorded is forgotten. One inbound message raises at most one alert
(unique participant + message id), however many signals fire.

    with session_scope() as s:
        alert = raise_alert(s, pid, text, message_id, detection=d, context=turns)
    acknowledge(s, "K7Q2MX", staff_id=3, via="telegram")
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Iterable, List, Optional, Sequence

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.core.db.models import Alert, AlertEvent, AlertNotification, Participant, RotaEntry, Staff, utcnow
from coach.core.risk import ISS_CATEGORIES
from escalation.risk import Signal

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
FIRST_ROUND = 0
FOLLOWUP_WINDOW = timedelta(hours=24)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def audit(s: Session, alert_id: int, kind: str, actor: str, **detail) -> None:
    s.add(AlertEvent(alert_id=alert_id, kind=kind, actor=actor, detail=detail, at=utcnow()))


def find_alert_for_message(s: Session, pid: str, message_id: str) -> Optional[Alert]:
    return s.execute(
        select(Alert).where(Alert.participant_id == pid, Alert.message_id == message_id)
    ).scalar_one_or_none()


def raise_alert(
    s: Session,
    pid: str,
    text: str,
    message_id: str,
    signal: Signal,
    context: Sequence[dict] = (),
    actor: str = "system",
    now: Optional[datetime] = None,
    site_id: Optional[int] = None,
) -> Alert:
    """Create the alert and its first round of notifications, or return the one this message already raised.

    ``site_id``: his site, when the caller has his participant row already (saves loading it again)."""
    existing = find_alert_for_message(s, pid, message_id)
    if existing is not None:
        if signal.source != existing.source:
            audit(s, existing.id, "second_signal", actor, source=signal.source, category=signal.category)
        return existing
    if site_id is None:
        participant = s.get(Participant, pid)
        if participant is None:
            raise LookupError(f"no participant {pid}")
        site_id = participant.site_id
    now = now or utcnow()
    for _ in range(10):
        code = new_code()
        if s.execute(select(Alert.id).where(Alert.code == code)).first() is None:
            break
    alert = Alert(
        code=code, participant_id=pid, site_id=site_id, message_id=message_id,
        category=signal.category, severity=signal.severity, source=signal.source, text=text,
        matched=list(signal.matched), context=list(context), needs_iss=signal.category in ISS_CATEGORIES,
        status="open", created_at=now, last_round=0, last_round_at=now,
    )
    try:
        with s.begin_nested():
            s.add(alert)
            s.flush()
    except IntegrityError:  # the same message raced in from another process: one alert only
        return find_alert_for_message(s, pid, message_id)
    audit(s, alert.id, "detected", actor, source=signal.source, category=signal.category,
          severity=signal.severity, matched=list(signal.matched))
    # The first round goes to whoever is first on each rota, however many tries each person gets.
    queue_round(s, alert, FIRST_ROUND, now=now, actor=actor, tries_per_person=1)
    return alert


# -- routing -----------------------------------------------------------------------------------

def on_call(s: Session, site_id: int, role: str, at: datetime) -> List[Staff]:
    """The site's rota for ``role`` at time ``at``, in order (active staff only)."""
    rows = s.execute(
        select(RotaEntry).join(Staff, Staff.id == RotaEntry.staff_id)
        .where(RotaEntry.site_id == site_id, RotaEntry.role == role, Staff.active.is_(True),
               or_(RotaEntry.starts_at.is_(None), RotaEntry.starts_at <= at),
               or_(RotaEntry.ends_at.is_(None), RotaEntry.ends_at > at))
        .order_by(RotaEntry.position, RotaEntry.id)
    ).scalars().all()
    seen, out = set(), []
    for r in rows:
        if r.staff_id not in seen:
            seen.add(r.staff_id)
            out.append(r.staff)
    if not out:  # no rota for this role: everyone with the role at the site
        out = list(s.execute(select(Staff).where(Staff.site_id == site_id, Staff.role == role, Staff.active.is_(True))
                             .order_by(Staff.id)).scalars())
    return out


def supervisors(s: Session, site_id: int) -> List[Staff]:
    return list(s.execute(select(Staff).where(Staff.site_id == site_id, Staff.role == "supervisor",
                                              Staff.active.is_(True)).order_by(Staff.id)).scalars())


def targets_for_round(s: Session, alert: Alert, round_no: int, tries_per_person: int, at: datetime) -> List[Staff]:
    """Who is told in this round: the on-call person, each tried ``tries_per_person`` times, then the
    next on the rota; when the rota is used up, everyone on it plus the site's supervisors."""
    roles = ["facilitator"] + (["iss"] if alert.needs_iss else [])
    chosen: List[Staff] = []
    step = round_no // max(1, tries_per_person)
    for role in roles:
        rota = on_call(s, alert.site_id, role, at)
        if step < len(rota):
            chosen.append(rota[step])
        else:
            chosen.extend(rota)
            chosen.extend(supervisors(s, alert.site_id))
    if not chosen:
        chosen = supervisors(s, alert.site_id)
    unique, seen = [], set()
    for staff in chosen:
        if staff.id not in seen:
            seen.add(staff.id)
            unique.append(staff)
    return unique


def queue_round(s: Session, alert: Alert, round_no: int, *, tries_per_person: int, now: Optional[datetime] = None,
                actor: str = "system") -> int:
    """Add the outbox rows for ``round_no`` (``ALERT_TRIES_PER_PERSON`` rounds to each person on
    the rota before the next). Returns how many were queued."""
    now = now or utcnow()
    staff = targets_for_round(s, alert, round_no, tries_per_person, now)
    queued = 0
    for person in staff:
        channels = [c for c, on in (("telegram", person.notify_telegram and person.telegram_secret),
                                    ("sms", person.notify_sms and person.phone_secret)) if on]
        for channel in channels:
            exists = s.execute(select(AlertNotification.id).where(
                AlertNotification.alert_id == alert.id, AlertNotification.staff_id == person.id,
                AlertNotification.channel == channel, AlertNotification.round == round_no)).first()
            if exists:
                continue
            s.add(AlertNotification(alert_id=alert.id, staff_id=person.id, channel=channel, round=round_no,
                                    status="pending", next_attempt_at=now, created_at=now))
            queued += 1
    alert.last_round = round_no
    alert.last_round_at = now
    kind = "queued" if round_no == FIRST_ROUND else "renotify"
    audit(s, alert.id, kind, actor, round=round_no, staff=[p.id for p in staff], notifications=queued)
    if queued == 0:
        audit(s, alert.id, "no_one_to_notify", actor, round=round_no,
              hint="add staff with a Telegram chat or phone and put them on the rota (coach staff ...)")
    s.flush()
    return queued


# -- follow-ups and acknowledgement ---------------------------------------------------------------

def open_alerts_for(s: Session, pid: str, now: Optional[datetime] = None) -> List[Alert]:
    since = (now or utcnow()) - FOLLOWUP_WINDOW
    return list(s.execute(select(Alert).where(Alert.participant_id == pid, Alert.created_at >= since)
                          .order_by(Alert.id)).scalars())


def add_followup(s: Session, pid: str, text: str, message_id: str, now: Optional[datetime] = None) -> int:
    """What he writes after an alert ("only joking", "I'm safe") is added to it, never cancels it."""
    count = 0
    for alert in open_alerts_for(s, pid, now):
        if alert.message_id == message_id:
            continue
        audit(s, alert.id, "participant_followup", "participant", text=text, message_id=message_id)
        count += 1
    return count


class AckError(Exception):
    """Why an acknowledgement was not accepted (the message says what to do)."""


def acknowledge(s: Session, code: str, staff_id: Optional[int], via: str, actor: Optional[str] = None) -> Alert:
    code = (code or "").strip().upper()
    alert = s.execute(select(Alert).where(Alert.code == code)).scalar_one_or_none()
    if alert is None:
        raise AckError(f"no alert with code {code!r}; check the code in the alert message")
    if staff_id is not None:
        staff = s.get(Staff, staff_id)
        if staff is None or not staff.active:
            raise AckError("only active staff can acknowledge alerts")
    who = actor or (f"staff:{staff_id}" if staff_id is not None else "cli")
    if alert.status == "acknowledged":
        audit(s, alert.id, "ack_repeated", who, via=via)
        return alert
    alert.status = "acknowledged"
    alert.acknowledged_at = utcnow()
    alert.acknowledged_by = staff_id
    alert.acknowledged_via = via
    cancelled = 0
    for n in s.execute(select(AlertNotification).where(AlertNotification.alert_id == alert.id,
                                                       AlertNotification.status == "pending")).scalars():
        n.status = "cancelled"
        cancelled += 1
    audit(s, alert.id, "acknowledged", who, via=via, cancelled=cancelled)
    return alert


def staff_by_contact(s: Session, vault, channel: str, external_id: str) -> Optional[Staff]:
    h = vault.lookup_hash(f"staff-{channel}", external_id)
    column = Staff.telegram_hash if channel == "telegram" else Staff.phone_hash
    return s.execute(select(Staff).where(column == h, Staff.active.is_(True))).scalar_one_or_none()


def events(s: Session, alert_id: int) -> Iterable[AlertEvent]:
    return s.execute(
        select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.at, AlertEvent.id)
    ).scalars()
