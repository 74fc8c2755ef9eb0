"""`coach staff add|update|list|rota`: what facilitators' managers type, and what they see."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.safety  # who gets risk alerts


@pytest.fixture
def team(cli):
    assert cli("staff", "add", "--site", "north", "--name", "Fay", "--role", "facilitator",
               "--telegram-chat-id", "123456789")[0] == 0
    assert cli("staff", "add", "--site", "north", "--name", "Sam", "--role", "facilitator", "--phone", "+447700900123",
               "--notify", "sms")[0] == 0
    assert cli("staff", "add", "--site", "north", "--name", "Isla", "--role", "iss", "--phone", "+447700900456")[0] == 0


def test_add(cli):
    assert cli("staff", "add", "--site", "north", "--name", "Fay", "--role", "facilitator",
               "--telegram-chat-id", "123456789") == (0, "Added staff 1: Fay (facilitator, site north).\n", "")


def test_add_without_contacts_warns(cli):
    code, out, _ = cli("staff", "add", "--site", "north", "--name", "Ola", "--role", "supervisor")
    assert (code, out) == (0, "Added staff 1: Ola (supervisor, site north).\n"
                              "Warning: no Telegram chat or phone, so alerts can't reach them. "
                              "Use `coach staff update`.\n")


def test_add_refuses_bad_or_shared_contacts(cli, team):
    assert cli("staff", "add", "--site", "south", "--name", "Bad", "--role", "facilitator", "--phone", "0770") == (
        1, "", "coach: phone must be in international form like +447700900123, got '0770'\n")
    assert cli("staff", "add", "--site", "south", "--name", "Dup", "--role", "facilitator",
               "--telegram-chat-id", "123456789") == (
        1, "", "coach: that Telegram chat already belongs to staff 1 (Fay)\n")


def test_list(cli, team):
    assert cli("staff", "list") == (0, (
        "   1  north      facilitator  Fay                      notify: telegram\n"
        "   2  north      facilitator  Sam                      notify: sms\n"
        "   3  north      iss          Isla                     notify: sms\n"), "")
    assert cli("staff", "list", "--site", "south") == (0, "No staff yet. Add some with `coach staff add`.\n", "")


def test_update(cli, team):
    assert cli("staff", "update", "1", "--phone", "+447700900999", "--notify", "telegram,sms", "--name", "Fay B") == (
        0, "   1  north      facilitator  Fay B                    notify: telegram+sms\n", "")
    assert cli("staff", "update", "2", "--deactivate") == (
        0, "   2  north      facilitator  Sam                      notify: sms  (inactive)\n", "")
    assert cli("staff", "update", "2", "--activate")[1].endswith("notify: sms\n")


def test_update_errors(cli, team):
    assert cli("staff", "update", "99") == (1, "", "coach: no staff 99; see `coach staff list`\n")
    assert cli("staff", "update", "1", "--notify", "sms") == (1, "", "coach: to notify by SMS, give --phone\n")
    assert cli("staff", "list")[1].splitlines()[0].endswith("notify: telegram")  # nothing changed


def test_rota(cli, team):
    assert cli("staff", "rota", "--site", "north") == (
        0, "No rota for site north: alerts go to every active facilitator (and ISS worker) there.\n", "")
    assert cli("staff", "rota", "--site", "north", "--role", "facilitator", "2", "1") == (
        0, "facilitator   1. Sam (staff 2)  [always]\nfacilitator   2. Fay (staff 1)  [always]\n", "")
    code, out, _ = cli("staff", "rota", "--site", "north", "--role", "iss", "3", "--from", "2026-03-07T17:00",
                       "--until", "2026-07-09T09:00")
    assert code == 0
    assert out.splitlines()[-1] == "iss           1. Isla (staff 3)  [2026-03-07 17:00:00 to 2026-07-09 08:00:00 UTC]"


def test_rota_errors(cli, team):
    assert cli("staff", "rota", "--site", "north", "3") == (
        1, "", "coach: staff 3 (Isla) is a iss, not a facilitator\n")
    assert cli("staff", "rota", "--site", "nowhere", "1") == (
        1, "", "coach: no site 'nowhere'; add staff to it first\n")


def test_uk_time():
    from datetime import datetime

    from coach.cli.staff import uk_time

    assert uk_time(None) is None and uk_time("") is None
    assert uk_time("2026-01-07T17:00") == datetime(2026, 1, 7, 17, 0)  # GMT
    assert uk_time("2026-07-07T17:00") == datetime(2026, 7, 7, 16, 0)  # BST
    assert uk_time("2026-07-07T17:00+00:00") == datetime(2026, 7, 7, 17, 0)


def test_a_rota_time_that_is_not_a_time_gets_a_clear_answer(cli):
    code, out, err = cli("staff", "rota", "--site", "north", "--from", "next tuesday")
    assert code == 1 and out == "" and "UK times like 2026-03-07T17:00" in err


def test_console_log_ins_never_take_the_password_on_the_command_line(cli):
    code, out, err = cli("staff", "add", "--site", "north", "--name", "Ola", "--role", "supervisor",
                         "--login", "ola", "--password-stdin", stdin="a long supervisor password\n")
    assert code == 0 and "log in to the console as 'ola'" in out
    assert cli("staff", "password", "ola", "--password-stdin", stdin="short\n")[2].count("10 characters") == 1
    code, out, _ = cli("staff", "password", "1", "--login", "ola.b", "--password-stdin", stdin="another long one!!\n")
    assert code == 0 and "'ola.b'" in out
    assert "login: ola.b" in cli("staff", "list")[1]
    assert cli("staff", "password", "nobody", "--password-stdin", stdin="x" * 12)[0] == 1

    from coach.core.accounts import check_login
    from tests.conftest import db_session

    with db_session() as s:
        assert check_login(s, "ola.b", "another long one!!").staff is not None
