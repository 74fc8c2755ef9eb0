"""The contract between senders and whoever decides what to do next: SendError's kinds."""

from __future__ import annotations

import pytest

from coach.core.notify import KINDS, SendError


def test_the_three_kinds():
    assert KINDS == ("retry", "permanent", "in_doubt")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_accepted(kind):
    exc = SendError("boom", kind)
    assert exc.kind == kind and str(exc) == "boom" and isinstance(exc, Exception)
    assert exc.retry_after is None and exc.blocked is False


@pytest.mark.parametrize("kind", ["", "Retry", "failed", "blocked", None])
def test_an_unknown_kind_is_refused(kind):
    with pytest.raises(ValueError, match="kind must be one of"):
        SendError("boom", kind)


def test_defaults_to_retry():
    assert SendError("boom").kind == "retry"


def test_retry_after_and_blocked_are_carried():
    exc = SendError("slow down", "retry", retry_after=2.5)
    assert exc.retry_after == 2.5
    blocked = SendError("he blocked the bot", "permanent", blocked=True)
    assert blocked.blocked and blocked.kind == "permanent"


def test_it_can_be_raised_and_caught_as_an_exception():
    with pytest.raises(SendError) as info:
        raise SendError("gone?", "in_doubt")
    assert info.value.kind == "in_doubt"
