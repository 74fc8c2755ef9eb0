"""The Rasa action-response check is as strict after the speed-up as before it."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import rasa_patches

GOOD = {"events": [{"event": "slot", "name": "x", "value": 1}], "responses": [{"text": "hi"}]}
BAD = [{"events": "not a list"}, {"events": [{"no_event_key": 1}]}, {"responses": [{"text": 5}], "events": 7}]


def original(result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("result", [GOOD, {}, {"events": [], "responses": []}])
def test_accepts_what_rasa_accepts(result):
    original(result)
    assert rasa_patches._validate_action_result(None, result) is True


@pytest.mark.parametrize("result", BAD)
def test_rejects_what_rasa_rejects(result):
    with pytest.raises(jsonschema.ValidationError):
        original(result)
    with pytest.raises(jsonschema.ValidationError) as caught:
        rasa_patches._validate_action_result(None, result)
    assert "Failed to validate Action server response" in caught.value.message


def test_applied_when_the_channels_load():
    import bot.channels  # noqa: F401

    assert RemoteAction._validate_action_result is rasa_patches._validate_action_result
