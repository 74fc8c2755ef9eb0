"""Content as the running coach sees it: reloaded when an author publishes a change.

The action server calls ``content_cache(settings.content_dir).get()`` on each request. A cheap
signature (file names, sizes and modification times) decides whether to reload; a change that
fails the checks is not used (the last good content stays live, and the error is logged).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Dict, Optional, Tuple

from coach.programme.content.loader import ContentError, load_content
from coach.programme.content.model import Content

log = logging.getLogger(__name__)


def _signature(content_dir: Path) -> Tuple:
    out = []
    for path in sorted(content_dir.rglob("*.yml")):
        st = path.stat()
        out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)


class ContentCache:
    CHECK_EVERY = 1.0  # seconds: a published change is live within this long

    def __init__(self, content_dir: Path):
        self.dir = Path(content_dir)
        self._lock = threading.Lock()
        self._sig: Optional[Tuple] = None
        self._content: Optional[Content] = None
        self._checked = 0.0

    def get(self) -> Content:
        now = time.monotonic()
        if self._content is not None and now - self._checked < self.CHECK_EVERY:
            return self._content
        self._checked = now
        sig = _signature(self.dir)
        if sig == self._sig and self._content is not None:
            return self._content
        with self._lock:
            if sig != self._sig or self._content is None:
                try:
                    self._content = load_content(self.dir)
                    log.info("content loaded (fingerprint %s)", self._content.fingerprint)
                except ContentError as exc:
                    if self._content is None:
                        raise
                    log.error("content change not used, it has problems:\n%s", exc)
                self._sig = sig
        return self._content


_caches: Dict[Path, ContentCache] = {}
_caches_lock = threading.Lock()


def content_cache(content_dir: Path) -> ContentCache:
    """The process's cache for ``content_dir`` (one per folder, made on first use)."""
    key = Path(content_dir).resolve()
    with _caches_lock:
        cache = _caches.get(key)
        if cache is None:
            cache = _caches[key] = ContentCache(key)
        return cache


def reset_content_cache() -> None:
    """Forget all loaded content (tests that edit content folders)."""
    with _caches_lock:
        _caches.clear()
