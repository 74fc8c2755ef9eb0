"""Telegram through python-telegram-bot, against the fake Bot API on 127.0.0.1.

- `coach telegram set-webhook` registers our URL with the secret token;
- ``parse_update`` reduces an update to what the coach needs, and answers anything malformed
  with ``BadRequest`` (a 400), never another exception;
- sending: long replies split, buttons on the last part, retries only where nothing can be
  sent twice, one message a second per chat; ``send_error`` gives every error its meaning.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import pytest

from coach.core.notify import SendError
from coach.messaging.inbound import BadRequest, Inbound
from coach.messaging.telegram import (
    MAX_TEXT,
    TelegramClient,
    TelegramNotifier,
    make_bot,
    parse_update,
    send_error,
    set_webhook,
    verify_secret,
    webhook_url,
)
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    make_callback_update,
    make_edited_message_update,
    make_photo_update,
    make_sticker_update,
    make_text_update,
    make_voice_update,
)


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


# -- parse_update: what the coach keeps of an update -------------------------------------------------------

TOKEN = "123:ABC"
CHAT = 4242


def body(update) -> bytes:
    return json.dumps(update).encode()


def parse(update) -> Inbound:
    [inbound] = parse_update(body(update))
    return inbound


def member_update(update_id, chat_id, status, chat_type="private"):
    user = {"id": chat_id, "is_bot": False, "first_name": "Dan"}
    bot = {"id": 123, "is_bot": True, "first_name": "Coach"}
    new = {"user": bot, "status": status}
    if status == "kicked":
        new["until_date"] = 0
    chat = {"id": chat_id, "type": chat_type, "first_name": "Dan"} if chat_type == "private" else \
        {"id": chat_id, "type": chat_type, "title": "a group"}
    return {"update_id": update_id, "my_chat_member": {
        "chat": chat, "from": user, "date": 1700000000,
        "old_chat_member": {"user": bot, "status": "member" if status != "member" else "kicked", "until_date": 0},
        "new_chat_member": new}}


def test_a_text_message():
    assert parse(make_text_update(8812, CHAT, CHAT, "about a 6 i reckon")) == Inbound("8812", "4242", "text",
                                                                                      "about a 6 i reckon")


def test_a_command_is_text_too():
    inbound = parse(make_text_update(1, CHAT, CHAT, "/start K7Q2MX4P"))
    assert (inbound.kind, inbound.text) == ("text", "/start K7Q2MX4P")


def test_a_button_press_carries_its_data_the_query_to_answer_and_the_message_it_was_on():
    inbound = parse(make_callback_update(9, CHAT, CHAT, "yes", message_id=77, callback_id="cb-1"))
    assert inbound == Inbound("9", "4242", "button", "yes", callback_id="cb-1", message_ref=77)
    assert inbound.has_text


def test_a_button_on_a_message_telegram_no_longer_has_comes_from_the_user():
    update = make_callback_update(9, CHAT, CHAT, "yes", message_id=77)
    del update["callback_query"]["message"]
    inbound = parse(update)
    assert (inbound.sender, inbound.kind, inbound.message_ref) == ("4242", "button", None)


@pytest.mark.parametrize("update,text", [
    (make_sticker_update(3, CHAT, CHAT), ""),
    (make_photo_update(4, CHAT, CHAT), ""),
    (make_photo_update(5, CHAT, CHAT, caption="this is me at the gym"), "this is me at the gym"),
    (make_voice_update(6, CHAT, CHAT), ""),
], ids=["sticker", "photo", "photo-with-caption", "voice"])
def test_stickers_photos_and_voice_notes_are_non_text_with_any_caption(update, text):
    inbound = parse(update)
    assert (inbound.sender, inbound.kind, inbound.text) == ("4242", "non_text", text)


def test_an_edited_message():
    inbound = parse(make_edited_message_update(7, CHAT, CHAT, "changed my mind"))
    assert (inbound.kind, inbound.text, inbound.sender) == ("edited", "changed my mind", "4242")
    assert inbound.has_text  # an edit is still read for risk


def test_blocking_and_unblocking_the_bot():
    assert parse(member_update(10, CHAT, "kicked")) == Inbound("10", "4242", "blocked")
    assert parse(member_update(11, CHAT, "member")) == Inbound("11", "4242", "unblocked")


@pytest.mark.parametrize("update", [
    make_text_update(20, -100123, CHAT, "hello group"),
    make_text_update(21, -1001234567890, CHAT, "hello supergroup"),
    make_edited_message_update(22, -100123, CHAT, "edited in a group"),
    make_callback_update(23, -100123, CHAT, "yes", message_id=5),
    make_sticker_update(24, -100123, CHAT),
    member_update(25, -100123, "kicked", chat_type="group"),
    member_update(26, CHAT, "left"),
    {"update_id": 28},
    {"update_id": 29, "channel_post": {"message_id": 1, "date": 1700000000, "text": "news",
                                       "chat": {"id": -100999, "type": "channel", "title": "c"}}},
    {"update_id": 30, "message": {"message_id": 1, "date": 1700000000, "chat": {"id": CHAT, "type": "private"},
                                  "new_chat_title": "x"}},
], ids=["group", "supergroup", "group-edit", "group-button", "group-sticker", "group-kick", "left",
        "empty", "channel-post", "service-message"])
def test_groups_and_service_updates_are_ignored(update):
    inbound = parse(update)
    assert inbound.kind == "ignore" and inbound.sender == "" and inbound.external_id == str(update["update_id"])


def message_with_chat(chat: str) -> bytes:
    return ('{"update_id": 5, "message": {"message_id": 1, "date": 1700000000, "text": "hi", '
            '"chat": %s}}' % chat).encode()


@pytest.mark.parametrize("raw", [
    b"", b"not json", b"{", b"\xff\xfe\x00", b"[]", b"[1, 2]", b"null", b"42", b'"update"',
    b"{}", b'{"update_id": "5"}', b'{"update_id": true}', b'{"update_id": false}', b'{"update_id": 1.5}',
    b'{"update_id": null}',
    b'{"update_id": 5, "message": "hi"}',
    b'{"update_id": 5, "message": [1]}',
    b'{"update_id": 5, "message": {"message_id": 1, "date": 1700000000, "text": "hi"}}',  # no chat
    b'{"update_id": 5, "message": {"message_id": 1, "date": "soon", "text": "hi", '
    b'"chat": {"id": 1, "type": "private"}}}',
    message_with_chat('{"id": Infinity, "type": "private"}'),
    message_with_chat('{"id": -Infinity, "type": "private"}'),
    message_with_chat('{"id": NaN, "type": "private"}'),
    message_with_chat('{"id": 1e400, "type": "private"}'),
    message_with_chat('{"id": "abc", "type": "private"}'),
    message_with_chat('{"id": 42}'),  # no type
    message_with_chat('[42]'),
    b'{"update_id": 5, "callback_query": {"id": "1", "chat_instance": "1", "data": "x"}}',  # no from, no message
    b'{"update_id": 5, "message": {"message_id": 1, "date": 1700000000, "chat": {"id": 1, "type": "private"}, '
    b'"photo": "x"}}',
], ids=repr)
def test_malformed_bodies_are_a_bad_request_never_another_exception(raw):
    with pytest.raises(BadRequest) as info:
        parse_update(raw)
    assert str(info.value)  # says what is wrong


def test_a_deeply_nested_body_is_a_bad_request():
    """json.loads raises RecursionError for it: that must be a 400, not a 500."""
    with pytest.raises(BadRequest):
        parse_update(b"[" * 100_000 + b"]" * 100_000)


@pytest.mark.parametrize("raw", [
    b'{"update_id": 5, "message": {"message_id": 1, "date": 1700000000, "text": 5, '
    b'"chat": {"id": 1, "type": "private"}}}',
    b'{"update_id": 5, "message": {"message_id": 1, "date": 1700000000, "text": {"a": 1}, '
    b'"chat": {"id": 1, "type": "private"}}}',
    message_with_chat('{"id": %s, "type": "private"}' % ("9" * 400)),
    b'{"update_id": %s}' % (b"9" * 400),
], ids=["text-int", "text-object", "chat-id-400-digits", "update-id-400-digits"])
def test_values_no_telegram_update_has_are_a_bad_request(raw):
    """Text that is not a string would break Inbound.has_text; a 400-digit id does not fit the inbox's
    external_id column (String(80)) on PostgreSQL."""
    with pytest.raises(BadRequest):
        parse_update(raw)


# -- verify_secret ---------------------------------------------------------------------------------------

def test_the_webhook_secret_must_match_exactly():
    assert verify_secret("s3cret", "s3cret") is True
    assert verify_secret("s3cret", "s3cre") is False
    assert verify_secret("s3cret", "S3CRET") is False
    assert verify_secret("s3cret", "s3cret ") is False
    assert verify_secret("s3cret", "") is False
    assert verify_secret("s3cret", None) is False


def test_without_a_configured_secret_every_update_is_refused():
    assert verify_secret("", "") is False
    assert verify_secret("", "anything") is False


def test_webhook_url_defaults_to_the_public_base_url(app):
    settings = dataclasses.replace(app.settings, telegram_webhook_secret="s", public_base_url="https://coach.example")
    assert webhook_url(settings) == "https://coach.example/webhooks/telegram/webhook"
    assert webhook_url(settings, "http://localhost:5005/x") == "http://localhost:5005/x"


# -- sending, against the fake Bot API ---------------------------------------------------------------------------

@pytest.fixture
def fake():
    with FakeTelegramAPI() as f:
        yield f


def run(coro, timeout=15):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def client_for(fake, interval=0.0, timeout=5.0) -> TelegramClient:
    return TelegramClient(make_bot(TOKEN, f"{fake.url}/bot", timeout=timeout), chat_interval=interval)


async def closing(client, coro):
    try:
        return await coro
    finally:
        await client.close()


@pytest.fixture
def sleeps(monkeypatch):
    """Record the client's waits between retries instead of waiting."""
    recorded = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds, *a, **k):
        recorded.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("coach.messaging.telegram.asyncio.sleep", fake_sleep)
    return recorded


