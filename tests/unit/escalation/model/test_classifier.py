"""The risk model: trains, predicts the same numbers on both paths, saves and loads safely."""

from __future__ import annotations

import random

import joblib
import pytest

from coach.core.risk import CATEGORIES
from escalation.model.classifier import NONE, RiskModel, Thresholds, model_text

pytestmark = pytest.mark.safety

WORDS = {
    "suicide_self_harm": "end it all tonight tablets rope bridge goodbye cant go on",
    "harm_to_partner": "her throat pinned wall slapped her outside her house order",
    "harm_to_child": "belted the boy left the baby alone gave the kids vodka",
    "harm_to_others": "stab him bat round his door batter the dealer knife",
    "substance_emergency": "not breathing blue lips fitting chest pain after coke overdose",
    NONE: "football tea bus work late shopping telly mum dog rain match shift",
}


def corpus(n=40, seed=1):
    rng = random.Random(seed)
    texts, labels, severities = [], [], []
    for label, words in WORDS.items():
        vocab = words.split()
        for i in range(n * (8 if label == NONE else 1)):  # ordinary messages are most messages
            texts.append(" ".join(rng.choice(vocab) for _ in range(rng.randint(3, 8))) + f" {i}")
            labels.append(label)
            severities.append("" if label == NONE else ("imminent" if i % 3 == 0 else "high"))
    return texts, labels, severities


@pytest.fixture(scope="module")
def model():
    texts, labels, severities = corpus()
    return RiskModel.fit(texts, labels, severities, seed=7, thresholds=Thresholds(0.3, 0.8, 0.7))


def test_it_learns_risk_and_the_category(model):
    assert model.predict("pinned her to the wall by her throat").category == "harm_to_partner"
    assert model.predict("pinned her to the wall by her throat").probability > 0.8
    assert model.predict("football then tea, bus to work").probability < 0.2


def test_nothing_it_knows_reads_as_ordinary(model):
    """No evidence is not 50/50: text it has never seen anything like is ordinary."""
    for text in ("", "zxq vbn plomf", "Ok lar... wat u doin 2nite?", "🙂🙂🙂"):
        assert model.predict(text).probability < 0.3, (text, model.predict(text))


def test_the_fast_path_gives_scikit_learns_numbers(model):
    texts, _, _ = corpus(n=10, seed=2)
    texts += ["", "a" * 3000, "Full Width ｋｉｌｌ", "her throat her throat her throat"]
    for text, slow in zip(texts, model.predict_many(texts)):
        fast = model.predict(text)
        assert fast.category == slow.category
        assert fast.probability == pytest.approx(slow.probability, abs=1e-12)
        assert fast.imminent == pytest.approx(slow.imminent, abs=1e-12)
        assert fast.category_probability == pytest.approx(slow.category_probability, abs=1e-12)


def test_it_saves_and_loads(model, tmp_path):
    path = tmp_path / "risk.joblib"
    model.save(path)
    back = RiskModel.load(path)
    assert back.thresholds == model.thresholds
    assert back.predict("gave the kids vodka") == model.predict("gave the kids vodka")


def test_a_file_from_another_version_is_refused_with_what_to_do(model, tmp_path):
    path = tmp_path / "risk.joblib"
    model.save(path)
    data = joblib.load(path)
    data["format"] = 0
    joblib.dump(data, path)
    with pytest.raises(ValueError, match="make train"):
        RiskModel.load(path)


def test_the_model_reads_folded_text():
    assert model_text("  I’M   Sooooo  ＴＩＲＥＤ ") == "i'm soo tired"


def test_every_category_is_known(model):
    assert set(model.category.classes_) == set(CATEGORIES)
