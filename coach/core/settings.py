"""One typed settings object, read once from the environment (and `.env` if present).

Each setting is declared once, below, with its environment variable, its default and
what it is for. Everything else derives from those declarations: ``load_settings`` reads
them, ``Settings.as_env`` hands them to child processes, and ``env_example()`` writes
`.env.example` (a contract test keeps that file in step). Nothing else reads
``os.environ`` for configuration, and library code never reads settings by itself: entry
points (the CLI, the worker, the Rasa adapter) call ``get_settings()`` and pass them down.

    from coach.core.settings import get_settings
    s = get_settings()
    s.database_url
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MODES = ("development", "test", "production")


class SettingsError(RuntimeError):
    """A setting is missing or invalid; the message says which and how to fix it."""


# -- parsers: text from the environment -> typed value (errors name the variable) ----------------

def _text(name: str, raw: str) -> str:
    return raw


def _mode(name: str, raw: str) -> str:
    mode = raw.strip().lower()
    if mode not in MODES:
        raise SettingsError(f"{name} must be development, test or production, got {raw!r}")
    return mode


def _path(name: str, raw: str) -> Path:
    return Path(raw).expanduser().resolve()


def _int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None


def _float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _bool(name: str, raw: str) -> bool:
    v = raw.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _hhmm(name: str, raw: str) -> str:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", raw.strip())
    if not m:
        raise SettingsError(f"{name} must be a time like 19:00, got {raw!r}")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def _url_root(name: str, raw: str) -> str:
    return raw.strip().rstrip("/")


def _show(value: Any) -> str:
    """A typed value back as environment text (what ``as_env`` gives child processes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- the declaration ---------------------------------------------------------------------------

# A default is text (parsed like the environment's), or a function of the values read so far
# (for defaults that depend on COACH_HOME or COACH_ENV), or DEV_SECRET: generated once into
# COACH_HOME for development and test, required in production.
DEV_SECRET = object()


def setting(env: str, default: Any, doc: str, parse: Callable[[str, str], Any] = _text, *,
            section: str = "", example: Optional[str] = None, show: bool = True):
    """Declare one setting: its environment variable, default and documentation.

    ``example`` is what `.env.example` shows (commented out when it differs from the
    default); ``show=False`` leaves the variable commented out there even with no example.
    ``section`` starts a new group in `.env.example` with that heading.
    """
    return dataclasses.field(metadata={"env": env, "default": default, "doc": doc, "parse": parse,
                                       "section": section, "example": example, "show": show})


def _home_sqlite(file: str) -> Callable[[Dict[str, Any]], str]:
    return lambda values: f"sqlite:///{values['home'] / file}"


@dataclass(frozen=True)
class Settings:
    env: str = setting(
        "COACH_ENV", "development", "development | test | production. Production requires the keys below and turns "
        "off auto-enrolment of unknown REST senders.", _mode, section="Mode")
    home: Path = setting(
        "COACH_HOME", str(PROJECT_ROOT / ".coach"), "Where runtime state lives (databases, logs, run files). "
        "Default: ./.coach", _path, example="/var/lib/coach")
    database_url: str = setting(
        "DATABASE_URL", _home_sqlite("coach.db"), "App database (SQLAlchemy URL). Default: SQLite in COACH_HOME.",
        section="Databases", example="postgresql://coach:CHANGE_ME@localhost:5432/coach")
    tracker_store_url: str = setting(
        "TRACKER_STORE_URL", _home_sqlite("tracker.db"), "Rasa's conversation store. Default: SQLite in COACH_HOME. "
        "PostgreSQL (postgresql://rasa:CHANGE_ME@localhost:5432/rasa) or Redis in production (Redis keeps up with "
        "30 nudges a second; see the README's \"Scale\").", example="redis://127.0.0.1:6379/0")
    content_dir: Path = setting(
        "COACH_CONTENT_DIR", str(PROJECT_ROOT / "content"), "What authors edit. Default: ./content", _path,
        section="Folders", show=False)
    bot_dir: Path = setting("COACH_BOT_DIR", str(PROJECT_ROOT / "bot"), "The Rasa project. Default: ./bot", _path,
                            show=False)
    models_dir: Path = setting("COACH_MODELS_DIR", str(PROJECT_ROOT / "models"), "Trained models. Default: ./models",
                               _path, show=False)
    rasa_host: str = setting("RASA_HOST", "127.0.0.1", "Rasa server (bound to localhost unless you change it).",
                             section="Servers")
    rasa_port: int = setting("RASA_PORT", "5005", "Rasa server port.", _int)
    action_host: str = setting("ACTION_HOST", "127.0.0.1", "Action server (bound to localhost unless you change it).")
    action_port: int = setting("ACTION_PORT", "5055", "Action server port.", _int)
    web_host: str = setting("WEB_HOST", "127.0.0.1", "Staff console (bound to localhost; put it behind the same "
                            "reverse proxy as the webhooks, over https).")
    web_port: int = setting("WEB_PORT", "8000", "Staff console port.", _int)
    rasa_auth_token: str = setting(
        "RASA_AUTH_TOKEN", DEV_SECRET, "Token for Rasa's HTTP API (the worker uses it for trigger_intent). Required "
        "in production. Generate: python -c \"import secrets; print(secrets.token_urlsafe(24))\"",
        section="Secrets (required in production; generated into COACH_HOME for development)")
    secret_key: str = setting(
        "COACH_SECRET_KEY", DEV_SECRET, "Fernet key that encrypts phone numbers and Telegram ids at rest; losing it "
        "makes stored ids unreadable. Generate: python -c \"from cryptography.fernet import Fernet; "
        "print(Fernet.generate_key().decode())\"")
    hash_key: str = setting(
        "COACH_HASH_KEY", DEV_SECRET, "Key for the lookup hashes of phone numbers and Telegram ids. "
        "Generate: python -c \"import secrets; print(secrets.token_urlsafe(32))\"")
    auto_enrol: bool = setting(
        "COACH_AUTO_ENROL", lambda values: values["env"] != "production", "REST channel: enrol unknown senders as "
        "demo participants on week 1 (default: on, off in production).", _bool, section="Participants",
        example="false")
    default_site: str = setting("COACH_DEFAULT_SITE", "demo", "Site code for demo participants.")
    timezone: str = setting("COACH_TIMEZONE", "Europe/London", "The programme's time zone.")
    alert_renotify_minutes: float = setting(
        "ALERT_RENOTIFY_MINUTES", "10", "An unacknowledged alert is sent again after this long.", _float,
        section="Escalation (risk alerts to staff)")
    alert_tries_per_person: int = setting(
        "ALERT_TRIES_PER_PERSON", "2", "Rounds sent to one person before the next on the rota.", _int)
    alert_max_send_attempts: int = setting(
        "ALERT_MAX_SEND_ATTEMPTS", "8", "Attempts at one notification before it counts as failed.", _int)
    alert_claim_lease_seconds: float = setting(
        "ALERT_CLAIM_LEASE_SECONDS", "60", "A send still unfinished after this long is treated as 'may have gone': "
        "never resent, next round at once.", _float)
    risk_check_review_minutes: float = setting(
        "RISK_CHECK_REVIEW_MINUTES", "30", "A calm safety check he hasn't answered this long after it was asked "
        "becomes a review item for his facilitator.", _float)
    worker_poll_seconds: float = setting("WORKER_POLL_SECONDS", "1", "How often the worker looks for work.", _float)
    schedule_nudge_time: str = setting(
        "SCHEDULE_NUDGE_TIME", "18:00", "Nudges go at his chosen time, or this one (UK time).", _hhmm,
        section="The weekly rhythm (UK times)")
    schedule_quiet_start: str = setting(
        "SCHEDULE_QUIET_START", "21:00", "No proactive messages from this time (he can set his own in chat)...",
        _hhmm)
    schedule_quiet_end: str = setting("SCHEDULE_QUIET_END", "09:00", "...until this time.", _hhmm)
    schedule_follow_up_days: int = setting(
        "SCHEDULE_FOLLOW_UP_DAYS", "2", "A second nudge if he hasn't started (or finished) this many days after "
        "the first.", _int)
    schedule_grace_hours: float = setting(
        "SCHEDULE_GRACE_HOURS", "12", "A nudge more than this late (the worker was down) is skipped rather than "
        "sent late.", _float)
    schedule_coaching_delay_minutes: float = setting(
        "SCHEDULE_COACHING_DELAY_MINUTES", "5", "The coaching-call prompt goes this long after he finishes a "
        "session.", _float)
    rate_telegram_per_second: float = setting(
        "RATE_TELEGRAM_PER_SECOND", "30", "Telegram messages a second from this bot, all chats together (each "
        "process sends through one client with this limit).", _float, section="Sending limits")
    rate_telegram_chat_seconds: float = setting(
        "RATE_TELEGRAM_CHAT_SECONDS", "1", "Seconds between two messages to the same Telegram chat.", _float)
    rate_sms_segments_per_second: float = setting(
        "RATE_SMS_SEGMENTS_PER_SECOND", "1", "SMS segments a second from our number (a UK long code: 1).", _float)
    telegram_bot_token: str = setting(
        "TELEGRAM_BOT_TOKEN", "", "From @BotFather. Leave empty to run without Telegram.", section="Telegram")
    telegram_webhook_secret: str = setting(
        "TELEGRAM_WEBHOOK_SECRET", "", "Telegram sends it with every update (1-256 of A-Z a-z 0-9 _ -).")
    telegram_api_base: str = setting(
        "TELEGRAM_API_BASE", "https://api.telegram.org/bot", "The Bot API's address (tests point it at a fake).",
        show=False)
    twilio_account_sid: str = setting(
        "TWILIO_ACCOUNT_SID", "", "Leave the Twilio settings empty to run without SMS.", section="Twilio SMS")
    twilio_auth_token: str = setting("TWILIO_AUTH_TOKEN", "", "Also checks the signature of every SMS webhook.")
    twilio_from_number: str = setting("TWILIO_FROM_NUMBER", "", "The coach's number, like +447700900000.")
    twilio_api_base: str = setting("TWILIO_API_BASE", "", "Another address for Twilio's API (tests point it at a "
                                   "fake).", show=False)
    public_base_url: str = setting(
        "PUBLIC_BASE_URL", "", "The public https URL Twilio and Telegram call (Twilio signatures are checked "
        "against it).", _url_root, section="Public address")

    def as_env(self) -> Dict[str, str]:
        """These settings as environment variables, for child processes (Rasa, actions, worker)."""
        return {f.metadata["env"]: _show(getattr(self, f.name)) for f in dataclasses.fields(self)}

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


def declarations():
    """The declared settings, in order: (field name, metadata)."""
    return [(f.name, f.metadata) for f in dataclasses.fields(Settings)]


def make_private(home: Path) -> None:
    """COACH_HOME holds the databases, logs and keys: only its owner may enter it, and the
    SQLite files in it are the owner's alone (other local users could read disclosures)."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(home, 0o700)
    for path in home.iterdir():
        if path.is_file() and (path.suffix in (".db", ".json") or path.name.endswith((".db-wal", ".db-shm"))):
            os.chmod(path, 0o600)


def _dev_secrets(home: Path) -> dict:
    """Development and test only: generate keys once and keep them in COACH_HOME (gitignored)."""
    from cryptography.fernet import Fernet

    path = home / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    make_private(home)
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
    """Build settings from ``environ`` (default: os.environ over `.env` in the project)."""
    if environ is None:
        from dotenv import dotenv_values

        env = {k: v for k, v in dotenv_values(PROJECT_ROOT / ".env").items() if v is not None}
        env.update(os.environ)
    else:
        env = dict(environ)
    values: Dict[str, Any] = {}
    for name, meta in declarations():
        raw = env.get(meta["env"])
        if raw is not None and raw.strip() != "":
            values[name] = meta["parse"](meta["env"], raw)
            continue
        default = meta["default"]
        if default is DEV_SECRET:
            if values["env"] == "production":
                raise SettingsError(f"{meta['env']} must be set in production (see .env.example)")
            values[name] = _dev_secrets(values["home"])[meta["env"]]
        elif callable(default):
            values[name] = default(values)
        else:
            values[name] = meta["parse"](meta["env"], default)
    return Settings(**values)


def env_example() -> str:
    """The text of `.env.example`, from the declarations (`coach settings example` prints it)."""
    lines = ["# Every setting the coach reads. Copy to .env (never commit it) or set in the environment.",
             "# Locally nothing is required: development keys are generated into .coach/dev-secrets.json.",
             "# Generated from coach/core/settings.py by `coach settings example > .env.example`."]
    for _name, meta in declarations():
        if meta["section"]:
            lines += ["", f"# -- {meta['section']}"]
        lines += [f"# {line}" for line in _wrap(meta["doc"])]
        default = meta["default"]
        shown = "" if default is DEV_SECRET or callable(default) or default.startswith(str(PROJECT_ROOT)) else default
        if meta["example"] is not None:
            lines.append(f"# {meta['env']}={meta['example']}")
        elif not meta["show"]:
            lines.append(f"# {meta['env']}={shown}")
        else:
            lines.append(f"{meta['env']}={shown}")
    return "\n".join(lines) + "\n"


def _wrap(text: str, width: int = 92):
    import textwrap

    return textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [""]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings: for entry points only (library code takes settings as an argument)."""
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