def test_send_returns_telegrams_message_id_and_connects_once(fake):
    client = client_for(fake)

    async def main():
        return [await client.send("4242", "one"), await client.send("4242", "two")]

    assert run(closing(client, main())) == ["1", "2"]
    assert [c.method for c in fake.calls] == ["getMe", "sendMessage", "sendMessage"]
    assert fake.sent_texts(CHAT) == ["one", "two"]


def test_buttons_are_an_inline_keyboard_with_labels_and_data_cut_to_telegrams_limits(fake):
    client = client_for(fake)
    run(closing(client, client.send("4242", "Ready?", buttons=[[("Yes", "yes"), ("No", "no")], [],
                                                               [("L" * 50, "d" * 80)]])))
    [call] = fake.sent_messages(CHAT)
    rows = call.params["reply_markup"]["inline_keyboard"]
    assert rows[0] == [{"text": "Yes", "callback_data": "yes"}, {"text": "No", "callback_data": "no"}]
    assert rows[1] == [{"text": "L" * 40, "callback_data": "d" * 64}]  # the empty row is left out
    assert len(rows) == 2


def test_html_mode_sets_the_parse_mode(fake):
    client = client_for(fake)

    async def main():
        await client.send("4242", "<b>alert</b>", html_mode=True)
        await client.send("4242", "plain <b>")

    run(closing(client, main()))
    first, second = fake.sent_messages(CHAT)
    assert first.params["parse_mode"] == "HTML" and "parse_mode" not in second.params


