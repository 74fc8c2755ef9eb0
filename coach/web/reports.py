"""Attendance like the pilot report's Figure 4: for each man at the site, how many of the 32
sessions he attended or completed, as a chart drawn here as SVG and as CSV."""

from __future__ import annotations

import csv
import io
from typing import List

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from coach.core.accounts import record
from coach.core.db.models import Participant
from coach.programme import attendance, casework
from coach.programme.attendance import Counts
from coach.web import auth
from coach.web.console import CASEWORKERS, Console

PARTS = (("one_to_one", "Goal-setting 1:1", "#1d4f91"), ("groups", "Video groups", "#00703c"),
         ("web", "Web sessions", "#7a4d00"), ("calls", "Coaching calls", "#6f2c91"))
BAR, GAP, LEFT, WIDTH = 16, 6, 150, 640


def chart_svg(rows: List[Counts], labels: dict, total: int) -> str:
    """One stacked bar per man (sessions of each kind), longest first, with a key and text
    equivalents so a screen reader gets the same figures."""
    rows = sorted(rows, key=lambda c: (-c.total, c.pid))
    scale = (WIDTH - LEFT - 40) / total
    height = 60 + len(rows) * (BAR + GAP)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
           f'role="img" aria-labelledby="chart-title chart-desc" font-family="sans-serif" font-size="12">',
           '<title id="chart-title">Sessions attended or completed, per man</title>',
           f'<desc id="chart-desc">Each bar is one man: goal-setting 1:1, video groups, web sessions and '
           f'coaching calls, out of {total}. The table below gives the same figures.</desc>']
    x = LEFT
    for _key, name, colour in PARTS:
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="18">{_esc(name)}</text>')
        x += 16 + 8 * len(name)
    for tick in range(0, total + 1, 8):
        tx = LEFT + tick * scale
        out.append(f'<line x1="{tx:.1f}" y1="34" x2="{tx:.1f}" y2="{height - 4}" stroke="#b1b4b6"/>'
                   f'<text x="{tx:.1f}" y="32" text-anchor="middle">{tick}</text>')
    y = 40
    for c in rows:
        label = labels.get(c.pid) or c.pid
        out.append(f'<text x="{LEFT - 6}" y="{y + BAR - 4}" text-anchor="end">{_esc(label)}</text>')
        x = LEFT
        for key, name, colour in PARTS:
            n = getattr(c, key)
            if n:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{n * scale:.1f}" height="{BAR}" fill="{colour}">'
                           f'<title>{_esc(name)}: {n}</title></rect>')
                x += n * scale
        out.append(f'<text x="{x + 4:.1f}" y="{y + BAR - 4}">{c.total}</text>')
        y += BAR + GAP
    out.append("</svg>")
    return "".join(out)


def _esc(text: str) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))


def routes(console: Console) -> List[Route]:
    def load(s, person):
        content = console.content()
        men = list(s.execute(select(Participant).where(Participant.site_id == person.staff.site_id)
                             .order_by(Participant.created_at)).scalars())
        rows = attendance.counts(s, content, [p.id for p in men])
        labels = {p.id: casework.name_of(console.vault, p) for p in men}
        return content, rows, labels

    def page(request: Request) -> Response:
        with console.db.session() as s:
            person = auth.need(request, s, CASEWORKERS)
            content, rows, labels = load(s, person)
            total = attendance.total(content)
            record(s, person.staff, "view_attendance", count=len(rows))
            return console.page(request, "attendance.html", who=person, rows=rows, labels=labels, total=total,
                                svg=chart_svg(rows, labels, total) if rows else "",
                                mean=(sum(c.total for c in rows) / len(rows)) if rows else 0)

    def as_csv(request: Request) -> Response:
        with console.db.session() as s:
            person = auth.need(request, s, CASEWORKERS)
            _content, rows, _labels = load(s, person)
            record(s, person.staff, "export_attendance", count=len(rows))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(attendance.CSV_COLUMNS)
        writer.writerows(attendance.csv_rows(rows))  # pseudonymous ids only: names stay in the console
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="attendance.csv"'})

    return [Route("/attendance", page), Route("/attendance.csv", as_csv)]
