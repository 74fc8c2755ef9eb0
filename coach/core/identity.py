"""Who is who: pseudonymous participant ids, encrypted provider ids, sites.

A participant is known everywhere (Rasa sender id, trackers, logs, reports) by a
pseudonymous id like ``P-7KQ2XM``. Provider ids (phone numbers, Telegram chat ids, a REST
client's handle) are stored only as an HMAC for lookup plus a Fernet-encrypted copy
for sending; see ``IdentityVault``.

    vault = IdentityVault.from_settings(settings)
    with db.session() as s:
        link_identity(s, vault, pid, "sms", "+447700900123")
        find_participant(s, vault, "sms", "+447700900123")   # -> the participant
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Optional

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.core.db.models import ChannelIdentity, Participant, Site, utcnow

ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CHANNELS = ("rest", "telegram", "sms")


def new_participant_id() -> str:
    return "P-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(6))


def is_participant_id(text: str) -> bool:
    return (
        isinstance(text, str) and len(text) == 8 and text.startswith("P-")
        and all(c in ID_ALPHABET for c in text[2:])
    )


@dataclass(frozen=True)
class IdentityVault:
    """Keyed hashing and encryption of provider ids."""

    hash_key: bytes
    fernet: Fernet

    @classmethod
    def from_settings(cls, settings) -> "IdentityVault":
        return cls(hash_key=settings.hash_key.encode(), fernet=Fernet(settings.secret_key.encode()))

    def lookup_hash(self, channel: str, external_id: str) -> str:
        msg = f"{channel}:{external_id.strip()}".encode()
        return hmac.new(self.hash_key, msg, hashlib.sha256).hexdigest()

    def encrypt(self, external_id: str) -> str:
        return self.fernet.encrypt(external_id.strip().encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt a stored id: COACH_SECRET_KEY has changed?") from exc


def ensure_site(s: Session, code: str, name: Optional[str] = None) -> Site:
    site = s.execute(select(Site).where(Site.code == code)).scalar_one_or_none()
    if site is None:
        site = Site(code=code, name=name or code)
        s.add(site)
        s.flush()
    return site


def find_participant(s: Session, vault: IdentityVault, channel: str, external_id: str) -> Optional[Participant]:
    h = vault.lookup_hash(channel, external_id)
    row = s.execute(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.lookup_hash == h)
    ).scalar_one_or_none()
    return s.get(Participant, row.participant_id) if row else None


def link_identity(s: Session, vault: IdentityVault, pid: str, channel: str, external_id: str) -> ChannelIdentity:
    """Link (or re-link) a provider id to a participant on ``channel``."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    h = vault.lookup_hash(channel, external_id)
    row = s.execute(
        select(ChannelIdentity).where(ChannelIdentity.channel == channel, ChannelIdentity.lookup_hash == h)
    ).scalar_one_or_none()
    if row is None:
        row = ChannelIdentity(participant_id=pid, channel=channel, lookup_hash=h, secret=vault.encrypt(external_id))
        s.add(row)
    else:
        row.participant_id = pid
        row.secret = vault.encrypt(external_id)
        row.created_at = utcnow()
    s.flush()
    return row

