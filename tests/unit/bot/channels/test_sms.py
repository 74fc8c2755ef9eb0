"""The SMS channel, with the fake Twilio API standing in for Twilio and a fake for Rasa.

What a man texting the coach sees: only requests Twilio signed are taken (403 otherwise,
nothing stored); the webhook answers at once with empty TwiML; his text reaches the coach
as his participant id and the reply comes back to his number; STOP, START and HELP are
answered directly; a number that opted out at the carrier (21610) is opted out here too.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.channels.sms import SmsInput
from coach.core.text.sms import segment_count
from coach.messaging.sms import EMPTY_TWIML
from escalation.risk import NOTHING
from tests.conftest import content
from tests.fakes.twilio_api import DEFAULT_AUTH_TOKEN, signed_sms_webhook
from tests.unit.bot.channels.conftest import (
    OURS,
    PHONE,
    PUBLIC,
    FakeRasa,
    Served,
    drive,
    inbox,
    make_runtime,
    participant,
    settle,
)

PATH = "/webhooks/sms/webhook"
_sids = iter(range(1, 100_000))


def sms(body: str, sender: str = PHONE, **extra) -> dict:
    return {"From": sender, "To": OURS, "Body": body, "MessageSid": f"SM{next(_sids):032x}", **extra}


def signed(params: dict, url: str = PUBLIC + PATH, token: str = DEFAULT_AUTH_TOKEN):
    return signed_sms_webhook(url, token, params)


def post_all(rt, requests, rasa=None):
    """POST each (headers, body) to the mounted SMS webhook; [(status, content type, text)]."""
    channel, rasa = SmsInput(rt), rasa or FakeRasa()

    async def main():
        out = []
        async with Served(channel, rasa) as served:
            for headers, body in requests:
                r = await served.post(PATH, body, headers)
                out.append((r.status_code, r.headers.get("content-type", ""), r.text))
            await settle(channel)
        return out

    return drive(rt, main), rasa


def say(rt, *params, rasa=None):
    results, rasa = post_all(rt, [signed(p) for p in params], rasa)
    assert [status for status, _, _ in results] == [200] * len(params)
    return rasa


def messages():
    return content().messages


def test_a_signed_text_is_answered_with_empty_twiml_and_reaches_rasa_as_his_participant_id(rt, pid, tw):
    [(status, ctype, body)], rasa = post_all(rt, [signed(sms("about a 6 i reckon"))])
    assert (status, body) == (200, EMPTY_TWIML) and ctype.startswith("text/xml")
    [message] = rasa.messages
    assert (message.sender_id, message.text, message.input_channel) == (pid, "about a 6 i reckon", "sms")
    assert message.metadata == {"risk": NOTHING.to_metadata()}
    assert PHONE not in repr(message.metadata)
    assert tw.sent_bodies(PHONE) == ["ok"]
    [row] = inbox("sms")
    assert (row.status, row.text, row.participant_id) == ("done", None, pid)


LONG = " ".join(f"This is sentence {i} of a long answer." for i in range(30))  # about 8 segments


def turn_segments(bodies) -> int:
    return sum(segment_count(b) for b in bodies)


def test_a_long_reply_comes_4_segments_at_a_time_and_ok_sends_the_rest(rt, pid, tw):
    more = messages()["sms_more"]
    rasa = say(rt, sms("hi"), rasa=FakeRasa(LONG))
    first = tw.sent_bodies(PHONE)
    assert turn_segments(first) <= 4 and first[-1].endswith(more)
    got, turns = list(first), 1
    for _ in range(10):  # bounded: the reply is about 8 segments
        if not got[-1].endswith(more):
            break
        before = len(tw.sent_bodies(PHONE))
        say(rt, sms("ok"), rasa=rasa)
        page = tw.sent_bodies(PHONE)[before:]
        assert page and turn_segments(page) <= 4
        got += page
        turns += 1
    assert turns >= 2
    text = " ".join(b.replace(more, "").strip() for b in got)
    assert " ".join(text.split()) == LONG  # nothing lost, in order
    assert [m.text for m in rasa.messages] == ["hi"]  # the OKs were answered from what was held
    assert all(row.status == "done" for row in inbox("sms"))


def test_anything_but_ok_after_a_cut_goes_to_the_coach_and_drops_the_rest(rt, pid, tw):
    rasa = say(rt, sms("hi"), rasa=FakeRasa(LONG))
    rasa.reply = "Back to your session: 0 to 10?"
    say(rt, sms("tools"), rasa=rasa)
    assert [m.text for m in rasa.messages] == ["hi", "tools"]
    assert tw.sent_bodies(PHONE)[-1] == "Back to your session: 0 to 10?"
    say(rt, sms("ok"), rasa=rasa)  # nothing is held any more: an ordinary answer
    assert [m.text for m in rasa.messages] == ["hi", "tools", "ok"]


def test_a_reply_that_fits_is_sent_whole_with_no_more_prompt(rt, pid, tw):
    say(rt, sms("hi"), rasa=FakeRasa("Thanks. How strong have your cravings been? 0 to 10."))
    assert tw.sent_bodies(PHONE) == ["Thanks. How strong have your cravings been? 0 to 10."]


def test_a_crisis_reply_is_never_cut(rt, pid, tw):
    crisis = " ".join(f"Crisis line {i}: call 999 or Samaritans on 116 123." for i in range(20))
    say(rt, sms("i am going to kill myself tonight"), rasa=FakeRasa(crisis))
    bodies = tw.sent_bodies(PHONE)
    assert " ".join(bodies) == crisis and turn_segments(bodies) > 4
    assert not any(b.endswith(messages()["sms_more"]) for b in bodies)


def test_a_redelivered_message_is_dropped(rt, pid, tw):
    params = sms("about a 6")
    rasa = say(rt, params, params)
    assert len(rasa.messages) == 1 and tw.sent_bodies(PHONE) == ["ok"] and len(inbox("sms")) == 1


@pytest.mark.parametrize("how", ["forged", "missing", "wrong token", "other url", "tampered"])
def test_a_request_twilio_did_not_sign_is_403_and_nothing_is_stored(rt, pid, tw, how):
    headers, body = signed(sms("hi"))
    if how == "forged":
        headers["X-Twilio-Signature"] = "forged"
    elif how == "missing":
        del headers["X-Twilio-Signature"]
    elif how == "wrong token":
        headers, body = signed(sms("hi"), token="not-the-token")
    elif how == "other url":
        headers, body = signed(sms("hi"), url="https://elsewhere.example" + PATH)
    else:
        body = body.replace(b"Body=hi", b"Body=STOP")
    [(status, _, text)], rasa = post_all(rt, [(headers, body)])
    assert status == 403 and "forbidden" in text
    assert rasa.messages == [] and inbox() == [] and tw.sent_messages() == []
    assert participant(pid).opted_out_at is None


@pytest.mark.parametrize("missing", ["twilio_auth_token", "public_base_url"])
def test_without_a_token_or_public_url_to_check_against_everything_is_refused(settings, tg, tw, pid, missing):
    rt = make_runtime(dataclasses.replace(settings, **{missing: ""}), tg, tw)
    [(status, _, _)], rasa = post_all(rt, [signed(sms("hi"))])
    assert status == 403 and rasa.messages == [] and inbox() == []


def test_a_signed_but_malformed_webhook_is_400(rt, pid):
    [(status, _, text)], _ = post_all(rt, [signed(sms("hi", sender="not-a-number"))])
    assert status == 400 and "From" in text
    assert inbox() == []


def test_stop_opts_him_out_and_after_that_the_carrier_would_block_any_answer(rt, pid, tw):
    rasa = say(rt, sms("STOP"), sms("hello?"))
    p = participant(pid)
    assert p.opted_out_at is not None and p.opt_out_reason == "sms_stop"
    assert rasa.messages == [] and tw.sent_bodies(PHONE) == [messages()["stopped"]]  # nothing to "hello?"


def test_twilios_opt_out_type_counts_as_stop(rt, pid, tw):
    say(rt, sms("Stop sending these please", OptOutType="STOP"))
    assert participant(pid).opted_out_at is not None


def test_start_brings_him_back(rt, pid, tw):
    rasa = say(rt, sms("STOP"), sms("START"), sms("hi"))
    assert participant(pid).opted_out_at is None
    assert tw.sent_bodies(PHONE) == [messages()["stopped"], messages()["started"], "ok"]
    assert [m.text for m in rasa.messages] == ["hi"]


def test_help_gets_the_sms_help_text(rt, pid, tw):
    rasa = say(rt, sms("HELP"))
    assert rasa.messages == [] and tw.sent_bodies(PHONE) == [messages()["sms_help"]]


def test_a_picture_message_without_words_gets_a_polite_answer(rt, pid, tw):
    rasa = say(rt, sms("", NumMedia="1", MediaUrl0="https://api.twilio.com/media/x"))
    assert rasa.messages == [] and tw.sent_bodies(PHONE) == [messages()["non_text"]]


def test_a_reply_to_a_number_that_opted_out_at_the_carrier_opts_him_out(rt, pid, tw):
    tw.block_number(PHONE)
    rasa = say(rt, sms("hi"))
    assert len(rasa.messages) == 1
    p = participant(pid)
    assert p.opted_out_at is not None and p.opt_out_reason == "sms_21610"


def test_a_reply_that_fails_otherwise_leaves_him_opted_in(rt, pid, tw):
    tw.fail_next(code=21614)
    say(rt, sms("hi"))
    assert participant(pid).opted_out_at is None


def test_a_proactive_message_finds_his_number(rt, pid, tw):
    channel = SmsInput(rt)
    drive(rt, lambda: channel.get_output_channel().send_text_message(pid, "Week 2 is ready. Reply HI."))
    assert tw.sent_bodies(PHONE) == ["Week 2 is ready. Reply HI."]


def test_buttons_are_not_sent_by_sms(rt, pid, tw):
    say(rt, sms("hi"), rasa=FakeRasa("Ready? Reply Y or N", buttons=[{"title": "Y", "payload": "Y"}]))
    assert tw.sent_bodies(PHONE) == ["Ready? Reply Y or N"]


def test_an_unknown_number_is_told_how_to_join(rt, tw):
    rasa = say(rt, sms("hello", sender="+447700900999"))
    assert rasa.messages == [] and tw.sent_bodies("+447700900999") == [messages()["unknown_sender"]]