def test_a_long_reply_is_split_at_4000_characters_with_buttons_only_on_the_last_part(fake):
    client = client_for(fake)
    text = "a" * MAX_TEXT + "b" * MAX_TEXT + "c" * 10
    run(closing(client, client.send_texts("4242", [text, "Ready?"], buttons=[[("Yes", "yes")]])))
    sent = fake.sent_messages(CHAT)
    assert [c.params["text"] for c in sent] == ["a" * 4000, "b" * 4000, "c" * 10, "Ready?"]
    assert [("reply_markup" in c.params) for c in sent] == [False, False, False, True]
    assert sent[-1].params["reply_markup"]["inline_keyboard"] == [[{"text": "Yes", "callback_data": "yes"}]]


def test_a_429_is_retried_after_the_wait_telegram_asks_for(fake, sleeps):
    client = client_for(fake)
    fake.fail_next("sendMessage", status=429, retry_after=3)
    run(closing(client, client.send_texts("4242", ["hello"])))
    assert fake.sent_texts(CHAT) == ["hello"]
    assert [c.status for c in fake.sent_messages(CHAT)] == [429, 200]
    assert sleeps == [3.0]


def test_a_retryable_error_is_tried_three_times_then_raised(fake, sleeps):
    client = client_for(fake)
    fake.fail_next("sendMessage", status=502, times=3)
    with pytest.raises(SendError) as info:
        run(closing(client, client.send_texts("4242", ["hello", "never sent"])))
    assert info.value.kind == "retry"
    assert len(fake.sent_messages(CHAT)) == 3 and fake.sent_texts(CHAT) == []  # the second text never went
    assert sleeps == [0.5, 1.0]


