"""Reports for facilitators and the programme lead (rows ready for CSV)."""

from __future__ import annotations

from typing import Iterator, List

from sqlalchemy import func, select

from coach.core.db import Database
from coach.core.db.models import Participant, SessionProgress, Site, StepProgress
from coach.programme.content.model import Content


def _iso(value) -> str:
    return value.replace(microsecond=0).isoformat(sep=" ") if value else ""


def completion_rows(db: Database, content: Content) -> Iterator[List[object]]:
    """participant, site, week, title, started, completed, steps_done, steps_total."""
    with db.session() as s:
        done = (
            select(StepProgress.participant_id, StepProgress.week, func.count().label("n"))
            .group_by(StepProgress.participant_id, StepProgress.week)
            .subquery()
        )
        rows = s.execute(
            select(SessionProgress, Site.code, done.c.n)
            .join(Participant, Participant.id == SessionProgress.participant_id)
            .join(Site, Site.id == Participant.site_id)
            .outerjoin(done, (done.c.participant_id == SessionProgress.participant_id)
                       & (done.c.week == SessionProgress.week))
            .order_by(SessionProgress.participant_id, SessionProgress.week)
        ).all()
        for progress, site, n in rows:
            flow = content.sessions.get(progress.week)
            week_label = "booster" if progress.week == content.programme.booster_week else progress.week
            yield [progress.participant_id, site, week_label, flow.title if flow else "",
                   _iso(progress.started_at), _iso(progress.completed_at), n or 0, len(flow.steps) if flow else ""]
