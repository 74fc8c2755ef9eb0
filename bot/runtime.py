"""What a Rasa-side process shares, built once from settings at the adapter's edge.

Rasa constructs our channels and NLU component, and rasa-sdk our actions, with no way to
pass them anything; they take the process's ``Runtime`` from ``runtime()``, the one place
in bot/ that reads settings. Tests build their own ``Runtime`` (with fake clients) instead.

    rt = runtime()
    rt.db, rt.settings, rt.vault         # the app database, settings, identity keys
    rt.content()                         # content/ as the running coach sees it (live reload)
    rt.detector(), rt.risk_model()       # the lexicon's detector and the risk model (reloaded on change)
    rt.telegram, rt.sms                  # this process's one client per provider (or None)
    rt.dispatcher                        # staff alerts, sent through those same clients
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional

from coach.core.db import Database
from coach.core.identity import IdentityVault
from coach.core.settings import Settings, get_settings
from coach.messaging.notifiers import clients_from_settings, staff_notifiers
from coach.messaging.sms import TwilioClient
from coach.messaging.telegram import TelegramClient
from coach.programme.content.cache import content_cache
from coach.programme.content.model import Content
from escalation.cache import get_detector, get_model, lexicon_path, model_path
from escalation.dispatch import Dispatcher

_UNSET = object()


@dataclass
class Runtime:
    settings: Settings
    db: Database
    vault: IdentityVault
    _telegram: object = field(default=_UNSET, repr=False)
    _sms: object = field(default=_UNSET, repr=False)
    _dispatcher: Optional[Dispatcher] = field(default=None, repr=False)
    _risk_model: object = field(default=_UNSET, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, telegram: object = _UNSET, sms: object = _UNSET,
                      risk_model: object = _UNSET) -> "Runtime":
        """``telegram``/``sms``/``risk_model``: to use instead of those the settings describe (tests)."""
        return cls(settings, Database.from_settings(settings), IdentityVault.from_settings(settings),
                   _telegram=telegram, _sms=sms, _risk_model=risk_model)

    def content(self) -> Content:
        return content_cache(self.settings.content_dir).get()

    def detector(self):
        return get_detector(lexicon_path(self.settings.content_dir))

    def risk_model(self):
        """The trained risk model (None before `make train`: the lexicon decides alone)."""
        if self._risk_model is not _UNSET:
            return self._risk_model
        return get_model(model_path(self.settings.models_dir))

    def _clients(self) -> None:
        if self._telegram is _UNSET or self._sms is _UNSET:
            telegram, sms = clients_from_settings(self.settings)
            if self._telegram is _UNSET:
                self._telegram = telegram
            if self._sms is _UNSET:
                self._sms = sms

    @property
    def telegram(self) -> Optional[TelegramClient]:
        self._clients()
        return self._telegram  # type: ignore[return-value]

    @property
    def sms(self) -> Optional[TwilioClient]:
        self._clients()
        return self._sms  # type: ignore[return-value]

    @property
    def dispatcher(self) -> Dispatcher:
        """Sends staff alerts right after they are raised (the worker is the safety net)."""
        if self._dispatcher is None:
            self._dispatcher = Dispatcher(self.db, self.settings, staff_notifiers(self.telegram, self.sms),
                                          templates=lambda: self.content().extra["staff_alerts"], actor="rasa")
        return self._dispatcher


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """This process's runtime (Rasa server or action server), from the environment's settings."""
    return Runtime.from_settings(get_settings())