def test_a_blocked_chat_raises_blocked_and_is_not_retried(fake, sleeps):
    client = client_for(fake)
    fake.block_chat(CHAT)
    with pytest.raises(SendError) as info:
        run(closing(client, client.send_texts("4242", ["hello", "again"])))
    assert info.value.blocked is True and info.value.kind == "permanent"
    assert len(fake.sent_messages(CHAT)) == 1 and sleeps == []


def test_a_bad_request_is_permanent_and_not_retried(fake, sleeps):
    client = client_for(fake)
    fake.fail_next("sendMessage", status=400, description="Bad Request: chat not found")
    with pytest.raises(SendError) as info:
        run(closing(client, client.send_texts("4242", ["hello"])))
    assert (info.value.kind, info.value.blocked) == ("permanent", False)
    assert len(fake.sent_messages(CHAT)) == 1 and sleeps == []


def test_a_timeout_is_in_doubt_and_never_sent_again(fake):
    client = client_for(fake, timeout=0.2)
    fake.set_latency(0.5, "sendMessage")
    with pytest.raises(SendError) as info:
        run(closing(client, client.send_texts("4242", ["did this arrive?"])))
    assert info.value.kind == "in_doubt"
    fake.wait_for_call("sendMessage", 1, timeout=5)  # the request did reach Telegram...
    time.sleep(0.6)  # ...and a retry, had there been one, would have arrived by now
    assert len(fake.calls_to("sendMessage")) == 1


def test_two_messages_to_one_chat_are_paced_but_other_chats_do_not_wait(fake):
    interval = 0.4
    client = client_for(fake, interval=interval)

    async def main():
        await client.start()
        await client.send("1", "first")
        await client.send("1", "second")
        await asyncio.gather(client.send("2", "x"), client.send("3", "y"))

    run(closing(client, main()))
    one = [c.time for c in fake.sent_messages(1)]
    assert one[1] - one[0] >= interval - 0.02
    others = [fake.sent_messages(2)[0].time, fake.sent_messages(3)[0].time]
    assert abs(others[0] - others[1]) < interval


