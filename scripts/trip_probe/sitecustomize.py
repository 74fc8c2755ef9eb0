"""Counting probe for `scripts/bench_trip.py`: loaded by every process of the stack it starts.

Python imports ``sitecustomize`` at start-up when it is on ``sys.path``; the benchmark puts
this folder on ``PYTHONPATH`` and sets ``COACH_TRIP_PROBE`` to a folder. Nothing here runs
otherwise. Each process appends one line per event to ``<folder>/<role>-<pid>.events``
(role: ``rasa`` for the Rasa server, ``actions`` for the action server):

- ``txn app`` / ``txn tracker``: a database transaction began (SQLAlchemy ``begin`` event),
  on the app database or on Rasa's tracker store;
- ``participant``: a SELECT that loads participant rows;
- ``detect``: the risk detector ran on a message (``RiskDetector.detect``).

The production code is not changed for this: the probe hooks SQLAlchemy's events and wraps
the detector class when its module is imported.
"""

from __future__ import annotations

import os
import sys

_OUT = os.environ.get("COACH_TRIP_PROBE")

if _OUT:
    import importlib.abc
    import importlib.util
    import threading

    _lock = threading.Lock()
    _where: list = []

    def _path() -> str:
        if not _where:  # sys.argv is complete only once the program runs (not yet for `-m`)
            argv = " ".join(sys.argv)
            role = "actions" if "rasa_sdk" in argv else "rasa" if "rasa" in argv else "other"
            _where.append(os.path.join(_OUT, f"{role}-{os.getpid()}.events"))
        return _where[0]

    def _event(line: str) -> None:
        with _lock, open(_path(), "a") as fh:
            fh.write(line + "\n")

    def _hook_sqlalchemy(module) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        def which(conn) -> str:
            url = str(conn.engine.url)
            return "tracker" if "tracker" in url or "rasa" in url else "app"

        @event.listens_for(Engine, "begin")
        def _begin(conn):  # noqa: ANN001
            _event(f"txn {which(conn)}")

        @event.listens_for(Engine, "before_cursor_execute")
        def _select(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            s = statement.lower()
            if s.lstrip().startswith("select") and "from participants" in s:
                _event("participant")

    def _hook_detector(module) -> None:
        cls = getattr(module, "RiskDetector", None)
        if cls is None or getattr(cls.detect, "_probed", False):
            return
        original = cls.detect

        def detect(self, *args, **kwargs):
            _event("detect")
            return original(self, *args, **kwargs)

        detect._probed = True
        cls.detect = detect

    _HOOKS = {"sqlalchemy.engine": _hook_sqlalchemy}

    class _After(importlib.abc.MetaPathFinder):
        """Runs a hook right after a module we care about has been executed."""

        def find_spec(self, name, path=None, target=None):
            wanted = name in _HOOKS or name.startswith("escalation.detector")
            if not wanted or getattr(self, "_busy", False):
                return None
            self._busy = True
            try:
                spec = importlib.util.find_spec(name)
            finally:
                self._busy = False
            if spec is None or spec.loader is None:
                return None
            loader = spec.loader
            original_exec = loader.exec_module

            def exec_module(module, _orig=original_exec, _name=name):
                _orig(module)
                if _name in _HOOKS:
                    _HOOKS[_name](module)
                else:
                    _hook_detector(module)

            loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, _After())
