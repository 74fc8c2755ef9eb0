"""`coach telegram set-webhook` registers our URL with the secret token (fake Bot API on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from coach.messaging.telegram import set_webhook
from tests.fakes.telegram_api import FakeTelegramAPI


def test_set_webhook_registers_url_and_secret(app):
    with FakeTelegramAPI() as fake:
        settings = dataclasses.replace(app.settings, telegram_bot_token="123:ABC", telegram_webhook_secret="s3cret_-",
                                       telegram_api_base=f"{fake.url}/bot", public_base_url="http://127.0.0.1:5005")
        url = asyncio.run(set_webhook(settings))
        assert url == "http://127.0.0.1:5005/webhooks/telegram/webhook"
        assert fake.webhook["url"] == url and fake.webhook["secret_token"] == "s3cret_-"
        assert set(fake.webhook["allowed_updates"]) >= {"message", "callback_query", "my_chat_member"}


def test_set_webhook_refuses_without_a_secret_or_https(app):
    settings = dataclasses.replace(app.settings, telegram_bot_token="123:ABC", telegram_webhook_secret="",
                                   public_base_url="https://coach.example.org")
    with pytest.raises(RuntimeError, match="TELEGRAM_WEBHOOK_SECRET"):
        asyncio.run(set_webhook(settings))
    settings = dataclasses.replace(settings, telegram_webhook_secret="x", public_base_url="http://coach.example.org")
    with pytest.raises(RuntimeError, match="https"):
        asyncio.run(set_webhook(settings))
