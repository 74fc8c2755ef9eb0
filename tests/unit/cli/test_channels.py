"""`coach unlink` and `coach telegram set-webhook`."""

from __future__ import annotations

from datetime import date

from coach.core.identity import IdentityVault, link_identity
from coach.programme.enrolment import enrol


def test_unlink(cli, app):
    vault = IdentityVault.from_settings(app.settings)
    with app.db.session() as s:
        pid = enrol(s, "north", date(2026, 3, 2)).id
        link_identity(s, vault, pid, "sms", "+447700900999")
    assert cli("unlink", pid, "--channel", "sms") == (
        0, f"Unlinked {pid} from sms. Give him a new code (coach enrol --participant) to link again.\n", "")
    assert cli("unlink", pid, "--channel", "sms") == (1, "", f"coach: {pid} has no sms link\n")
    assert cli("unlink", "P-NOPE00", "--channel", "telegram") == (1, "", "coach: P-NOPE00 has no telegram link\n")


def test_set_webhook_needs_the_secret(cli):
    assert cli("telegram", "set-webhook") == (
        1, "", "coach: could not set the webhook: set TELEGRAM_WEBHOOK_SECRET first "
               "(1-256 characters: A-Z a-z 0-9 _ -)\n")


def test_set_webhook(cli, monkeypatch):
    import coach.messaging.telegram as telegram

    async def set_webhook(settings, url=None):
        return url or "https://coach.example/webhooks/telegram/webhook"

    monkeypatch.setattr(telegram, "set_webhook", set_webhook)
    assert cli("telegram", "set-webhook") == (
        0, "Telegram will send updates to https://coach.example/webhooks/telegram/webhook "
           "(with the secret token).\n", "")
    assert cli("telegram", "set-webhook", "--url", "https://other.example/hook")[1].startswith(
        "Telegram will send updates to https://other.example/hook ")
