"""One provider update reduced to what the coach needs, and which of them are read for risk."""

from __future__ import annotations

import dataclasses

import pytest

from coach.messaging.inbound import KINDS, BadRequest, Inbound


@pytest.mark.parametrize("kind,text,read", [
    ("text", "i want to end it", True),
    ("button", "yes", True),
    ("edited", "changed my mind", True),
    ("text", "", False),
    ("text", "   \n", False),
    ("non_text", "", False),
    ("blocked", "", False),
    ("unblocked", "", False),
    ("ignore", "group chat words", False),
])
def test_what_is_read_for_risk(kind, text, read):
    assert Inbound("1", "42", kind, text).has_text is read


def test_the_kinds():
    assert KINDS == ("text", "button", "non_text", "edited", "blocked", "unblocked", "ignore")


def test_an_update_cannot_be_changed_once_parsed():
    inbound = Inbound("1", "42", "text", "hi")
    with pytest.raises(dataclasses.FrozenInstanceError):
        inbound.text = "something else"  # type: ignore[misc]


def test_defaults():
    inbound = Inbound("8812", "42", "blocked")
    assert (inbound.text, inbound.callback_id, inbound.message_ref) == ("", None, None)


def test_a_bad_request_is_a_value_error_with_a_message():
    exc = BadRequest("MessageSid is missing")
    assert isinstance(exc, ValueError) and str(exc) == "MessageSid is missing"
