"""What every input channel does before a message reaches Rasa: find the participant.

Provider ids (REST handles here; phone numbers and Telegram ids in their channels) are
looked up by keyed hash, so Rasa only ever sees the pseudonymous participant id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from coach.content.cache import content_cache
from coach.db import session_scope
from coach.db.models import Participant
from coach.participants import IdentityVault, enrol, find_participant, is_participant_id, link_identity
from coach.programme import start_for_week, uk_today
from coach.settings import Settings, get_settings

MAX_TEXT = 20_000  # characters; longer REST bodies are refused with a clear 413


@dataclass
class Ingress:
    settings: Settings
    vault: IdentityVault

    @classmethod
    def from_settings(cls, settings: Optional[Settings] = None) -> "Ingress":
        settings = settings or get_settings()
        return cls(settings=settings, vault=IdentityVault.from_settings(settings))

    def resolve_rest_sender(self, handle: str) -> Optional[str]:
        """Participant id for a REST sender handle; enrol a demo participant if allowed."""
        with session_scope() as s:
            if self.settings.auto_enrol and is_participant_id(handle) and s.get(Participant, handle):
                return handle  # local tools (coach chat) address a participant directly
            found = find_participant(s, self.vault, "rest", handle)
            if found is not None:
                return found.id
            if not self.settings.auto_enrol:
                return None
            programme = content_cache().get().programme
            p = enrol(s, site=self.settings.default_site, start=start_for_week(programme, 1, uk_today()), is_demo=True)
            link_identity(s, self.vault, p.id, "rest", handle)
            return p.id
