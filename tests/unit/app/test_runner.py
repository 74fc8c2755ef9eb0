"""How `coach up` configures Rasa: tracker store URLs, run files with no secrets in the repo."""

from __future__ import annotations

import pytest
import yaml

from coach.app.runner import StackError, tracker_store_config, write_run_files


def test_tracker_store_urls():
    assert tracker_store_config("sqlite:////tmp/x/tracker.db") == {"type": "SQL", "dialect": "sqlite",
                                                                   "db": "/tmp/x/tracker.db"}
    pg = tracker_store_config("postgresql://rasa:p%40ss@db.local:5433/rasa")
    assert pg == {"type": "SQL", "dialect": "postgresql", "url": "db.local", "db": "rasa", "port": 5433,
                  "username": "rasa", "password": "p@ss"}
    assert tracker_store_config("redis://127.0.0.1:6380/2") == {"type": "redis", "url": "127.0.0.1", "port": 6380,
                                                                "db": 2, "use_ssl": False}
    with pytest.raises(StackError):
        tracker_store_config("mongodb://x")


def test_run_files_keep_channels_off_without_their_variables(app):
    files = write_run_files(app.settings)
    creds = yaml.safe_load(files["credentials"].read_text())
    assert list(creds) == ["bot.channels.rest.CoachRestInput"]
    endpoints = yaml.safe_load(files["endpoints"].read_text())
    assert endpoints["action_endpoint"]["url"].startswith("http://127.0.0.1:")
    assert (files["endpoints"].stat().st_mode & 0o077) == 0  # only the owner can read it
