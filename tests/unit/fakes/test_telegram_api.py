"""The real python-telegram-bot client works against the loopback fake Bot API."""

from __future__ import annotations

import asyncio
import datetime as dtm
import http.server
import json
import threading

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
    FakeTwilioAPI,
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
