"""Staff log-ins for the console: argon2 password hashes, lockout, server-side sessions, audit.

- ``set_password`` / ``check_login``: argon2id (argon2-cffi, its recommended parameters).
  After ``MAX_FAILURES`` wrong passwords in a row the log-in is locked for ``LOCKOUT``; a
  locked log-in says so and when it opens again, and the right password does not open it
  early. An unknown log-in costs the same hash time as a known one.
- ``open_session`` / ``session_for`` / ``close_session``: the cookie holds a random token;
  the database holds only its SHA-256, with a CSRF token and an expiry (idle and absolute).
- ``record``: one line in the audit log (who, what, when, about whom).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coach.core.db.models import AuditEntry, Staff, StaffSession, utcnow

ROLES = ("facilitator", "iss", "supervisor")
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IDLE = timedelta(hours=2)
LONGEST = timedelta(hours=12)
MIN_PASSWORD = 10

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to check unknown log-ins against (the same time as a real one). Made on first
    use, not at import: the Rasa process and every `coach` command import this module."""
    return _hasher.hash("not a real password, only to spend the same time")


class AccountError(ValueError):
    """Why a log-in or password change was refused; the message says what to do."""


def set_password(s: Session, staff: Staff, password: str, login: Optional[str] = None) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    if login is not None:
        login = login.strip().lower()
        if not login or len(login) > 80 or any(c.isspace() for c in login):
            raise AccountError("the log-in must be one word, like 'jsmith' or an email address")
        other = s.execute(select(Staff).where(Staff.login == login, Staff.id != staff.id)).scalar_one_or_none()
        if other is not None:
            raise AccountError(f"the log-in {login!r} is taken (staff {other.id})")
        staff.login = login
    if not staff.login:
        raise AccountError("give them a log-in first (--login)")
    staff.password_hash = _hasher.hash(password)
    staff.failed_logins = 0
    staff.locked_until = None
    s.execute(delete(StaffSession).where(StaffSession.staff_id == staff.id))  # a new password ends old sessions


@dataclass
class LoginResult:
    staff: Optional[Staff]
    problem: Optional[str] = None  # what to tell the person at the log-in page


def check_login(s: Session, login: str, password: str, now: Optional[datetime] = None) -> LoginResult:
    now = now or utcnow()
    login = (login or "").strip().lower()
    staff = s.execute(select(Staff).where(Staff.login == login)).scalar_one_or_none() if login else None
    wrong = "That log-in and password don't match. Check them and try again."
    if staff is None or not staff.password_hash or not staff.active:
        try:
            _hasher.verify(_dummy_hash(), password or "")
        except VerificationError:
            pass
        record(s, None, "login_failed", detail={"login": login[:80]})
        return LoginResult(None, wrong)
    if staff.locked_until and staff.locked_until > now:
        record(s, staff, "login_locked")
        minutes = max(1, int((staff.locked_until - now).total_seconds() // 60) + 1)
        return LoginResult(None, f"Too many wrong passwords: this log-in is locked for {minutes} more minutes. "
                                 "Ask a supervisor if you need in sooner.")
    try:
        _hasher.verify(staff.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        staff.failed_logins = (staff.failed_logins or 0) + 1
        if staff.failed_logins >= MAX_FAILURES:
            staff.locked_until = now + LOCKOUT
            staff.failed_logins = 0
            record(s, staff, "login_lockout", detail={"minutes": int(LOCKOUT.total_seconds() // 60)})
        else:
            record(s, staff, "login_failed")
        return LoginResult(None, wrong)
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = _hasher.hash(password)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    record(s, staff, "login")
    return LoginResult(staff)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(s: Session, staff: Staff, now: Optional[datetime] = None) -> str:
    """A new session; returns the token for the cookie (only its hash is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    s.add(StaffSession(token_hash=_digest(token), staff_id=staff.id, csrf=secrets.token_urlsafe(24),
                       created_at=now, last_seen_at=now, expires_at=now + LONGEST))
    s.flush()
    return token


def session_for(s: Session, token: Optional[str], now: Optional[datetime] = None) -> Optional[StaffSession]:
    """The live session for this cookie, or None (unknown, expired, idle too long, staff inactive)."""
    if not token or len(token) > 100:
        return None
    now = now or utcnow()
    row = s.get(StaffSession, _digest(token))
    if row is None:
        return None
    if row.expires_at <= now or row.last_seen_at + IDLE <= now or not row.staff.active:
        s.delete(row)
        return None
    row.last_seen_at = now
    return row


def close_session(s: Session, token: Optional[str]) -> None:
    if token:
        s.execute(delete(StaffSession).where(StaffSession.token_hash == _digest(token)))


def record(s: Session, staff: Optional[Staff], action: str, participant_id: Optional[str] = None,
           alert_id: Optional[int] = None, actor: Optional[str] = None, site_id: Optional[int] = None,
           detail: Optional[dict] = None, **more: Any) -> AuditEntry:
    """One audit line. ``staff`` None with no ``actor`` is the CLI."""
    entry = AuditEntry(staff_id=staff.id if staff else None,
                       actor=actor or (f"staff:{staff.id}" if staff else "cli"),
                       site_id=site_id if site_id is not None else (staff.site_id if staff else None),
                       action=action, participant_id=participant_id, alert_id=alert_id,
                       detail={**(detail or {}), **more}, at=utcnow())
    s.add(entry)
    return entry
