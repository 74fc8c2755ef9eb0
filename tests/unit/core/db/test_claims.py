"""Claiming due rows: what both outboxes (alerts, the weekly schedule) stand on.

A row is worked on by exactly one process: only pending rows that match are claimed, each
by one token, and two claimers at the same moment never get the same row.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from coach.core.db import Database
from coach.core.db.claims import claim_due
from coach.core.db.models import ScheduledMessage
from coach.programme.enrolment import enrol

NOW = datetime(2026, 3, 2, 18, 0, 0)


def add_rows(db: Database, n: int, status: str = "pending", due: datetime = NOW, kind: str = "session_open") -> list:
    with db.session() as s:
        pid = enrol(s, site="north", start=date(2026, 1, 5)).id
        rows = [ScheduledMessage(participant_id=pid, kind=kind, week=w, due_at=due, status=status,
                                 next_attempt_at=due) for w in range(1, n + 1)]
        s.add_all(rows)
        s.flush()
        return [r.id for r in rows]


def claim(db, limit=10, now=NOW, *where):
    return claim_due(db, ScheduledMessage, ScheduledMessage.next_attempt_at <= now, *where,
                     order_by=[ScheduledMessage.id], limit=limit, now=now)


def row(db, rid) -> ScheduledMessage:
    with db.session() as s:
        return s.get(ScheduledMessage, rid)


def test_nothing_due_gives_no_ids_and_still_a_token(app):
    ids, token = claim(app.db)
    assert ids == [] and isinstance(token, str) and len(token) == 16
    int(token, 16)  # hex


def test_pending_due_rows_are_claimed_in_order_with_the_token(app):
    ids = add_rows(app.db, 3)
    claimed, token = claim(app.db)
    assert claimed == ids
    for rid in ids:
        r = row(app.db, rid)
        assert (r.status, r.claim_token, r.claimed_at, r.attempts) == ("claimed", token, NOW, 1)


def test_only_pending_rows_that_match_are_claimed(app):
    due = add_rows(app.db, 2)
    later = add_rows(app.db, 2, due=NOW + timedelta(hours=1), kind="follow_up")
    done = add_rows(app.db, 1, status="sent", kind="booster")
    in_doubt = add_rows(app.db, 1, status="in_doubt", kind="coaching_call")
    claimed, _ = claim(app.db)
    assert claimed == due
    for rid in later + done + in_doubt:
        assert row(app.db, rid).claim_token is None
    assert row(app.db, done[0]).status == "sent" and row(app.db, in_doubt[0]).status == "in_doubt"
    # an extra condition narrows it further
    more = add_rows(app.db, 2, kind="pick_up")
    claimed, _ = claim(app.db, 10, NOW, ScheduledMessage.kind == "pick_up")
    assert claimed == more


def test_the_limit_is_respected_and_the_rest_wait_for_the_next_claim(app):
    ids = add_rows(app.db, 5)
    first, t1 = claim(app.db, limit=2)
    second, t2 = claim(app.db, limit=2)
    third, t3 = claim(app.db, limit=2)
    assert (first, second, third) == (ids[:2], ids[2:4], ids[4:])
    assert len({t1, t2, t3}) == 3
    assert claim(app.db)[0] == []


def test_a_row_claimed_again_after_going_back_to_pending_counts_another_attempt(app):
    [rid] = add_rows(app.db, 1)
    claim(app.db)
    with app.db.session() as s:
        s.get(ScheduledMessage, rid).status = "pending"  # e.g. a retry with backoff
    _, token = claim(app.db)
    r = row(app.db, rid)
    assert r.attempts == 2 and r.claim_token == token


def pending(db: Database) -> int:
    with db.session() as s:
        return len(s.execute(select(ScheduledMessage.id).where(ScheduledMessage.status == "pending")).all())


def claim_concurrently(db: Database, workers: int, limit: int, max_rounds: int = 200) -> list:
    """Each worker claims until nothing is pending, all starting together; returns each claim's ids.

    (A claimer that loses a race gets fewer rows than it asked for, even none, while rows are
    still pending: they are the next claim's.)"""
    barrier = threading.Barrier(workers)
    results, errors = [], []
    lock = threading.Lock()

    def work():
        try:
            barrier.wait(timeout=10)
            for _ in range(max_rounds):
                ids, _token = claim(db, limit=limit)
                with lock:
                    results.append(ids)
                if not ids and not pending(db):
                    return
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a claimer hung"
    assert errors == []
    return results


def check_no_row_twice(db: Database, ids: list, results: list) -> None:
    claimed = [i for batch in results for i in batch]
    assert len(claimed) == len(set(claimed)), "a row was claimed twice"
    assert sorted(claimed) == sorted(ids)  # and nothing was lost
    with db.session() as s:
        rows = s.execute(select(ScheduledMessage)).scalars().all()
        assert all(r.status == "claimed" and r.attempts == 1 for r in rows)
        by_token = {}
        for r in rows:
            by_token.setdefault(r.claim_token, set()).add(r.id)
    assert sorted(map(sorted, by_token.values())) == sorted(sorted(b) for b in results if b)


def test_two_concurrent_claimers_never_get_the_same_row(app):
    ids = add_rows(app.db, 40)
    results = claim_concurrently(app.db, workers=4, limit=3)
    check_no_row_twice(app.db, ids, results)


@pytest.mark.slow
def test_concurrent_claimers_on_postgresql_skip_each_others_rows(postgres_url):
    db = Database(postgres_url)
    db.upgrade()
    with db.session() as s:
        s.execute(ScheduledMessage.__table__.delete())
    ids = add_rows(db, 40)
    try:
        results = claim_concurrently(db, workers=4, limit=3)
        check_no_row_twice(db, ids, results)
    finally:
        with db.session() as s:
            s.execute(ScheduledMessage.__table__.delete())
