"""Joining codes, STOP/START words, and rate limits for senders we don't know."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from coach.core.db.models import ChannelIdentity, EnrolmentCode, SenderCounter
from coach.core.identity import IdentityVault, find_participant
from coach.programme.enrolment import (
    allowed,
    enrol,
    is_help,
    is_start,
    is_stop,
    issue_code,
    join_code_in,
    redeem,
)
from tests.conftest import db_session


@pytest.fixture
def vault(app):
    return IdentityVault.from_settings(app.settings)


def test_a_code_links_once_and_only_once(app, vault):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 1, 5)).id
        code = issue_code(s, vault, pid)
    with db_session() as s:
        assert redeem(s, vault, code.lower(), "sms", "+447700900123").participant_id == pid
        assert redeem(s, vault, code, "telegram", "42").reason == "used"
        assert redeem(s, vault, "ZZZZZZZZ", "telegram", "42").reason == "wrong"
        assert find_participant(s, vault, "sms", "+447700900123").id == pid
        # only the hash of the code and of the number are stored
        stored = [r.lookup_hash for r in s.execute(select(ChannelIdentity)).scalars()]
        assert "+447700900123" not in " ".join(stored)
        assert code not in " ".join(r.code_hash for r in s.execute(select(EnrolmentCode)).scalars())


def test_codes_expire_and_a_new_code_replaces_the_old(app, vault):
    with db_session() as s:
        pid = enrol(s, site="north", start=date(2026, 1, 5)).id
        old = issue_code(s, vault, pid)
        new = issue_code(s, vault, pid)
    with db_session() as s:
        assert redeem(s, vault, old, "sms", "+447700900124").reason == "expired"
        row = s.execute(select(EnrolmentCode).where(EnrolmentCode.used_at.is_(None),
                                                    EnrolmentCode.expires_at > date(2000, 1, 1))).scalars().all()
        for r in row:
            r.expires_at = r.expires_at - timedelta(days=30)
    with db_session() as s:
        assert redeem(s, vault, new, "sms", "+447700900124").reason == "expired"


@pytest.mark.parametrize("text", ["STOP", "stop", "Stop.", "STOPALL", "unsubscribe", "END", "quit", "cancel",
                                  "stop texting me", "please stop messaging me", "Stop sending me messages",
                                  "unsubscribe me", "I want to unsubscribe"])
def test_stop_words(text):
    assert is_stop(text)


@pytest.mark.parametrize("text", ["stop it", "I want to stop drinking", "don't stop", "the end of the week",
                                  "i quit smoking", "stop being jealous"])
def test_not_stop(text):
    assert not is_stop(text)


def test_start_help_and_join():
    assert is_start("START") and is_start("unstop") and not is_start("start my session")
    assert is_help("HELP") and not is_help("help me calm down")
    assert join_code_in("JOIN k7q2-mx4p") == "K7Q2MX4P" and join_code_in("/start K7Q2MX4P") == "K7Q2MX4P"
    assert join_code_in("join the group") is None and join_code_in("hi") is None


def test_rate_limit_counts_only_a_keyed_hash(app, vault):
    with db_session() as s:
        results = [allowed(s, vault, "sms", "+447700900999", "join", 5, timedelta(hours=1)) for _ in range(7)]
        assert results == [True] * 5 + [False, False]
        keys = [r.key for r in s.execute(select(SenderCounter)).scalars()]
        assert all("+44" not in k for k in keys)
