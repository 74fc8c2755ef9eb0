"""One detector per process, rebuilt when an author changes the lexicon.

A lexicon change that fails to load keeps the last good detector running (and logs why),
so a typo in content/safety/lexicon.yml can never switch detection off.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Dict, Tuple

from escalation.detector import RiskDetector

log = logging.getLogger(__name__)
_lock = threading.Lock()
_detectors: Dict[str, Tuple[Tuple[int, int], RiskDetector]] = {}


def lexicon_path(content_dir: Path) -> Path:
    """Where authors keep the lexicon inside a content folder."""
    return Path(content_dir) / "safety" / "lexicon.yml"


def get_detector(path: Path) -> RiskDetector:
    """The detector for the lexicon at ``path``, rebuilt when the file changes."""
    key = str(Path(path).resolve())
    st = Path(key).stat()
    sig = (st.st_mtime_ns, st.st_size)
    cached = _detectors.get(key)
    if cached and cached[0] == sig:
        return cached[1]
    with _lock:
        cached = _detectors.get(key)
        if cached and cached[0] == sig:
            return cached[1]
        try:
            detector = RiskDetector.from_path(key)
        except Exception:
            if cached is None:
                raise
            log.exception("lexicon change not used: it fails to load; the previous lexicon stays live")
            _detectors[key] = (sig, cached[1])
            return cached[1]
        _detectors[key] = (sig, detector)
        return detector
