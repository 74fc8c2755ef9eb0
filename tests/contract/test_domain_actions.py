"""The domain, the rules and the action code agree with each other and with content."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import yaml
from rasa_sdk import Action
from rasa_sdk.forms import FormValidationAction

import bot.actions
from coach.programme.content.loader import REQUIRED_INTENTS, load_content

ROOT = Path(__file__).resolve().parents[2]


def _domain() -> dict:
    merged: dict = {"intents": [], "actions": [], "slots": {}, "forms": {}, "responses": {}}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        merged["intents"] += [i if isinstance(i, str) else next(iter(i)) for i in data.get("intents", [])]
        merged["actions"] += data.get("actions", [])
        merged["slots"].update(data.get("slots", {}))
        merged["forms"].update(data.get("forms", {}))
        merged["responses"].update(data.get("responses", {}))
    return merged


def _action_classes():
    found = {}
    for mod in pkgutil.iter_modules(bot.actions.__path__):
        module = importlib.import_module(f"bot.actions.{mod.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Action) and cls.__module__ == module.__name__ and not cls.__name__.startswith("_"):
                found[cls().name()] = cls
    return found


def _rules() -> list:
    rules = []
    for path in sorted((ROOT / "bot" / "data").rglob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        rules += data.get("rules", []) + data.get("stories", [])
    return rules


def test_every_domain_action_has_a_class_and_every_class_is_in_the_domain():
    declared = set(_domain()["actions"])
    implemented = set(_action_classes())
    assert declared - implemented == set(), "actions in the domain with no class in bot/actions"
    assert implemented - declared == set(), "action classes missing from the domain"


def test_form_validation_action_matches_form():
    classes = _action_classes()
    for form in _domain()["forms"]:
        cls = classes.get(f"validate_{form}")
        assert cls is not None and issubclass(cls, FormValidationAction)
        for slot in _domain()["forms"][form]["required_slots"]:
            assert hasattr(cls, f"validate_{slot}"), f"validate_{form} has no validate_{slot}"


def test_domain_intents_are_exactly_the_content_intents():
    content = load_content(ROOT / "content")
    assert set(_domain()["intents"]) == set(content.language)
    assert set(REQUIRED_INTENTS) <= set(content.language)


def test_digression_intents_do_not_fill_the_answer_and_have_a_mid_session_rule():
    slot = _domain()["slots"]["flow_answer"]
    excluded = set(slot["mappings"][0]["not_intent"])
    mid_session = set()
    for rule in _rules():
        if {"active_loop": "flow_form"} not in (rule.get("condition") or []):
            continue
        first = rule["steps"][0]
        if "intent" in first:
            mid_session.add(first["intent"])
        for alt in first.get("or", []):
            mid_session.add(alt["intent"])
    assert excluded == mid_session, "each excluded intent needs a mid-session rule, and vice versa"


def test_every_rule_uses_declared_intents_and_actions():
    domain = _domain()
    intents = set(domain["intents"]) | {"nlu_fallback"}
    actions = (set(domain["actions"]) | set(domain["forms"]) | set(domain["responses"])
               | {"action_listen", "action_deactivate_loop"})
    for rule in _rules():
        for step in rule["steps"]:
            for alt in step.get("or", [step]):
                if "intent" in alt:
                    assert alt["intent"] in intents, (rule["rule"], alt)
                if "action" in alt:
                    assert alt["action"] in actions, (rule["rule"], alt)


def test_credentials_hold_no_literal_secrets():
    for name in ("credentials.yml", "endpoints.yml"):
        data = yaml.safe_load((ROOT / "bot" / name).read_text()) or {}
        text = yaml.safe_dump(data)
        for word in ("token", "secret", "password", "auth"):
            for line in text.splitlines():
                if word in line.lower() and ":" in line:
                    value = line.split(":", 1)[1].strip()
                    assert value in ("", "{}", "null") or value.startswith("${"), line
