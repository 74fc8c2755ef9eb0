"""Alerts end to end inside one process: outbox, dispatch, retries, re-notify, rota, ack, audit.

A fake notifier records what would be sent; a controllable clock replaces waiting.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coach.core.db.models import Alert, AlertEvent, AlertNotification
from coach.core.identity import IdentityVault
from coach.core.notify import SendError
from coach.programme.enrolment import enrol
from escalation.alerts import AckError, Signal, acknowledge, add_followup, raise_alert
from escalation.dispatch import Dispatcher
from escalation.staff import add_staff, set_rota
from tests.conftest import db_session

pytestmark = pytest.mark.safety

TEMPLATES = {
    "first_line": "Coach: please check now ({severity}). Code {code}",
    "telegram": "Coach: please check now ({severity}). Code {code}\n\n{participant} {site} {category}\n"
                "\"{text}\"\n{context}\n{followups}",
    "sms": "Coach: please check now ({severity}). Code {code}. Participant {participant}. Reply ACK {code}.",
    "sms_info": "{code} {text}", "reminder_prefix": "Reminder {round}: ", "ack_done": "ok {code}",
    "ack_already": "already {code}", "ack_unknown": "unknown",
}


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 1, 12, 0, 0)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += timedelta(**kw)


class FakeNotifier:
    def __init__(self, channel):
        self.channel = channel
        self.sent = []  # (contact, text)
        self.errors = []  # SendErrors to raise next, in order

    async def send(self, contact, text, code, html_text=None):
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append((contact, text))
        return f"id{len(self.sent)}"


@pytest.fixture
def world(app):
    """A site with two facilitators and one ISS worker on the rota, a supervisor, and a participant."""
    vault = IdentityVault.from_settings(app.settings)
    with db_session() as s:
        f1 = add_staff(s, vault, "north", "Fay", "facilitator", telegram_chat_id="101")
        f2 = add_staff(s, vault, "north", "Sam", "facilitator", telegram_chat_id="102", phone="+447700900102",
                       notify=["telegram", "sms"])
        iss = add_staff(s, vault, "north", "Isla", "iss", telegram_chat_id="201")
        sup = add_staff(s, vault, "north", "Ola", "supervisor", telegram_chat_id="301")
        set_rota(s, "north", "facilitator", [f1.id, f2.id])
        set_rota(s, "north", "iss", [iss.id])
        pid = enrol(s, site="north", start=date(2026, 1, 1)).id
        ids = dict(f1=f1.id, f2=f2.id, iss=iss.id, sup=sup.id)
    clock = Clock()
    tg, sms = FakeNotifier("telegram"), FakeNotifier("sms")
    d = Dispatcher(app.db, app.settings, {"telegram": tg, "sms": sms}, lambda: TEMPLATES, clock=clock)
    return type("World", (), dict(pid=pid, ids=ids, clock=clock, tg=tg, sms=sms, d=d, settings=app.settings))


def raise_one(w, category="suicide_self_harm", message_id="m1", text="I want to end it", pid=None):
    with db_session() as s:
        alert = raise_alert(s, pid or w.pid, text, message_id, Signal(category, "high", ("x",), "detector"),
                            context=[{"who": "participant", "text": "earlier"}], now=w.clock())
        return alert.id, alert.code


def run(w):
    return asyncio.run(w.d.run_once())


def rows(alert_id):
    with db_session() as s:
        return [(n.round, n.staff_id, n.channel, n.status) for n in
                s.execute(select(AlertNotification).where(AlertNotification.alert_id == alert_id)
                          .order_by(AlertNotification.id)).scalars()]


def kinds(alert_id):
    with db_session() as s:
        return [e.kind for e in s.execute(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                                          .order_by(AlertEvent.id)).scalars()]


def test_alert_and_first_round_are_written_before_anything_is_sent(world):
    alert_id, _ = raise_one(world)
    assert rows(alert_id) == [(0, world.ids["f1"], "telegram", "pending")]
    assert world.tg.sent == []
    assert kinds(alert_id)[:2] == ["detected", "queued"]


def test_partner_and_child_alerts_also_go_to_the_iss_worker(world):
    alert_id, _ = raise_one(world, category="harm_to_partner")
    staff = {r[1] for r in rows(alert_id)}
    assert staff == {world.ids["f1"], world.ids["iss"]}


def test_one_message_raises_one_alert_however_many_signals(world):
    a1, _ = raise_one(world)
    with db_session() as s:
        again = raise_alert(s, world.pid, "I want to end it", "m1", Signal("unclassified", "high", (), "classifier"))
        assert again.id == a1
        assert s.execute(select(func.count()).select_from(Alert)).scalar() == 1
    assert "second_signal" in kinds(a1)


def test_sent_then_acknowledged_stops_everything(world):
    alert_id, code = raise_one(world)
    run(world)
    assert len(world.tg.sent) == 1 and world.tg.sent[0][0] == "101"
    with db_session() as s:
        acknowledge(s, code, staff_id=world.ids["f1"], via="telegram")
    world.clock.advance(minutes=60)
    run(world)
    assert len(world.tg.sent) == 1
    assert kinds(alert_id)[-1] == "acknowledged"


def test_unacknowledged_is_renotified_then_moves_along_the_rota_then_to_everyone(world):
    alert_id, _ = raise_one(world)
    run(world)  # round 0: Fay
    world.clock.advance(minutes=world.settings.alert_renotify_minutes)
    run(world)  # round 1: Fay again (2 tries each)
    world.clock.advance(minutes=world.settings.alert_renotify_minutes)
    run(world)  # round 2: Sam, by Telegram and SMS
    world.clock.advance(minutes=world.settings.alert_renotify_minutes)
    run(world)
    world.clock.advance(minutes=world.settings.alert_renotify_minutes)
    run(world)  # round 4: rota used up: everyone on it plus the supervisor
    by_round = {}
    for rnd, staff, channel, status in rows(alert_id):
        by_round.setdefault(rnd, set()).add((staff, channel))
        assert status == "sent"
    ids = world.ids
    assert by_round[0] == by_round[1] == {(ids["f1"], "telegram")}
    assert by_round[2] == by_round[3] == {(ids["f2"], "telegram"), (ids["f2"], "sms")}
    assert {s for s, _ in by_round[4]} == {ids["f1"], ids["f2"], ids["sup"]}
    assert world.tg.sent[1][1].startswith("Reminder 1")


def test_transient_failures_retry_with_backoff_and_permanent_ones_move_on(world):
    alert_id, _ = raise_one(world)
    world.tg.errors = [SendError("429", "retry", retry_after=3)]
    run(world)
    assert rows(alert_id)[0][3] == "pending" and world.tg.sent == []
    run(world)  # not due yet
    assert world.tg.sent == []
    world.clock.advance(seconds=3)
    run(world)
    assert len(world.tg.sent) == 1

    alert2, _ = raise_one(world, category="harm_to_others", message_id="m2")  # not the same risk again
    world.tg.errors = [SendError("blocked", "permanent")]
    run(world)  # Fay blocked the bot: Sam is told straight away, not after 10 minutes
    assert [r[1] for r in rows(alert2)][-1] == world.ids["f2"]
    assert "escalated_early" in kinds(alert2)


def test_in_doubt_is_never_resent_but_the_next_round_goes_at_once(world):
    alert_id, _ = raise_one(world)
    world.tg.errors = [SendError("timed out", "in_doubt")]
    run(world)
    run(world)
    statuses = rows(alert_id)
    assert statuses[0][3] == "in_doubt"
    assert statuses[1][:3] == (1, world.ids["f1"], "telegram") and statuses[1][3] == "sent"
    assert len(world.tg.sent) == 1  # the reminder, never the in-doubt message again


def test_a_process_killed_after_claiming_but_before_sending_releases_the_row(world):
    alert_id, _ = raise_one(world)
    claimed, _token = world.d.claim()  # ...and then the process dies before trying
    assert len(claimed) == 1
    run(world)
    assert world.tg.sent == []  # still within the lease: nobody touches it
    world.clock.advance(seconds=world.settings.alert_claim_lease_seconds + 1)
    run(world)
    assert [r[3] for r in rows(alert_id)] == ["sent"]  # never attempted, so sent normally, once
    assert len(world.tg.sent) == 1


def test_a_process_killed_mid_send_leaves_a_row_that_becomes_in_doubt(world):
    alert_id, _ = raise_one(world)
    claimed, token = world.d.claim()
    assert world.d._prepare(claimed[0], token) is not None  # marked sending: the request may have left
    world.clock.advance(seconds=world.settings.alert_claim_lease_seconds + 1)
    run(world)
    statuses = [r[3] for r in rows(alert_id)]
    assert statuses == ["in_doubt", "sent"]  # never resent; a reminder instead
    assert len(world.tg.sent) == 1 and world.tg.sent[0][1].startswith("Reminder 1")


def test_two_dispatchers_never_claim_the_same_row(world):
    for i in range(10):
        with db_session() as s:
            pid = enrol(s, site="north", start=date(2026, 1, 1)).id
        raise_one(world, message_id=f"m{i}", pid=pid)
    other = Dispatcher(world.d.db, world.settings, world.d.notifiers, lambda: TEMPLATES, clock=world.clock)
    a, _ = world.d.claim(limit=6)
    b, _ = other.claim(limit=6)
    assert len(a) == 6 and len(b) == 4 and not set(a) & set(b)


def test_followups_are_added_and_never_cancel(world):
    alert_id, code = raise_one(world)
    with db_session() as s:
        assert add_followup(s, world.pid, "only joking mate", "m2", now=world.clock()) == 1
        assert s.get(Alert, alert_id).status == "open"
    run(world)
    assert "only joking mate" in world.tg.sent[0][1]


def test_acknowledge_rejects_unknown_codes_and_inactive_staff(world):
    _, code = raise_one(world)
    with db_session() as s:
        with pytest.raises(AckError):
            acknowledge(s, "ZZZZZZ", staff_id=None, via="cli")
        with pytest.raises(AckError):
            acknowledge(s, code, staff_id=9999, via="sms")


def test_no_one_to_notify_is_audited_and_picked_up_when_staff_arrive(app):
    vault = IdentityVault.from_settings(app.settings)
    with db_session() as s:
        pid = enrol(s, site="empty", start=date(2026, 1, 1)).id
        alert = raise_alert(s, pid, "help", "m1", Signal("suicide_self_harm", "high", (), "detector"))
        alert_id = alert.id
    assert "no_one_to_notify" in kinds(alert_id)
    with db_session() as s:
        add_staff(s, vault, "empty", "New", "facilitator", telegram_chat_id="555")
    clock = Clock()
    clock.now = datetime.utcnow() + timedelta(minutes=app.settings.alert_renotify_minutes + 1)
    tg = FakeNotifier("telegram")
    asyncio.run(Dispatcher(app.db, app.settings, {"telegram": tg}, lambda: TEMPLATES, clock=clock).run_once())
    assert tg.sent and tg.sent[0][0] == "555"


def test_messages_are_discreet(world):
    from escalation.notify import AlertView, format_sms, format_telegram

    view = AlertView("K7Q2MX", "P-ABC123", "north", "imminent", "harm_to_partner", "i will hurt her", [], [])
    sms = format_sms(TEMPLATES, view, 0)
    assert "hurt" not in sms and "partner" not in sms and "K7Q2MX" in sms
    tg = format_telegram(TEMPLATES, view, 0)
    first, rest = tg.split("\n", 1)
    assert "hurt" not in first and "<tg-spoiler>" in rest and "hurt her" in rest


# -- the same risk again while its alert is open ------------------------------------------------------

def count_alerts(pid):
    with db_session() as s:
        return s.execute(select(func.count()).select_from(Alert).where(Alert.participant_id == pid)).scalar()


def test_the_same_risk_again_joins_the_open_alert_instead_of_paging_twice(world):
    a1, _ = raise_one(world, message_id="m1")
    run(world)
    sent = len(world.tg.sent)
    world.clock.advance(minutes=2)
    for message_id in ("m2", "m3", "m3"):  # m3 twice: the channel and the action both record it; once
        a2, _ = raise_one(world, message_id=message_id, text="i want to die")
        assert a2 == a1
    run(world)
    assert count_alerts(world.pid) == 1 and len(world.tg.sent) == sent  # nobody paged again
    assert kinds(a1).count("repeat_disclosure") == 2


def test_a_more_urgent_repeat_makes_the_alert_imminent_and_sends_it_again_now(world):
    a1, _ = raise_one(world, message_id="m1")
    run(world)
    sent = len(world.tg.sent)
    world.clock.advance(minutes=1)
    with db_session() as s:
        again = raise_alert(s, world.pid, "taking them all now", "m2",
                            Signal("suicide_self_harm", "imminent", ("x",), "detector"), now=world.clock())
        assert again.id == a1 and again.severity == "imminent"
    run(world)
    assert len(world.tg.sent) > sent and "more_urgent" in kinds(a1)


@pytest.mark.parametrize("how", ["other_category", "acknowledged", "window_passed"])
def test_otherwise_new_risk_is_a_new_alert(world, how):
    a1, code = raise_one(world, message_id="m1")
    category = "suicide_self_harm"
    if how == "other_category":
        category = "harm_to_partner"
    elif how == "acknowledged":
        with db_session() as s:
            acknowledge(s, code, world.ids["f1"], via="cli")
    else:
        world.clock.advance(minutes=31)
    a2, _ = raise_one(world, category=category, message_id="m2")
    assert a2 != a1 and count_alerts(world.pid) == 2
