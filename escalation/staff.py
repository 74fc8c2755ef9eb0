"""Staff and the on-call rota (what `coach staff ...` does).

Staff contact ids are stored like participants': an HMAC for lookup (namespace
``staff-telegram`` / ``staff-sms``, so a staff phone never matches a participant's) and a
Fernet-encrypted copy for sending.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import List, Optional, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coach.core.db.models import RotaEntry, Site, Staff
from coach.core.identity import IdentityVault, ensure_site

ROLES = ("facilitator", "iss", "supervisor")
PHONE_RE = re.compile(r"^\+[1-9]\d{7,14}$")


class StaffError(ValueError):
    pass


def _check_contacts(telegram_chat_id: Optional[str], phone: Optional[str]) -> None:
    if telegram_chat_id is not None and not re.fullmatch(r"-?\d{1,20}", telegram_chat_id):
        raise StaffError(f"Telegram chat id must be a number, got {telegram_chat_id!r}")
    if phone is not None and not PHONE_RE.match(phone):
        raise StaffError(f"phone must be in international form like +447700900123, got {phone!r}")


def add_staff(s: Session, vault: IdentityVault, site: str, name: str, role: str,
              telegram_chat_id: Optional[str] = None, phone: Optional[str] = None,
              notify: Sequence[str] = ()) -> Staff:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    _check_contacts(telegram_chat_id, phone)
    site_row = ensure_site(s, site)
    person = Staff(site_id=site_row.id, name=name.strip(), role=role, active=True)
    s.add(person)
    set_contacts(s, vault, person, telegram_chat_id, phone, notify or _default_notify(telegram_chat_id, phone))
    s.flush()
    return person


def _default_notify(telegram_chat_id, phone) -> List[str]:
    return [c for c, v in (("telegram", telegram_chat_id), ("sms", phone)) if v]


def set_contacts(s: Session, vault: IdentityVault, person: Staff, telegram_chat_id: Optional[str] = None,
                 phone: Optional[str] = None, notify: Optional[Sequence[str]] = None) -> Staff:
    _check_contacts(telegram_chat_id, phone)
    for value, channel, what in ((telegram_chat_id, "telegram", "Telegram chat"),
                                 (phone, "phone", "phone number")):
        if value is None:
            continue
        h = vault.lookup_hash("staff-sms" if channel == "phone" else "staff-telegram", value)
        column = getattr(Staff, f"{channel}_hash")
        other = s.execute(select(Staff).where(column == h, Staff.id != (person.id or -1))).scalar_one_or_none()
        if other is not None:
            raise StaffError(f"that {what} already belongs to staff {other.id} ({other.name})")
        setattr(person, f"{channel}_hash", h)
        setattr(person, f"{channel}_secret", vault.encrypt(value))
    if notify is not None:
        bad = set(notify) - {"telegram", "sms"}
        if bad:
            raise StaffError(f"notify by telegram and/or sms, not {', '.join(sorted(bad))}")
        if "telegram" in notify and not person.telegram_secret:
            raise StaffError("to notify by Telegram, give --telegram-chat-id")
        if "sms" in notify and not person.phone_secret:
            raise StaffError("to notify by SMS, give --phone")
        person.notify_telegram = "telegram" in notify
        person.notify_sms = "sms" in notify
    return person


def list_staff(s: Session, site: Optional[str] = None) -> List[Staff]:
    q = select(Staff).join(Site, Site.id == Staff.site_id).order_by(Site.code, Staff.id)
    if site:
        q = q.where(Site.code == site)
    return list(s.execute(q).scalars())


def set_rota(s: Session, site: str, role: str, staff_ids: Sequence[int],
             starts_at: Optional[datetime] = None, ends_at: Optional[datetime] = None) -> List[RotaEntry]:
    """Replace the site's rota for ``role`` (for the given time window) with ``staff_ids`` in order."""
    if role not in ("facilitator", "iss"):
        raise StaffError("the rota is for facilitators or ISS workers (supervisors are told when the rota runs out)")
    site_row = s.execute(select(Site).where(Site.code == site)).scalar_one_or_none()
    if site_row is None:
        raise StaffError(f"no site {site!r}; add staff to it first")
    for sid in staff_ids:
        person = s.get(Staff, sid)
        if person is None or person.site_id != site_row.id:
            raise StaffError(f"staff {sid} is not at site {site}")
        if person.role != role:
            raise StaffError(f"staff {sid} ({person.name}) is a {person.role}, not a {role}")
    s.execute(delete(RotaEntry).where(RotaEntry.site_id == site_row.id, RotaEntry.role == role,
                                      RotaEntry.starts_at.is_(starts_at) if starts_at is None
                                      else RotaEntry.starts_at == starts_at))
    rows = []
    for position, sid in enumerate(staff_ids, start=1):
        row = RotaEntry(site_id=site_row.id, staff_id=sid, role=role, position=position, starts_at=starts_at,
                        ends_at=ends_at)
        s.add(row)
        rows.append(row)
    s.flush()
    return rows


def rota(s: Session, site: str) -> List[RotaEntry]:
    return list(s.execute(select(RotaEntry).join(Site, Site.id == RotaEntry.site_id).where(Site.code == site)
                          .order_by(RotaEntry.role, RotaEntry.starts_at, RotaEntry.position)).scalars())


def update_staff(s: Session, vault: IdentityVault, staff_id: int, name: Optional[str] = None,
                 telegram_chat_id: Optional[str] = None, phone: Optional[str] = None,
                 notify: Optional[Sequence[str]] = None, active: Optional[bool] = None) -> Optional[Staff]:
    """Change what is given (contacts and notification choice as ``set_contacts``, name, active);
    None if there is no staff member ``staff_id``."""
    person = s.get(Staff, staff_id)
    if person is None:
        return None
    set_contacts(s, vault, person, telegram_chat_id, phone, notify)
    if name:
        person.name = name
    if active is not None:
        person.active = active
    return person
