"""One typed settings object, read once from the environment (and `.env` if present).

Every variable is documented in `.env.example`. Nothing else in the code reads
`os.environ` for configuration.

    from coach.settings import get_settings
    s = get_settings()
    s.database_url
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


def _bool(value: Optional[str], default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"expected true/false, got {value!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _hhmm(env: Mapping[str, str], name: str, default: str) -> str:
    raw = (env.get(name) or default).strip()
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw)
    if not m:
        raise SettingsError(f"{name} must be a time like 19:00, got {raw!r}")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Settings:
    env: str
    home: Path  # runtime state: databases, logs, dev secrets, run files
    content_dir: Path
    bot_dir: Path
    models_dir: Path
    database_url: str
    tracker_store_url: str
    rasa_host: str
    rasa_port: int
    action_host: str
    action_port: int
    rasa_auth_token: str
    auto_enrol: bool
    default_site: str
    secret_key: str  # Fernet key: encrypts phone numbers and chat ids at rest
    hash_key: str  # HMAC key: lookup hashes of provider ids
    timezone: str
    # escalation
    alert_renotify_minutes: float
    alert_tries_per_person: int
    alert_max_send_attempts: int
    alert_claim_lease_seconds: float
    worker_poll_seconds: float
    # the weekly rhythm
    schedule_nudge_time: str
    schedule_quiet_start: str
    schedule_quiet_end: str
    schedule_follow_up_days: int
    schedule_grace_hours: float
    schedule_coaching_delay_minutes: float
    rate_telegram_per_second: float
    rate_telegram_chat_seconds: float
    rate_sms_segments_per_second: float
    # channels
    telegram_bot_token: str
    telegram_webhook_secret: str
    telegram_api_base: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from_number: str
    twilio_api_base: str
    public_base_url: str

    def as_env(self) -> Dict[str, str]:
        """These settings as environment variables, for child processes (Rasa, actions, worker)."""
        return {
            "COACH_ENV": self.env,
            "COACH_HOME": str(self.home),
            "COACH_CONTENT_DIR": str(self.content_dir),
            "COACH_BOT_DIR": str(self.bot_dir),
            "COACH_MODELS_DIR": str(self.models_dir),
            "DATABASE_URL": self.database_url,
            "TRACKER_STORE_URL": self.tracker_store_url,
            "RASA_HOST": self.rasa_host,
            "RASA_PORT": str(self.rasa_port),
            "ACTION_HOST": self.action_host,
            "ACTION_PORT": str(self.action_port),
            "RASA_AUTH_TOKEN": self.rasa_auth_token,
            "COACH_AUTO_ENROL": "true" if self.auto_enrol else "false",
            "COACH_DEFAULT_SITE": self.default_site,
            "COACH_SECRET_KEY": self.secret_key,
            "COACH_HASH_KEY": self.hash_key,
            "COACH_TIMEZONE": self.timezone,
            "ALERT_RENOTIFY_MINUTES": str(self.alert_renotify_minutes),
            "ALERT_TRIES_PER_PERSON": str(self.alert_tries_per_person),
            "ALERT_MAX_SEND_ATTEMPTS": str(self.alert_max_send_attempts),
            "ALERT_CLAIM_LEASE_SECONDS": str(self.alert_claim_lease_seconds),
            "WORKER_POLL_SECONDS": str(self.worker_poll_seconds),
            "SCHEDULE_NUDGE_TIME": self.schedule_nudge_time,
            "SCHEDULE_QUIET_START": self.schedule_quiet_start,
            "SCHEDULE_QUIET_END": self.schedule_quiet_end,
            "SCHEDULE_FOLLOW_UP_DAYS": str(self.schedule_follow_up_days),
            "SCHEDULE_GRACE_HOURS": str(self.schedule_grace_hours),
            "SCHEDULE_COACHING_DELAY_MINUTES": str(self.schedule_coaching_delay_minutes),
            "RATE_TELEGRAM_PER_SECOND": str(self.rate_telegram_per_second),
            "RATE_TELEGRAM_CHAT_SECONDS": str(self.rate_telegram_chat_seconds),
            "RATE_SMS_SEGMENTS_PER_SECOND": str(self.rate_sms_segments_per_second),
            "TELEGRAM_BOT_TOKEN": self.telegram_bot_token,
            "TELEGRAM_WEBHOOK_SECRET": self.telegram_webhook_secret,
            "TELEGRAM_API_BASE": self.telegram_api_base,
            "TWILIO_ACCOUNT_SID": self.twilio_account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio_auth_token,
            "TWILIO_FROM_NUMBER": self.twilio_from_number,
            "TWILIO_API_BASE": self.twilio_api_base,
            "PUBLIC_BASE_URL": self.public_base_url,
        }

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def sms_enabled(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token and self.twilio_from_number)


def _dev_secrets(home: Path) -> dict:
    """Local development only: generate keys once and keep them in .coach/ (gitignored)."""
    from cryptography.fernet import Fernet

    path = home / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    home.mkdir(parents=True, exist_ok=True)
    data = {
        "COACH_SECRET_KEY": Fernet.generate_key().decode(),
        "COACH_HASH_KEY": secrets.token_urlsafe(32),
        "RASA_AUTH_TOKEN": secrets.token_urlsafe(24),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return data


def load_settings(environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Build settings from `environ` (default: os.environ plus `.env` in the project)."""
    if environ is None:
        from dotenv import dotenv_values

        env = {k: v for k, v in dotenv_values(PROJECT_ROOT / ".env").items() if v is not None}
        env.update(os.environ)
    else:
        env = dict(environ)

    mode = env.get("COACH_ENV", "development").strip().lower()
    if mode not in {"development", "production", "test"}:
        raise SettingsError(f"COACH_ENV must be development, test or production, got {mode!r}")
    home = Path(env.get("COACH_HOME") or PROJECT_ROOT / ".coach").resolve()

    def need(name: str) -> str:
        value = env.get(name, "")
        if not value:
            if mode == "production":
                raise SettingsError(f"{name} must be set in production (see .env.example)")
            value = _dev_secrets(home)[name]
        return value

    return Settings(
        env=mode,
        home=home,
        content_dir=Path(env.get("COACH_CONTENT_DIR") or PROJECT_ROOT / "content").resolve(),
        bot_dir=Path(env.get("COACH_BOT_DIR") or PROJECT_ROOT / "bot").resolve(),
        models_dir=Path(env.get("COACH_MODELS_DIR") or PROJECT_ROOT / "models").resolve(),
        database_url=env.get("DATABASE_URL") or _sqlite_url(home / "coach.db"),
        tracker_store_url=env.get("TRACKER_STORE_URL") or _sqlite_url(home / "tracker.db"),
        rasa_host=env.get("RASA_HOST", "127.0.0.1"),
        rasa_port=_int(env, "RASA_PORT", 5005),
        action_host=env.get("ACTION_HOST", "127.0.0.1"),
        action_port=_int(env, "ACTION_PORT", 5055),
        rasa_auth_token=need("RASA_AUTH_TOKEN"),
        auto_enrol=_bool(env.get("COACH_AUTO_ENROL"), default=(mode != "production")),
        default_site=env.get("COACH_DEFAULT_SITE", "demo"),
        secret_key=need("COACH_SECRET_KEY"),
        hash_key=need("COACH_HASH_KEY"),
        timezone=env.get("COACH_TIMEZONE", "Europe/London"),
        alert_renotify_minutes=_float(env, "ALERT_RENOTIFY_MINUTES", 10.0),
        alert_tries_per_person=_int(env, "ALERT_TRIES_PER_PERSON", 2),
        alert_max_send_attempts=_int(env, "ALERT_MAX_SEND_ATTEMPTS", 8),
        alert_claim_lease_seconds=_float(env, "ALERT_CLAIM_LEASE_SECONDS", 60.0),
        worker_poll_seconds=_float(env, "WORKER_POLL_SECONDS", 1.0),
        schedule_nudge_time=_hhmm(env, "SCHEDULE_NUDGE_TIME", "18:00"),
        schedule_quiet_start=_hhmm(env, "SCHEDULE_QUIET_START", "21:00"),
        schedule_quiet_end=_hhmm(env, "SCHEDULE_QUIET_END", "09:00"),
        schedule_follow_up_days=_int(env, "SCHEDULE_FOLLOW_UP_DAYS", 2),
        schedule_grace_hours=_float(env, "SCHEDULE_GRACE_HOURS", 12.0),
        schedule_coaching_delay_minutes=_float(env, "SCHEDULE_COACHING_DELAY_MINUTES", 5.0),
        rate_telegram_per_second=_float(env, "RATE_TELEGRAM_PER_SECOND", 30.0),
        rate_telegram_chat_seconds=_float(env, "RATE_TELEGRAM_CHAT_SECONDS", 1.0),
        rate_sms_segments_per_second=_float(env, "RATE_SMS_SEGMENTS_PER_SECOND", 1.0),
        telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", ""),
        telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
        telegram_api_base=env.get("TELEGRAM_API_BASE", "https://api.telegram.org/bot"),
        twilio_account_sid=env.get("TWILIO_ACCOUNT_SID", ""),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", ""),
        twilio_from_number=env.get("TWILIO_FROM_NUMBER", ""),
        twilio_api_base=env.get("TWILIO_API_BASE", ""),
        public_base_url=env.get("PUBLIC_BASE_URL", "").rstrip("/"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
