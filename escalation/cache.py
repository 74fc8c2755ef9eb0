"""One detector and one risk model per process, reloaded when their files change.

A lexicon change that fails to load keeps the last good detector running (and logs why),
so a typo in content/safety/lexicon.yml can never switch detection off. The same goes for a
retrained model that can't be read; with no model at all (not trained yet), decisions
fall back to the lexicon alone, loudly.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Callable, Dict, Tuple

from escalation.detector import RiskDetector

log = logging.getLogger(__name__)
_lock = threading.Lock()
_Cache = Dict[str, Tuple[Tuple[int, int], object]]
_detectors: _Cache = {}
_models: _Cache = {}
_warned: set = set()


def _load(cache: _Cache, key: str, sig: Tuple[int, int], build: Callable[[str], object], what: str,
          keep_on_error: bool):
    """The object built from the file ``key``, rebuilt (once, under the lock) when its
    (mtime, size) signature changes. If rebuilding fails, the last good one stays live."""
    cached = cache.get(key)
    if cached and cached[0] == sig:
        return cached[1]
    with _lock:
        cached = cache.get(key)
        if cached and cached[0] == sig:
            return cached[1]
        try:
            built = build(key)
        except Exception:
            if cached is None and not keep_on_error:
                raise
            log.exception("%s change not used: it fails to load; the previous one stays live", what)
            cache[key] = (sig, cached[1] if cached else None)
            return cache[key][1]
        cache[key] = (sig, built)
        return built


def _signature(key: str) -> Tuple[int, int]:
    st = Path(key).stat()
    return (st.st_mtime_ns, st.st_size)


def lexicon_path(content_dir: Path) -> Path:
    """Where authors keep the lexicon inside a content folder."""
    return Path(content_dir) / "safety" / "lexicon.yml"


def get_detector(path: Path) -> RiskDetector:
    """The detector for the lexicon at ``path``, rebuilt when the file changes."""
    key = str(Path(path).resolve())
    return _load(_detectors, key, _signature(key), RiskDetector.from_path, "lexicon", keep_on_error=False)


def model_path(models_dir: Path) -> Path:
    """Where `make train` saves the risk model."""
    return Path(models_dir) / "risk.joblib"


def get_model(path: Path):
    """The risk model at ``path`` (reloaded when the file changes), or None if there is none."""
    from escalation.model.classifier import RiskModel

    key = str(Path(path).resolve())
    try:
        sig = _signature(key)
    except FileNotFoundError:
        if key not in _warned:
            _warned.add(key)
            log.error("no risk model at %s: deciding with the lexicon alone; run `make train`", key)
        return None
    return _load(_models, key, sig, RiskModel.load, "risk model", keep_on_error=True)
