"""Rasa's API token joins its arguments inside the process, never on the command line."""

from __future__ import annotations

from bot.serve import rasa_argv


def test_the_token_comes_from_the_environment():
    argv = rasa_argv(["run", "--enable-api", "--port", "5005"], {"RASA_AUTH_TOKEN": "-s3cret"})
    assert argv == ["rasa", "run", "--enable-api", "--port", "5005", "--auth-token=-s3cret"]


def test_no_api_or_no_token_adds_nothing_and_a_given_token_is_kept():
    assert rasa_argv(["run"], {"RASA_AUTH_TOKEN": "x"}) == ["rasa", "run"]
    assert rasa_argv(["run", "--enable-api"], {}) == ["rasa", "run", "--enable-api"]
    assert rasa_argv(["run", "--enable-api", "--auth-token=a"], {"RASA_AUTH_TOKEN": "b"})[-1] == "--auth-token=a"
