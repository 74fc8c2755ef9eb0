"""`coach settings example`."""

from __future__ import annotations

from coach.core.settings import env_example


def test_example_is_every_setting(cli):
    code, out, err = cli("settings", "example")
    assert (code, out, err) == (0, env_example(), "")
    assert "DATABASE_URL" in out and "TELEGRAM_WEBHOOK_SECRET=" in out
