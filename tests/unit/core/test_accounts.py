"""Passwords, lockout and sessions, on a real app database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from coach.core.accounts import (
    IDLE,
    LOCKOUT,
    LONGEST,
    MAX_FAILURES,
    AccountError,
    check_login,
    open_session,
    session_for,
    set_password,
)
from coach.core.db.models import Staff, StaffSession
from coach.core.identity import IdentityVault
from escalation.staff import add_staff
from tests.conftest import db_session

T0 = datetime(2026, 11, 27, 9, 0)


@pytest.fixture
def fay(app):
    with db_session() as s:
        p = add_staff(s, IdentityVault.from_settings(app.settings), "north", "Fay", "facilitator")
        set_password(s, p, "a long enough password", login="Fay")
        return p.id


def test_passwords_are_argon2_hashes_and_short_ones_are_refused(fay):
    with db_session() as s:
        staff = s.get(Staff, fay)
        assert staff.login == "fay" and staff.password_hash.startswith("$argon2id$")
        with pytest.raises(AccountError, match="10 characters"):
            set_password(s, staff, "short")


def test_a_log_in_name_belongs_to_one_person(app, fay):
    with db_session() as s:
        other = add_staff(s, IdentityVault.from_settings(app.settings), "north", "Sam", "facilitator")
        with pytest.raises(AccountError, match="taken"):
            set_password(s, other, "another long password", login="fay")


def test_lockout_opens_again_after_the_wait(fay):
    with db_session() as s:
        for _ in range(MAX_FAILURES):
            assert check_login(s, "fay", "wrong password", now=T0).staff is None
        locked = check_login(s, "fay", "a long enough password", now=T0 + timedelta(minutes=1))
        assert locked.staff is None and "locked" in locked.problem
        assert check_login(s, "fay", "a long enough password", now=T0 + LOCKOUT + timedelta(seconds=1)).staff


def test_sessions_end_when_idle_or_too_old_and_only_a_hash_is_stored(fay):
    with db_session() as s:
        staff = s.get(Staff, fay)
        token = open_session(s, staff, now=T0)
        assert s.get(StaffSession, token) is None  # the token itself is not a key
        assert session_for(s, token, now=T0 + IDLE - timedelta(minutes=1)) is not None
        assert session_for(s, token, now=T0 + IDLE * 2) is None  # idle too long: gone
        token = open_session(s, staff, now=T0)
        now = T0
        while now < T0 + LONGEST - IDLE:
            now += IDLE / 2
            assert session_for(s, token, now=now) is not None
        assert session_for(s, token, now=T0 + LONGEST) is None
        assert session_for(s, "x" * 500) is None


def test_an_inactive_staff_member_cannot_log_in(fay):
    with db_session() as s:
        s.get(Staff, fay).active = False
    with db_session() as s:
        assert check_login(s, "fay", "a long enough password").staff is None
