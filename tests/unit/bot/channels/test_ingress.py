"""One trip per inbound message, and escalation that never depends on the dialogue model.

- A flagged message gives exactly one alert before Rasa is even called, whatever the
  dialogue then predicts; a redelivered update is a no-op.
- An ordinary message costs one transaction at ingress, loads the participant once, and is
  read for risk once; the decision travels with it.
- STOP, START, HELP, stickers, edits and blocks are routed without Rasa.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, func, select

from bot.actions.safety import _respond
from bot.channels.ingress import Ingress, NotStored
from bot.runtime import Runtime
from coach.core.db.models import Alert, AlertEvent, InboundMessage, Participant
from coach.core.identity import link_identity
from coach.messaging.inbound import Inbound
from coach.programme.enrolment import enrol
from escalation.risk import RiskDecision, Signal
from tests.conftest import db_session

pytestmark = pytest.mark.safety

CHAT = "4242"


@pytest.fixture
def rt(app):
    return Runtime.from_settings(app.settings, telegram=None, sms=None)


@pytest.fixture
def pid(app, rt):
    with db_session() as s:
        p = enrol(s, site="north", start=date(2026, 1, 5))
        link_identity(s, rt.vault, p.id, "telegram", CHAT)
        return p.id


def alerts(pid):
    with db_session() as s:
        return s.execute(select(func.count()).select_from(Alert).where(Alert.participant_id == pid)).scalar()


_next = [0]


def update(text, kind="text", sender=CHAT):
    _next[0] += 1
    return Inbound(str(_next[0]), sender, kind, text)


def admit(rt, inbound, channel="telegram"):
    return asyncio.run(Ingress(rt).admit(channel, inbound))


def test_a_flagged_message_raises_exactly_one_alert_before_and_without_the_dialogue(rt, pid):
    inbound = update("I'm going to end my life tonight")
    turn = admit(rt, inbound)
    assert turn.route == "dialogue" and turn.alert_id is not None and alerts(pid) == 1  # Rasa has not run
    assert turn.metadata["risk"]["escalate"] and turn.metadata["risk"]["category"] == "suicide_self_harm"
    # the dialogue then does its own thing (the risk action, for instance): still one alert
    info = _respond(pid, turn.message_id, inbound.text, Signal("unclassified", "high", (), "classifier"))
    assert info["id"] == turn.alert_id and alerts(pid) == 1
    # the same update delivered again: nothing new
    assert admit(rt, inbound).route == "duplicate" and alerts(pid) == 1


def test_the_classifier_alone_can_add_an_alert(app, pid):
    info = _respond(pid, "msg-9", "something the word list missed", Signal("unclassified", "high", (), "classifier"))
    assert alerts(pid) == 1
    with db_session() as s:
        alert = s.get(Alert, info["id"])
        assert alert.source == "classifier" and alert.category == "unclassified" and alert.needs_iss


def test_benign_messages_raise_nothing_and_later_messages_are_followups(rt, pid):
    assert admit(rt, update("my back is killing me")).alert_id is None
    assert alerts(pid) == 0
    admit(rt, update("i want to kill myself"))
    admit(rt, update("only joking, you misunderstood"))
    with db_session() as s:
        alert = s.execute(select(Alert).where(Alert.participant_id == pid)).scalar_one()
        assert alert.status == "open"
        notes = [e.detail.get("text") for e in s.execute(select(AlertEvent).where(
            AlertEvent.alert_id == alert.id, AlertEvent.kind == "participant_followup")).scalars()]
    assert notes == ["only joking, you misunderstood"]


@contextmanager
def counting(rt):
    """Transactions begun and participant rows loaded on the app database, and detector reads."""
    seen = {"transactions": 0, "participant_loads": 0, "reads": 0}

    def begin(_conn):
        seen["transactions"] += 1

    def execute(_conn, _cursor, statement, *_a):
        if statement.lstrip().lower().startswith("select") and "from participants" in statement.lower():
            seen["participant_loads"] += 1

    detector = rt.detector()
    original = detector.detect

    def detect(text, *a, **k):
        seen["reads"] += 1
        return original(text, *a, **k)

    event.listen(rt.db.engine, "begin", begin)
    event.listen(rt.db.engine, "before_cursor_execute", execute)
    detector.detect = detect
    try:
        yield seen
    finally:
        event.remove(rt.db.engine, "begin", begin)
        event.remove(rt.db.engine, "before_cursor_execute", execute)
        del detector.detect


def test_an_ordinary_message_is_one_transaction_one_participant_load_one_risk_read(rt, pid):
    admit(rt, update("warm up"))  # the detector and the engine exist already
    with counting(rt) as seen:
        turn = admit(rt, update("about a 6 i reckon"))
    assert turn.route == "dialogue" and turn.decision == RiskDecision()
    assert seen == {"transactions": 1, "participant_loads": 1, "reads": 1}
    with db_session() as s:
        row = s.get(InboundMessage, turn.row_id)
        assert row.status == "processing" and row.text == "about a 6 i reckon" and row.participant_id == pid


def test_a_flagged_message_adds_one_transaction_for_its_alert(rt, pid):
    admit(rt, update("warm up"))
    with counting(rt) as seen:
        turn = admit(rt, update("i grabbed her by the throat last night"))
    assert turn.alert_id is not None and seen["reads"] == 1
    assert seen["transactions"] == 2  # the inbox row; then the alert with its notifications


@pytest.mark.parametrize("text,kind,route,reply,opted_out", [
    ("STOP", "text", "reply", "stopped", True),
    ("help", "text", "reply", "help", False),
    ("", "non_text", "reply", "non_text", False),
    ("changed my mind", "edited", "reply", "edited", False),
    ("", "blocked", "done", None, True),
    ("", "unblocked", "done", None, False),
])
def test_routes_that_never_reach_rasa(rt, pid, text, kind, route, reply, opted_out):
    turn = admit(rt, update(text, kind))
    assert (turn.route, turn.reply) == (route, reply)
    with db_session() as s:
        assert (s.get(Participant, pid).opted_out_at is not None) is opted_out
        assert s.get(InboundMessage, turn.row_id).text is None  # nothing kept that needn't be


def test_an_opted_out_man_gets_one_answer_and_start_brings_him_back(rt, pid):
    with db_session() as s:
        link_identity(s, rt.vault, pid, "sms", "+447700900123")
    admit(rt, update("stop texting me"))
    assert admit(rt, update("hello?")).reply == "still_stopped"
    assert admit(rt, update("hello?", sender="+447700900123"), channel="sms").route == "done"  # the carrier blocks it
    assert admit(rt, update("START")).reply == "started"
    assert admit(rt, update("hello?")).route == "dialogue"


def test_his_risk_still_escalates_when_he_has_opted_out(rt, pid):
    admit(rt, update("STOP"))
    turn = admit(rt, update("i want to kill myself"))
    assert turn.reply == "still_stopped" and turn.alert_id is not None


def test_staff_and_strangers_are_told_apart_without_storing_text(rt, pid):
    stranger = admit(rt, update("hello who is this", sender="999"))
    assert stranger.route == "unknown" and stranger.pid is None
    with db_session() as s:
        row = s.get(InboundMessage, stranger.row_id)
        assert row.text is None and row.participant_id is None and row.status == "done"


def test_rest_senders_are_enrolled_as_demo_participants_only_while_allowed(app, rt):
    turn = asyncio.run(Ingress(rt).admit_rest("my-handle", "hi"))
    assert turn.pid and turn.route == "dialogue"
    assert asyncio.run(Ingress(rt).admit_rest("my-handle", "hi again")).pid == turn.pid
    closed = Runtime.from_settings(app.settings.__class__(**{**app.settings.__dict__, "auto_enrol": False}),
                                   telegram=None, sms=None)
    assert asyncio.run(Ingress(closed).admit_rest("someone-else", "hi")) is None


def test_an_update_that_cannot_be_stored_asks_the_provider_to_retry(rt, monkeypatch):
    """Database down before the inbox row exists: NotStored (answered 503; providers redeliver)."""
    ingress = Ingress(rt)

    def broken(*_a, **_k):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(ingress, "_admit", broken)
    with pytest.raises(NotStored):
        asyncio.run(ingress.admit("telegram", update("hi")))


# -- the calm safety check ------------------------------------------------------------------------------

class Unsure:
    """A risk model that is unsure about every message (between the check and alert thresholds)."""

    from escalation.model.classifier import Thresholds as _T

    thresholds = _T(check=0.3, alert=0.9, imminent=0.9)

    def __init__(self, probability=0.5):
        self.probability = probability

    def predict(self, text):
        from escalation.model.classifier import Guess

        return Guess(self.probability, "suicide_self_harm", 0.8, 0.1)


@pytest.fixture
def unsure(app):
    return Runtime.from_settings(app.settings, telegram=None, sms=None, risk_model=Unsure())


def checks_of(pid):
    from coach.core.db.models import RiskCheck

    with db_session() as s:
        return [(c.status, c.category, c.text) for c in s.execute(select(RiskCheck).where(
            RiskCheck.participant_id == pid).order_by(RiskCheck.id)).scalars()]


def test_an_unsure_message_stores_a_check_and_pages_nobody(unsure, pid):
    turn = admit(unsure, update("everything feels a bit much"))
    assert turn.decision.tier == "check" and turn.route == "dialogue" and turn.alert_id is None
    assert turn.metadata["risk"]["tier"] == "check"
    assert checks_of(pid) == [("open", "suicide_self_harm", "everything feels a bit much")]
    assert alerts(pid) == 0


def test_no_to_an_open_check_is_an_alert_and_settles_the_check(unsure, pid):
    admit(unsure, update("everything feels a bit much"))
    turn = admit(unsure, update("no"))
    assert turn.decision.tier == "alert" and turn.decision.source == "check" and turn.alert_id is not None
    assert [c[0] for c in checks_of(pid)] == ["alert"] and alerts(pid) == 1


def test_more_risk_while_a_check_is_open_is_an_alert(unsure, pid):
    admit(unsure, update("everything feels a bit much"))
    turn = admit(unsure, update("cant stop thinking about it"))
    assert turn.decision.tier == "alert" and alerts(pid) == 1


def test_a_check_level_message_just_after_an_alert_joins_the_alert(unsure, pid):
    admit(unsure, update("i want to kill myself"))
    turn = admit(unsure, update("everything feels a bit much"))
    assert turn.decision.tier == "none" and checks_of(pid) == [] and alerts(pid) == 1
    with db_session() as s:
        notes = [e.detail.get("text") for e in s.execute(select(AlertEvent).where(
            AlertEvent.kind == "participant_followup")).scalars()]
    assert notes == ["everything feels a bit much"]


def test_yes_to_a_check_reads_as_no_risk_at_ingress(unsure, pid):
    admit(unsure, update("everything feels a bit much"))
    quiet = Runtime.from_settings(unsure.settings, telegram=None, sms=None, risk_model=Unsure(0.1))
    turn = admit(quiet, update("yeah im ok honestly"))
    assert turn.decision.tier == "none" and alerts(pid) == 0
    assert [c[0] for c in checks_of(pid)] == ["open"]  # the dialogue settles it (bot/actions/checks.py)
