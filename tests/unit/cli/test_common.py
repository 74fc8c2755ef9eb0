"""`coach.cli.common`: what the command groups share."""

from __future__ import annotations

import argparse

import pytest

from coach.cli.common import db, fail, group, load_or_report, safe_url, settings, vault
from tests.unit.cli.conftest import break_content


def test_fail_says_why_on_stderr(capsys):
    assert fail("no such thing") == 1
    assert fail("usage", code=2) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", "coach: no such thing\ncoach: usage\n")


def test_safe_url_hides_the_password():
    assert safe_url("postgresql://coach:s3cret@db.local:5432/coach") == "postgresql://coach:***@db.local:5432/coach"
    assert safe_url("sqlite:////tmp/x/coach.db") == "sqlite:////tmp/x/coach.db"


def test_settings_database_and_vault_come_from_the_environment(app):
    assert settings().database_url == app.url
    assert db().url == app.url
    assert vault().lookup_hash("sms", "+447700900123") == vault().lookup_hash("sms", "+447700900123")


def test_group_needs_a_subcommand(capsys):
    parser = argparse.ArgumentParser(prog="coach")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands = group(sub, "things", "some things")
    commands.add_parser("list").set_defaults(func="listed")
    assert parser.parse_args(["things", "list"]).func == "listed"
    assert parser.parse_args(["things", "list"]).things_command == "list"
    assert "things" in parser.format_help() and "some things" in parser.format_help()
    assert parser.parse_args(["things", "list"]).command == "things"
    with pytest.raises(SystemExit):
        parser.parse_args(["things"])
    assert "the following arguments are required: SUBCOMMAND" in capsys.readouterr().err


def test_load_or_report_good_content(private, capsys):
    content = load_or_report(with_lexicon=True)
    assert content is not None and content.sessions
    assert capsys.readouterr().err == ""


def test_load_or_report_bad_content(private, capsys):
    break_content(private.content)
    assert load_or_report() is None
    err = capsys.readouterr().err
    assert "messages.yml:36: message 'skipped' uses" in err
    assert err.endswith("\nContent has problems; fix them first (coach content check).\n")


def test_load_or_report_bad_lexicon(private, capsys):
    lexicon = private.content / "safety" / "lexicon.yml"
    lexicon.write_text(lexicon.read_text(encoding="utf-8") + "\nnot: [valid\n", encoding="utf-8")
    assert load_or_report() is not None  # the lexicon is only checked when asked
    assert load_or_report(with_lexicon=True) is None
    assert capsys.readouterr().err.endswith(
        "\nThe risk lexicon or the risk model's data has problems; fix them first (coach content check).\n")
