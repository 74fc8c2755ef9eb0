"""A site's fortnightly group sessions (what `coach site groups` shows and sets).

Dates and times are UK wall-clock; the database keeps naive UTC (``calendar.local_to_utc``),
so 19:00 stays 19:00 across the clock changes.

    days = series(date(2026, 3, 5))                      # 7 dates, a fortnight apart
    add_group_dates(s, "north", days, time(19, 0))       # adds those not there yet
    for start in group_dates(s, "north"): ...            # aware UK datetimes, in order
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Iterable, List

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coach.core.db.models import Site, SiteGroup
from coach.core.identity import ensure_site
from coach.programme import calendar as cal

GROUP_EVERY_DAYS = 14
GROUP_COUNT = 7


def series(first: date, every: int = GROUP_EVERY_DAYS, count: int = GROUP_COUNT) -> List[date]:
    """``count`` dates from ``first``, ``every`` days apart."""
    return [first + timedelta(days=every * i) for i in range(count)]


def add_group_dates(s: Session, site: str, days: Iterable[date], at: time, clear: bool = False) -> int:
    """Add a group at ``at`` (UK time) on each of ``days`` at ``site`` (created if new), skipping
    those already there; with ``clear``, the site's dates are removed first. Returns how many were added."""
    site_row = ensure_site(s, site)
    if clear:
        s.execute(delete(SiteGroup).where(SiteGroup.site_id == site_row.id))
        s.flush()
    added = 0
    for day in days:
        when = cal.local_to_utc(day, at)
        exists = s.execute(select(SiteGroup.id).where(SiteGroup.site_id == site_row.id,
                                                      SiteGroup.starts_at == when)).first()
        if exists is None:
            s.add(SiteGroup(site_id=site_row.id, starts_at=when))
            s.flush()
            added += 1
    return added


def group_dates(s: Session, site: str) -> List[datetime]:
    """When the site's groups start, in order, as aware UK datetimes (none for an unknown site)."""
    rows = s.execute(select(SiteGroup.starts_at).join(Site, Site.id == SiteGroup.site_id)
                     .where(Site.code == site).order_by(SiteGroup.starts_at)).scalars()
    return [cal.utc_to_local(when) for when in rows]
