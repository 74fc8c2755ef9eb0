"""Pages about the men at a site: the roster, the brief before a coaching call (with call,
1:1 and group recording, and his name), and the case-management review.

Facilitators and supervisors may open a man's record; ISS workers may not (they see the
review, limited to partner and child alerts, and nothing he wrote)."""

from __future__ import annotations

from datetime import date, datetime
from typing import List
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from coach.core.accounts import record
from coach.programme import attendance, casework
from coach.programme.attendance import AttendanceError
from coach.web import auth
from coach.web.console import CASEWORKERS, Console, names

CALL_OUTCOMES = {"done": "Call done", "no_answer": "No answer", "rescheduled": "Rescheduled"}
MARKS = {"attended": "Attended", "missed": "Did not attend"}


def routes(console: Console) -> List[Route]:
    page = console.page

    def roster(request: Request) -> Response:
        with console.db.session() as s:
            person = auth.need(request, s, CASEWORKERS)
            rows = casework.roster(s, console.content(), console.vault, person.staff.site_id, console.today())
            record(s, person.staff, "view_roster", count=len(rows))
            return page(request, "participants.html", who=person, rows=rows)

    def brief(request: Request) -> Response:
        pid = request.path_params["pid"]
        with console.db.session() as s:
            person = auth.need(request, s, CASEWORKERS)
            if casework.participant_at(s, pid, person.staff.site_id) is None:
                raise HTTPException(404, "There is nobody with that id at your site.")
            content = console.content()
            b = casework.brief(s, content, console.vault, pid, console.today())
            record(s, person.staff, "view_record", participant_id=pid)
            return page(request, "brief.html", who=person, b=b, fields=casework.CHECKIN_FIELDS,
                        weeks=list(range(1, content.programme.weekly_sessions + 1)), groups=attendance.GROUPS,
                        CALL_OUTCOMES=CALL_OUTCOMES, MARKS=MARKS, staff=names(s, [c.staff_id for c in b.calls]),
                        marks=_marks(s, pid), today=console.today().isoformat(),
                        problem=request.query_params.get("problem"), done=request.query_params.get("done"))

    async def change(request: Request) -> Response:
        pid, what = request.path_params["pid"], request.path_params["what"]

        def act(s, person, form) -> Response:
            if casework.participant_at(s, pid, person.staff.site_id) is None:
                raise HTTPException(404, "There is nobody with that id at your site.")
            weekly = console.content().programme.weekly_sessions
            try:
                if what == "call":
                    attendance.record(s, pid, "call", _int(form.get("week")), form.get("outcome", ""),
                                      person.staff.id, form.get("note"), _day(form.get("held_on")), weekly)
                    done = "Call recorded."
                elif what == "attendance":
                    kind = form.get("kind", "")
                    number = 0 if kind == "one_to_one" else _int(form.get("number"))
                    attendance.record(s, pid, kind, number, form.get("outcome", ""), person.staff.id,
                                      held_on=_day(form.get("held_on")), weekly=weekly)
                    done = "Attendance recorded."
                elif what == "name":
                    casework.set_name(s, console.vault, pid, form.get("name", ""))
                    done = "Name saved."
                else:
                    raise HTTPException(404, "There is no such change.")
            except (AttendanceError, ValueError) as exc:
                s.rollback()
                return RedirectResponse(f"/participants/{pid}?problem={quote(str(exc))}#record", status_code=303)
            record(s, person.staff, f"record_{what}", participant_id=pid,
                   detail={k: v for k, v in form.items() if k in ("week", "outcome", "kind", "number")})
            return RedirectResponse(f"/participants/{pid}?done={quote(done)}#record", status_code=303)

        return await auth.post(console, request, act, roles=CASEWORKERS)

    def review(request: Request) -> Response:
        today = console.today()
        since_day = _day(request.query_params.get("since"), strict=False)
        since = datetime.combine(since_day, datetime.min.time()) if since_day else casework.since_default(today)
        with console.db.session() as s:
            person = auth.need(request, s)
            rows = casework.review(s, console.content(), console.vault, person.staff.site_id, since, today,
                                   iss=person.role == "iss")
            record(s, person.staff, "view_review", since=since.date().isoformat(), count=len(rows))
            return page(request, "review.html", who=person, rows=rows, since=since.date().isoformat())

    return [
        Route("/participants", roster),
        Route("/participants/{pid:str}", brief),
        Route("/participants/{pid:str}/{what:str}", change, methods=["POST"]),
        Route("/review", review),
    ]


def _marks(s, pid: str) -> dict:
    """(kind, number) -> outcome, for the 1:1 and groups."""
    return {(k, n): a.outcome for (p, k, n), a in attendance.latest(s, [pid]).items() if k != "call"}


def _int(value) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise AttendanceError("Choose a number from the list.") from None


def _day(value, strict: bool = True):
    if not value:
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        if strict:
            raise AttendanceError("Give the date as it is shown, like 2026-11-27.") from None
        return None
