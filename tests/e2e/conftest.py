"""The whole stack (Rasa + action server) on loopback, with its own databases and ports."""

from __future__ import annotations

import os

import pytest

from tests.conftest import ROOT, free_port


@pytest.fixture(scope="module")
def stack_settings(tmp_path_factory):
    from coach.app.runner import train
    from coach.core.db import Database
    from coach.core.settings import load_settings

    home = tmp_path_factory.mktemp("e2e-home")
    env = dict(os.environ)
    env.update({
        "COACH_ENV": "test",
        "COACH_HOME": str(home),
        "DATABASE_URL": f"sqlite:///{home / 'coach.db'}",
        "TRACKER_STORE_URL": f"sqlite:///{home / 'tracker.db'}",
        "COACH_CONTENT_DIR": str(ROOT / "content"),
        "COACH_BOT_DIR": str(ROOT / "bot"),
        "COACH_MODELS_DIR": str(ROOT / "models"),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "COACH_AUTO_ENROL": "true",
    })
    settings = load_settings(env)
    Database(settings.database_url).upgrade()
    train(settings)  # no-op when `make train` already made a fresh model
    return settings
