"""Telegram and SMS end to end, and escalation: the real stack against fake providers.

Starts fake Telegram Bot API and Twilio REST servers on 127.0.0.1, then the Rasa server,
action server and worker configured to use them (the real python-telegram-bot and twilio
clients do the talking). Webhook updates are POSTed the way Telegram and Twilio would.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import func, select

from coach.app.runner import Stack, train
from coach.core.db import Database, make_engine
from coach.core.db.models import Alert, AlertNotification, InboundMessage, Participant, RiskCheck, SessionProgress
from coach.core.settings import load_settings
from coach.programme.content.loader import load_content
from tests.conftest import ROOT, free_port
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    make_callback_update,
    make_edited_message_update,
    make_photo_update,
    make_sticker_update,
    make_text_update,
)
from tests.fakes.twilio_api import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, FakeTwilioAPI, signed_sms_webhook

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOKEN = "123456:TEST-token"
SECRET = "e2e-webhook-secret"
COACH_NUMBER = "+447700900001"
STAFF_CHAT = 90001
ISS_PHONE = "+447700900555"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    home = tmp_path_factory.mktemp("channels-home")
    tg, tw = FakeTelegramAPI(), FakeTwilioAPI()
    tg.start()
    tw.start()
    rasa_port = free_port()
    values = dict(os.environ)
    values.update({
        "COACH_ENV": "test", "COACH_HOME": str(home),
        "DATABASE_URL": f"sqlite:///{home / 'coach.db'}", "TRACKER_STORE_URL": f"sqlite:///{home / 'tracker.db'}",
        "COACH_CONTENT_DIR": str(ROOT / "content"), "COACH_BOT_DIR": str(ROOT / "bot"),
        "COACH_MODELS_DIR": str(ROOT / "models"),
        "RASA_PORT": str(rasa_port), "ACTION_PORT": str(free_port()), "COACH_AUTO_ENROL": "false",
        "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": f"{tg.url}/bot",
        "TWILIO_ACCOUNT_SID": DEFAULT_ACCOUNT_SID, "TWILIO_AUTH_TOKEN": DEFAULT_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": COACH_NUMBER, "TWILIO_API_BASE": tw.url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{rasa_port}",
        "ALERT_RENOTIFY_MINUTES": "0.05", "WORKER_POLL_SECONDS": "0.2", "ALERT_TRIES_PER_PERSON": "2",
        "RISK_CHECK_REVIEW_MINUTES": "0.05",
    })
    settings = load_settings(values)
    Database(settings.database_url).upgrade()
    train(settings)
    run = _cli(values)
    run("staff", "add", "--site", "north", "--name", "Fay", "--role", "facilitator",
        "--telegram-chat-id", str(STAFF_CHAT))
    run("staff", "add", "--site", "north", "--name", "Isla", "--role", "iss", "--phone", ISS_PHONE)
    stack = Stack(settings, log_dir=home / "logs")
    stack.start()
    try:
        yield type("Env", (), dict(settings=settings, tg=tg, tw=tw, run=run, home=home, values=values))
    finally:
        stack.stop()
        tg.stop()
        tw.stop()


def _cli(values):
    import subprocess
    import sys

    def run(*args):
        out = subprocess.run([sys.executable, "-m", "coach.cli", *args], env=values, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout
    return run


def enrol(env) -> tuple:
    out = env.run("enrol", "--site", "north", "--start",
                  time.strftime("%Y-%m-%d", time.gmtime(time.time() - 7 * 86400)))
    pid = out.split()[1]
    code = out.split("Joining code: ")[1].split()[0]
    return pid, code


def post(url, body: bytes, headers: dict):
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Telegram:
    """Plays Telegram: POSTs updates to the coach's webhook."""

    counter = 1000

    def __init__(self, env, chat_id):
        self.env, self.chat = env, chat_id

    @classmethod
    def next_id(cls):
        cls.counter += 1
        return cls.counter

    def post(self, update, secret=SECRET):
        return post(f"{self.env.settings.rasa_url}/webhooks/telegram/webhook", json.dumps(update).encode(),
                    {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret})

    def say(self, text, wait=True):
        before = len(self.env.tg.sent_texts(self.chat))
        status, _ = self.post(make_text_update(self.next_id(), self.chat, self.chat, text))
        assert status == 200
        if wait:
            self.env.tg.wait_for(lambda: len(self.env.tg.sent_texts(self.chat)) > before, timeout=60)
            settle(lambda: len(self.env.tg.sent_texts(self.chat)), quiet=1.3)  # paced at 1 message/s per chat
        return self.env.tg.sent_texts(self.chat)[before:]


