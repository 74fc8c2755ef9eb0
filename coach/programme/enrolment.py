"""Joining codes, opting out, and rate limits for people we don't know yet.

    code = issue_code(s, vault, pid)                    # printed by `coach enrol`
    result = redeem(s, vault, "K7Q2MX4P", "sms", "+447700900123")
    opt_out(s, pid, "sms_stop"); opt_in(s, pid)
    allowed(s, vault, "sms", "+44...", "join", limit=5, window=timedelta(hours=1))
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coach.core.db.models import (
    ChannelIdentity,
    EnrolmentCode,
    Participant,
    SenderCounter,
    utcnow,
)
from coach.core.identity import (
    IdentityVault,
    ensure_site,
    link_identity,
    new_participant_id,
)

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
DEFAULT_CODE_DAYS = 14

STOP_WORDS = {"stop", "stopall", "unsubscribe", "end", "quit", "cancel", "revoke", "optout", "opt out"}
START_WORDS = {"start", "unstop", "resume messages", "opt in", "optin"}
HELP_WORDS = {"help", "info"}
_STOP_FREE_TEXT = re.compile(
    r"^(?:please\s+|pls\s+|can you\s+)?(?:stop|quit|no more)\s+(?:texting|messaging|sending|contacting|txting|msging)"
    r"(?:\s+me)?(?:\s+(?:messages|texts))?(?:\s+(?:please|pls|now|thanks|ta))*$"
    r"|^(?:unsubscribe|unsub)\s+me(?:\s+please)?$"
    r"|^i\s+(?:want|wanna)\s+to\s+(?:unsubscribe|opt out|stop (?:the )?(?:texts|messages))$",
    re.I,
)


def normalise_code(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def _hash(vault: IdentityVault, code: str) -> str:
    return vault.lookup_hash("join-code", normalise_code(code))


def issue_code(s: Session, vault: IdentityVault, pid: str, days: int = DEFAULT_CODE_DAYS) -> str:
    """A new single-use code for ``pid``; older unused codes stop working."""
    for old in s.execute(select(EnrolmentCode).where(EnrolmentCode.participant_id == pid,
                                                     EnrolmentCode.used_at.is_(None))).scalars():
        old.expires_at = min(old.expires_at, utcnow())
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with s.begin_nested():
                s.add(EnrolmentCode(participant_id=pid, code_hash=_hash(vault, code),
                                    expires_at=utcnow() + timedelta(days=days)))
            return code
        except IntegrityError:  # pragma: no cover - 31^8 codes
            continue


@dataclass(frozen=True)
class Redeemed:
    ok: bool
    reason: str  # joined | wrong | expired | used
    participant_id: Optional[str] = None


def redeem(s: Session, vault: IdentityVault, code: str, channel: str, external_id: str) -> Redeemed:
    row = s.execute(select(EnrolmentCode).where(EnrolmentCode.code_hash == _hash(vault, code))).scalar_one_or_none()
    now = utcnow()
    if row is None:
        return Redeemed(False, "wrong")
    if row.used_at is not None:
        return Redeemed(False, "used")
    if row.expires_at <= now:
        return Redeemed(False, "expired")
    row.used_at, row.used_channel = now, channel
    link_identity(s, vault, row.participant_id, channel, external_id)
    return Redeemed(True, "joined", row.participant_id)


def unlink(s: Session, pid: str, channel: str) -> int:
    rows = s.execute(select(ChannelIdentity).where(ChannelIdentity.participant_id == pid,
                                                   ChannelIdentity.channel == channel)).scalars().all()
    for row in rows:
        s.delete(row)
    return len(rows)


def is_stop(text: str) -> bool:
    t = re.sub(r"[^\w\s]", "", (text or "").strip().lower())
    return t in STOP_WORDS or bool(_STOP_FREE_TEXT.match(t))


def is_start(text: str) -> bool:
    return re.sub(r"[^\w\s]", "", (text or "").strip().lower()) in START_WORDS


def is_help(text: str) -> bool:
    return re.sub(r"[^\w\s]", "", (text or "").strip().lower()) in HELP_WORDS


def join_code_in(text: str) -> Optional[str]:
    """'JOIN K7Q2MX4P', 'join k7q2-mx4p', '/start K7Q2MX4P' -> the code; None if not a join."""
    m = re.match(r"^\s*(?:join|/start)\s+([A-Za-z0-9]{4}-?[A-Za-z0-9]{4})[.!]?\s*$", text or "", re.I)
    return normalise_code(m.group(1)) if m else None


def opt_out(s: Session, pid: str, reason: str) -> bool:
    p = s.get(Participant, pid)
    if p is None or p.opted_out_at is not None:
        return False
    p.opted_out_at, p.opt_out_reason = utcnow(), reason
    return True


def opt_in(s: Session, pid: str) -> bool:
    p = s.get(Participant, pid)
    if p is None or p.opted_out_at is None:
        return False
    p.opted_out_at, p.opt_out_reason = None, None
    return True


def allowed(s: Session, vault: IdentityVault, channel: str, external_id: str, purpose: str, limit: int,
            window: timedelta, now: Optional[datetime] = None) -> bool:
    """Count one event for this sender and purpose; False once over ``limit`` in ``window``."""
    now = now or utcnow()
    key = vault.lookup_hash(f"limit-{purpose}-{channel}", external_id)
    row = s.execute(select(SenderCounter).where(SenderCounter.key == key)).scalar_one_or_none()
    if row is None:
        row = SenderCounter(key=key, window_start=now, count=0)
        s.add(row)
    if row.window_start <= now - window:
        row.window_start, row.count = now, 0
    row.count += 1
    s.flush()
    return row.count <= limit


def enrol(s: Session, site: str, start: date, is_demo: bool = False) -> Participant:
    site_row = ensure_site(s, site)
    for _ in range(20):
        pid = new_participant_id()
        if s.get(Participant, pid) is None:
            break
    else:  # pragma: no cover - 32^6 ids
        raise RuntimeError("could not find a free participant id")
    p = Participant(id=pid, site_id=site_row.id, start_date=start, is_demo=is_demo, status="active")
    s.add(p)
    s.flush()
    return p


def touch(s: Session, pid: str) -> None:
    p = s.get(Participant, pid)
    if p is not None:
        p.last_contact_at = utcnow()


@dataclass(frozen=True)
class Enrolled:
    """A participant and the joining code just issued to him (what `coach enrol` prints)."""

    participant_id: str
    site: str  # the site's code
    start_date: date
    code: str
    days: int  # until the code expires


def enrol_with_code(s: Session, vault: IdentityVault, site: str, start: date,
                    days: int = DEFAULT_CODE_DAYS) -> Enrolled:
    """Enrol a new participant at ``site`` starting on ``start`` and issue his first code."""
    return _with_code(s, vault, enrol(s, site=site, start=start), days)


def reissue_code(s: Session, vault: IdentityVault, pid: str, days: int = DEFAULT_CODE_DAYS) -> Optional[Enrolled]:
    """A new code for an existing participant (his older unused codes stop working); None if no ``pid``."""
    p = s.get(Participant, pid)
    return None if p is None else _with_code(s, vault, p, days)


def _with_code(s: Session, vault: IdentityVault, p: Participant, days: int) -> Enrolled:
    code = issue_code(s, vault, p.id, days=days)
    return Enrolled(participant_id=p.id, site=p.site.code, start_date=p.start_date, code=code, days=days)
