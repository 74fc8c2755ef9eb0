"""A fake Twilio REST API (Programmable Messaging) for tests (loopback only).

Usage::

    from tests.fakes.twilio_api import FakeTwilioAPI, signed_sms_webhook

    with FakeTwilioAPI() as fake:
        client = fake.client()            # real twilio.rest.Client; *.twilio.com -> the fake
        msg = client.messages.create(to="+15558675310", from_="+15017122661", body="Hello")
        assert msg.sid.startswith("SM") and msg.status == "queued"
        assert fake.sent_messages(to="+15558675310")[0].params["Body"] == "Hello"

        fake.fail_next(code=21610)        # -> TwilioRestException(status=400, code=21610)
        fake.block_number("+15558675310") # every later send to it -> 21610

    # async: client = fake.client(async_=True); await client.messages.create_async(...)

    headers, body = signed_sms_webhook("https://bot.example/webhooks/twilio/webhook",
                                       "auth-token", {"From": "+15558675310", "Body": "hi"})

Endpoints (the rest answer 404 with Twilio error 20404):
  POST /2010-04-01/Accounts/{AccountSid}/Messages.json        create -> 201 Message resource
  GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json  fetch  -> 200 / 404

HTTP basic auth must be the account SID + auth token (or an API key SID + secret given in
``api_keys``) and the path's AccountSid must match, otherwise 401 with error 20003.
Errors use Twilio's JSON: ``{"code", "message", "more_info", "status"}``; the twilio library
turns them into ``TwilioRestException`` with ``.status`` and ``.code``.

The client adapters (``FakeTwilioHttpClient`` for sync, ``FakeAsyncTwilioHttpClient`` for
async) rewrite any ``*.twilio.com`` URL to the fake and refuse every other host, so a test can
never reach the real network through them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, Dict, List, Mapping, Optional, Tuple

from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

from tests.fakes._loopback import LoopbackFake, LoopbackServer, post_loopback

DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "fake_auth_token_0123456789abcdef"
DEFAULT_TWILIO_NUMBER = "+15017122661"
DEFAULT_USER_NUMBER = "+15558675310"
API_VERSION = "2010-04-01"
MAX_LATENCY_SECONDS = 30.0

_E164_RE = re.compile(r"^(?:whatsapp:)?\+[1-9]\d{1,14}$")

# Known Twilio errors: code -> (HTTP status, message)
KNOWN_ERRORS: Dict[int, Tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20404: (404, "The requested resource was not found"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "Invalid 'To' Phone Number"),
    21408: (400, "Permission to send an SMS has not been enabled for the region indicated by "
                 "the 'To' number"),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}
_DEFAULT_CODE_FOR_STATUS = {400: 21610, 401: 20003, 404: 20404, 429: 20429, 500: 20500,
                            503: 20503}

# ---------------------------------------------------------------------- SMS segments
_GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = set("^{}\\[~]|€\f")  # cost two septets (escape + char)


def sms_segments(body: str) -> Tuple[str, int]:
    """("GSM-7" | "UCS-2", number of SMS segments) for ``body``.

    GSM-7: 160 septets in one segment, 153 per segment when concatenated (extension
    characters count twice). UCS-2: 70 UTF-16 code units, 67 when concatenated.
    """
    if all(ch in _GSM7_BASIC or ch in _GSM7_EXTENDED for ch in body):
        units = sum(2 if ch in _GSM7_EXTENDED else 1 for ch in body)
        single, multi, encoding = 160, 153, "GSM-7"
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    return encoding, (1 if units <= single else math.ceil(units / multi))


def _rfc2822_now() -> str:
    return format_datetime(datetime.now(timezone.utc).replace(microsecond=0))


def _error_body(status: int, code: int, message: str) -> dict:
    return {"code": code, "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


# ---------------------------------------------------------------------- server
@dataclass
class Call:
    """One request received by the fake."""

    http_method: str
    path: str
    params: Dict[str, Any]  # form/query params; repeated keys (MediaUrl) become lists
    time: float
    username: Optional[str] = None  # basic-auth user (AccountSid or API key SID)
    headers: Dict[str, str] = field(default_factory=dict)
    status: int = 0
    response: Any = None


@dataclass
class _Failure:
    status: int
    body: dict
    remaining: int


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    timeout = 10
    server_version = "nginx"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload, extra = self.server.fake._handle(
            self.command, self.path, dict(self.headers.items()), body
        )
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Twilio-Request-Id", "RQ" + hashlib.md5(data).hexdigest())
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _dispatch


class FakeTwilioAPI(LoopbackFake):
    """Fake Twilio REST API. See the module docstring for usage.

    Args:
        account_sid / auth_token: the credentials the fake accepts.
        api_keys: optional ``{"SK...": "secret"}`` also accepted as basic auth.
        latency: seconds to sleep before answering every request (capped at 30).
    """

    handler = _Handler

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        api_keys: Optional[Mapping[str, str]] = None,
        latency: float = 0.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.api_keys = dict(api_keys or {})
        self._latency = min(float(latency), MAX_LATENCY_SECONDS)
        self._lock = threading.Lock()
        self._calls: List[Call] = []
        self._failures: List[_Failure] = []
        self._blocked: set = set()
        self._messages: Dict[str, dict] = {}
        self._sid_counter = 0

    # ------------------------------------------------------------------ clients
    def http_client(self, timeout: float = 5.0) -> "FakeTwilioHttpClient":
        """A sync twilio HttpClient that sends *.twilio.com requests to this fake."""
        return FakeTwilioHttpClient(self.url, timeout=timeout)

    def async_http_client(self, timeout: float = 5.0) -> "FakeAsyncTwilioHttpClient":
        """An async twilio HttpClient (aiohttp) that sends *.twilio.com requests to this fake."""
        return FakeAsyncTwilioHttpClient(self.url, timeout=timeout)

    def client(
        self, account_sid: Optional[str] = None, auth_token: Optional[str] = None, *,
        async_: bool = False, timeout: float = 5.0,
    ):
        """A real ``twilio.rest.Client`` wired to this fake (async_=True for ``*_async``)."""
        from twilio.rest import Client

        http = self.async_http_client(timeout) if async_ else self.http_client(timeout)
        return Client(
            account_sid or self.account_sid, auth_token or self.auth_token,
            http_client=http, environment={},
        )

    # ------------------------------------------------------------------ programming
    def fail_next(
        self, status: Optional[int] = None, code: Optional[int] = None,
        message: Optional[str] = None, *, times: int = 1,
    ) -> None:
        """Make the next ``times`` authenticated requests fail with a Twilio error.

        ``fail_next(code=21610)`` infers status 400 and the message; ``fail_next(status=429)``
        infers code 20429; ``fail_next(status=500)`` code 20500.
        """
        if code is None:
            code = _DEFAULT_CODE_FOR_STATUS.get(status or 400, status or 400)
        known_status, known_message = KNOWN_ERRORS.get(code, (status or 400, "Error"))
        status = status or known_status
        body = _error_body(status, code, message or known_message)
        with self._lock:
            self._failures.append(_Failure(status, body, max(1, times)))

    def block_number(self, number: str) -> None:
        """Sends to ``number`` fail with 21610 (recipient replied STOP) until unblocked."""
        with self._lock:
            self._blocked.add(number)

    def unblock_number(self, number: str) -> None:
        with self._lock:
            self._blocked.discard(number)

    def set_latency(self, seconds: float) -> None:
        self._latency = min(float(seconds), MAX_LATENCY_SECONDS)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._blocked.clear()
            self._messages.clear()
            self._latency = 0.0

    # ------------------------------------------------------------------ inspection
    @property
    def calls(self) -> List[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def messages(self) -> List[dict]:
        """Message resources created so far (as returned to the client)."""
        with self._lock:
            return list(self._messages.values())

    def sent_messages(self, to: Optional[str] = None, *, successful_only: bool = False
                      ) -> List[Call]:
        """POST .../Messages.json calls, optionally only those addressed ``to``."""
        out = [
            c for c in self.calls
            if c.http_method == "POST" and c.path.endswith("/Messages.json")
            and (to is None or c.params.get("To") == to)
        ]
        return [c for c in out if c.status == 201] if successful_only else out

    def sent_bodies(self, to: Optional[str] = None) -> List[str]:
        return [c.params.get("Body", "") for c in self.sent_messages(to, successful_only=True)]

    def _describe(self, call: Call) -> tuple:
        return (call.http_method, call.path, call.status)

    # ------------------------------------------------------------------ status callbacks
    def status_callback_request(
        self, message_sid: str, status: str = "delivered", error_code: Optional[int] = None,
    ) -> Tuple[str, Dict[str, str], bytes]:
        """(url, headers, body) of the signed StatusCallback Twilio would POST for a message
        created with ``StatusCallback``."""
        with self._lock:
            msg = dict(self._messages[message_sid])
        url = msg.get("_status_callback")
        if not url:
            raise ValueError(f"message {message_sid} was created without StatusCallback")
        params = {
            "SmsSid": message_sid, "SmsStatus": status, "MessageStatus": status,
            "To": msg["to"], "MessageSid": message_sid,
            "AccountSid": msg["account_sid"], "ApiVersion": API_VERSION,
        }
        if msg.get("from"):
            params["From"] = msg["from"]
        if msg.get("messaging_service_sid"):
            params["MessagingServiceSid"] = msg["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        headers, body = sign_twilio_request(url, self.auth_token, params)
        return url, headers, body

    def deliver_status_callback(
        self, message_sid: str, status: str = "delivered", error_code: Optional[int] = None,
        timeout: float = 5.0,
    ) -> int:
        """POST the status callback (loopback URLs only); returns the HTTP status."""
        url, headers, body = self.status_callback_request(message_sid, status, error_code)
        return post_loopback(url, headers, body, timeout)

    # ------------------------------------------------------------------ request handling
    def _handle(self, http_method: str, raw_path: str, headers: Dict[str, str], body: bytes
                ) -> Tuple[int, dict, Dict[str, str]]:
        arrived = time.time()
        split = urllib.parse.urlsplit(raw_path)
        pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        pairs += urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        params: Dict[str, Any] = {}
        for key, value in pairs:
            if key in params:
                prev = params[key]
                params[key] = (prev if isinstance(prev, list) else [prev]) + [value]
            else:
                params[key] = value
        if self._latency:
            time.sleep(self._latency)
        username = self._auth_user(headers)
        status, payload = self._answer(http_method, split.path, params, username)
        extra = {"WWW-Authenticate": 'Basic realm="Twilio API"'} if status == 401 else {}
        with self._lock:
            self._calls.append(Call(http_method, split.path, params, arrived, username,
                                    headers, status, payload))
        return status, payload, extra

    def _auth_user(self, headers: Dict[str, str]) -> Optional[str]:
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not auth.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if user == self.account_sid and password == self.auth_token:
            return user
        if user in self.api_keys and password == self.api_keys[user]:
            return user
        return None

    def _answer(self, http_method: str, path: str, params: dict, username: Optional[str]
                ) -> Tuple[int, dict]:
        m = re.match(rf"^/{API_VERSION}/Accounts/([^/]+)/Messages(?:/([^/]+))?\.json$", path)
        if username is None or (m and m.group(1) != self.account_sid):
            return 401, _error_body(401, 20003, "Authenticate")
        with self._lock:
            if self._failures:
                failure = self._failures[0]
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.pop(0)
                return failure.status, failure.body
        not_found = 404, _error_body(
            404, 20404, f"The requested resource {path} was not found")
        if not m:
            return not_found
        sid = m.group(2)
        if http_method == "POST" and sid is None:
            return self._create_message(params)
        if http_method == "GET" and sid is not None:
            with self._lock:
                msg = self._messages.get(sid)
            return (200, _public(msg)) if msg else not_found
        return 405, _error_body(405, 20004, "Method not allowed")

    def _create_message(self, params: dict) -> Tuple[int, dict]:
        def err(code: int, message: Optional[str] = None) -> Tuple[int, dict]:
            status, known = KNOWN_ERRORS[code]
            return status, _error_body(status, code, message or known)

        to, from_ = params.get("To"), params.get("From")
        service = params.get("MessagingServiceSid")
        body = params.get("Body", "")
        media = params.get("MediaUrl")
        if not to:
            return err(21604)
        if not _E164_RE.match(to):
            return err(21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service:
            return err(21603)
        if not body and not media and not params.get("ContentSid"):
            return err(21602)
        if len(body) > 1600:
            return err(21617)
        with self._lock:
            if to in self._blocked:
                return err(21610)
            self._sid_counter += 1
            sid = "SM" + hashlib.md5(
                f"{self.account_sid}:{self._sid_counter}".encode()).hexdigest()
        now = _rfc2822_now()
        encoding, segments = sms_segments(body) if body else ("GSM-7", 1)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        num_media = len(media) if isinstance(media, list) else (1 if media else 0)
        msg = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_ or None,
            "messaging_service_sid": service or None,
            "num_media": str(num_media),
            "num_segments": "0" if service and not from_ else str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service and not from_ else "queued",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
            "_encoding": encoding,
            "_status_callback": params.get("StatusCallback"),
        }
        with self._lock:
            self._messages[sid] = msg
        return 201, _public(msg)


def _public(msg: dict) -> dict:
    return {k: v for k, v in msg.items() if not k.startswith("_")}


# ---------------------------------------------------------------------- client adapters
def _rewrite(url: str, base_url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "twilio.com" or host.endswith(".twilio.com"):
        base = urllib.parse.urlsplit(base_url)
        return urllib.parse.urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))
    if url.startswith(base_url):
        return url
    raise RuntimeError(f"fake twilio http client refuses non-Twilio URL {url!r}")


class FakeTwilioHttpClient(TwilioHttpClient):
    """Sync twilio HttpClient (requests) that redirects *.twilio.com to ``base_url``."""

    def __init__(self, base_url: str, timeout: float = 5.0, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        self.base_url = base_url.rstrip("/")
        if self.session is not None:
            self.session.trust_env = False  # ignore HTTP(S)_PROXY: the fake is on loopback

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, _rewrite(url, self.base_url), *args, **kwargs)


class FakeAsyncTwilioHttpClient(AsyncTwilioHttpClient):
    """Async twilio HttpClient (aiohttp) that redirects *.twilio.com to ``base_url``.

    Uses a fresh aiohttp session per request, so it can be created outside an event loop
    and used from any ``asyncio.run``.
    """

    def __init__(self, base_url: str, timeout: float = 5.0, **kwargs: Any) -> None:
        super().__init__(pool_connections=False, timeout=timeout, **kwargs)
        self.base_url = base_url.rstrip("/")

    async def request(
        self, method: str, url: str, params: Optional[Dict[str, object]] = None,
        data: Optional[Dict[str, object]] = None, headers: Optional[Dict[str, str]] = None,
        auth: Optional[Tuple[str, str]] = None, timeout: Optional[float] = None,
        allow_redirects: bool = False,
    ) -> Response:
        import aiohttp

        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        kwargs = {
            "method": method.upper(),
            "url": _rewrite(url, self.base_url),
            "params": params,
            "data": data,
            "headers": headers,
            "auth": aiohttp.BasicAuth(auth[0], auth[1]) if auth else None,
            "timeout": aiohttp.ClientTimeout(total=timeout or self.timeout or 5.0),
            "allow_redirects": allow_redirects,
        }
        self.log_request(kwargs)
        async with aiohttp.ClientSession(trust_env=False) as session:
            async with session.request(**kwargs) as response:
                text = await response.text()
                self.log_response(response.status, response)
                self._test_only_last_response = Response(response.status, text,
                                                         response.headers)
        return self._test_only_last_response

    async def close(self) -> None:
        pass


# ---------------------------------------------------------------------- inbound webhooks
def sms_webhook_params(params: Optional[Mapping[str, str]] = None, *,
                       account_sid: str = DEFAULT_ACCOUNT_SID) -> Dict[str, str]:
    """Realistic inbound-SMS webhook params; ``params`` override/extend the defaults.

    MessageSid/SmsSid/SmsMessageSid are derived deterministically from From+Body unless given.
    """
    params = dict(params or {})
    body = params.get("Body", "Hello")
    from_ = params.get("From", DEFAULT_USER_NUMBER)
    to = params.get("To", DEFAULT_TWILIO_NUMBER)
    sid = params.get("MessageSid") or "SM" + hashlib.md5(
        f"inbound:{from_}:{to}:{body}".encode()).hexdigest()
    num_media = params.get("NumMedia", "0")
    out = {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": num_media,
        "ToCity": "SAN FRANCISCO", "FromZip": "94105", "SmsSid": sid, "FromState": "CA",
        "SmsStatus": "received", "FromCity": "SAN FRANCISCO", "Body": body,
        "FromCountry": "US", "To": to, "ToZip": "94105",
        "NumSegments": str(sms_segments(body)[1]), "MessageSid": sid,
        "AccountSid": account_sid, "From": from_, "ApiVersion": API_VERSION,
    }
    out.update({k: str(v) for k, v in params.items()})
    return out


def sign_twilio_request(url: str, auth_token: str, params: Mapping[str, str]
                        ) -> Tuple[Dict[str, str], bytes]:
    """(headers, form body) for a POST to ``url`` signed with X-Twilio-Signature."""
    signature = RequestValidator(auth_token).compute_signature(url, dict(params))
    body = urllib.parse.urlencode(list(params.items())).encode("utf-8")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
        "I-Twilio-Idempotency-Token": hashlib.md5(body).hexdigest(),
        "User-Agent": "TwilioProxy/1.1",
        "Accept": "*/*",
    }
    return headers, body


def signed_sms_webhook(url: str, auth_token: str, params: Optional[Mapping[str, str]] = None
                       ) -> Tuple[Dict[str, str], bytes]:
    """(headers, body) of Twilio's signed inbound-SMS webhook POST to ``url``.

    ``url`` must be the exact public URL the app validates against (scheme/host/port/path).
    ``params`` are merged over realistic defaults (see ``sms_webhook_params``).
    """
    return sign_twilio_request(url, auth_token, sms_webhook_params(params))
