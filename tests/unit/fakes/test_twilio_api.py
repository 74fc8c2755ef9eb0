"""The real twilio client works against the loopback fake Twilio API."""

from __future__ import annotations

import asyncio
import datetime as dtm
import re
import urllib.parse

import pytest

from tests.fakes.telegram_api import (
    FakeTelegramAPI,
)
from tests.fakes.twilio_api import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    FakeTwilioAPI,
    signed_sms_webhook,
    sms_segments,
)

telegram = pytest.importorskip("telegram")
from twilio.base.exceptions import TwilioRestException  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

TIMEOUT = 10  # upper bound for any single async test body


def run(coro):
    """asyncio.run with a hard timeout so no test can hang."""
    return asyncio.run(asyncio.wait_for(coro, timeout=TIMEOUT))


@pytest.fixture
def tg():
    with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
def tw():
    with FakeTwilioAPI() as fake:
        yield fake


def test_twilio_create_message_returns_sid(tw):
    client = tw.client()
    msg = client.messages.create(to="+15558675310", from_="+15017122661",
                                 body="Your weekly session is ready")
    assert re.fullmatch(r"SM[0-9a-f]{32}", msg.sid)
    assert msg.status == "queued" and msg.direction == "outbound-api"
    assert msg.num_segments == "1" and msg.account_sid == DEFAULT_ACCOUNT_SID
    assert msg.to == "+15558675310" and msg.from_ == "+15017122661"
    assert isinstance(msg.date_created, dtm.datetime)
    call = tw.sent_messages(to="+15558675310")[0]
    assert call.params == {"To": "+15558675310", "From": "+15017122661",
                           "Body": "Your weekly session is ready"}
    assert call.status == 201 and call.username == DEFAULT_ACCOUNT_SID
    fetched = client.messages(msg.sid).fetch()
    assert fetched.body == "Your weekly session is ready"


def test_twilio_unsubscribed_recipient_raises_21610(tw):
    client = tw.client()
    tw.fail_next(status=400, code=21610, message="Attempt to send to unsubscribed recipient")
    with pytest.raises(TwilioRestException) as excinfo:
        client.messages.create(to="+15558675310", from_="+15017122661", body="hi")
    assert excinfo.value.status == 400 and excinfo.value.code == 21610
    assert "unsubscribed recipient" in excinfo.value.msg
    assert client.messages.create(to="+15558675310", from_="+15017122661", body="ok").sid

    tw.block_number("+15550000001")
    with pytest.raises(TwilioRestException) as excinfo:
        client.messages.create(to="+15550000001", from_="+15017122661", body="hi")
    assert excinfo.value.code == 21610


@pytest.mark.parametrize("status,code", [(429, 20429), (500, 20500)])
def test_twilio_programmed_server_errors(tw, status, code):
    tw.fail_next(status=status)
    with pytest.raises(TwilioRestException) as excinfo:
        tw.client().messages.create(to="+15558675310", from_="+15017122661", body="hi")
    assert (excinfo.value.status, excinfo.value.code) == (status, code)


def test_twilio_bad_credentials_are_401(tw):
    client = tw.client(auth_token="wrong-token")
    with pytest.raises(TwilioRestException) as excinfo:
        client.messages.create(to="+15558675310", from_="+15017122661", body="hi")
    assert (excinfo.value.status, excinfo.value.code) == (401, 20003)


def test_twilio_validation_and_messaging_service(tw):
    client = tw.client()
    with pytest.raises(TwilioRestException) as excinfo:
        client.messages.create(to="+15558675310", body="no sender")
    assert excinfo.value.code == 21603
    with pytest.raises(TwilioRestException) as excinfo:
        client.messages.create(to="not-a-number", from_="+15017122661", body="x")
    assert excinfo.value.code == 21211
    msg = client.messages.create(to="+15558675310", messaging_service_sid="MG" + "a" * 32,
                                 body="via service",
                                 status_callback="http://127.0.0.1:9/twilio/status")
    assert msg.status == "accepted" and msg.from_ is None and msg.num_segments == "0"
    url, headers, body = tw.status_callback_request(msg.sid, "delivered")
    params = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    assert "From" not in params
    assert params["MessageStatus"] == "delivered" and params["MessageSid"] == msg.sid
    assert RequestValidator(DEFAULT_AUTH_TOKEN).validate(url, params,
                                                         headers["X-Twilio-Signature"])


def test_twilio_segment_counting(tw):
    assert sms_segments("a" * 160) == ("GSM-7", 1)
    assert sms_segments("a" * 161) == ("GSM-7", 2)
    assert sms_segments("[" * 80) == ("GSM-7", 1)  # extension chars cost two septets
    assert sms_segments("[" * 81) == ("GSM-7", 2)
    assert sms_segments("é" * 160) == ("GSM-7", 1)  # é is in the GSM-7 basic set
    assert sms_segments("ł" * 70) == ("UCS-2", 1)
    assert sms_segments("ł" * 71) == ("UCS-2", 2)
    assert sms_segments("😀" * 35) == ("UCS-2", 1)  # surrogate pairs: 2 code units each
    assert sms_segments("😀" * 36) == ("UCS-2", 2)
    msg = tw.client().messages.create(to="+15558675310", from_="+15017122661", body="x" * 307)
    assert msg.num_segments == "3"


def test_twilio_async_client(tw):
    client = tw.client(async_=True)

    async def main():
        return await client.messages.create_async(to="+15558675310", from_="+15017122661",
                                                  body="async hello")

    msg = run(main())
    assert msg.sid.startswith("SM") and msg.body == "async hello"
    assert tw.sent_bodies() == ["async hello"]


def test_twilio_http_client_refuses_other_hosts(tw):
    with pytest.raises(RuntimeError, match="non-Twilio"):
        tw.http_client().request("GET", "https://example.com/")


def test_signed_sms_webhook_validates_and_tampering_fails():
    url = "https://coach.example/webhooks/twilio/webhook"
    headers, body = signed_sms_webhook(url, DEFAULT_AUTH_TOKEN,
                                       {"From": "+15558675310", "Body": "I feel low today"})
    params = dict(urllib.parse.parse_qsl(body.decode()))
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert params["SmsStatus"] == "received" and params["ApiVersion"] == "2010-04-01"
    assert re.fullmatch(r"SM[0-9a-f]{32}", params["MessageSid"])
    assert params["AccountSid"] == DEFAULT_ACCOUNT_SID and params["NumMedia"] == "0"
    validator = RequestValidator(DEFAULT_AUTH_TOKEN)
    signature = headers["X-Twilio-Signature"]
    assert validator.validate(url, params, signature)
    assert not validator.validate(url, {**params, "Body": "tampered"}, signature)
    assert not validator.validate(url + "?x=1", params, signature)
    assert not RequestValidator("other-token").validate(url, params, signature)
