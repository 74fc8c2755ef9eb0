"""Shared fixtures: a fresh app database per test, settings pointed at a temp folder.

    def test_something(app):          # app.settings, app.db, app.url; DATABASE_URL etc. set
        with app.db.session() as s: ...
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
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
    db: object
    url: str
    home: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_caches() -> None:
    from bot.runtime import runtime
    from coach.core.db.engine import dispose_engines
    from coach.core.settings import reset_settings_cache
    from coach.programme.content.cache import reset_content_cache

    reset_settings_cache()
    runtime.cache_clear()
    dispose_engines()
    reset_content_cache()


@pytest.fixture
def app(tmp_path, monkeypatch) -> App:
    """Settings and a migrated SQLite app database in tmp_path, for code that uses get_settings()."""
    from coach.core.db import Database
    from coach.core.settings import get_settings

    home = tmp_path / "coach-home"
    url = f"sqlite:///{home / 'coach.db'}"
    monkeypatch.setenv("COACH_ENV", "test")
    monkeypatch.setenv("COACH_HOME", str(home))
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{home / 'tracker.db'}")
    monkeypatch.setenv("COACH_CONTENT_DIR", str(ROOT / "content"))
    monkeypatch.setenv("COACH_BOT_DIR", str(ROOT / "bot"))
    # No trained models here: unit tests see the lexicon deciding alone (deterministic); the
    # risk model has its own tests, and the end-to-end tests use the trained models.
    monkeypatch.setenv("COACH_MODELS_DIR", str(home / "models"))
    _reset_caches()
    db = Database(url)
    db.upgrade()
    yield App(settings=get_settings(), db=db, url=url, home=home)
    _reset_caches()


def _pg_bin(name: str):
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]
    return found if isinstance(found, str) else (found[0] if found else None)


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL server on 127.0.0.1 for this test session (`.ci/run` installs it)."""
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server binaries not installed (.ci/run installs the postgresql package)")
    base = Path(tempfile.mkdtemp(prefix="coach-pg-"))
    as_user: list = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres", "postgres")
        os.chmod(base, 0o755)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", free_port()
    run = dict(check=True, capture_output=True, text=True, timeout=120)
    subprocess.run(as_user + [initdb, "-D", str(data), "-A", "trust", "-U", "coach", "-E", "UTF8"], **run)
    subprocess.run(as_user + [pg_ctl, "-D", str(data), "-l", str(base / "log"), "-w", "-t", "60", "-o",
                              f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off", "start"], **run)
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(f"postgresql://coach@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE DATABASE coach")
        engine.dispose()
        yield f"postgresql://coach@127.0.0.1:{port}/coach"
    finally:
        subprocess.run(as_user + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def db_session():
    """A transaction on the test's app database (the one the ``app`` fixture set up)."""
    from coach.core.db import Database
    from coach.core.settings import get_settings

    return Database.from_settings(get_settings()).session()


def content():
    """The content the ``app`` fixture's settings point at (cached, as the running coach sees it)."""
    from coach.core.settings import get_settings
    from coach.programme.content.cache import content_cache

    return content_cache(get_settings().content_dir).get()