def test_answering_a_button_stops_the_spinner_and_can_take_the_buttons_off(fake):
    client = client_for(fake)
    run(closing(client, client.answer_button("cb-1", "Got it", chat_id="4242", message_id=7, remove_buttons=True)))
    [answer] = fake.calls_to("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "cb-1" and answer.params["text"] == "Got it"
    [edit] = fake.calls_to("editMessageReplyMarkup")
    assert edit.params["chat_id"] == CHAT and edit.params["message_id"] == 7


def test_a_failed_button_answer_is_swallowed(fake):
    client = client_for(fake)
    fake.fail_next("answerCallbackQuery", status=400, description="Bad Request: query is too old")
    run(closing(client, client.answer_button("cb-1", remove_buttons=True, chat_id="4242", message_id=7)))
    assert fake.calls_to("editMessageReplyMarkup") == []  # stopped there, quietly


def test_a_button_answer_when_telegram_is_unreachable_is_swallowed():
    with FakeTelegramAPI() as gone:
        url = gone.url
    client = TelegramClient(make_bot(TOKEN, f"{url}/bot", timeout=1))
    run(client.answer_button("cb-1"))  # no exception


def test_set_webhook_failure_is_a_send_error(fake):
    client = client_for(fake)
    fake.fail_next("setWebhook", status=400, description="Bad Request: bad webhook")
    with pytest.raises(SendError):
        run(closing(client, client.set_webhook("https://x.example/hook", "s3cret")))


def test_from_settings_uses_the_configured_api_and_pacing(app, fake):
    settings = dataclasses.replace(app.settings, telegram_bot_token=TOKEN, telegram_api_base=f"{fake.url}/bot",
                                   rate_telegram_chat_seconds=0.25)
    client = TelegramClient.from_settings(settings, timeout=5)
    assert client.pacer.interval == 0.25
    run(closing(client, client.send("4242", "hi")))
    assert fake.sent_texts(CHAT) == ["hi"] and fake.calls[0].token == TOKEN


def test_make_bot_needs_a_token():
    with pytest.raises(RuntimeError, match="TELEGRAM_BOT_TOKEN"):
        make_bot("", "http://127.0.0.1:1/bot")


def test_the_staff_notifier_sends_html_with_an_acknowledge_button(fake):
    client = client_for(fake)
    notifier = TelegramNotifier(client)

    async def main():
        await notifier.start()
        plain = await notifier.send("90001", "He said <kill> & more", "K7Q2MX")
        html_id = await notifier.send("90001", "ignored", "K7Q2MX", html_text="<b>Check now</b>")
        return plain, html_id

    assert run(closing(client, main())) == ("1", "2")
    first, second = fake.sent_messages(90001)
    assert first.params["text"] == "He said &lt;kill&gt; &amp; more" and first.params["parse_mode"] == "HTML"
    assert second.params["text"] == "<b>Check now</b>"
    assert first.params["reply_markup"]["inline_keyboard"] == [[{"text": "Acknowledge", "callback_data": "ack:K7Q2MX"}]]
    assert notifier.channel == "telegram"


# -- send_error: one place gives every provider error its meaning ---------------------------------------------

def _errors():
    from datetime import timedelta

    from telegram.error import (
        BadRequest as TgBadRequest,
    )
    from telegram.error import (
        ChatMigrated,
        Conflict,
        EndPointNotFound,
        Forbidden,
        InvalidToken,
        NetworkError,
        RetryAfter,
        TelegramError,
        TimedOut,
    )

    return [
        (RetryAfter(5), "retry", 5.0, False),
        (RetryAfter(timedelta(seconds=2.5)), "retry", 2.5, False),
        (Forbidden("Forbidden: bot was blocked by the user"), "permanent", None, True),
        (Forbidden("Forbidden: user is deactivated"), "permanent", None, True),
        (TgBadRequest("Bad Request: chat not found"), "permanent", None, False),
        (TimedOut(), "in_doubt", None, False),
        (NetworkError("httpx.ConnectError: connection refused"), "retry", None, False),
        (ChatMigrated(-100123), "permanent", None, False),
        (InvalidToken(), "permanent", None, False),
        (EndPointNotFound("Not Found"), "permanent", None, False),
        (Conflict("Conflict"), "permanent", None, False),
        (TelegramError("something else"), "permanent", None, False),
        (RuntimeError("a bug of ours"), "in_doubt", None, False),
        (ValueError("invalid literal for int()"), "in_doubt", None, False),
    ]


@pytest.mark.parametrize("exc,kind,retry_after,blocked", _errors(), ids=lambda v: type(v).__name__
                         if isinstance(v, Exception) else None)
def test_send_error_mapping(exc, kind, retry_after, blocked):
    err = send_error(exc)
    assert isinstance(err, SendError)
    assert (err.kind, err.retry_after, err.blocked) == (kind, retry_after, blocked)
    assert str(err)
