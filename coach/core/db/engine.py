"""Engines and transactions (SQLAlchemy 1.4 with the 2.0-style API).

SQLite is the embedded default: WAL mode and a busy timeout let the Rasa server, the
action server and the worker write to one file. PostgreSQL is the production path.

    db = Database(settings.database_url)   # cheap: engines are shared per URL in a process
    with db.session() as s:                # one transaction: commits on success, rolls back on error
        s.execute(select(Participant))
    db.upgrade()                           # create or migrate (Alembic)

Nothing here reads settings: entry points build the ``Database`` and pass it down.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_path(url: str) -> str:
    return url.split("///", 1)[-1] if url.startswith("sqlite") else ""


def make_engine(url: str) -> Engine:
    """A new engine for ``url``; for SQLite the parent folder is created."""
    # hide_parameters: a database error's message (and so the logs) never carries the values
    # of the statement: they can be what he disclosed.
    kwargs: dict = {"future": True, "pool_pre_ping": True, "hide_parameters": True}
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def get_engine(url: str) -> Engine:
    """One shared engine per URL per process (created on first use, never at import)."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@dataclass(frozen=True)
class Database:
    """The app database at ``url``: transactions and migrations."""

    url: str

    @classmethod
    def from_settings(cls, settings) -> "Database":
        return cls(settings.database_url)

    @property
    def engine(self) -> Engine:
        return get_engine(self.url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: commits on success, rolls back on error."""
        session = Session(self.engine, future=True, expire_on_commit=False)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self, revision: str = "head") -> None:
        """Create or migrate the database to ``revision``."""
        from alembic import command

        path = _sqlite_path(self.url)
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        command.upgrade(alembic_config(self.url), revision)


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg
