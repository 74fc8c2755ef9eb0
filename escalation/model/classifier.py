"""The risk model: a calibrated classifier of its own, separate from the dialogue's intents.

Word and character n-grams (TF-IDF) feed three linear support vector machines, each
calibrated to probabilities (scikit-learn's ``CalibratedClassifierCV``, sigmoid):

- the **risk** model: must-escalate or not. Trained on the real mix of messages (most
  are ordinary) with ordinary ones weighted up (``NONE_WEIGHT``) and with empty messages
  taught as ordinary (``NOTHING_KNOWN``), so that a message it finds no evidence in, however
  unfamiliar, reads as ordinary: "no evidence" is not "50/50";
- the **category** model, trained on must-escalate messages only: which of the five;
- the **severity** model, trained on must-escalate messages only: the probability that a
  risky message is ``imminent`` (danger now or within hours).

A linear SVM caught more must-escalate messages than logistic regression at every false
alarm rate we tried (cross-validated: 75% vs 68% at 3% false alarms, 89% vs 85% at 8%) and
trains ten times faster on two cores. Thresholds (set when training, on cross-validated
predictions, see ``escalation.model.train``) turn probabilities into the tiers of
``escalation.risk``. Retraining the dialogue never moves this model, and retraining this
model never moves the dialogue.

    model = RiskModel.load(path)
    guess = model.predict("not gonna be around much longer")
    guess.probability, guess.category, guess.imminent
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

import numpy as np

from coach.core.risk import CATEGORIES

NONE = "none"
FORMAT = 2  # bump when the saved layout changes: an old file is then retrained, not misread
NONE_WEIGHT = 3.0  # ordinary messages count this much more when fitting the risk model
# Messages with no features the model knows, counted as ordinary: they pin "no evidence" to
# the ordinary side of the line, however the rest of the data happens to place the intercept.
NOTHING_KNOWN = 30


@dataclass(frozen=True)
class Guess:
    probability: float  # of risk
    category: str  # the likeliest risk category, were it a risk
    category_probability: float
    imminent: float  # P(imminent | risky)


@dataclass(frozen=True)
class Thresholds:
    check: float  # probability at or above which he is asked, calmly, if he is safe
    alert: float  # at or above which staff are alerted
    imminent: float  # P(imminent) at or above which a check-level message is an alert

    def to_dict(self) -> Dict[str, float]:
        return {"check": self.check, "alert": self.alert, "imminent": self.imminent}


def model_text(text: str) -> str:
    """What the model reads: lower case, accents and curly quotes folded, spacing tidied."""
    t = unicodedata.normalize("NFKC", text or "").lower()
    t = t.replace("\u2019", "'").replace("\u2018", "'")
    t = re.sub(r"(.)\1{2,}", r"\1\1", t)  # sooooo -> soo
    return re.sub(r"\s+", " ", t).strip()


def make_features(seed: int):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=1, sublinear_tf=True,
                            token_pattern=r"(?u)\b\w[\w']*\b", max_features=120_000)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                            max_features=200_000)
    return FeatureUnion([("words", words), ("chars", chars)])


def make_classifier(seed: int, c: float = 1.0, balanced: bool = False):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    base = LinearSVC(C=c, class_weight="balanced" if balanced else None, random_state=seed, max_iter=5000)
    return CalibratedClassifierCV(base, method="sigmoid", cv=3, ensemble=False)


class _Linear:
    """A fitted, calibrated model as plain arrays: the same numbers as scikit-learn's
    ``predict_proba``, without its per-call checks (which cost more than the sums)."""

    def __init__(self, calibrated):
        inner = calibrated.calibrated_classifiers_[0]  # ensemble=False: one model, one calibrator per class
        svm = inner.base_estimator
        self.coef = np.asarray(svm.coef_, dtype=float)
        self.intercept = np.asarray(svm.intercept_, dtype=float)
        self.a = np.array([c.a_ for c in inner.calibrators], dtype=float)
        self.b = np.array([c.b_ for c in inner.calibrators], dtype=float)
        self.classes = list(calibrated.classes_)

    def proba(self, idx, vals) -> np.ndarray:
        decision = self.coef[:, idx] @ vals + self.intercept
        p = 1.0 / (1.0 + np.exp(self.a * decision + self.b))
        if len(self.classes) == 2:
            return np.array([1.0 - p[0], p[0]])
        total = p.sum()
        return p / total if total else np.full(len(p), 1.0 / len(p))


class _Vectoriser:
    """The fitted TF-IDF features as plain lookups (see ``_Linear``)."""

    def __init__(self, union):
        self.parts, offset = [], 0
        for _name, vec in union.transformer_list:
            self.parts.append((vec.build_analyzer(), vec.vocabulary_, np.asarray(vec.idf_), offset))
            offset += len(vec.idf_)

    def __call__(self, text: str):
        idx, vals = [], []
        for analyse, vocabulary, idf, offset in self.parts:
            counts: Dict[int, int] = {}
            for token in analyse(text):
                j = vocabulary.get(token)
                if j is not None:
                    counts[j] = counts.get(j, 0) + 1
            if not counts:
                continue
            js = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            v = (1.0 + np.log(np.fromiter(counts.values(), dtype=float, count=len(counts)))) * idf[js]  # sublinear tf
            norm = np.sqrt(v @ v)
            idx.append(js + offset)
            vals.append(v / norm if norm else v)
        if not idx:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(idx), np.concatenate(vals)


@dataclass
class RiskModel:
    features: object
    risk: object  # classes: False, True
    category: object  # classes: the five categories
    severity: object  # classes: "high", "imminent"
    thresholds: Thresholds
    info: Dict[str, object] = field(default_factory=dict)  # training data fingerprint, figures

    @classmethod
    def fit(cls, texts: Sequence[str], categories: Sequence[str], severities: Sequence[str], seed: int,
            thresholds: Thresholds, info=None) -> "RiskModel":
        """``categories``: "none" or a category per text; ``severities``: for risky texts."""
        import numpy as np

        features = make_features(seed)
        x = features.fit_transform([model_text(t) for t in texts])
        labels = np.array(list(categories))  # arrays: scikit-learn compares labels element by element
        risky = labels != NONE
        import scipy.sparse as sp

        x_risk = sp.vstack([x, sp.csr_matrix((NOTHING_KNOWN, x.shape[1]))], format="csr")
        y_risk = np.concatenate([risky, np.zeros(NOTHING_KNOWN, dtype=bool)])
        weights = np.where(y_risk, 1.0, NONE_WEIGHT)
        risk = make_classifier(seed).fit(x_risk, y_risk, sample_weight=weights)
        category = make_classifier(seed, balanced=True).fit(x[risky], labels[risky])
        severity = make_classifier(seed, balanced=True).fit(x[risky], np.array(list(severities))[risky])
        return cls(features, risk, category, severity, thresholds, dict(info or {}))

    def __post_init__(self) -> None:
        self._vector = _Vectoriser(self.features)
        self._fast = [_Linear(m) for m in (self.risk, self.category, self.severity)]

    def predict(self, text: str) -> Guess:
        """One message: the running coach's path (plain arrays, well under a millisecond)."""
        idx, vals = self._vector(model_text(text))
        risk, category, severity = (m.proba(idx, vals) for m in self._fast)
        best = int(category.argmax())
        p_risk = float(risk[self._fast[0].classes.index(True)])
        p_imm = float(severity[self._fast[2].classes.index("imminent")])
        return Guess(p_risk, self._fast[1].classes[best], float(category[best]), p_imm)

    def predict_many(self, texts: Sequence[str]) -> List[Guess]:
        """Many messages at once, through scikit-learn (training and cross-validation)."""
        x = self.features.transform([model_text(t) for t in texts])
        p_risk = self.risk.predict_proba(x)[:, list(self.risk.classes_).index(True)]
        p_cat = self.category.predict_proba(x)
        classes = list(self.category.classes_)
        imminent = self.severity.predict_proba(x)[:, list(self.severity.classes_).index("imminent")]
        out = []
        for p, row, p_imm in zip(p_risk, p_cat, imminent):
            best = int(row.argmax())
            out.append(Guess(float(p), classes[best], float(row[best]), float(p_imm)))
        return out

    # -- files -------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        import joblib

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump({"format": FORMAT, "features": self.features, "risk": self.risk, "category": self.category,
                     "severity": self.severity, "thresholds": self.thresholds.to_dict(), "info": self.info}, tmp)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "RiskModel":
        import joblib

        data = joblib.load(Path(path))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError(f"{path} was saved by another version of the coach; run `make train`")
        classes = set(data["category"].classes_)
        if classes != set(CATEGORIES):
            raise ValueError(f"{path} knows the categories {sorted(classes)}; retrain with `make train`")
        return cls(data["features"], data["risk"], data["category"], data["severity"],
                   Thresholds(**data["thresholds"]), data.get("info") or {})
