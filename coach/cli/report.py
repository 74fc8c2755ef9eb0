"""`coach report completion`: reports for facilitators, as CSV on stdout."""

from __future__ import annotations

import csv
import sys

from coach.cli.common import db, group, load_or_report

COMPLETION_COLUMNS = ["participant", "site", "week", "title", "started", "completed", "steps_done", "steps_total"]


def register(sub) -> None:
    report = group(sub, "report", "reports for facilitators (CSV)", metavar="REPORT")
    report.add_parser("completion", help="participant, week, started, completed, steps done").set_defaults(
        func=cmd_report_completion)


def cmd_report_completion(args) -> int:
    from coach.programme.reports import completion_rows

    content = load_or_report()
    if content is None:
        return 1
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COMPLETION_COLUMNS)
    for row in completion_rows(db(), content):
        writer.writerow(row)
    return 0
