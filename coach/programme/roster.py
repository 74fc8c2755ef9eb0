"""Who is on the programme (what `coach participants` lists): plain data, no ORM rows.

    for man in roster(db, content.programme, uk_today(), site="north"):
        man.participant, man.week, man.sessions_done, man.channels, man.opted_out

One read-only transaction; the oldest enrolment comes first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Dict, List, Optional, Set

from sqlalchemy import func, select

from coach.core.db import Database
from coach.core.db.models import ChannelIdentity, Participant, SessionProgress, Site
from coach.programme import calendar as cal
from coach.programme.content.model import Programme


@dataclass(frozen=True)
class RosterRow:
    participant: str
    site: str  # the site's code
    week: int  # the session open for him today (0 before week 1 opens)
    sessions_done: int  # sessions he has finished, any week
    channels: List[str]  # how he is linked, sorted: rest, sms, telegram
    status: str  # active | withdrawn
    opted_out: bool  # he sent STOP: no messages until START
    opt_out_reason: Optional[str]
    is_demo: bool
    last_contact_at: Optional[datetime]  # naive UTC; None if he never wrote


def roster(db: Database, programme: Programme, today: date, site: Optional[str] = None) -> List[RosterRow]:
    """Every participant (at ``site``, if given) in enrolment order, with his week on ``today``."""
    with db.session() as s:
        q = select(Participant, Site.code).join(Site, Site.id == Participant.site_id).order_by(Participant.created_at)
        ids = select(Participant.id).join(Site, Site.id == Participant.site_id)
        if site:
            q, ids = q.where(Site.code == site), ids.where(Site.code == site)
        rows = s.execute(q).all()
        channels: Dict[str, Set[str]] = defaultdict(set)
        for pid, channel in s.execute(select(ChannelIdentity.participant_id, ChannelIdentity.channel)
                                      .where(ChannelIdentity.participant_id.in_(ids.scalar_subquery()))):
            channels[pid].add(channel)
        done: Dict[str, int] = dict(s.execute(
            select(SessionProgress.participant_id, func.count())
            .where(SessionProgress.participant_id.in_(ids.scalar_subquery()), SessionProgress.completed_at.isnot(None))
            .group_by(SessionProgress.participant_id)).all())
        return [RosterRow(participant=p.id, site=code, week=cal.current_week(programme, p.start_date, today),
                          sessions_done=done.get(p.id, 0), channels=sorted(channels[p.id]), status=p.status,
                          opted_out=p.opted_out_at is not None, opt_out_reason=p.opt_out_reason, is_demo=p.is_demo,
                          last_contact_at=p.last_contact_at)
                for p, code in rows]


def behind(db: Database, programme: Programme, today: date, now: datetime,
           site: Optional[str] = None) -> List[dict]:
    """Who hasn't started or finished the session open for him today (at ``site``, if given),
    longest silent first: `coach participants --behind`, for facilitators."""
    with db.session() as s:
        q = (select(Participant, Site.code).join(Site, Site.id == Participant.site_id)
             .where(Participant.status == "active"))
        if site:
            q = q.where(Site.code == site)
        out = []
        for p, code in s.execute(q).all():
            week = cal.current_week(programme, p.start_date, today)
            if week == 0:
                continue
            progress = s.execute(select(SessionProgress).where(SessionProgress.participant_id == p.id,
                                                               SessionProgress.week == week)).scalar_one_or_none()
            if progress is not None and progress.completed_at is not None:
                continue
            out.append({"participant": p.id, "site": code, "week": week,
                        "state": "not started" if progress is None else "started, not finished",
                        "days_since_contact": (now - p.last_contact_at).days if p.last_contact_at else None,
                        "opted_out": p.opted_out_at is not None})
    never = 10 ** 6
    return sorted(out, key=lambda r: -(r["days_since_contact"] if r["days_since_contact"] is not None else never))