class Sms:
    counter = 0

    def __init__(self, env, number):
        self.env, self.number = env, number

    def post(self, params, sign=True, token=DEFAULT_AUTH_TOKEN):
        url = f"{self.env.settings.public_base_url}/webhooks/sms/webhook"
        headers, body = signed_sms_webhook(url, token, params)
        if not sign:
            headers["X-Twilio-Signature"] = "forged"
        return post(f"{self.env.settings.rasa_url}/webhooks/sms/webhook",
                    body if isinstance(body, bytes) else body.encode(), headers)

    def say(self, text, wait=True):
        Sms.counter += 1
        before = len(self.env.tw.sent_bodies(self.number))
        status, _ = self.post({"From": self.number, "To": COACH_NUMBER, "Body": text,
                               "MessageSid": "SM" + f"{Sms.counter:032x}"})
        assert status == 200
        if wait:
            self.env.tw.wait_for(lambda: len(self.env.tw.sent_bodies(self.number)) > before, timeout=60)
            settle(lambda: len(self.env.tw.sent_bodies(self.number)), quiet=0.5)
        return self.env.tw.sent_bodies(self.number)[before:]


def settle(count_fn, quiet: float, limit: float = 30.0) -> None:
    """Wait until nothing new has arrived for ``quiet`` seconds (bounded by ``limit``)."""
    deadline = time.time() + limit
    last, since = count_fn(), time.time()
    while time.time() < deadline and time.time() - since < quiet:
        time.sleep(0.1)
        now = count_fn()
        if now != last:
            last, since = now, time.time()


def db(env):
    return make_engine(env.settings.database_url)


def count(env, model, *where):
    engine = db(env)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model).where(*where)).scalar()
    engine.dispose()
    return n


def current_step(env, pid, week):
    engine = db(env)
    with engine.connect() as conn:
        row = conn.execute(select(SessionProgress.current_step, SessionProgress.completed_at).where(
            SessionProgress.participant_id == pid, SessionProgress.week == week)).first()
    engine.dispose()
    return row


def complete_week(env, talk, pid, week=1):
    flow = load_content(ROOT / "content").sessions[week]
    replies = {"number": "4", "yesno": "y", "question": "walk it off round the block", "message": "ok"}
    for _ in range(45):
        step_id, completed = current_step(env, pid, week)
        if completed:
            return True
        step = flow.step(step_id)
        talk.say(replies.get(step.type) or step.options[0].key)
    return current_step(env, pid, week)[1] is not None


# -- channels --------------------------------------------------------------------------------------

def test_forged_requests_are_refused_and_nothing_is_stored(env):
    before = count(env, InboundMessage)
    tg = Telegram(env, 555)
    assert tg.post(make_text_update(tg.next_id(), 555, 555, "hello"), secret="wrong")[0] == 403
    assert tg.post(make_text_update(tg.next_id(), 555, 555, "hello"), secret="")[0] == 403
    sms = Sms(env, "+447700900999")
    assert sms.post({"From": "+447700900999", "Body": "hi", "MessageSid": "SM" + "f" * 32}, sign=False)[0] == 403
    assert sms.post({"From": "+447700900999", "Body": "hi", "MessageSid": "SM" + "e" * 32},
                    token="not-the-token")[0] == 403
    assert count(env, InboundMessage) == before


def test_malformed_bodies_get_400_never_500(env):
    url = f"{env.settings.rasa_url}/webhooks/telegram/webhook"
    h = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert post(url, b"{not json", h)[0] == 400
    assert post(url, b"[1, 2]", h)[0] == 400
    assert post(url, b'{"update_id": "x"}', h)[0] == 400
    assert post(url, b'{"update_id": 5, "message": {"text": "no chat"}}', h)[0] == 400
    sms = Sms(env, "+447700900998")
    assert sms.post({"From": "+447700900998", "Body": "no sid", "MessageSid": "", "SmsSid": ""})[0] == 400
    assert sms.post({"From": "not a phone", "Body": "x", "MessageSid": "SM" + "d" * 32})[0] == 400


def test_unknown_sender_gets_one_answer_and_a_wrong_code_is_refused(env):
    tg = Telegram(env, 4242)
    assert "JOIN" in tg.say("hello?")[0]
    tg.say("hello again?", wait=False)
    time.sleep(1.5)
    assert len(env.tg.sent_texts(4242)) == 1  # one answer, then quiet
    assert "didn't work" in tg.say("JOIN ZZZZZZZZ")[0]
    assert count(env, InboundMessage, InboundMessage.participant_id.isnot(None), InboundMessage.text.isnot(None)) == 0


