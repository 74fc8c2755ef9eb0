"""A fake Telegram Bot API server for tests (loopback only).

Usage::

    from tests.fakes.telegram_api import FakeTelegramAPI, make_text_update

    with FakeTelegramAPI() as fake:
        bot = fake.bot()                      # real telegram.Bot pointed at the fake
        # ...or: Bot(token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")

        async def main():
            async with bot:                   # initialize() calls getMe
                await bot.send_message(chat_id=42, text="hi")

        asyncio.run(main())
        assert fake.sent_messages(chat_id=42)[0].params["text"] == "hi"

        fake.fail_next("sendMessage", status=429, retry_after=2)   # -> telegram.error.RetryAfter
        fake.block_chat(42)                                        # -> telegram.error.Forbidden

The server is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port, served
from a daemon thread. Requests are answered like the real Bot API: ``{"ok": true, "result": ...}``
or ``{"ok": false, "error_code": N, "description": "..."}`` with the same HTTP status.

Implemented methods: getMe, sendMessage, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, sendChatAction, deleteMessage, setWebhook, deleteWebhook, getWebhookInfo,
getUpdates (serves updates queued with ``push_update``). Any other method answers
404 ``Not Found`` like the real server (PTB raises ``InvalidToken`` for it); pass
``unknown_method_status=400`` to get 400 ``Bad Request: method not found`` instead.

Every request is recorded as a :class:`Call` (method, params, time, status, response).
PTB sends form-encoded bodies whose object-valued fields (``reply_markup``, ``entities``,
``allowed_updates`` ...) are JSON strings and whose numbers are strings; the fake decodes them,
so ``call.params["chat_id"]`` is an ``int`` and ``call.params["reply_markup"]`` is a ``dict``.

Module-level builders create realistic incoming ``Update`` JSON for webhook tests:
``make_text_update``, ``make_callback_update``, ``make_sticker_update``, ``make_photo_update``,
``make_voice_update``, ``make_edited_message_update``; ``webhook_request`` turns one into the
(headers, body) Telegram would POST to a webhook.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Dict, List, Optional, Tuple

from tests.fakes._loopback import LoopbackFake, LoopbackServer, post_loopback

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
DEFAULT_BOT_USERNAME = "advance_d_test_bot"
DEFAULT_BOT_FIRST_NAME = "ADVANCE-D Coach"
MAX_LATENCY_SECONDS = 30.0

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_NO_MESSAGE_ID = "Bad Request: message identifier is not specified"

# Form fields that are free text: never JSON-decode them (a text of "123" must stay a str).
_STRING_FIELDS = frozenset(
    {
        "text", "caption", "url", "secret_token", "callback_query_id", "inline_message_id",
        "parse_mode", "action", "ip_address", "query", "title", "description", "emoji",
        "data", "sticker", "photo", "voice", "document", "audio", "video", "file_id",
        "business_connection_id", "message_effect_id", "name", "first_name", "last_name",
        "username", "language_code", "short_description", "results", "switch_pm_text",
    }
)


def _now() -> int:
    return int(time.time())


def _bot_id_from_token(token: str) -> int:
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else 0


def _chat_object(chat_id: int, first_name: str = "Test", username: Optional[str] = None) -> dict:
    if isinstance(chat_id, int) and chat_id < 0:
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        return {"id": chat_id, "title": f"Test {kind} {abs(chat_id)}", "type": kind}
    chat = {"id": chat_id, "first_name": first_name, "type": "private"}
    if username:
        chat["username"] = username
    return chat


@dataclass
class Call:
    """One request received by the fake."""

    method: str  # Bot API method name as sent (e.g. "sendMessage")
    params: Dict[str, Any]
    time: float  # time.time() when the request arrived
    token: str = ""
    http_method: str = "POST"
    path: str = ""
    headers: Dict[str, str] = field(default_factory=dict)
    status: int = 0  # HTTP status the fake answered with
    response: Any = None  # decoded JSON the fake answered with


@dataclass
class _Failure:
    method: Optional[str]  # None matches any method
    status: int
    body: dict
    remaining: int


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the real Bot API does
    timeout = 10  # socket timeout: a stuck client cannot pin a thread forever
    server_version = "nginx/1.18.0"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload = self.server.fake._handle(
            self.command, self.path, dict(self.headers.items()), body
        )
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _decode_value(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id="@channelname"


def parse_body(content_type: str, body: bytes) -> Dict[str, Any]:
    """Parse a Bot API request body (JSON, form-urlencoded or multipart) into a dict."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not body:
        return {}
    if ctype == "application/json":
        data = json.loads(body.decode("utf-8"))
        return data if isinstance(data, dict) else {"_json": data}
    if ctype == "multipart/form-data":
        raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        out: Dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                out[name] = {"filename": filename, "size": len(payload), "content": payload}
            else:
                out[name] = _decode_value(name, payload.decode("utf-8"))
        return out
    # application/x-www-form-urlencoded (PTB's default for requests without files)
    pairs = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return {k: _decode_value(k, v) for k, v in pairs}


