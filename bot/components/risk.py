"""A Rasa NLU component that applies the risk decision to every message.

It sits after the intent classifier. The decision was made once, where the message came
in (bot/channels/ingress.py, which also wrote any alert), and travels in the message's
metadata; this component does not read the message again. Only a message that never passed
our ingress (``rasa shell``, ``rasa test``, Rasa's own HTTP API) is checked here instead.

If the decision says escalate, the intent becomes ``risk_disclosure`` (confidence 1.0),
whatever the classifier thought, and the decision is added to the parse data as ``risk`` so
the dialogue can pick the right reply. If the classifier itself predicted
``risk_disclosure`` (or ranked it high above the fallback), that stands as a second signal:
it can add an alert, and nothing here ever removes one.

    pipeline:
      - ...
      - name: FallbackClassifier
      - name: bot.components.risk.RiskGate
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

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

        if self.config.get("lexicon"):
            return get_detector(Path(self.config["lexicon"]))
        from bot.runtime import runtime

        return runtime().detector()

    def _decision(self, message: Message, text: str):
        """The decision the ingress made (in the metadata), or, for a message that never passed
        it, one made here."""
        from escalation.risk import RiskDecision, assess

        carried = RiskDecision.from_metadata((message.get("metadata") or {}).get("risk"))
        return carried if carried is not None else assess(self._detector(), text)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text:
                continue
            decision = self._decision(message, text)
            ranking = list(message.get(INTENT_RANKING_KEY) or [])
            intent = (message.get(INTENT) or {}).get("name")
            confidence = max((r.get("confidence", 0.0) for r in ranking if r.get("name") == RISK_INTENT), default=0.0)
            if decision.escalate:
                signal = decision.signal
                risk = {"escalate": True, "source": signal.source, "category": signal.category,
                        "severity": signal.severity, "matched": list(signal.matched)}
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