def test_join_and_complete_a_session_over_telegram(env):
    pid, code = enrol(env)
    chat = 700001
    tg = Telegram(env, chat)
    assert "Welcome" in tg.say(f"JOIN {code}")[0]
    replies = tg.say("hi")
    assert any("week 1" in r for r in replies)
    assert complete_week(env, tg, pid)
    # quiz questions came with buttons; a button press answers like typing
    assert any(m.params.get("reply_markup") for m in env.tg.sent_messages(chat))
    # the tracker store and logs know him only as his participant id
    tracker_db = (env.home / "tracker.db").read_bytes()
    assert str(chat).encode() not in tracker_db and pid.encode() in tracker_db
    for log in (env.home / "logs").glob("*.log"):
        text = log.read_text(errors="replace")
        assert str(chat) not in text
        assert TOKEN not in text and env.settings.rasa_auth_token not in text, f"a secret is in {log.name}"


def test_join_and_complete_a_session_over_sms(env):
    pid, code = enrol(env)
    number = "+447700900321"
    sms = Sms(env, number)
    assert "Welcome" in sms.say(f"join {code.lower()}")[0]
    sms.say("hi")
    assert complete_week(env, sms, pid)
    for body in env.tw.sent_bodies(number):  # GSM-7 only, at most 2 segments each
        assert body.isascii() and len(body) <= 306
    assert number.encode() not in (env.home / "tracker.db").read_bytes()


def test_the_same_update_twice_gets_one_reply(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700002)
    tg.say(f"JOIN {code}")
    update = make_text_update(Telegram.next_id(), 700002, 700002, "where am i")
    before = len(env.tg.sent_texts(700002))
    assert tg.post(update)[0] == 200
    assert tg.post(update)[0] == 200
    env.tg.wait_for(lambda: len(env.tg.sent_texts(700002)) > before + 1, timeout=30)
    time.sleep(1.5)
    replies = env.tg.sent_texts(700002)[before:]
    assert len(replies) == 2  # one turn: the notice (his first reply ever), then WHERE's answer
    assert replies[0].startswith("Before we start") and "weekly sessions" in replies[1]


def test_non_text_and_edits_get_a_polite_answer(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700003)
    tg.say(f"JOIN {code}")
    before = len(env.tg.sent_texts(700003))
    tg.post(make_sticker_update(Telegram.next_id(), 700003, 700003))
    env.tg.wait_for(lambda: len(env.tg.sent_texts(700003)) > before, timeout=30)
    assert "typed" in env.tg.sent_texts(700003)[-1]
    tg.post(make_edited_message_update(Telegram.next_id(), 700003, 700003, "changed"))
    env.tg.wait_for(lambda: len(env.tg.sent_texts(700003)) > before + 1, timeout=30)
    assert "changed a message" in env.tg.sent_texts(700003)[-1]


def test_a_20000_character_message_is_handled(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700004)
    tg.say(f"JOIN {code}")
    tg.say("hi")
    replies = tg.say("word " * 4000)
    assert replies  # answered (as his mood: a re-ask), no error


def test_stop_means_no_more_proactive_messages_and_start_resumes(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700005)
    tg.say(f"JOIN {code}")
    url = (f"{env.settings.rasa_url}/conversations/{pid}/trigger_intent"
           f"?output_channel=telegram&token={env.settings.rasa_auth_token}")
    body = json.dumps({"name": "ask_progress"}).encode()
    before = len(env.tg.sent_texts(700005))
    assert post(url, body, {"Content-Type": "application/json"})[0] == 200
    env.tg.wait_for(lambda: len(env.tg.sent_texts(700005)) > before, timeout=30)  # proactive push works
    assert "OK, I won't send" in tg.say("STOP")[0]
    before = len(env.tg.sent_texts(700005))
    assert post(url, body, {"Content-Type": "application/json"})[0] == 200
    time.sleep(1.5)
    assert len(env.tg.sent_texts(700005)) == before
    assert count(env, Participant, Participant.id == pid, Participant.opted_out_at.isnot(None)) == 1
    assert "Messages are on again" in tg.say("START")[0]


def test_sms_stop_keywords_and_carrier_opt_out(env):
    pid, code = enrol(env)
    sms = Sms(env, "+447700900444")
    sms.say(f"JOIN {code}")
    sms.say("stop texting me")
    assert count(env, Participant, Participant.id == pid, Participant.opted_out_at.isnot(None)) == 1
    assert "on again" in " ".join(sms.say("START"))


