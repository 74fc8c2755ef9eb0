"""The brief at scale: one site of 1,000 men with 12 weeks of data each; how fast does a
facilitator's brief page render? Also the roster (all 1,000 men on one page).

Fills a throwaway SQLite app database in bulk (sessions, step progress, check-ins, answers,
goals and ratings, quiz answers, calls, groups, a few alerts), logs in as a facilitator and
requests the brief of random men through the real app (Starlette's in-process client, so
the figure is the server's work: queries, template, audit write). Prints p50/p95/max.

    .venv/bin/python scripts/bench_console.py [--men 1000] [--requests 300]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
GOAL_MS = 300


def fill(s, content, vault, men: int, rng: random.Random) -> list:
    from sqlalchemy import insert

    from coach.core.accounts import set_password
    from coach.core.db.models import (
        Alert,
        Answer,
        Attendance,
        Checkin,
        Goal,
        GoalRating,
        Participant,
        SessionProgress,
        StepProgress,
    )
    from coach.core.identity import ensure_site, new_participant_id
    from coach.programme.calendar import start_for_week
    from escalation.staff import add_staff

    site = ensure_site(s, "bench", "Bench site")
    set_password(s, add_staff(s, vault, "bench", "Fay", "facilitator"), "bench password 123", login="fay")
    today = date.today()
    start = start_for_week(content.programme, 12, today)
    now = datetime.utcnow()
    pids, people, sessions, steps, checkins, answers, goals, ratings, calls, alerts = ([] for _ in range(10))
    for i in range(men):
        pid = new_participant_id()
        pids.append(pid)
        people.append(dict(id=pid, site_id=site.id, start_date=start, status="active", is_demo=False,
                           created_at=now, last_contact_at=now - timedelta(hours=rng.randint(1, 200)),
                           name_secret=vault.encrypt(f"Man {i}")))
        for w in range(0, 13):
            flow = content.sessions.get(w)
            when = now - timedelta(days=7 * (12 - w))
            sessions.append(dict(participant_id=pid, week=w, started_at=when, last_activity_at=when,
                                 completed_at=when + timedelta(minutes=20) if rng.random() < 0.85 else None))
            checkins.append(dict(participant_id=pid, week=w, mood=rng.randint(0, 10), craving=rng.randint(0, 10),
                                 alcohol_free_days=rng.randint(0, 7), drug_free_days=rng.randint(0, 7),
                                 created_at=when, updated_at=when))
            for step in flow.steps if flow else ():
                steps.append(dict(participant_id=pid, week=w, step_id=step.id, status="done", completed_at=when))
                if step.type == "question" and step.save_as and not step.save_as.startswith("goal."):
                    answers.append(dict(participant_id=pid, week=w, step_id=step.id, name=step.save_as,
                                        text="Went for a walk when it got heated, then rang my brother.",
                                        created_at=when, updated_at=when))
                elif step.type == "quiz":
                    key = rng.choice([o.key for o in step.options])
                    right = any(o.correct and o.key == key for o in step.options)
                    answers.append(dict(participant_id=pid, week=w, step_id=step.id, name=step.id,
                                        text=f"{key} ({'right' if right else 'not right'})", created_at=when,
                                        updated_at=when))
            if w >= 1:
                calls.append(dict(participant_id=pid, kind="call", number=w, outcome="done", note="Went through it.",
                                  held_on=(when + timedelta(days=3)).date(), created_at=when + timedelta(days=3)))
        goals.append(dict(participant_id=pid, text="Take a time out instead of shouting", week_set=1, active=True,
                          created_at=now))
        if i % 20 == 0:
            alerts.append(dict(code=f"B{i:05d}"[:8], participant_id=pid, site_id=site.id, message_id=f"b{i}",
                               category="harm_to_partner", severity="high", source="detector", text="going round hers",
                               matched=[], context=[], needs_iss=True, status="open", created_at=now,
                               last_round=0, last_round_at=now))
    s.execute(insert(Participant), people)
    for model, rows in ((SessionProgress, sessions), (StepProgress, steps), (Checkin, checkins), (Answer, answers),
                        (Attendance, calls), (Alert, alerts)):
        for k in range(0, len(rows), 5000):
            s.execute(insert(model), rows[k:k + 5000])
    s.execute(insert(Goal), goals)
    goal_ids = dict((g.participant_id, g.id) for g in s.query(Goal).all())
    for pid in pids:
        ratings.extend(dict(goal_id=goal_ids[pid], participant_id=pid, week=w, rating=rng.randint(0, 10),
                            next_step="Walk away sooner", created_at=now, updated_at=now) for w in range(1, 13))
    s.execute(insert(GoalRating), ratings)
    return pids


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--men", type=int, default=1000)
    ap.add_argument("--requests", type=int, default=300)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="coach-bench-console-"))
    os.environ.update(COACH_ENV="test", COACH_HOME=str(home), DATABASE_URL=f"sqlite:///{home / 'coach.db'}",
                      COACH_CONTENT_DIR=str(ROOT / "content"))
    from starlette.testclient import TestClient

    from coach.core.db import Database
    from coach.core.identity import IdentityVault
    from coach.core.settings import get_settings
    from coach.programme.content.cache import content_cache
    from coach.web.app import create_app

    settings = get_settings()
    db = Database(settings.database_url)
    db.upgrade()
    content = content_cache(settings.content_dir).get()
    rng = random.Random(1)
    started = time.perf_counter()
    with db.session() as s:
        pids = fill(s, content, IdentityVault.from_settings(settings), args.men, rng)
    print(f"filled {args.men} men x 12 weeks in {time.perf_counter() - started:.1f} s ({home / 'coach.db'})")
    client = TestClient(create_app(settings, db), base_url="http://127.0.0.1:8000", follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"login": "fay", "password": "bench password 123", "csrf": token}
                       ).status_code == 303
    for pid in pids[:5]:  # warm up: templates compiled, caches filled
        client.get(f"/participants/{pid}")
    times = []
    for _ in range(args.requests):
        pid = rng.choice(pids)
        t = time.perf_counter()
        r = client.get(f"/participants/{pid}")
        times.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200 and "Talking points" in r.text, r.status_code
    times.sort()
    p95 = times[int(0.95 * (len(times) - 1))]
    print(f"brief page, {args.requests} requests over {args.men} men: p50 {statistics.median(times):.1f} ms, "
          f"p95 {p95:.1f} ms, max {times[-1]:.1f} ms (goal: p95 < {GOAL_MS} ms) -> {'OK' if p95 < GOAL_MS else 'SLOW'}")
    roster = []
    for _ in range(10):
        t = time.perf_counter()
        assert client.get("/participants").status_code == 200
        roster.append((time.perf_counter() - t) * 1000)
    print(f"roster page ({args.men} men): median {statistics.median(roster):.0f} ms")
    t = time.perf_counter()
    assert client.get("/attendance").status_code == 200
    print(f"attendance page ({args.men} men): {(time.perf_counter() - t) * 1000:.0f} ms")
    return 0 if p95 < GOAL_MS else 1


if __name__ == "__main__":
    sys.exit(main())