class FakeTelegramAPI(LoopbackFake):
    """Fake Telegram Bot API. See the module docstring for usage.

    Args:
        token: if given, only this bot token is accepted (others get 401 Unauthorized);
            by default any well-formed token is accepted (malformed -> 404 Not Found).
        latency: seconds to sleep before answering every request (see ``set_latency``).
        bot_username / bot_first_name: returned by getMe and used as ``from`` of sent messages.
        unknown_method_status: 404 (real Telegram) or 400.
        require_https_webhook: reject non-HTTPS ``setWebhook`` URLs like real Telegram does.
    """

    handler = _Handler

    def __init__(
        self,
        token: Optional[str] = None,
        *,
        latency: float = 0.0,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_first_name: str = DEFAULT_BOT_FIRST_NAME,
        unknown_method_status: int = 404,
        require_https_webhook: bool = False,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.unknown_method_status = unknown_method_status
        self.require_https_webhook = require_https_webhook
        self._lock = threading.Lock()
        self._calls: List[Call] = []
        self._failures: List[_Failure] = []
        self._blocked: set = set()
        self._latency: Dict[Optional[str], float] = {None: float(latency)}
        self._next_message_id: Dict[Any, int] = {}
        self._messages: Dict[Tuple[Any, int], dict] = {}
        self._updates: List[dict] = []
        self.webhook: Dict[str, Any] = {}

    @property
    def base_url(self) -> str:
        """Value for PTB's ``Bot(base_url=...)``: ``{url}/bot``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def bot(self, token: Optional[str] = None, *, timeout: float = 5.0, **kwargs: Any):
        """A real ``telegram.Bot`` talking to this fake, with short HTTP timeouts."""
        from telegram import Bot
        from telegram.request import HTTPXRequest

        def request() -> HTTPXRequest:
            return HTTPXRequest(
                connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout,
                pool_timeout=timeout,
            )

        return Bot(
            token or self.token or DEFAULT_TOKEN,
            base_url=self.base_url,
            base_file_url=self.base_file_url,
            request=kwargs.pop("request", None) or request(),
            get_updates_request=kwargs.pop("get_updates_request", None) or request(),
            **kwargs,
        )

    # ------------------------------------------------------------------ programming
    def fail_next(
        self,
        method: Optional[str] = None,
        *,
        status: int = 400,
        description: Optional[str] = None,
        retry_after: Optional[int] = None,
        migrate_to_chat_id: Optional[int] = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (None = any method) fail.

        Descriptions default to Telegram's wording; ``retry_after`` adds
        ``parameters.retry_after`` (PTB -> ``RetryAfter``), ``migrate_to_chat_id`` adds
        ``parameters.migrate_to_chat_id`` (PTB -> ``ChatMigrated``).
        """
        if description is None:
            description = {
                400: "Bad Request: chat not found",
                401: "Unauthorized",
                403: "Forbidden: bot was blocked by the user",
                404: "Not Found",
                409: "Conflict: terminated by other getUpdates request",
                429: f"Too Many Requests: retry after {retry_after or 1}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, "Error")
        if status == 429 and retry_after is None:
            retry_after = 1
        body: Dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        parameters = {}
        if retry_after is not None:
            parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        with self._lock:
            self._failures.append(_Failure(method, status, body, max(1, times)))

    def block_chat(self, chat_id: Any) -> None:
        """Every later call targeting ``chat_id`` answers 403 "bot was blocked by the user"."""
        with self._lock:
            self._blocked.add(str(chat_id))

    def unblock_chat(self, chat_id: Any) -> None:
        with self._lock:
            self._blocked.discard(str(chat_id))

    def set_latency(self, seconds: float, method: Optional[str] = None) -> None:
        """Sleep ``seconds`` (capped at 30) before answering ``method`` (None = all)."""
        with self._lock:
            self._latency[method] = min(float(seconds), MAX_LATENCY_SECONDS)

    def push_update(self, update: dict) -> None:
        """Queue an Update for ``getUpdates`` (polling mode)."""
        with self._lock:
            self._updates.append(update)

    def reset(self) -> None:
        """Forget calls, failures, blocks, latency, messages, queued updates and the webhook."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._blocked.clear()
            self._latency = {None: 0.0}
            self._next_message_id.clear()
            self._messages.clear()
            self._updates.clear()
            self.webhook = {}

    # ------------------------------------------------------------------ inspection
    @property
    def calls(self) -> List[Call]:
        """Snapshot of every call so far, in arrival order of completion."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> List[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    def sent_messages(self, chat_id: Any = None, *, successful_only: bool = False) -> List[Call]:
        """sendMessage calls, optionally for one chat (compared as strings)."""
        out = [
            c for c in self.calls_to("sendMessage")
            if chat_id is None or str(c.params.get("chat_id")) == str(chat_id)
        ]
        return [c for c in out if c.status == 200] if successful_only else out

    def sent_texts(self, chat_id: Any = None) -> List[str]:
        """Texts of successful sendMessage calls."""
        sent = self.sent_messages(chat_id, successful_only=True)
        return [c.params.get("text", "") for c in sent]

    def _describe(self, call: Call) -> tuple:
        return (call.method, call.status)

    def wait_for_call(self, method: str, count: int = 1, timeout: float = 5.0) -> List[Call]:
        """Wait until at least ``count`` calls to ``method`` were answered; return them."""
        return self.wait_for(lambda: len(self.calls_to(method)) >= count and self.calls_to(method),
                             timeout=timeout)

    def deliver_update(self, update: dict, url: Optional[str] = None, timeout: float = 5.0) -> int:
        """POST ``update`` to ``url`` (default: the URL registered with setWebhook), sending the
        registered secret token header like Telegram. Loopback URLs only. Returns HTTP status."""
        url = url or self.webhook.get("url")
        if not url:
            raise RuntimeError("no webhook URL given or registered")
        headers, body = webhook_request(update, self.webhook.get("secret_token"))
        return post_loopback(url, headers, body, timeout)

    # ------------------------------------------------------------------ request handling
    def _handle(
        self, http_method: str, raw_path: str, headers: Dict[str, str], body: bytes
    ) -> Tuple[int, dict]:
        arrived = time.time()
        split = urllib.parse.urlsplit(raw_path)
        path = split.path
        params: Dict[str, Any] = {
            k: _decode_value(k, v) for k, v in urllib.parse.parse_qsl(split.query)
        }
        try:
            ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
            params.update(parse_body(ctype, body))
        except (ValueError, UnicodeDecodeError):
            status, payload = 400, _error(400, "Bad Request: can't parse request body")
            self._record(Call("", params, arrived, "", http_method, path, headers, status,
                              payload))
            return status, payload

        token, method = "", ""
        m = re.match(r"^/bot([^/]*)/([^/]*)/?$", path)
        if m:
            token, method = m.group(1), m.group(2)
        delay = self._latency.get(method, self._latency.get(None, 0.0))
        if delay:
            time.sleep(min(delay, MAX_LATENCY_SECONDS))
        status, payload = self._answer(token, method, params, bool(m))
        self._record(Call(method, params, arrived, token, http_method, path, headers, status,
                          payload))
        return status, payload

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _answer(self, token: str, method: str, params: dict, matched: bool) -> Tuple[int, dict]:
        if not matched or not _TOKEN_RE.match(token):
            return 404, _error(404, "Not Found")
        if self.token is not None and token != self.token:
            return 401, _error(401, "Unauthorized")
        handler = getattr(self, "_m_" + method.lower(), None)
        if handler is None or not method:
            if self.unknown_method_status == 400:
                return 400, _error(400, "Bad Request: method not found")
            return 404, _error(404, "Not Found")
        with self._lock:
            for failure in self._failures:
                if failure.method is None or failure.method.lower() == method.lower():
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                    return failure.status, failure.body
            blocked = "chat_id" in params and str(params["chat_id"]) in self._blocked
        if blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        try:
            result = handler(token, params)
        except _ApiError as exc:
            return exc.status, _error(exc.status, exc.description)
        if isinstance(result, tuple):  # (result, description)
            return 200, {"ok": True, "result": result[0], "description": result[1]}
        return 200, {"ok": True, "result": result}

    # ------------------------------------------------------------------ Bot API methods
    def _bot_user(self, token: str) -> dict:
        return {
            "id": _bot_id_from_token(token),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _m_getme(self, token: str, params: dict) -> dict:
        return {
            **self._bot_user(token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @staticmethod
    def _require(params: dict, name: str, description: str) -> Any:
        value = params.get(name)
        if value is None or value == "":
            raise _ApiError(400, description)
        return value

    def _m_sendmessage(self, token: str, params: dict) -> dict:
        chat_id = self._require(params, "chat_id", "Bad Request: chat_id is empty")
        text = self._require(params, "text", "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        markup = params.get("reply_markup")
        if markup is not None and not isinstance(markup, dict):
            raise _ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        with self._lock:
            message_id = self._next_message_id.get(chat_id, 0) + 1
            self._next_message_id[chat_id] = message_id
            message = {
                "message_id": message_id,
                "from": self._bot_user(token),
                "chat": _chat_object(chat_id),
                "date": _now(),
                "text": text,
            }
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
            self._messages[(chat_id, message_id)] = message
        return message

    def _edit(self, token: str, params: dict, **changes: Any) -> dict:
        chat_id = self._require(params, "chat_id", "Bad Request: chat_id is empty")
        message_id = self._require(params, "message_id", _NO_MESSAGE_ID)
        markup = params.get("reply_markup")
        with self._lock:
            old = self._messages.get((chat_id, message_id)) or {
                "message_id": message_id,
                "from": self._bot_user(token),
                "chat": _chat_object(chat_id),
                "date": _now(),
                "text": "",
            }
            new = {k: v for k, v in old.items() if k != "reply_markup"}
            new.update(changes)
            if isinstance(markup, dict) and markup.get("inline_keyboard"):
                new["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
            if {k: v for k, v in new.items() if k != "edit_date"} == {
                k: v for k, v in old.items() if k != "edit_date"
            }:
                raise _ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and "
                    "reply markup are exactly the same as a current content and reply markup "
                    "of the message",
                )
            new["edit_date"] = _now()
            self._messages[(chat_id, message_id)] = new
        return new

    def _m_editmessagereplymarkup(self, token: str, params: dict) -> dict:
        return self._edit(token, params)

    def _m_editmessagetext(self, token: str, params: dict) -> dict:
        text = self._require(params, "text", "Bad Request: message text is empty")
        return self._edit(token, params, text=text)

    def _m_deletemessage(self, token: str, params: dict) -> bool:
        chat_id = self._require(params, "chat_id", "Bad Request: chat_id is empty")
        message_id = self._require(params, "message_id", _NO_MESSAGE_ID)
        with self._lock:
            self._messages.pop((chat_id, message_id), None)
        return True

    def _m_answercallbackquery(self, token: str, params: dict) -> bool:
        self._require(params, "callback_query_id", "Bad Request: query_id is empty")
        return True

    def _m_sendchataction(self, token: str, params: dict) -> bool:
        self._require(params, "chat_id", "Bad Request: chat_id is empty")
        self._require(params, "action", "Bad Request: action is empty")
        return True

    def _m_setwebhook(self, token: str, params: dict):
        url = params.get("url") or ""
        if not url:
            return self._m_deletewebhook(token, params)
        if self.require_https_webhook and not url.startswith("https://"):
            raise _ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.match(str(secret)):
            raise _ApiError(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "max_connections": params.get("max_connections", 40),
                "drop_pending_updates": params.get("drop_pending_updates", False),
                "ip_address": params.get("ip_address"),
            }
        return True, "Webhook was set"

    def _m_deletewebhook(self, token: str, params: dict):
        with self._lock:
            existed = bool(self.webhook.get("url"))
            self.webhook = {}
            if params.get("drop_pending_updates"):
                self._updates.clear()
        return True, ("Webhook was deleted" if existed else "Webhook is already deleted")

    def _m_getwebhookinfo(self, token: str, params: dict) -> dict:
        with self._lock:
            hook = dict(self.webhook)
            pending = len(self._updates)
        info: Dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if hook.get("url"):
            info["max_connections"] = hook.get("max_connections") or 40
            info["ip_address"] = "127.0.0.1"
            if hook.get("allowed_updates") is not None:
                info["allowed_updates"] = hook["allowed_updates"]
        return info

    def _m_getupdates(self, token: str, params: dict) -> list:
        if self.webhook.get("url"):
            raise _ApiError(
                409, "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        # Long polling: hold the request up to min(timeout, 2s) while nothing is queued.
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
        while True:
            with self._lock:
                if isinstance(offset, int):
                    self._updates = [u for u in self._updates if u.get("update_id", 0) >= offset]
                if self._updates or time.monotonic() >= deadline:
                    return list(self._updates[:limit])
            time.sleep(0.02)


class _ApiError(Exception):
    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def _error(status: int, description: str) -> dict:
    return {"ok": False, "error_code": status, "description": description}


# ---------------------------------------------------------------------- Update builders
def _user(user_id: int, first_name: str = "Test", username: Optional[str] = None,
          language_code: Optional[str] = "en") -> dict:
    user: Dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        user["username"] = username
    if language_code:
        user["language_code"] = language_code
    return user


def _file_ids(kind: str, seed: Any) -> Tuple[str, str]:
    digest = hashlib.sha256(f"{kind}:{seed}".encode()).hexdigest()
    prefix = {"sticker": "CAACAgIAAxkBAAI", "photo": "AgACAgIAAxkBAAI", "voice": "AwACAgIAAxkBAAI"}
    return prefix.get(kind, "BQACAgIAAxkBAAI") + digest[:40], "AQAD" + digest[40:52]


def _message(
    chat_id: int, user_id: int, message_id: Optional[int], date: Optional[int],
    update_id: int, first_name: str, username: Optional[str],
) -> dict:
    return {
        "message_id": message_id if message_id is not None else update_id % 100000 + 1,
        "from": _user(user_id, first_name, username),
        "chat": _chat_object(chat_id, first_name, username),
        "date": date if date is not None else _now(),
    }


def make_text_update(
    update_id: int, chat_id: int, user_id: int, text: str, *, message_id: Optional[int] = None,
    date: Optional[int] = None, first_name: str = "Test", username: Optional[str] = None,
) -> dict:
    """A ``message`` Update with text; ``/commands`` get a bot_command entity."""
    msg = _message(chat_id, user_id, message_id, date, update_id, first_name, username)
    msg["text"] = text
    if text.startswith("/"):
        command = text.split()[0]
        msg["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": update_id, "message": msg}


def make_callback_update(
    update_id: int, chat_id: int, user_id: int, data: str, message_id: int, *,
    message_text: str = "Please choose:", reply_markup: Optional[dict] = None,
    callback_id: Optional[str] = None, bot_id: int = _bot_id_from_token(DEFAULT_TOKEN),
    bot_username: str = DEFAULT_BOT_USERNAME, date: Optional[int] = None,
    first_name: str = "Test",
) -> dict:
    """A ``callback_query`` Update: the user pressed a button carrying ``data`` on the bot's
    message ``message_id``."""
    bot_message: Dict[str, Any] = {
        "message_id": message_id,
        "from": {"id": bot_id, "is_bot": True, "first_name": DEFAULT_BOT_FIRST_NAME,
                 "username": bot_username},
        "chat": _chat_object(chat_id, first_name),
        "date": date if date is not None else _now(),
        "text": message_text,
        "reply_markup": reply_markup or {
            "inline_keyboard": [[{"text": data, "callback_data": data}]]
        },
    }
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_id or str(4382000000000000000 + update_id),
            "from": _user(user_id, first_name),
            "message": bot_message,
            "chat_instance": str(-(5000000000000000000 + abs(chat_id))),
            "data": data,
        },
    }


def make_sticker_update(
    update_id: int, chat_id: int, user_id: int, *, emoji: str = "👍",
    message_id: Optional[int] = None, date: Optional[int] = None, first_name: str = "Test",
) -> dict:
    msg = _message(chat_id, user_id, message_id, date, update_id, first_name, None)
    file_id, unique_id = _file_ids("sticker", update_id)
    msg["sticker"] = {
        "file_id": file_id, "file_unique_id": unique_id, "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False,
        "emoji": emoji, "set_name": "HotCherry", "file_size": 23456,
        "thumbnail": {"file_id": file_id + "T", "file_unique_id": unique_id + "T",
                      "file_size": 5416, "width": 128, "height": 128},
    }
    return {"update_id": update_id, "message": msg}


def make_photo_update(
    update_id: int, chat_id: int, user_id: int, *, caption: Optional[str] = None,
    message_id: Optional[int] = None, date: Optional[int] = None, first_name: str = "Test",
) -> dict:
    msg = _message(chat_id, user_id, message_id, date, update_id, first_name, None)
    file_id, unique_id = _file_ids("photo", update_id)
    msg["photo"] = [
        {"file_id": f"{file_id}{i}", "file_unique_id": f"{unique_id}{i}", "file_size": size,
         "width": w, "height": h}
        for i, (w, h, size) in enumerate([(90, 67, 1201), (320, 240, 15220), (1280, 960, 98761)])
    ]
    if caption is not None:
        msg["caption"] = caption
    return {"update_id": update_id, "message": msg}


def make_voice_update(
    update_id: int, chat_id: int, user_id: int, *, duration: int = 3,
    message_id: Optional[int] = None, date: Optional[int] = None, first_name: str = "Test",
) -> dict:
    msg = _message(chat_id, user_id, message_id, date, update_id, first_name, None)
    file_id, unique_id = _file_ids("voice", update_id)
    msg["voice"] = {"file_id": file_id, "file_unique_id": unique_id, "duration": duration,
                    "mime_type": "audio/ogg", "file_size": 4000 * duration}
    return {"update_id": update_id, "message": msg}


def make_edited_message_update(
    update_id: int, chat_id: int, user_id: int, text: str, *, message_id: Optional[int] = None,
    date: Optional[int] = None, edit_date: Optional[int] = None, first_name: str = "Test",
) -> dict:
    msg = _message(chat_id, user_id, message_id, date, update_id, first_name, None)
    msg["text"] = text
    msg["edit_date"] = edit_date if edit_date is not None else msg["date"] + 5
    return {"update_id": update_id, "edited_message": msg}


def webhook_request(
    update: dict, secret_token: Optional[str] = None
) -> Tuple[Dict[str, str], bytes]:
    """(headers, body) of the POST Telegram makes to a webhook for ``update``."""
    body = json.dumps(update, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    if secret_token:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
    return headers, body
