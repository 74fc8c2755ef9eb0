"""What a Rasa-side process shares: one client per provider, used by the channels and by the
staff alerts alike (so one rate limit covers every send of the process)."""

from __future__ import annotations

import dataclasses

from bot.channels.sms import SmsInput
from bot.channels.telegram import TelegramInput
from bot.runtime import Runtime, runtime
from coach.messaging.sms import SmsNotifier, TwilioClient
from coach.messaging.telegram import TelegramClient, TelegramNotifier
from tests.fakes.twilio_api import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


def configured(app):
    return dataclasses.replace(app.settings, telegram_bot_token="123:ABC", telegram_api_base="http://127.0.0.1:9/bot",
                               twilio_account_sid=DEFAULT_ACCOUNT_SID, twilio_auth_token=DEFAULT_AUTH_TOKEN,
                               twilio_from_number="+447700900001", twilio_api_base="http://127.0.0.1:9")


def test_one_telegram_client_is_shared_by_the_channels_and_the_staff_alerts(app):
    rt = Runtime.from_settings(configured(app))
    assert isinstance(rt.telegram, TelegramClient) and rt.telegram is rt.telegram
    assert TelegramInput(rt).client is rt.telegram
    notifier = rt.dispatcher.notifiers["telegram"]
    assert isinstance(notifier, TelegramNotifier) and notifier.client is rt.telegram


def test_one_sms_client_is_shared_too(app):
    rt = Runtime.from_settings(configured(app))
    assert isinstance(rt.sms, TwilioClient) and rt.sms is rt.sms
    assert SmsInput(rt).client is rt.sms
    notifier = rt.dispatcher.notifiers["sms"]
    assert isinstance(notifier, SmsNotifier) and notifier.client is rt.sms


def test_clients_take_their_limits_from_the_settings(app):
    settings = dataclasses.replace(configured(app), rate_telegram_chat_seconds=2.5, rate_sms_segments_per_second=3)
    rt = Runtime.from_settings(settings)
    assert rt.telegram.pacer.interval == 2.5
    assert rt.sms.limiter.rate == 3 and rt.sms.from_number == "+447700900001"


def test_the_dispatcher_is_built_once(app):
    rt = Runtime.from_settings(configured(app))
    assert rt.dispatcher is rt.dispatcher and rt.dispatcher.actor == "rasa"
    assert "ack_done" in rt.dispatcher.templates()


def test_a_provider_that_is_not_configured_has_no_client_and_no_notifier(app):
    rt = Runtime.from_settings(app.settings)  # no TELEGRAM_* or TWILIO_* settings
    assert rt.telegram is None and rt.sms is None and rt.dispatcher.notifiers == {}


def test_injected_clients_are_used_instead_of_the_settings(app):
    class FakeClient:
        pass

    telegram = FakeClient()
    rt = Runtime.from_settings(configured(app), telegram=telegram, sms=None)
    assert rt.telegram is telegram and rt.sms is None
    assert rt.dispatcher.notifiers["telegram"].client is telegram and "sms" not in rt.dispatcher.notifiers


def test_only_the_missing_client_is_built_from_the_settings(app):
    telegram = object()
    rt = Runtime.from_settings(configured(app), telegram=telegram)
    assert rt.telegram is telegram and isinstance(rt.sms, TwilioClient)


def test_the_database_vault_content_and_detector_come_from_the_settings(app):
    rt = Runtime.from_settings(app.settings, telegram=None, sms=None)
    assert rt.db.url == app.settings.database_url
    assert rt.vault.decrypt(rt.vault.encrypt("4242")) == "4242"
    assert "help" in rt.content().messages
    assert rt.detector() is rt.detector()  # built once (rebuilt only when the lexicon changes)


def test_the_process_runtime_is_built_once_from_the_environment(app):
    rt = runtime()
    assert rt is runtime() and rt.settings.database_url == app.settings.database_url
