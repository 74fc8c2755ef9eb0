"""Fuzz the Telegram and SMS webhooks: random and malformed bodies, forged and genuine auth.

For each webhook it sends a bounded number of requests (seeded, so a run can be repeated):
random bytes, truncated and mutated JSON/forms, wrong types, huge fields, unicode, and the
same with the right secret/signature, so the parser is reached. It reports the status codes
seen, any 5xx (there should be none), and checks that rejected requests (403/400) stored
nothing in the inbox.

    .venv/bin/python scripts/fuzz_webhooks.py [--count 3000] [--seed 1]
    (or from tests: fuzz(settings, count, seed) against a running stack)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from coach.core.db import make_engine  # noqa: E402
from coach.core.db.models import InboundMessage  # noqa: E402

ALPHABET = string.printable + "éü’“”—…😀\u0000\u200b"


def _post(url: str, body: bytes, headers: Dict[str, str]) -> int:
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError) as exc:  # a dropped connection counts as a failure
        return 599 if "reset" in str(exc).lower() or "refused" in str(exc).lower() else 598


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _ascii(rng: random.Random, n: int) -> str:
    """Header values: http.client only sends Latin-1, so header noise stays printable ASCII."""
    return "".join(rng.choice(string.ascii_letters + string.digits + string.punctuation + " ") for _ in range(n))


def _json_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(7 if depth < 3 else 5)
    if kind == 0:
        return rng.randint(-2**40, 2**40)
    if kind == 1:
        return _text(rng, rng.randint(0, 40))
    if kind == 2:
        return None
    if kind == 3:
        return rng.random() > 0.5
    if kind == 4:
        return rng.random() * 1e6
    if kind == 5:
        return [_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {_text(rng, rng.randint(1, 8)): _json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def telegram_body(rng: random.Random, n: int) -> bytes:
    choice = n % 8
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
    if choice == 1:
        return json.dumps(_json_value(rng)).encode()
    base = {"update_id": rng.choice([rng.randint(1, 10**9), "7", None, -1, 2**70]),
            "message": {"message_id": rng.randint(1, 999), "date": 1,
                        "chat": rng.choice([{"id": rng.randint(1, 10**9), "type": "private"}, {"id": "x"}, None, {}]),
                        "from": {"id": rng.randint(1, 10**9)},
                        "text": rng.choice([_text(rng, rng.randint(0, 50)), None, 5, ["a"], "x" * 5000])}}
    if choice == 2:
        base["message"].pop(rng.choice(list(base["message"])))
    if choice == 3:
        base = {"update_id": rng.randint(1, 10**9), rng.choice(["callback_query", "edited_message", "my_chat_member",
                                                                "channel_post", "poll"]): _json_value(rng)}
    raw = json.dumps(base).encode()
    if choice == 4:
        raw = raw[: rng.randint(0, len(raw))]
    if choice == 5:
        i = rng.randrange(max(1, len(raw)))
        raw = raw[:i] + bytes([rng.randrange(256)]) + raw[i + 1:]
    return raw


def sms_params(rng: random.Random, n: int) -> Dict[str, str]:
    params = {"MessageSid": rng.choice(["SM" + "%032x" % rng.getrandbits(128), "", "SMxyz", _text(rng, 10)]),
              "From": rng.choice(["+4477009" + "%05d" % rng.randint(0, 99999), "", "abc", "+" + "9" * 30]),
              "To": "+447700900001",
              "Body": rng.choice([_text(rng, rng.randint(0, 200)), "", "STOP", "JOIN " + _text(rng, 8), "x" * 2000]),
              "NumMedia": rng.choice(["0", "1", "-3", "many", ""])}
    for key in rng.sample(list(params), rng.randint(0, 2)):
        params.pop(key)
    for _ in range(rng.randint(0, 3)):
        params[_text(rng, rng.randint(1, 6))] = _text(rng, rng.randint(0, 20))
    return params


def _inbox_count(settings) -> int:
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(InboundMessage)).scalar()
    engine.dispose()
    return n


def fuzz(settings, count: int, seed: int = 1) -> Dict[str, object]:
    """Fuzz both webhooks of a running stack; returns a summary."""
    from twilio.request_validator import RequestValidator

    rng = random.Random(seed)
    results: Dict[str, Counter] = {"telegram": Counter(), "sms": Counter()}
    stored_by_rejected = 0
    tg_url = f"{settings.rasa_url}/webhooks/telegram/webhook"
    sms_url = f"{settings.rasa_url}/webhooks/sms/webhook"
    public_sms_url = f"{settings.public_base_url}/webhooks/sms/webhook"
    validator = RequestValidator(settings.twilio_auth_token)
    for n in range(count):
        # Telegram: right secret half the time (reaches the parser), wrong/missing otherwise.
        body = telegram_body(rng, n)
        headers = {"Content-Type": rng.choice(["application/json", "text/plain", ""])}
        if rng.random() < 0.5:
            headers["X-Telegram-Bot-Api-Secret-Token"] = settings.telegram_webhook_secret
        elif rng.random() < 0.5:
            headers["X-Telegram-Bot-Api-Secret-Token"] = _ascii(rng, rng.randint(0, 300))
        before = _inbox_count(settings) if n % 50 == 0 else None
        status = _post(tg_url, body, headers)
        results["telegram"][status] += 1
        if before is not None and status in (400, 403) and _inbox_count(settings) != before:
            stored_by_rejected += 1

        # SMS: a valid signature half the time, forged otherwise.
        params = sms_params(rng, n)
        form = urllib.parse.urlencode(params).encode()
        if n % 10 == 0:
            form = bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        headers = {"Content-Type": rng.choice(["application/x-www-form-urlencoded"] * 4 + ["application/json", ""])}
        if rng.random() < 0.5:
            headers["X-Twilio-Signature"] = validator.compute_signature(public_sms_url, params)
        elif rng.random() < 0.5:
            headers["X-Twilio-Signature"] = _ascii(rng, 28)
        before = _inbox_count(settings) if n % 50 == 0 else None
        status = _post(sms_url, form, headers)
        results["sms"][status] += 1
        if before is not None and status in (400, 403) and _inbox_count(settings) != before:
            stored_by_rejected += 1
    server_errors = {ch: {s: c for s, c in cnt.items() if s >= 500} for ch, cnt in results.items()}
    return {"requests": count * 2, "statuses": {ch: dict(sorted(c.items())) for ch, c in results.items()},
            "server_errors": server_errors, "stored_by_rejected": stored_by_rejected}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=3000, help="requests per webhook")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    from coach.app.runner import Stack, train
    from coach.core.db import Database
    from coach.core.settings import load_settings
    from tests.conftest import free_port
    from tests.fakes.telegram_api import FakeTelegramAPI
    from tests.fakes.twilio_api import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilioAPI

    tg, tw = FakeTelegramAPI(), FakeTwilioAPI()
    tg.start()
    tw.start()
    home = Path(tempfile.mkdtemp(prefix="fuzz-"))
    port = free_port()
    env = dict(os.environ, COACH_ENV="test", COACH_HOME=str(home), DATABASE_URL=f"sqlite:///{home / 'coach.db'}",
               TRACKER_STORE_URL=f"sqlite:///{home / 'tracker.db'}", RASA_PORT=str(port), ACTION_PORT=str(free_port()),
               TELEGRAM_BOT_TOKEN="123456:FUZZ", TELEGRAM_WEBHOOK_SECRET="fuzz-secret",
               TELEGRAM_API_BASE=f"{tg.url}/bot",
               TWILIO_ACCOUNT_SID=DEFAULT_ACCOUNT_SID, TWILIO_AUTH_TOKEN=DEFAULT_AUTH_TOKEN,
               TWILIO_FROM_NUMBER="+447700900001", TWILIO_API_BASE=tw.url, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
               COACH_AUTO_ENROL="false")
    settings = load_settings(env)
    Database(settings.database_url).upgrade()
    train(settings, quiet=True)
    with Stack(settings, log_dir=home / "logs"):
        summary = fuzz(settings, args.count, args.seed)
    tg.stop()
    tw.stop()
    print(json.dumps(summary, indent=2))
    ok = not any(summary["server_errors"].values()) and summary["stored_by_rejected"] == 0
    print("OK: no 5xx, nothing stored from rejected requests" if ok else "PROBLEMS FOUND (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
