"""Running `coach ...` in this process: ``cli(*args, stdin="")`` -> (exit code, stdout, stderr).

The ``app`` fixture (tests/conftest.py) points the settings at a migrated temp database; the
``private`` fixture also gives the command private copies of content/ and bot/ to write to.
"""

from __future__ import annotations

import io
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli(app, capsys, monkeypatch):
    def run(*args: str, stdin: str = ""):
        from coach.cli import main

        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@dataclass
class Private:
    content: Path
    bot: Path


@pytest.fixture
def private(app, tmp_path, monkeypatch) -> Private:
    """Copies of content/ and bot/ that commands may change (the settings point at them)."""
    from coach.core.settings import reset_settings_cache

    content, bot = tmp_path / "content", tmp_path / "bot"
    shutil.copytree(ROOT / "content", content)
    shutil.copytree(ROOT / "bot", bot, ignore=shutil.ignore_patterns(".rasa", "__pycache__"))
    monkeypatch.setenv("COACH_CONTENT_DIR", str(content))
    monkeypatch.setenv("COACH_BOT_DIR", str(bot))
    monkeypatch.setenv("COACH_MODELS_DIR", str(tmp_path / "models"))
    reset_settings_cache()
    yield Private(content=content, bot=bot)
    reset_settings_cache()


def break_content(content: Path) -> Path:
    """A curly quote in messages.yml: `coach content check` reports it at line 36."""
    path = content / "messages.yml"
    text = path.read_text(encoding="utf-8")
    broken = text.replace('skipped: "OK, we\'ll skip that one."', 'skipped: "OK, we\u2019ll skip that one."')
    assert broken != text
    path.write_text(broken, encoding="utf-8")
    return path
