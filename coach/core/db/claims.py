"""Claiming due rows for one process: the mechanism both outboxes (alerts, the schedule) use.

Rows with ``status == "pending"`` that match are marked ``claimed`` with a fresh token in
one committed UPDATE; only the process holding the token works on them. On PostgreSQL the
SELECT uses ``FOR UPDATE SKIP LOCKED``, so several workers never wait for or share a row;
on SQLite the single writer and the ``status == "pending"`` re-check give the same result.

    ids, token = claim_due(db, AlertNotification, AlertNotification.next_attempt_at <= now,
                           order_by=[AlertNotification.id], limit=10, now=now)
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import List, Sequence, Tuple

from sqlalchemy import select, update

from coach.core.db.engine import Database


def claim_due(db: Database, model, *where, order_by: Sequence, limit: int, now: datetime) -> Tuple[List[int], str]:
    """Claim up to ``limit`` pending rows of ``model`` matching ``where``: (their ids, the token).

    One transaction: the ids are selected (skipping rows other workers hold locked), marked
    claimed with this call's token, and read back as exactly the rows this token now holds.
    """
    token = secrets.token_hex(8)
    with db.session() as s:
        q = select(model.id).where(model.status == "pending", *where).order_by(*order_by).limit(limit)
        if s.bind.dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        ids = s.execute(q).scalars().all()
        if not ids:
            return [], token
        s.execute(update(model).where(model.id.in_(ids), model.status == "pending")
                  .values(status="claimed", claim_token=token, claimed_at=now, attempts=model.attempts + 1)
                  .execution_options(synchronize_session=False))
        mine = s.execute(select(model.id).where(model.claim_token == token, model.status == "claimed")).scalars()
        return list(mine), token
