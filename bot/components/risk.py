"""A Rasa NLU component that applies the risk decision to every message.

The decision was made once, where the message came in (bot/channels/ingress.py, which
also wrote any alert or safety check), by ``escalation.risk.decide``: the authored lexicon
and the risk model, never the dialogue's intent classifier. It travels in the message's
metadata; this component does not read the message again. Only a message that never passed
our ingress (``rasa shell``, ``rasa test``, Rasa's own HTTP API) is decided here instead,
by the same function.

- tier **alert**: the intent becomes ``risk_disclosure`` (the crisis reply);
- tier **check**: the intent becomes ``risk_check`` (he is asked, calmly, if he is safe);
- tier **none**: the classifier's intent stands, unless it guessed one of those two, which
  only the decision may set: then its next guess is used.

The decision goes into the parse data as ``risk`` for the actions.

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
CHECK_INTENT = "risk_check"
RISK_INTENTS = (RISK_INTENT, CHECK_INTENT)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RiskGate(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # lexicon: path to the lexicon (default: content/safety/lexicon.yml from settings).
        return {"lexicon": None}

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

    def _model(self):
        if self.config.get("lexicon"):
            return None  # a lexicon of its own (tests): the lexicon decides alone
        from bot.runtime import runtime

        return runtime().risk_model()

    def _decision(self, message: Message, text: str):
        """The decision the ingress made (in the metadata), or, for a message that never passed
        it, one made here by the same function."""
        from escalation.risk import RiskDecision, decide

        carried = RiskDecision.from_metadata((message.get("metadata") or {}).get("risk"))
        return carried if carried is not None else decide(text, self._detector(), self._model())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if not text:
                continue
            decision = self._decision(message, text)
            ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get("name") not in RISK_INTENTS]
            message.set("risk", decision.to_metadata(), add_to_output=True)
            if decision.tier == "none":
                if (message.get(INTENT) or {}).get("name") in RISK_INTENTS:  # only the decision sets these
                    best = ranking[0] if ranking else {"name": "nlu_fallback", "confidence": 1.0}
                    message.set(INTENT, dict(best), add_to_output=True)
                    message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
                continue
            intent = RISK_INTENT if decision.tier == "alert" else CHECK_INTENT
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}] + ranking, add_to_output=True)
        return messages
