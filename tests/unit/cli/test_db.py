"""`coach db upgrade`."""

from __future__ import annotations

from sqlalchemy import inspect


def test_upgrade_says_where(cli, app):
    code, out, err = cli("db", "upgrade")
    assert (code, err) == (0, "")
    assert out == f"Database ready: {app.url}\n"
    assert "participants" in inspect(app.db.engine).get_table_names()


def test_upgrade_hides_the_password(cli, monkeypatch):
    import coach.cli.db as db_commands

    class FakeDatabase:
        def upgrade(self):
            pass

    class FakeSettings:
        database_url = "postgresql://coach:s3cret@db.local/coach"

    monkeypatch.setattr(db_commands, "db", FakeDatabase)
    monkeypatch.setattr(db_commands, "settings", FakeSettings)
    code, out, _ = cli("db", "upgrade")
    assert (code, out) == (0, "Database ready: postgresql://coach:***@db.local/coach\n")
