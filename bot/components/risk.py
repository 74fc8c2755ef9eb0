"""A Rasa NLU component that runs the risk detector on every message.

It sits after the intent classifier. If the detector flags the message, the intent becomes
``risk_disclosure`` (confidence 1.0), whatever the classifier thought, and the detection is
added to the parse data as ``risk`` so the dialogue can pick the right reply. If the
classifier itself predicted ``risk_disclosure`` (or ranked it high above the fallback), that
stands as a second signal: it can add an alert, and nothing here ever removes one.

The alert is not raised here: the input channels raise it before Rasa sees the message
(bot/channels/ingress.py). This component makes the dialogue respond.

    pipeline:
      - ...
      - name: FallbackClassifier
      - name: bot.components.risk.RiskGate
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

RISK_INTENT = "risk_disclosure"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RiskGate(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # lexicon: path to the lexicon (default: content/safety/lexicon.yml from settings);
        # rescue_threshold: a risk_disclosure ranked this high counts even if it is not the top
        # intent or the fallback fired. (The classifier's confidence goes into the alert.)
        return {"lexicon": None, "rescue_threshold": 0.6}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.config = config

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "RiskGate":
        gate = cls(config)
        # Build the detector (a few seconds) while the model loads, not on the first message:
        # the first disclosure after a restart must not wait for it.
        try:
            gate._detector()
        except Exception:  # e.g. no content folder where this runs: it is built on first use
            pass
        return gate

    def _detector(self):
        from pathlib import Path

        from escalation.cache import get_detector

        path: Optional[Path] = Path(self.config["lexicon"]) if self.config.get("lexicon") else None
        return get_detector(path)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text:
                continue
            detection = self._detector().detect(text)
            ranking = list(message.get(INTENT_RANKING_KEY) or [])
            intent = (message.get(INTENT) or {}).get("name")
            confidence = max((r.get("confidence", 0.0) for r in ranking if r.get("name") == RISK_INTENT), default=0.0)
            if detection.escalate:
                risk = {"escalate": True, "source": "detector", "category": detection.category,
                        "severity": detection.severity, "matched": list(detection.matched)}
            elif intent == RISK_INTENT or confidence >= self.config["rescue_threshold"]:
                risk = {"escalate": True, "source": "classifier", "category": "unclassified", "severity": "high",
                        "matched": [f"intent:{RISK_INTENT} {confidence:.2f}"]}
            else:
                message.set("risk", {"escalate": False, "classifier_confidence": round(confidence, 3)},
                            add_to_output=True)
                continue
            risk["classifier_confidence"] = round(confidence, 3)
            message.set("risk", risk, add_to_output=True)
            message.set(INTENT, {"name": RISK_INTENT, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": RISK_INTENT, "confidence": 1.0}]
                        + [r for r in ranking if r.get("name") != RISK_INTENT], add_to_output=True)
        return messages
