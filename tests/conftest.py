"""Shared fixtures: a fresh app database per test, settings pointed at a temp folder.

    def test_something(app):          # app.settings, app.url; DATABASE_URL etc. set
        with session_scope() as s: ...
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


@dataclass
class App:
    settings: object
    url: str
    home: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_caches() -> None:
    from coach.content.cache import reset_content_cache
    from coach.db.engine import dispose_engines
    from coach.settings import reset_settings_cache

    reset_settings_cache()
    dispose_engines()
    reset_content_cache()


@pytest.fixture
def app(tmp_path, monkeypatch) -> App:
    """Settings and a migrated SQLite app database in tmp_path, for code that uses get_settings()."""
    from coach.db import upgrade
    from coach.settings import get_settings

    home = tmp_path / "coach-home"
    url = f"sqlite:///{home / 'coach.db'}"
    monkeypatch.setenv("COACH_ENV", "test")
    monkeypatch.setenv("COACH_HOME", str(home))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{home / 'tracker.db'}")
    monkeypatch.setenv("COACH_CONTENT_DIR", str(ROOT / "content"))
    monkeypatch.setenv("COACH_BOT_DIR", str(ROOT / "bot"))
    monkeypatch.setenv("COACH_MODELS_DIR", str(ROOT / "models"))
    _reset_caches()
    upgrade(url)
    yield App(settings=get_settings(), url=url, home=home)
    _reset_caches()
