"""One detector and one risk model per process, reloaded when their files change, and a
broken file never switches detection off."""

from __future__ import annotations

import os

import pytest

from escalation import cache
from escalation.lexicon.model import LexiconError
from escalation.model import classifier
from tests.conftest import ROOT

pytestmark = pytest.mark.safety


def touch(path, text):
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # a new signature even on coarse clocks


def test_the_detector_is_built_once_and_rebuilt_when_the_lexicon_changes(tmp_path):
    lexicon = tmp_path / "lexicon.yml"
    source = (ROOT / "content" / "safety" / "lexicon.yml").read_text()
    touch(lexicon, source)
    first = cache.get_detector(lexicon)
    assert cache.get_detector(lexicon) is first
    assert first.detect("i want to kill myself").escalate
    touch(lexicon, source + "\n")
    second = cache.get_detector(lexicon)
    assert second is not first and second.detect("i want to kill myself").escalate
    touch(lexicon, "categories: [this is not a lexicon")  # an author's typo: the last good one stays live
    assert cache.get_detector(lexicon) is second


def test_a_lexicon_that_never_loaded_is_an_error_not_silence(tmp_path):
    lexicon = tmp_path / "lexicon.yml"
    touch(lexicon, "categories: [broken")
    with pytest.raises(LexiconError):
        cache.get_detector(lexicon)


def test_no_model_means_the_lexicon_decides_alone(tmp_path):
    assert cache.get_model(tmp_path / "risk.joblib") is None


def test_the_model_is_reloaded_when_retrained_and_a_bad_file_keeps_the_last_good_one(tmp_path, monkeypatch):
    path = tmp_path / "risk.joblib"
    loads = []

    def load(p):
        text = open(p).read()
        if text == "bad":
            raise ValueError("truncated")
        loads.append(text)
        return f"model {text}"

    monkeypatch.setattr(classifier.RiskModel, "load", staticmethod(load))
    touch(path, "one")
    assert cache.get_model(path) == "model one" and cache.get_model(path) == "model one" and loads == ["one"]
    touch(path, "two")
    assert cache.get_model(path) == "model two"
    touch(path, "bad")
    assert cache.get_model(path) == "model two"


def test_a_model_that_never_loaded_is_no_model(tmp_path):
    path = tmp_path / "risk.joblib"
    touch(path, "not a model")
    assert cache.get_model(path) is None
