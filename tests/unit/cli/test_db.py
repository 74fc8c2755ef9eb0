"""`coach db upgrade`."""

from __future__ import annotations

from sqlalchemy import inspect


def test_upgrade_says_where(cli, app):
    code, out, err = cli("db", "upgrade")
    assert (code, err) == (0, "")
    assert out == f"Database ready: {app.url}\n"
    assert "participants" in inspect(app.db.engine).get_table_names()


def test_upgrade_hides_the_password(cli, monkeypatch, tmp_path):
    import coach.cli.db as db_commands

    class FakeDatabase:
        def upgrade(self):
            pass

    class FakeSettings:
        database_url = "postgresql://coach:s3cret@db.local/coach"
        home = tmp_path

    monkeypatch.setattr(db_commands, "db", FakeDatabase)
    monkeypatch.setattr(db_commands, "settings", FakeSettings)
    code, out, _ = cli("db", "upgrade")
    assert (code, out) == (0, "Database ready: postgresql://coach:***@db.local/coach\n")


def test_coach_home_and_its_databases_are_the_owners_alone(cli, app):
    import os
    import stat

    os.chmod(app.home, 0o755)  # as an older install left it
    (app.home / "tracker.db").write_bytes(b"")
    os.chmod(app.home / "tracker.db", 0o644)
    assert cli("db", "upgrade")[0] == 0
    assert stat.S_IMODE(os.stat(app.home).st_mode) == 0o700
    for name in ("coach.db", "tracker.db", "dev-secrets.json"):
        assert stat.S_IMODE(os.stat(app.home / name).st_mode) == 0o600, name
