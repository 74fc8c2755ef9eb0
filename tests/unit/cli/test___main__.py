"""`coach` / `python -m coach.cli`: every command group is there, in order; errors map to exit codes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.unit.cli.conftest import ROOT

COMMANDS = ["db", "content", "train", "test", "up", "chat", "demo", "web", "worker", "staff", "alerts", "checks",
            "risk", "enrol", "participants", "site", "unlink", "telegram", "settings", "report"]


def test_python_dash_m_lists_every_command_in_order():
    result = subprocess.run([sys.executable, "-m", "coach.cli", "--help"], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: coach [-h] COMMAND ...\n\nADVANCE-D digital coach\n")
    listed = re.findall(r"^    (\S+)", result.stdout, re.M)
    assert listed == COMMANDS


def test_the_parser_knows_every_subcommand():
    from coach.cli import build_parser

    parser = build_parser()
    for argv in (["db", "upgrade"], ["content", "preview", "1"], ["test", "stories", "--safety"],
                 ["staff", "rota", "--site", "n"],
                 ["alerts", "ack", "K7Q2MX"], ["risk", "eval", "f.jsonl"], ["site", "groups", "--site", "n"],
                 ["telegram", "set-webhook"], ["settings", "example"], ["report", "completion"],
                 ["unlink", "P-1", "--channel", "sms"]):
        assert callable(parser.parse_args(argv).func), argv


def test_a_group_without_a_subcommand_is_a_usage_error(cli, capsys):
    with pytest.raises(SystemExit) as exc:
        cli("staff")
    assert exc.value.code == 2
    assert "coach staff: error: the following arguments are required: SUBCOMMAND" in capsys.readouterr().err


def test_a_setting_problem_exits_1(cli, monkeypatch):
    from coach.core.settings import reset_settings_cache

    monkeypatch.setenv("RASA_PORT", "abc")
    reset_settings_cache()
    code, out, err = cli("db", "upgrade")
    assert (code, out) == (1, "")
    assert err == "coach: setting problem: RASA_PORT must be a whole number, got 'abc'\n"


def test_ctrl_c_exits_130(cli, monkeypatch):
    from coach.cli import settings as settings_commands

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(settings_commands, "cmd_settings_example", interrupted)
    assert cli("settings", "example")[0] == 130
