"""Safety checks: when the risk model is unsure, he is asked calmly instead of staff being paged.

A check is stored the moment it is asked, and nothing about it is dropped silently:

- he says he is safe: ``safe``, and his session carries on where it was;
- he says NO, or writes something risky again: the ingress raises an alert, and the
  check is linked to it (``alert``);
- no clear answer (``answer_check(..., "review")``) or no answer within
  ``RISK_CHECK_REVIEW_MINUTES`` (``review_unanswered``, run by the worker): ``review``, a
  review item his facilitator sees before the next coaching call (`coach checks list`).

    with db.session() as s:
        check = record_check(s, pid, site_id, message_id, text, decision, context)
        open_check(s, pid)                          # the check he hasn't answered yet, if any
        answer_check(s, pid, "safe", "yeah im ok")
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Optional, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.core.db.models import Participant, RiskCheck, Site, utcnow
from coach.core.risk import UNCLASSIFIED

OPEN_FOR = timedelta(hours=24)  # a check older than this no longer changes how his messages are read
OUTCOMES = ("safe", "alert", "review")


def open_check(s: Session, pid: str, now: Optional[datetime] = None) -> Optional[RiskCheck]:
    """His latest unanswered check, if it is recent."""
    since = (now or utcnow()) - OPEN_FOR
    return s.execute(select(RiskCheck).where(RiskCheck.participant_id == pid, RiskCheck.status == "open",
                                             RiskCheck.created_at >= since)
                     .order_by(RiskCheck.id.desc())).scalars().first()


def record_check(s: Session, pid: str, site_id: Optional[int], message_id: str, text: str, decision,
                 context: Sequence[dict] = (), now: Optional[datetime] = None) -> RiskCheck:
    """Store the check for this message (once: the same message again returns the same check)."""
    existing = s.execute(select(RiskCheck).where(RiskCheck.participant_id == pid,
                                                 RiskCheck.message_id == message_id)).scalar_one_or_none()
    if existing is not None:
        return existing
    if site_id is None:
        site_id = s.get(Participant, pid).site_id
    check = RiskCheck(participant_id=pid, site_id=site_id, message_id=message_id, text=text,
                      category=decision.category or UNCLASSIFIED, probability=decision.probability,
                      signals=list(decision.signals), context=list(context), status="open", created_at=now or utcnow())
    try:
        with s.begin_nested():
            s.add(check)
            s.flush()
    except IntegrityError:  # the same message raced in from another process
        return s.execute(select(RiskCheck).where(RiskCheck.participant_id == pid,
                                                 RiskCheck.message_id == message_id)).scalar_one()
    return check


def answer_check(s: Session, pid: str, outcome: str, answer: str, reason: Optional[str] = None,
                 alert_id: Optional[int] = None, now: Optional[datetime] = None) -> Optional[RiskCheck]:
    """Settle his open check: ``safe``, ``alert`` (with the alert) or ``review`` (with why)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {OUTCOMES}")
    check = open_check(s, pid, now)
    if check is None:
        return None
    check.status, check.answer, check.answered_at = outcome, (answer or "")[:2000], now or utcnow()
    check.review_reason = reason if outcome == "review" else None
    check.alert_id = alert_id
    return check


def review_unanswered(s: Session, minutes: float, now: Optional[datetime] = None) -> int:
    """Checks nobody answered within ``minutes`` become review items. Returns how many."""
    cutoff = (now or utcnow()) - timedelta(minutes=minutes)
    stale = s.execute(select(RiskCheck).where(RiskCheck.status == "open", RiskCheck.created_at <= cutoff)).scalars()
    count = 0
    for check in stale:
        check.status, check.review_reason = "review", "no answer"
        count += 1
    return count


def checks_for_review(s: Session, site: Optional[str] = None, include_seen: bool = False) -> List[RiskCheck]:
    """Review items (and open checks), oldest first: what a facilitator reads before a call."""
    q = select(RiskCheck).join(Site, Site.id == RiskCheck.site_id).where(RiskCheck.status.in_(("review", "open")))
    if site:
        q = q.where(Site.code == site)
    if not include_seen:
        q = q.where(RiskCheck.reviewed_at.is_(None))
    return list(s.execute(q.order_by(RiskCheck.created_at)).scalars())
