"""Alerts as staff read them (what `coach alerts list|show` prints): plain data, no ORM rows.

    for alert in list_alerts(db, open_only=True, limit=20, with_history=True):
        alert.code, alert.site, alert.acknowledged_by, alert.notifications, alert.history
    alert = find_alert(db, "k7q2mx")          # None if there is no such alert

Each call is one read-only transaction; nothing here sends or changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.core.db import Database
from coach.core.db.models import Alert, AlertNotification, Site, Staff
from escalation.alerts import events


@dataclass(frozen=True)
class NotificationReport:
    """One row of the outbox: who was told, on which channel, in which round, and how it went."""

    round: int
    channel: str
    staff_id: int
    staff_name: str
    status: str
    sent_at: Optional[datetime] = None
    last_error: Optional[str] = None


@dataclass(frozen=True)
class EventReport:
    """One audited step (detected, queued, sent, acknowledged, ...)."""

    at: datetime
    kind: str
    actor: str
    detail: Dict[str, object]


@dataclass(frozen=True)
class AlertReport:
    code: str
    participant_id: str
    site: str  # the site's code
    category: str
    severity: str
    source: str
    status: str  # open | acknowledged
    created_at: datetime
    text: str
    matched: List[str]
    context: List[dict]  # the turns before it: {"who": ..., "text": ...}
    acknowledged_at: Optional[datetime] = None
    acknowledged_by: Optional[str] = None  # the staff member's name; None if acknowledged without a staff id
    acknowledged_via: Optional[str] = None
    notifications: List[NotificationReport] = field(default_factory=list)
    history: List[EventReport] = field(default_factory=list)


def list_alerts(db: Database, open_only: bool = False, limit: int = 50,
                with_history: bool = False) -> List[AlertReport]:
    """The newest ``limit`` alerts first (only unacknowledged ones if ``open_only``), each with
    its notifications, and its audited history if ``with_history``."""
    with db.session() as s:
        q = select(Alert).order_by(Alert.id.desc()).limit(limit)
        if open_only:
            q = q.where(Alert.status == "open")
        return [_report(s, a, with_history) for a in s.execute(q).scalars().all()]


def find_alert(db: Database, code: str) -> Optional[AlertReport]:
    """The alert with this code (any case), with its notifications and full history; None if none."""
    with db.session() as s:
        alert = s.execute(select(Alert).where(Alert.code == code.upper())).scalar_one_or_none()
        return None if alert is None else _report(s, alert, with_history=True)


def notifications(s: Session, alert_id: int) -> List[NotificationReport]:
    rows: List[Tuple[AlertNotification, Staff]] = s.execute(
        select(AlertNotification, Staff).join(Staff, Staff.id == AlertNotification.staff_id)
        .where(AlertNotification.alert_id == alert_id).order_by(AlertNotification.id)).all()
    return [NotificationReport(round=n.round, channel=n.channel, staff_id=person.id, staff_name=person.name,
                               status=n.status, sent_at=n.sent_at, last_error=n.last_error) for n, person in rows]


def history(s: Session, alert_id: int) -> List[EventReport]:
    return [EventReport(at=e.at, kind=e.kind, actor=e.actor, detail=dict(e.detail or {})) for e in events(s, alert_id)]


def _report(s: Session, a: Alert, with_history: bool) -> AlertReport:
    site = s.get(Site, a.site_id)
    acknowledged_by = None
    if a.acknowledged_by:
        person = s.get(Staff, a.acknowledged_by)
        acknowledged_by = person.name if person is not None else None
    return AlertReport(
        code=a.code, participant_id=a.participant_id, site=site.code, category=a.category, severity=a.severity,
        source=a.source, status=a.status, created_at=a.created_at, text=a.text, matched=list(a.matched or []),
        context=list(a.context or []), acknowledged_at=a.acknowledged_at, acknowledged_by=acknowledged_by,
        acknowledged_via=a.acknowledged_via, notifications=notifications(s, a.id),
        history=history(s, a.id) if with_history else [],
    )
