"""The real python-telegram-bot and twilio clients work against the loopback fakes."""

from __future__ import annotations

import asyncio
import datetime as dtm
import http.server
import json
import re
import threading
import urllib.parse

import pytest

from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    make_callback_update,
    make_edited_message_update,
    make_photo_update,
    make_sticker_update,
    make_text_update,
    make_voice_update,
    webhook_request,
)
from tests.fakes.twilio_api import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    FakeTwilioAPI,
    sms_segments,
    signed_sms_webhook,
)

telegram = pytest.importorskip("telegram")
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.error import (  # noqa: E402
    BadRequest,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TimedOut,
)
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


# ---------------------------------------------------------------------------- Telegram
def test_ptb_send_message(tg):
    bot = tg.bot()

    async def main():
        async with bot:  # initialize() -> getMe
            first = await bot.send_message(chat_id=4242, text="Hello from the coach")
            second = await bot.send_message(chat_id=4242, text="Second")
            return bot.bot, first, second

    me, first, second = run(main())
    assert me.username == tg.bot_username and me.is_bot
    assert first.message_id == 1 and second.message_id == 2
    assert first.chat.id == 4242 and first.chat.type == "private"
    assert first.text == "Hello from the coach"
    assert first.from_user.id == me.id
    assert isinstance(first.date, dtm.datetime)
    assert [c.method for c in tg.calls] == ["getMe", "sendMessage", "sendMessage"]
    sent = tg.sent_messages(chat_id=4242)
    assert [c.params["text"] for c in sent] == ["Hello from the coach", "Second"]
    assert sent[0].params["chat_id"] == 4242  # decoded from the form body
    assert tg.sent_messages(chat_id=1) == []
    assert tg.sent_texts("4242") == ["Hello from the coach", "Second"]


def test_ptb_inline_keyboard_round_trip(tg):
    bot = tg.bot()
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="mood:yes"),
          InlineKeyboardButton("No", callback_data="mood:no")]]
    )

    async def main():
        async with bot:
            sent = await bot.send_message(chat_id=7, text="Did you walk today?",
                                          reply_markup=markup)
            update = Update.de_json(
                make_callback_update(1001, 7, 7, "mood:yes", sent.message_id,
                                     message_text=sent.text,
                                     reply_markup=sent.reply_markup.to_dict(),
                                     bot_id=bot.bot.id),
                bot,
            )
            query = update.callback_query
            answered = await query.answer()
            edited = await bot.edit_message_reply_markup(
                chat_id=7, message_id=sent.message_id, reply_markup=None)
            return sent, query, answered, edited

    sent, query, answered, edited = run(main())
    assert sent.reply_markup == markup
    recorded = tg.sent_messages(7)[0].params["reply_markup"]
    assert recorded["inline_keyboard"][0][1] == {"text": "No", "callback_data": "mood:no"}
    assert query.data == "mood:yes" and query.message.message_id == sent.message_id
    assert answered is True
    assert edited.message_id == sent.message_id and edited.reply_markup is None
    assert edited.text == "Did you walk today?" and edited.edit_date is not None
    assert tg.calls_to("answerCallbackQuery")[0].params["callback_query_id"] == query.id
    assert tg.calls_to("editMessageReplyMarkup")[0].params["message_id"] == sent.message_id


def test_ptb_set_and_delete_webhook(tg):
    bot = tg.bot()

    async def main():
        async with bot:
            ok = await bot.set_webhook("https://coach.example/webhooks/telegram/webhook",
                                       secret_token="s3cr3t-Token_1",
                                       allowed_updates=["message", "callback_query"])
            info = await bot.get_webhook_info()
            deleted = await bot.delete_webhook()
            after = await bot.get_webhook_info()
            return ok, info, deleted, after

    ok, info, deleted, after = run(main())
    assert ok is True and deleted is True
    assert info.url == "https://coach.example/webhooks/telegram/webhook"
    assert tuple(info.allowed_updates) == ("message", "callback_query")
    assert after.url == ""
    assert tg.calls_to("setWebhook")[0].params["secret_token"] == "s3cr3t-Token_1"
    assert tg.webhook == {}


def test_ptb_bad_secret_token_is_bad_request(tg):
    bot = tg.bot()

    async def main():
        async with bot:
            await bot.set_webhook("https://coach.example/hook", secret_token="no spaces!")

    with pytest.raises(BadRequest, match="(?i)secret token contains unallowed"):
        run(main())


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_ptb_429_surfaces_as_retry_after(tg):
    bot = tg.bot()
    tg.fail_next("sendMessage", status=429, retry_after=2)

    async def main():
        async with bot:
            with pytest.raises(RetryAfter) as excinfo:
                await bot.send_message(chat_id=5, text="first")
            again = await bot.send_message(chat_id=5, text="second")  # failure consumed
            return excinfo.value, again

    exc, again = run(main())
    retry_after = exc.retry_after  # int today; timedelta with PTB_TIMEDELTA=true
    if isinstance(retry_after, dtm.timedelta):
        retry_after = retry_after.total_seconds()
    assert retry_after == 2
    assert again.text == "second"
    failed = tg.sent_messages(5)[0]
    assert failed.status == 429
    assert failed.response == {
        "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
        "parameters": {"retry_after": 2},
    }


