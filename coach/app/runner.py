"""Training and running the stack: Rasa server + action server (+ worker), one command.

    ensure_model(settings)            # trains only if bot/ changed since the last model
    with Stack(settings) as stack:    # starts everything, waits until it answers
        ...                           # leaving the block stops every process cleanly
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import unquote, urlparse

from coach.core.settings import Settings, make_private

MODEL_NAME = "coach"


class StackError(RuntimeError):
    pass


def bin_path(name: str) -> str:
    """A console script from this virtual environment (rasa, coach)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


# -- training ----------------------------------------------------------------------------

def training_inputs(bot_dir: Path) -> List[Path]:
    files = [bot_dir / "config.yml"]
    for sub in ("domain", "data"):
        files += sorted(p for p in (bot_dir / sub).rglob("*.yml"))
    return files


def bot_fingerprint(bot_dir: Path) -> str:
    h = hashlib.sha256()
    for path in training_inputs(bot_dir):
        h.update(str(path.relative_to(bot_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def model_path(settings: Settings) -> Path:
    return settings.models_dir / f"{MODEL_NAME}.tar.gz"


def model_is_fresh(settings: Settings) -> bool:
    stamp = settings.models_dir / f"{MODEL_NAME}.fingerprint"
    return (model_path(settings).exists() and stamp.exists()
            and stamp.read_text().strip() == bot_fingerprint(settings.bot_dir))


def rasa_env(settings: Settings) -> Dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    env["RASA_TELEMETRY_ENABLED"] = "false"
    env.update(settings.as_env())
    return env


def risk_feedback_path(settings: Settings) -> Path:
    """Reviewed false alarms from the console, if a clinician saved some (coach risk false-alarms)."""
    return Path(settings.home) / "risk-feedback.yml"


def train_risk(settings: Settings, force: bool = False) -> Optional[dict]:
    """Train the risk model if its data or recipe changed (or ``force``): its report, or None."""
    from escalation.cache import model_path as risk_model_path
    from escalation.model.train import TrainingError, is_fresh, train_model

    path = risk_model_path(settings.models_dir)
    feedback = risk_feedback_path(settings)
    if not force and is_fresh(path, settings.content_dir, feedback):
        return None
    try:
        return train_model(settings.content_dir, path, feedback=feedback)
    except TrainingError as exc:
        raise StackError(f"the risk model's training data has problems:\n{exc}") from None


def train(settings: Settings, force: bool = False, quiet: bool = False, with_risk: bool = True) -> bool:
    """Train the risk model (unless ``with_risk`` is False) and the Rasa model where their
    inputs changed (or ``force``). Returns True if the Rasa model was trained."""
    if with_risk:
        train_risk(settings, force=force)
    if not force and model_is_fresh(settings):
        return False
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = bot_fingerprint(settings.bot_dir)
    cmd = [
        bin_path("rasa"), "train", "--config", "config.yml", "--domain", "domain", "--data", "data",
        "--out", str(settings.models_dir), "--fixed-model-name", MODEL_NAME,
    ]
    if force:
        cmd.append("--force")
    out = subprocess.DEVNULL if quiet else None
    result = subprocess.run(cmd, cwd=settings.bot_dir, env=rasa_env(settings), stdout=out)
    if result.returncode != 0:
        raise StackError("rasa train failed; see the messages above")
    (settings.models_dir / f"{MODEL_NAME}.fingerprint").write_text(fingerprint + "\n")
    return True


# -- run files -----------------------------------------------------------------------------

def tracker_store_config(url: str) -> Dict[str, object]:
    """Rasa tracker store settings from a URL: sqlite:///path, postgresql://..., or redis://host:port/db."""
    parsed = urlparse(url)
    if parsed.scheme.startswith("sqlite"):
        return {"type": "SQL", "dialect": "sqlite", "db": unquote(url.split("///", 1)[-1])}
    if parsed.scheme.startswith(("postgresql", "postgres")):
        cfg: Dict[str, object] = {"type": "SQL", "dialect": "postgresql", "url": parsed.hostname or "localhost",
                                  "db": (parsed.path or "/rasa").lstrip("/")}
        if parsed.port:
            cfg["port"] = parsed.port
        if parsed.username:
            cfg["username"] = unquote(parsed.username)
        if parsed.password:
            cfg["password"] = unquote(parsed.password)
        return cfg
    if parsed.scheme in ("redis", "rediss"):
        cfg = {"type": "redis", "url": parsed.hostname or "localhost", "port": parsed.port or 6379,
               "db": int((parsed.path or "/0").lstrip("/") or 0), "use_ssl": parsed.scheme == "rediss"}
        if parsed.password:
            cfg["password"] = unquote(parsed.password)
        return cfg
    raise StackError(f"TRACKER_STORE_URL must be sqlite:///..., postgresql://... or redis://..., got {parsed.scheme}://")


def write_run_files(settings: Settings) -> Dict[str, Path]:
    """endpoints.yml and credentials.yml for this run, in .coach/run/ (never in the repo)."""
    import yaml

    run_dir = settings.home / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    endpoints = {
        "action_endpoint": {"url": settings.action_url},
        "tracker_store": tracker_store_config(settings.tracker_store_url),
        "lock_store": {"type": "in_memory"},
    }
    template = yaml.safe_load((settings.bot_dir / "credentials.yml").read_text()) or {}
    enabled = {"bot.channels.rest.CoachRestInput": True,
               "bot.channels.telegram.TelegramInput": settings.telegram_enabled,
               "bot.channels.sms.SmsInput": settings.sms_enabled}
    credentials: Dict[str, object] = {k: v or {} for k, v in template.items() if enabled.get(k, True)}
    paths = {"endpoints": run_dir / "endpoints.yml", "credentials": run_dir / "credentials.yml"}
    for key, data in (("endpoints", endpoints), ("credentials", credentials)):
        tmp = paths[key].with_suffix(".tmp")
        tmp.write_text(yaml.safe_dump(data, sort_keys=False))
        os.chmod(tmp, 0o600)
        tmp.replace(paths[key])
    return paths


# -- processes -------------------------------------------------------------------------------

def _get(url: str, timeout: float = 2.0) -> Optional[int]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except Exception:
        return None


class Stack:
    """The action server, the Rasa server, the worker and (for `coach up`) the staff console as child processes."""

    def __init__(self, settings: Settings, log_dir: Optional[Path] = None, startup_timeout: float = 240.0,
                 worker: bool = True, web: bool = False):
        self.settings = settings
        self.log_dir = log_dir
        self.worker = worker
        self.web = web
        self.startup_timeout = startup_timeout
        self.procs: Dict[str, subprocess.Popen] = {}
        self._logs: List = []

    def _spawn(self, name: str, cmd: List[str], env: Dict[str, str]) -> None:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab", opener=lambda path, flags: os.open(path, flags, 0o600))
            self._logs.append(out)
        self.procs[name] = subprocess.Popen(
            cmd, cwd=self.settings.bot_dir, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
            start_new_session=True,  # its own process group: Ctrl-C here is handled by us
            umask=0o077,  # what they create (Rasa's tracker.db, logs) is the owner's alone
        )

    def start(self) -> "Stack":
        s = self.settings
        if not model_path(s).exists():
            raise StackError("no trained model; run `coach train` (or `make train`) first")
        make_private(s.home)
        files = write_run_files(s)
        env = rasa_env(s)
        action_env = dict(env, SANIC_HOST=s.action_host)
        self._spawn("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "bot.actions",
                                "--port", str(s.action_port)], action_env)
        self._spawn("rasa", [
            # bot.serve adds RASA_AUTH_TOKEN from the environment: never on the command line (ps)
            sys.executable, "-m", "bot.serve", "run", "--enable-api",
            "--interface", s.rasa_host, "--port", str(s.rasa_port), "--model", str(model_path(s)),
            "--endpoints", str(files["endpoints"]), "--credentials", str(files["credentials"]),
        ], env)
        if self.worker:
            self._spawn("worker", [sys.executable, "-m", "coach.cli", "worker"], env)
        if self.web:
            self._spawn("web", [sys.executable, "-m", "coach.cli", "web"], env)
        self.wait_ready()
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        checks = {"actions": f"http://{self.settings.action_host}:{self.settings.action_port}/health",
                  "rasa": f"{self.settings.rasa_url}/webhooks/rest/"}
        if self.web:
            checks["web"] = f"http://{self.settings.web_host}:{self.settings.web_port}/healthz"
        pending = dict(checks)
        while pending and time.monotonic() < deadline:
            for name, url in list(pending.items()):
                proc = self.procs[name]
                if proc.poll() is not None:
                    self.stop()
                    where = f" (see {self.log_dir / (name + '.log')})" if self.log_dir else ""
                    raise StackError(f"the {name} server stopped while starting (exit {proc.returncode}){where}")
                if _get(url) == 200:
                    del pending[name]
            time.sleep(0.5)
        if pending:
            self.stop()
            raise StackError(f"timed out waiting for: {', '.join(pending)}")
        worker = self.procs.get("worker")
        if worker is not None and worker.poll() is not None:
            self.stop()
            raise StackError(f"the worker stopped while starting (exit {worker.returncode})")

    def stop(self, timeout: float = 20.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(5)
        for fh in self._logs:
            fh.close()
        self._logs.clear()

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