# -- escalation ------------------------------------------------------------------------------------

def staff_texts(env):
    return env.tg.sent_texts(STAFF_CHAT)


def test_disclosure_alert_renotify_ack_by_button_then_silence(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700100)
    tg.say(f"JOIN {code}")
    tg.say("hi")
    before = len(staff_texts(env))
    replies = tg.say("i grabbed her by the throat last night")
    assert any("999" in r for r in replies) and any("safe right now" in r for r in replies)
    env.tg.wait_for(lambda: len(staff_texts(env)) > before, timeout=10)
    first = env.tg.sent_messages(STAFF_CHAT)[-1]
    assert pid in first.params["text"] and "throat" not in first.params["text"].split("\n")[0]
    env.tw.wait_for(lambda: env.tw.sent_bodies(ISS_PHONE), timeout=10)  # partner at risk: the ISS worker too
    assert "throat" not in env.tw.sent_bodies(ISS_PHONE)[0]
    engine = db(env)
    with engine.connect() as conn:
        alert = conn.execute(select(Alert).where(Alert.participant_id == pid)).one()
    engine.dispose()
    assert alert.category == "harm_to_partner"
    # nobody acknowledges: re-notified after ALERT_RENOTIFY_MINUTES (3 s here)
    env.tg.wait_for(lambda: len(staff_texts(env)) >= before + 2, timeout=20)
    assert "Reminder" in staff_texts(env)[-1]
    # the participant's own channel can never acknowledge
    tg.say(f"ACK {alert.code}")
    assert count(env, Alert, Alert.id == alert.id, Alert.status == "open") == 1
    # the facilitator presses Acknowledge on the alert
    message_id = env.tg.sent_messages(STAFF_CHAT)[-1].response["result"]["message_id"]
    status, _ = Telegram(env, STAFF_CHAT).post(make_callback_update(Telegram.next_id(), STAFF_CHAT, STAFF_CHAT,
                                                                    f"ack:{alert.code}", message_id))
    assert status == 200
    env.tg.wait_for(lambda: env.tg.calls_to("answerCallbackQuery"), timeout=10)
    assert count(env, Alert, Alert.id == alert.id, Alert.status == "acknowledged") == 1
    sent_after_ack = len(staff_texts(env)) + len(env.tw.sent_bodies(ISS_PHONE))
    time.sleep(5)  # longer than the re-notify interval
    assert len(staff_texts(env)) + len(env.tw.sent_bodies(ISS_PHONE)) == sent_after_ack
    out = env.run("alerts", "list", "--history")
    assert alert.code in out and "ACKNOWLEDGED by Fay via telegram" in out and "renotify" in out


def test_only_joking_is_added_to_the_alert_and_cancels_nothing(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700101)
    tg.say(f"JOIN {code}")
    tg.say("i want to kill myself")
    tg.say("only joking lol")
    engine = db(env)
    with engine.connect() as conn:
        alert = conn.execute(select(Alert).where(Alert.participant_id == pid)).one()
    engine.dispose()
    assert alert.status == "open"
    out = env.run("alerts", "show", alert.code)
    assert "only joking lol" in out
    assert count(env, Alert, Alert.participant_id == pid) == 1
    env.run("alerts", "ack", alert.code)


def test_an_opted_out_mans_disclosure_still_escalates(env):
    pid, code = enrol(env)
    sms = Sms(env, "+447700900777")
    sms.say(f"JOIN {code}")
    sms.say("STOP")
    sms.say("im going to take all my tablets tonight", wait=False)
    deadline = time.time() + 15
    while time.time() < deadline and count(env, Alert, Alert.participant_id == pid) == 0:
        time.sleep(0.2)
    assert count(env, Alert, Alert.participant_id == pid) == 1
    assert count(env, AlertNotification, AlertNotification.alert_id.in_(
        select(Alert.id).where(Alert.participant_id == pid))) >= 1


def test_fuzzed_webhooks_never_fail_and_rejected_requests_store_nothing(env):
    from scripts.fuzz_webhooks import fuzz

    summary = fuzz(env.settings, count=150, seed=7)
    assert summary["server_errors"] == {"telegram": {}, "sms": {}}, summary
    assert summary["stored_by_rejected"] == 0


# -- the calm safety check (the risk model was unsure) ----------------------------------------------

