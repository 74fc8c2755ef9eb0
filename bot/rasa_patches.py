"""One measured performance fix for Rasa 3.6.21 (a frozen release), applied at server start.

``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, spec)`` for
every action-server response. ``jsonschema.validate`` first re-checks the *schema* against
its meta-schema, every time; profiling the Rasa server while it sent weekly nudges showed
about two thirds of its event-loop time there. The schema is a constant, so this builds its
validator once and validates each response against exactly the same schema: same checks,
same errors (tests/unit/test_rasa_patches.py).

Imported by ``bot/channels/__init__.py`` (Rasa loads our channels at start-up). Idempotent.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

_applied = False


@lru_cache(maxsize=1)
def _validator():
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    spec = RemoteAction.action_response_format_spec()
    cls = validator_for(spec)
    cls.check_schema(spec)  # once, as jsonschema.validate would on every call
    return cls(spec)


def _validate_action_result(self, result: Dict[Text, Any]) -> bool:
    from jsonschema import ValidationError, exceptions
    from rasa.shared.constants import DOCS_BASE_URL

    try:
        error = exceptions.best_match(_validator().iter_errors(result))
        if error is not None:
            raise error
        return True
    except ValidationError as e:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e


def apply() -> None:
    global _applied
    if _applied:
        return
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = _validate_action_result
    _applied = True
