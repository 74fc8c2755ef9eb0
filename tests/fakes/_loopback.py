"""What the Telegram and Twilio fakes share: a quiet threaded HTTP server on 127.0.0.1,
its start/stop lifecycle, polling for a condition, and POSTing to loopback URLs only."""

from __future__ import annotations

import ipaddress
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, Optional, Type


class LoopbackServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` on 127.0.0.1 with an ephemeral port; ``fake`` is the owner."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # listen backlog; the default 5 resets bursts of connections

    def __init__(self, fake: Any, handler: Type[BaseHTTPRequestHandler]):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up (e.g. latency tests) is expected: stay quiet.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class LoopbackFake:
    """Lifecycle of a fake served from a daemon thread: ``with Fake() as fake: ...``.

    Subclasses set ``handler`` (the request handler class) and implement ``calls`` and
    ``_describe(call)`` for timeout messages.
    """

    handler: Type[BaseHTTPRequestHandler]
    _server: Optional[LoopbackServer] = None
    _thread: Optional[threading.Thread] = None

    def start(self):
        if self._server is None:
            self._server = LoopbackServer(self, self.handler)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                name=type(self).__name__, daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.01
    ) -> Any:
        """Poll ``predicate()`` until it returns something truthy; return that value.

        Raises ``TimeoutError`` (listing the calls seen) after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                seen = [self._describe(c) for c in self.calls]
                raise TimeoutError(f"condition not met within {timeout}s; calls: {seen}")
            time.sleep(interval)

    @property
    def calls(self) -> list:  # pragma: no cover - overridden
        raise NotImplementedError

    def _describe(self, call: Any) -> tuple:  # pragma: no cover - overridden
        raise NotImplementedError


def require_loopback(url: str) -> None:
    """Refuse any URL whose host is not loopback: test traffic never leaves the machine."""
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"refusing to send to non-loopback host {host!r}")


def post_loopback(url: str, headers: Dict[str, str], body: bytes, timeout: float = 5.0) -> int:
    """POST ``body`` to a loopback ``url``; return the HTTP status (errors included)."""
    require_loopback(url)
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
