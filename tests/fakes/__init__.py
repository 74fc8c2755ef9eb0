"""Loopback fakes of the Telegram Bot API and the Twilio REST API for tests.

See tests/fakes/README.md. Import the submodules directly::

    from tests.fakes.telegram_api import FakeTelegramAPI, make_text_update
    from tests.fakes.twilio_api import FakeTwilioAPI, signed_sms_webhook

(The Twilio module imports the twilio package; the Telegram module only needs
python-telegram-bot for ``FakeTelegramAPI.bot()``.)
"""