def test_ptb_blocked_chat_surfaces_as_forbidden(tg):
    bot = tg.bot()
    tg.block_chat(99)

    async def main():
        async with bot:
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await bot.send_message(chat_id=99, text="are you there?")
            with pytest.raises(Forbidden):
                await bot.send_chat_action(chat_id=99, action="typing")
            ok = await bot.send_chat_action(chat_id=100, action="typing")
            tg.unblock_chat(99)
            msg = await bot.send_message(chat_id=99, text="back")
            return ok, msg

    ok, msg = run(main())
    assert ok is True and msg.text == "back"
    assert [c.status for c in tg.sent_messages(99)] == [403, 200]


def test_ptb_unknown_method_and_wrong_token():
    async def call_unknown(fake):
        async with fake.bot() as bot:
            await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})

    with FakeTelegramAPI() as fake:  # real Telegram answers 404 Not Found
        with pytest.raises(EndPointNotFound, match="sendTelepathy"):
            run(call_unknown(fake))
        assert fake.calls_to("sendTelepathy")[0].status == 404
    with FakeTelegramAPI(unknown_method_status=400) as fake:
        with pytest.raises(BadRequest, match="(?i)method not found"):
            run(call_unknown(fake))
    with FakeTelegramAPI(token="111:right") as fake:
        with pytest.raises(InvalidToken):
            run(fake.bot("111:wrong").initialize())
        assert fake.calls[0].status == 401


def test_ptb_concurrent_sends_get_unique_ids(tg):
    bot = tg.bot()

    async def main():
        async with bot:
            return await asyncio.gather(
                *(bot.send_message(chat_id=8, text=f"m{i}") for i in range(20)))

    messages = run(main())
    assert sorted(m.message_id for m in messages) == list(range(1, 21))
    assert len(tg.wait_for_call("sendMessage", count=20)) == 20


def test_deliver_update_posts_to_registered_webhook(tg):
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                             json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        hook = f"http://127.0.0.1:{server.server_address[1]}/webhooks/telegram/webhook"
        run(_set_webhook(tg, hook, "tok_123"))
        assert tg.deliver_update(make_text_update(9, 1, 1, "hi")) == 200
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert len(received) == 1
    secret, update = received[0]
    assert secret == "tok_123" and update["update_id"] == 9
    assert update["message"]["text"] == "hi"
    with pytest.raises(ValueError, match="non-loopback"):
        tg.deliver_update(make_text_update(10, 1, 1, "x"), url="https://example.com/hook")


async def _set_webhook(fake, url, secret):
    async with fake.bot() as bot:
        await bot.set_webhook(url, secret_token=secret)


def test_ptb_latency_hits_client_timeout(tg):
    tg.set_latency(1.0, "sendMessage")
    bot = tg.bot(timeout=0.2)

    async def main():
        async with bot:
            await bot.send_message(chat_id=1, text="slow")

    with pytest.raises(TimedOut):
        run(main())


def test_ptb_get_updates_serves_pushed_updates(tg):
    tg.push_update(make_text_update(500, 3, 3, "/start"))
    tg.push_update(make_text_update(501, 3, 3, "hi"))
    bot = tg.bot()

    async def main():
        async with bot:
            first = await bot.get_updates(timeout=0)
            rest = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)
            return first, rest

    first, rest = run(main())
    assert [u.update_id for u in first] == [500, 501]
    assert first[0].message.text == "/start"
    assert first[0].message.entities[0].type == "bot_command"
    assert rest == ()


def test_update_builders_parse_with_ptb():
    bot = telegram.Bot("123456789:AAFakeTokenForTestsOnly_abcdefghijk")
    text = Update.de_json(make_text_update(1, 10, 20, "hello", message_id=5), bot)
    assert text.message.text == "hello" and text.effective_user.id == 20
    assert text.effective_chat.id == 10 and text.message.message_id == 5
    cb = Update.de_json(make_callback_update(2, 10, 20, "opt:1", 5), bot)
    assert cb.callback_query.data == "opt:1" and cb.callback_query.message.message_id == 5
    sticker = Update.de_json(make_sticker_update(3, 10, 20), bot)
    assert sticker.message.sticker.emoji == "👍" and sticker.message.text is None
    photo = Update.de_json(make_photo_update(4, 10, 20, caption="my lunch"), bot)
    assert len(photo.message.photo) == 3 and photo.message.caption == "my lunch"
    voice = Update.de_json(make_voice_update(5, 10, 20, duration=4), bot)
    assert voice.message.voice.mime_type == "audio/ogg"
    edited = Update.de_json(make_edited_message_update(6, 10, 20, "fixed"), bot)
    assert edited.edited_message.text == "fixed" and edited.message is None
    headers, body = webhook_request(make_text_update(7, 10, 20, "x"), secret_token="abc")
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "abc"
    assert headers["Content-Type"] == "application/json" and b'"update_id": 7' in body


def test_wait_for_is_bounded(tg):
    with pytest.raises(TimeoutError):
        tg.wait_for(lambda: tg.sent_messages(), timeout=0.1)
    assert tg.wait_for(lambda: 42, timeout=0.1) == 42


# ---------------------------------------------------------------------------- Twilio
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
