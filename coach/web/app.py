"""The console's routes. Pages are rendered on the server (Jinja2, autoescaped); each
handler opens one database transaction, checks who is asking, and audits what they saw or did.

    app = create_app(settings)      # uvicorn coach.web.app:... is started by `coach web`
"""

from __future__ import annotations

from typing import Optional
from urllib.parse import quote

from sqlalchemy import select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from coach.core.accounts import LONGEST, check_login, close_session, open_session, record
from coach.core.db import Database
from coach.core.db.models import AuditEntry, utcnow
from coach.programme import casework
from coach.web import auth, people, reports
from coach.web.console import HERE, Console, names, uk
from escalation import triage
from escalation.reports import history, notifications


def create_app(settings, db: Optional[Database] = None) -> Starlette:
    console = Console.create(settings, db)
    db, page = console.db, console.page

    # -- log-in ------------------------------------------------------------------------------

    def login_form(request: Request, problem: Optional[str] = None, status: int = 200) -> Response:
        token = auth.new_login_token()
        nxt = request.query_params.get("next") or ""
        response = page(request, "login.html", status, problem=problem, token=token, next=nxt, who=None)
        response.set_cookie(auth.LOGIN_COOKIE, token, max_age=900, httponly=True, samesite="strict",
                            secure=auth.secure_cookies(request, settings), path="/login")
        return response

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return login_form(request)
        form = await request.form()
        if not auth.same(form.get("csrf"), request.cookies.get(auth.LOGIN_COOKIE)):
            return login_form(request, "The log-in page had expired. Please try again.", 400)
        login_name, password = str(form.get("login") or ""), str(form.get("password") or "")

        def check():  # argon2 takes tens of milliseconds: off the event loop
            with db.session() as s:
                result = check_login(s, login_name[:200], password[:1000])
                return result.problem, (open_session(s, result.staff) if result.staff else None)

        problem, token = await run_in_threadpool(check)
        if token is None:
            return login_form(request, problem, 401)
        nxt = str(form.get("next") or "")
        target = nxt if nxt.startswith("/") and not nxt.startswith("//") else "/alerts"
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(auth.COOKIE, token, max_age=int(LONGEST.total_seconds()), httponly=True,
                            samesite="strict", secure=auth.secure_cookies(request, settings))
        response.delete_cookie(auth.LOGIN_COOKIE, path="/login")
        return response

    async def logout(request: Request) -> Response:
        def leave(s, person, form) -> Response:
            record(s, person.staff, "logout")
            close_session(s, person.token)
            response = RedirectResponse("/login", status_code=303)
            response.delete_cookie(auth.COOKIE)
            return response

        return await auth.post(console, request, leave)

    # -- alerts ------------------------------------------------------------------------------

    def alerts(request: Request) -> Response:
        show_closed = request.query_params.get("show") == "all"
        with db.session() as s:
            person = auth.need(request, s)
            rows = triage.queue(s, person.staff, include_closed=show_closed)
            owners = names(s, [a.owner_id for a in rows])
            record(s, person.staff, "view_alerts", count=len(rows))
            told = {a.id: _told(notifications(s, a.id)) for a in rows}
            return page(request, "alerts.html", who=person, alerts=rows, names=owners, show_closed=show_closed,
                        now=utcnow(), men=casework.names_of(s, console.vault, [a.participant_id for a in rows]),
                        told=told)

    def alert(request: Request) -> Response:
        code = request.path_params["code"]
        with db.session() as s:
            person = auth.need(request, s)
            try:
                a = triage.view(s, person.staff, code)
            except triage.TriageError as exc:
                raise HTTPException(404, str(exc)) from exc
            return page(request, "alert.html", who=person, a=a, history=history(s, a.id),
                        man=casework.names_of(s, console.vault, [a.participant_id]).get(a.participant_id, ""),
                        sent=notifications(s, a.id), names=names(s, [a.owner_id, a.closed_by, a.acknowledged_by]),
                        problem=request.query_params.get("problem"), done=request.query_params.get("done"))

    async def alert_action(request: Request) -> Response:
        code, action = request.path_params["code"], request.path_params["action"]
        steps = {
            "ack": (lambda s, staff, form: triage.ack(s, staff, code), "Acknowledged: no more reminders will go out."),
            "take": (lambda s, staff, form: triage.take(s, staff, code), "It's yours: you are following this up."),
            "note": (lambda s, staff, form: triage.note(s, staff, code, form.get("note", "")), "Note added."),
            "close": (lambda s, staff, form: triage.close(s, staff, code, form.get("outcome", ""),
                                                          form.get("note", "")), "Closed."),
        }
        if action not in steps:
            raise HTTPException(404, "There is no such action.")
        step, done = steps[action]

        def act(s, person, form) -> Response:
            try:
                step(s, person.staff, form)
            except triage.TriageError as exc:
                s.rollback()
                return RedirectResponse(f"/alerts/{quote(code)}?problem={quote(str(exc))}", status_code=303)
            return RedirectResponse(f"/alerts/{quote(code)}?done={quote(done)}", status_code=303)

        return await auth.post(console, request, act)

    # -- audit -------------------------------------------------------------------------------

    def audit(request: Request) -> Response:
        with db.session() as s:
            person = auth.need(request, s, roles=("supervisor",))
            rows = list(s.execute(select(AuditEntry).where(AuditEntry.site_id == person.staff.site_id)
                                  .order_by(AuditEntry.id.desc()).limit(300)).scalars())
            who_names = names(s, [r.staff_id for r in rows])
            record(s, person.staff, "view_audit")
            return page(request, "audit.html", who=person, rows=rows, names=who_names)

    def home(request: Request) -> Response:
        return RedirectResponse("/alerts", status_code=303)

    def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (301, 302, 303, 307):
            return Response(status_code=exc.status_code, headers=exc.headers)
        return page(request, "error.html", exc.status_code, who=None, status=exc.status_code, detail=exc.detail)

    app = Starlette(routes=[
        Route("/", home),
        Route("/healthz", health),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/alerts", alerts),
        Route("/alerts/{code:str}", alert),
        Route("/alerts/{code:str}/{action:str}", alert_action, methods=["POST"]),
        Route("/audit", audit),
        *people.routes(console),
        *reports.routes(console),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ], exception_handlers={HTTPException: on_http_error}, middleware=[Middleware(SecurityHeaders)])

    return app


def _told(sent) -> str:
    """Who was told and when, in a line: "Fay 21:58, Sam 22:08"; or why nobody was yet."""
    done = [n for n in sent if n.status == "sent" and n.sent_at]
    if done:
        first = {}
        for n in sorted(done, key=lambda n: n.sent_at):
            first.setdefault(n.staff_name, n.sent_at)
        return ", ".join(f"{name} {uk(at)[-5:]}" for name, at in first.items())
    return "sending now" if sent else "nobody yet: check the on-call rota"


class SecurityHeaders:
    """Every response: no framing, no sniffing, no referrer; pages are never cached (they hold
    what men disclosed), only /static is."""

    HEADERS = {
        b"content-security-policy": b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                                    b"form-action 'self'",
        b"x-content-type-options": b"nosniff",
        b"referrer-policy": b"no-referrer",
        b"x-frame-options": b"DENY",
    }

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static")

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in self.HEADERS]
                headers += list(self.HEADERS.items())
                if not static:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, with_headers)
