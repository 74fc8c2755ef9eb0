"""Alerts: raised, routed, followed up and acknowledged, with every step audited.

An alert and its first notifications are written in ONE transaction (the outbox); sending
happens afterwards (``escalation.dispatch``), so nothing is sent that isn't recorded and
nothing recorded is forgotten. One inbound message raises at most one alert
(unique participant + message id), however many signals fire. Writing the same kind of
risk again while its alert is open and recent joins that alert rather than paging staff
a second time (a more severe message makes it urgent and sends it again now).

    with session_scope() as s:
        alert = raise_alert(s, pid, text, message_id, detection=d, context=turns)
    acknowledge(s, "K7Q2MX", staff_id=3, via="telegram")
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Iterable, List, Optional, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.core.db.models import Alert, AlertEvent, AlertNotification, Participant, RotaEntry, Staff, utcnow
from coach.core.risk import ISS_CATEGORIES
from escalation.risk import Signal

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
FIRST_ROUND = 0
FOLLOWUP_WINDOW = timedelta(minutes=30)  # what he writes this soon after an alert joins it...
FOLLOWUP_LIMIT = 10  # ...up to this many messages: enough to judge, never a 30-line history


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def audit(s: Session, alert_id: int, kind: str, actor: str, **detail) -> None:
    s.add(AlertEvent(alert_id=alert_id, kind=kind, actor=actor, detail=detail, at=utcnow()))


def find_alert_for_message(s: Session, pid: str, message_id: str) -> Optional[Alert]:
    return s.execute(
        select(Alert).where(Alert.participant_id == pid, Alert.message_id == message_id)
    ).scalar_one_or_none()


SEVERITY_RANK = {"high": 0, "imminent": 1}


def alert_to_join(s: Session, pid: str, category: str, now: datetime) -> Optional[Alert]:
    """His open (unacknowledged) alert about the same kind of risk from the last ``FOLLOWUP_WINDOW``."""
    return s.execute(select(Alert).where(
        Alert.participant_id == pid, Alert.status == "open", Alert.category == category,
        Alert.created_at >= now - FOLLOWUP_WINDOW).order_by(Alert.id.desc())).scalars().first()


def _join(s: Session, alert: Alert, message_id: str, signal: Signal, actor: str, now: datetime,
          tries_per_person: int) -> Alert:
    """Risk again, about the same kind of harm, while staff haven't acknowledged: one alert, not two.
    Recorded once per message; a more severe message makes the alert urgent and sends it again now."""
    done = s.execute(select(AlertEvent.detail).where(AlertEvent.alert_id == alert.id,
                                                     AlertEvent.kind == "repeat_disclosure")).scalars()
    if any((d or {}).get("message_id") == message_id for d in done):
        return alert
    audit(s, alert.id, "repeat_disclosure", actor, message_id=message_id, source=signal.source,
          severity=signal.severity, matched=list(signal.matched))
    if SEVERITY_RANK.get(signal.severity, 0) > SEVERITY_RANK.get(alert.severity, 0):
        alert.severity = signal.severity
        audit(s, alert.id, "more_urgent", actor, severity=signal.severity)
        queue_round(s, alert, alert.last_round + 1, actor=actor, now=now, tries_per_person=tries_per_person)
    return alert


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
    tries_per_person: int = 2,
) -> Alert:
    """Create the alert and its first round of notifications, or return the one this message
    already raised, or the open one it joins (same kind of risk, recent, not acknowledged).

    ``site_id``: his site, when the caller has his participant row already (saves loading it again).
    ``tries_per_person``: ``ALERT_TRIES_PER_PERSON``, for the round a more severe repeat sends."""
    existing = find_alert_for_message(s, pid, message_id)
    if existing is not None:
        if signal.source != existing.source:
            audit(s, existing.id, "second_signal", actor, source=signal.source, category=signal.category)
        return existing
    now = now or utcnow()
    joined = alert_to_join(s, pid, signal.category, now)
    if joined is not None:
        return _join(s, joined, message_id, signal, actor, now, tries_per_person)
    if site_id is None:
        participant = s.get(Participant, pid)
        if participant is None:
            raise LookupError(f"no participant {pid}")
        site_id = participant.site_id
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
    """What he writes soon after an alert ("only joking", "I'm safe") is added to it for staff
    to judge; it never cancels it. Only for ``FOLLOWUP_WINDOW`` after the alert and at most
    ``FOLLOWUP_LIMIT`` messages, so later chat ("ok", "5", "b") doesn't bury it."""
    alerts = [a for a in open_alerts_for(s, pid, now) if a.message_id != message_id]
    if not alerts:
        return 0
    counts = dict(s.execute(select(AlertEvent.alert_id, func.count()).where(
        AlertEvent.alert_id.in_([a.id for a in alerts]), AlertEvent.kind == "participant_followup")
        .group_by(AlertEvent.alert_id)).all())
    added = 0
    for alert in alerts:
        if counts.get(alert.id, 0) < FOLLOWUP_LIMIT:
            audit(s, alert.id, "participant_followup", "participant", text=text, message_id=message_id)
            added += 1
    return added


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
