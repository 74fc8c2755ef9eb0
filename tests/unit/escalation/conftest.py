"""Shared fixtures for the risk detector tests (the detector is built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
LEXICON = REPO / "content" / "safety" / "lexicon.yml"


@pytest.fixture(scope="session")
def detector():
    from escalation.detector import RiskDetector

    return RiskDetector.from_path(LEXICON)
