"""Settings are declared once: loading, as_env and .env.example all come from the declarations."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from coach.core.settings import (
    DEV_SECRET,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    declarations,
    env_example,
    load_settings,
)

ROOT = Path(__file__).resolve().parents[3]


def test_every_field_is_declared_with_an_environment_name_a_default_and_a_doc():
    names = set()
    for field in dataclasses.fields(Settings):
        meta = field.metadata
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", meta["env"]), field.name
        assert meta["doc"].strip(), f"{field.name} has no doc"
        assert "default" in meta and "parse" in meta
        names.add(meta["env"])
    assert len(names) == len(dataclasses.fields(Settings)), "two settings share an environment name"


def test_env_example_is_generated_from_the_declarations():
    """Run `coach settings example > .env.example` after changing a setting."""
    assert (ROOT / ".env.example").read_text() == env_example()


def test_every_declared_variable_is_in_env_example():
    text = env_example()
    for _name, meta in declarations():
        assert re.search(rf"^#? ?{meta['env']}=", text, re.M), meta["env"]


def test_as_env_round_trips(tmp_path):
    settings = load_settings({"COACH_HOME": str(tmp_path), "RASA_PORT": "6000", "COACH_AUTO_ENROL": "false",
                              "SCHEDULE_NUDGE_TIME": "7:05"})
    assert settings.rasa_port == 6000 and settings.auto_enrol is False and settings.schedule_nudge_time == "07:05"
    assert load_settings(settings.as_env()) == settings
    assert set(settings.as_env()) == {meta["env"] for _n, meta in declarations()}


def test_defaults_that_depend_on_other_settings(tmp_path):
    settings = load_settings({"COACH_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'coach.db'}"
    assert settings.tracker_store_url == f"sqlite:///{tmp_path / 'tracker.db'}"
    assert settings.auto_enrol is True and settings.content_dir == PROJECT_ROOT / "content"
    assert settings.secret_key and settings.hash_key and settings.rasa_auth_token  # generated for development
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0  # readable by its owner only
    assert load_settings({"COACH_HOME": str(tmp_path)}).secret_key == settings.secret_key  # kept, not regenerated


def test_production_needs_its_secrets_and_turns_demo_enrolment_off(tmp_path):
    with pytest.raises(SettingsError, match="RASA_AUTH_TOKEN must be set in production"):
        load_settings({"COACH_ENV": "production", "COACH_HOME": str(tmp_path)})
    secrets = {"RASA_AUTH_TOKEN": "t", "COACH_SECRET_KEY": "k", "COACH_HASH_KEY": "h"}
    settings = load_settings({"COACH_ENV": "production", "COACH_HOME": str(tmp_path), **secrets})
    assert settings.is_production and settings.auto_enrol is False
    assert not (tmp_path / "dev-secrets.json").exists()
    assert sum(1 for _n, m in declarations() if m["default"] is DEV_SECRET) == 3


@pytest.mark.parametrize("env,message", [
    ({"COACH_ENV": "staging"}, "COACH_ENV must be development, test or production"),
    ({"RASA_PORT": "five"}, "RASA_PORT must be a whole number"),
    ({"ALERT_RENOTIFY_MINUTES": "soon"}, "ALERT_RENOTIFY_MINUTES must be a number"),
    ({"COACH_AUTO_ENROL": "maybe"}, "COACH_AUTO_ENROL must be true or false"),
    ({"SCHEDULE_QUIET_START": "25:00"}, "SCHEDULE_QUIET_START must be a time like 19:00"),
])
def test_bad_values_name_the_variable_and_the_fix(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({"COACH_HOME": str(tmp_path), **env})


def test_empty_values_mean_the_default(tmp_path):
    settings = load_settings({"COACH_HOME": str(tmp_path), "RASA_HOST": "", "RASA_PORT": "  ",
                              "PUBLIC_BASE_URL": "https://coach.example.org/"})
    assert settings.rasa_host == "127.0.0.1" and settings.rasa_port == 5005
    assert settings.public_base_url == "https://coach.example.org"


def test_only_entry_points_read_the_settings():
    """Library code takes settings as an argument: get_settings() belongs to the entry points
    (the CLI, the worker's command, and the Rasa adapter's runtime)."""
    allowed = {"coach/core/settings.py", "bot/runtime.py"}
    found = []
    for package in ("coach", "escalation", "bot"):
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            if rel.startswith(("coach/cli/", "coach/app/")) or rel in allowed:
                continue
            if "get_settings(" in path.read_text():
                found.append(rel)
    assert found == []
