"""Who is asking: the session cookie, the CSRF token on every form, roles and sites.

The session cookie is HttpOnly and SameSite=Strict, and Secure whenever the console is
served over https (always in production). Forms carry the session's CSRF token; the log-in
form, before there is a session, a double-submit token in its own short-lived cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

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


FORM_LIMIT = 20_000  # characters in any one field: notes are capped at 2,000


async def post(console, request: Request, handle: Callable[[Session, Who, dict], Response],
               roles: Iterable[str] = ("facilitator", "iss", "supervisor")) -> Response:
    """A form post: read the form, then, in a worker thread and one transaction, check who is
    asking and the form's CSRF token (this session's, else 403), and run ``handle``."""
    raw = await request.form()
    form = {k: str(v)[:FORM_LIMIT] for k, v in raw.items() if isinstance(v, str)}

    def work() -> Response:
        with console.db.session() as s:
            person = need(request, s, roles)
            if not same(form.get("csrf"), person.csrf):
                raise HTTPException(403, "This form has expired. Go back, reload the page and try again.")
            return handle(s, person, form)

    return await run_in_threadpool(work)


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def secure_cookies(request: Request, settings) -> bool:
    return request.url.scheme == "https" or settings.is_production or \
        (settings.public_base_url or "").startswith("https://")
