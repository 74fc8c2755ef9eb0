"""Who is asking: the session cookie, the CSRF token on every form, roles and sites.

The session cookie is HttpOnly and SameSite=Strict, and Secure whenever the console is
served over https (always in production). Forms carry the session's CSRF token; the log-in
form, before there is a session, a double-submit token in its own short-lived cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Iterable, Optional

from starlette.exceptions import HTTPException
from starlette.requests import Request

from coach.core.accounts import session_for
from coach.core.db.models import Staff

COOKIE = "coach_session"
LOGIN_COOKIE = "coach_login"


@dataclass
class Who:
    staff: Staff
    csrf: str
    token: str

    @property
    def role(self) -> str:
        return self.staff.role


def who(request: Request, s) -> Optional[Who]:
    token = request.cookies.get(COOKIE)
    row = session_for(s, token)
    return None if row is None else Who(row.staff, row.csrf, token)


def need(request: Request, s, roles: Iterable[str] = ("facilitator", "iss", "supervisor")) -> Who:
    """The signed-in person, if their role may open this page; else 303 to log in, or 403."""
    person = who(request, s)
    if person is None:
        raise HTTPException(303, headers={"Location": f"/login?next={request.url.path}"})
    if person.role not in tuple(roles):
        raise HTTPException(403, "Your role can't open this page.")
    return person


def same(a: Optional[str], b: Optional[str]) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


async def check_csrf(request: Request, person: Who) -> dict:
    """The posted form, if its CSRF token is this session's; else 403."""
    form = await request.form()
    if not same(form.get("csrf"), person.csrf):
        raise HTTPException(403, "This form has expired. Go back, reload the page and try again.")
    return dict(form)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def secure_cookies(request: Request, settings) -> bool:
    return request.url.scheme == "https" or settings.is_production or \
        (settings.public_base_url or "").startswith("https://")