# Messages the risk model is usually unsure about. Which one is "check" depends on the trained
# model, so the test asks the same decision the coach makes and takes the first that is.
UNSURE = [
    "dont know how much more of this i can take", "i dont care what happens to me anymore",
    "everything feels pointless lately", "things are getting on top of me again", "feel like im drowning",
    "cant be doing with any of it anymore", "im done with all of this", "nothing ever changes for me",
    "i feel like a burden to everyone", "some days i wonder why i bother",
]


def unsure_message(env) -> str:
    from escalation.cache import get_detector, get_model, lexicon_path, model_path
    from escalation.risk import decide

    model = get_model(model_path(env.settings.models_dir))
    assert model is not None, "no trained risk model: `coach train` trains it first"
    detector = get_detector(lexicon_path(env.settings.content_dir))
    for text in UNSURE:
        if decide(text, detector, model).tier == "check":
            return text
    pytest.fail("the trained risk model is sure about every message in UNSURE: add unsure ones")


def checks(env, pid):
    engine = db(env)
    with engine.connect() as conn:
        rows = conn.execute(select(RiskCheck).where(RiskCheck.participant_id == pid)).all()
    engine.dispose()
    return rows


@pytest.mark.safety
def test_an_unsure_message_gets_a_calm_check_yes_carries_on_and_nobody_is_paged(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700200)
    tg.say(f"JOIN {code}")
    tg.say("hi")
    step_before = current_step(env, pid, 1)[0]
    staff_before = len(staff_texts(env))
    replies = tg.say(unsure_message(env))
    text = " ".join(replies)
    assert "safe right now" in text and "999" not in text  # asked calmly, no crisis reply
    assert tg.say("yeah im ok")  # YES: thanked, and the step he was on is asked again
    assert current_step(env, pid, 1)[0] == step_before
    [check] = checks(env, pid)
    assert check.status == "safe" and check.answer == "yeah im ok"
    time.sleep(1)
    assert count(env, Alert, Alert.participant_id == pid) == 0 and len(staff_texts(env)) == staff_before


@pytest.mark.safety
def test_no_to_the_check_over_sms_raises_the_alert_with_the_crisis_reply(env):
    pid, code = enrol(env)
    sms = Sms(env, "+447700900888")
    sms.say(f"JOIN {code}")
    message = unsure_message(env)
    assert "safe right now" in " ".join(sms.say(message))
    staff_before = len(staff_texts(env))
    replies = " ".join(sms.say("no"))
    assert "999" in replies and "116 123" in replies
    env.tg.wait_for(lambda: len(staff_texts(env)) > staff_before, timeout=10)
    [check] = checks(env, pid)
    assert check.status == "alert" and check.alert_id is not None
    engine = db(env)
    with engine.connect() as conn:
        alert = conn.execute(select(Alert).where(Alert.participant_id == pid)).one()
    engine.dispose()
    out = env.run("alerts", "show", alert.code)
    assert message in out and "answered NO to the safety check" in out
    env.run("alerts", "ack", alert.code)


@pytest.mark.safety
def test_an_unanswered_check_becomes_a_review_item_and_nobody_is_paged(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700201)
    tg.say(f"JOIN {code}")
    staff_before = len(staff_texts(env))
    tg.say(unsure_message(env))
    deadline = time.time() + 20  # RISK_CHECK_REVIEW_MINUTES is 3 s here; the worker polls every 0.2 s
    while time.time() < deadline and checks(env, pid)[0].status == "open":
        time.sleep(0.2)
    assert checks(env, pid)[0].status == "review"
    assert pid in env.run("checks", "list")
    assert count(env, Alert, Alert.participant_id == pid) == 0 and len(staff_texts(env)) == staff_before


@pytest.mark.safety
def test_a_disclosure_in_a_photo_caption_gets_the_crisis_reply_and_pages_staff(env):
    pid, code = enrol(env)
    tg = Telegram(env, 700202)
    tg.say(f"JOIN {code}")
    before, staff_before = len(env.tg.sent_texts(700202)), len(staff_texts(env))
    tg.post(make_photo_update(Telegram.next_id(), 700202, 700202, caption="im going to end it all tonight"))
    env.tg.wait_for(lambda: len(env.tg.sent_texts(700202)) > before, timeout=60)
    settle(lambda: len(env.tg.sent_texts(700202)), quiet=1.3)
    assert "999" in " ".join(env.tg.sent_texts(700202)[before:])
    env.tg.wait_for(lambda: len(staff_texts(env)) > staff_before, timeout=10)
    assert count(env, Alert, Alert.participant_id == pid) == 1
