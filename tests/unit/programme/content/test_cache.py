"""The running coach sees a published content change, and never a broken one."""

from __future__ import annotations

import shutil
from pathlib import Path

from coach.programme.content.cache import ContentCache

ROOT = Path(__file__).resolve().parents[4]


def test_a_wording_change_is_picked_up_and_a_broken_one_is_not(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns("lexicon.yml"))
    cache = ContentCache(content)
    cache.CHECK_EVERY = 0.0
    assert "saved your place" in cache.get().messages["paused"]
    messages = content / "messages.yml"
    text = messages.read_text()
    messages.write_text(text.replace("I've saved your place.", "Your place is kept."))
    assert "Your place is kept." in cache.get().messages["paused"]
    messages.write_text(text.replace("paused:", "pauzed:"))  # an author's typo: 'paused' now missing
    assert "Your place is kept." in cache.get().messages["paused"]  # the last good content stays live
