"""What every page handler shares: the database, settings, templates, the identity vault and
the content, with small helpers for rendering and dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Optional

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from coach.core.db import Database
from coach.core.db.models import Staff, utcnow
from coach.core.identity import IdentityVault
from coach.core.risk import LABELS
from coach.programme.calendar import UK, uk_today
from coach.programme.content.cache import content_cache
from escalation import triage

HERE = Path(__file__).parent
ROLE_NAMES = {"facilitator": "Facilitator", "iss": "ISS worker", "supervisor": "Supervisor"}
CASEWORKERS = ("facilitator", "supervisor")  # may open a man's record; ISS workers may not


def ago(when: Optional[datetime], now: Optional[datetime] = None) -> str:
    if when is None:
        return ""
    seconds = int(((now or utcnow()) - when).total_seconds())
    if seconds < 90:
        return "just now"
    minutes = seconds // 60
    if minutes < 90:
        return f"{minutes} minutes ago"
    hours = minutes // 60
    if hours < 36:
        return f"{hours} hours ago"
    days = hours // 24
    return f"{days} day{'s' if days != 1 else ''} ago"


def uk(when: Optional[datetime]) -> str:
    """A stored (naive UTC) time as UK local time, the way staff read it."""
    if when is None:
        return ""
    return when.replace(tzinfo=timezone.utc).astimezone(UK).strftime("%a %-d %b %Y, %H:%M")


@dataclass
class Console:
    settings: object
    db: Database
    templates: Jinja2Templates
    vault: IdentityVault

    @classmethod
    def create(cls, settings, db: Optional[Database] = None) -> "Console":
        templates = Jinja2Templates(directory=str(HERE / "templates"))
        templates.env.globals.update(ago=ago, uk=uk, LABELS=LABELS, OUTCOMES=triage.OUTCOMES,
                                     ROLE_NAMES=ROLE_NAMES, state=triage.state, CASEWORKERS=CASEWORKERS)
        return cls(settings, db or Database.from_settings(settings), templates, IdentityVault.from_settings(settings))

    def content(self):
        return content_cache(self.settings.content_dir).get()

    def today(self):
        return uk_today()

    def page(self, request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        return self.templates.TemplateResponse(request, name, context, status_code=status_code)


def names(s, ids: Iterable[Optional[int]]) -> dict:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {p.id: p.name for p in s.execute(select(Staff).where(Staff.id.in_(wanted))).scalars()}
