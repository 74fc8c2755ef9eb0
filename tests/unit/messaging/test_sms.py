"""SMS through Twilio, against the fake Twilio API on 127.0.0.1.

- ``parse_webhook`` reads an inbound SMS (STOP as Twilio understood it, picture messages as
  non-text) and answers anything malformed with ``BadRequest``;
- ``verify_signature`` accepts only what Twilio signed;
- replies go out in GSM-7 parts of at most two segments; throttling and server errors are
  retried with backoff, a number that opted out at the carrier raises ``SendError(blocked)``,
  and any other failure stops the rest of that reply.
"""

from __future__ import annotations

import asyncio
import dataclasses
import urllib.parse

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from coach.core.notify import SendError
from coach.core.ratelimit import RateLimiter
from coach.messaging.inbound import BadRequest, Inbound
from coach.messaging.sms import (
    EMPTY_TWIML,
    SmsNotifier,
    TwilioClient,
    form_params,
    make_rest_client,
    parse_webhook,
    send_error,
    verify_signature,
)
from tests.fakes.twilio_api import (
    DEFAULT_ACCOUNT_SID,
    DEFAULT_AUTH_TOKEN,
    FakeTwilioAPI,
    signed_sms_webhook,
    sms_segments,
    sms_webhook_params,
)

FORM = "application/x-www-form-urlencoded"
HIS = "+447700900123"
OURS = "+447700900001"
SID = "SM" + "ab" * 16
URL = "https://coach.example/webhooks/sms/webhook"


def form(**params) -> bytes:
    return urllib.parse.urlencode(sms_webhook_params({"From": HIS, "MessageSid": SID, **params})).encode()


def parse(**params) -> Inbound:
    [inbound] = parse_webhook(form(**params), FORM)
    return inbound


# -- parse_webhook --------------------------------------------------------------------------------------

def test_a_text_message():
    assert parse(Body="about a 6 i reckon") == Inbound(SID, HIS, "text", "about a 6 i reckon")


def test_the_content_type_may_carry_a_charset():
    [inbound] = parse_webhook(form(Body="hi"), "application/x-www-form-urlencoded; charset=UTF-8")
    assert inbound.text == "hi"


def test_the_older_smssid_is_used_when_messagesid_is_missing():
    body = urllib.parse.urlencode({"SmsSid": SID, "From": HIS, "Body": "hi"}).encode()
    assert parse_webhook(body, FORM)[0].external_id == SID


@pytest.mark.parametrize("opt,body", [("STOP", "Stop please"), ("stop", "STOPALL"), ("START", "unstop"),
                                      ("HELP", "info")])
def test_twilios_own_keyword_handling_says_what_he_meant(opt, body):
    inbound = parse(Body=body, OptOutType=opt)
    assert (inbound.kind, inbound.text) == ("text", opt.upper())


def test_an_unknown_opt_out_type_leaves_his_words_alone():
    assert parse(Body="hello", OptOutType="SOMETHING").text == "hello"


def test_a_picture_message_without_words_is_non_text():
    assert parse(Body="", NumMedia="1").kind == "non_text"
    assert parse(Body="  ", NumMedia="2").kind == "non_text"


def test_a_picture_message_with_words_is_read_as_text():
    inbound = parse(Body="this is me at the gym", NumMedia="1")
    assert (inbound.kind, inbound.text) == ("text", "this is me at the gym")


def test_blank_numbers_of_media_count_as_none():
    assert parse(Body="hi", NumMedia="").kind == "text"


@pytest.mark.parametrize("params,content_type,problem", [
    ({}, "application/json", "form-encoded"),
    ({}, "", "form-encoded"),
    ({}, "text/plain", "form-encoded"),
    ({"MessageSid": "", "SmsSid": ""}, FORM, "MessageSid"),
    ({"MessageSid": "sm" + "ab" * 16, "SmsSid": ""}, FORM, "MessageSid"),
    ({"MessageSid": "SM" + "zz" * 16, "SmsSid": ""}, FORM, "MessageSid"),
    ({"MessageSid": "SM123", "SmsSid": ""}, FORM, "MessageSid"),
    ({"MessageSid": SID + "0", "SmsSid": ""}, FORM, "MessageSid"),
    ({"From": ""}, FORM, "From"),
    ({"From": "not-a-number"}, FORM, "From"),
    ({"From": "VODAFONE"}, FORM, "From"),
    ({"From": "whatsapp:" + HIS}, FORM, "From"),
    ({"From": "+44 7700 900123"}, FORM, "From"),
    ({"NumMedia": "x"}, FORM, "NumMedia"),
    ({"NumMedia": "1.5"}, FORM, "NumMedia"),
    ({"NumMedia": "9" * 5000}, FORM, "NumMedia"),
], ids=repr)
def test_malformed_webhooks_are_a_bad_request_saying_what_is_wrong(params, content_type, problem):
    with pytest.raises(BadRequest, match=problem):
        parse_webhook(form(**params), content_type)


def test_an_empty_body_is_a_bad_request():
    with pytest.raises(BadRequest):
        parse_webhook(b"", FORM)


def test_a_body_that_is_not_utf8_is_a_bad_request():
    with pytest.raises(BadRequest, match="UTF-8"):
        parse_webhook(b"Body=\xff&From=%2B447700900123&MessageSid=" + SID.encode(), FORM)


def test_form_params_keep_blank_fields_because_twilio_signs_them():
    assert form_params(b"Body=&From=%2B4477&NumMedia=0") == {"Body": "", "From": "+4477", "NumMedia": "0"}
    assert form_params(b"") == {}


# -- verify_signature ------------------------------------------------------------------------------------

def signed(params=None, url=URL, token=DEFAULT_AUTH_TOKEN):
    headers, body = signed_sms_webhook(url, token, {"From": HIS, **(params or {})})
    return body, headers["X-Twilio-Signature"]


def test_a_request_twilio_signed_is_accepted():
    body, signature = signed({"Body": "hi", "Extra": ""})
    assert verify_signature(DEFAULT_AUTH_TOKEN, URL, body, signature) is True


def test_a_signed_url_with_a_query_string_is_accepted():
    url = URL + "?site=north"
    body, signature = signed(url=url)
    assert verify_signature(DEFAULT_AUTH_TOKEN, url, body, signature) is True


def test_a_tampered_body_is_refused():
    body, signature = signed({"Body": "hi"})
    tampered = body.replace(b"Body=hi", b"Body=STOP")
    assert tampered != body
    assert verify_signature(DEFAULT_AUTH_TOKEN, URL, tampered, signature) is False


def test_a_signature_for_another_url_or_token_is_refused():
    body, signature = signed()
    assert verify_signature(DEFAULT_AUTH_TOKEN, "https://coach.example/other", body, signature) is False
    assert verify_signature("another-token", URL, body, signature) is False


def test_a_missing_signature_or_token_is_refused():
    body, signature = signed()
    assert verify_signature(DEFAULT_AUTH_TOKEN, URL, body, "") is False
    assert verify_signature(DEFAULT_AUTH_TOKEN, URL, body, None) is False
    assert verify_signature("", URL, body, signature) is False
    assert verify_signature(DEFAULT_AUTH_TOKEN, URL, b"\xff\xfe", signature) is False  # undecodable: refused


# -- sending, against the fake Twilio ---------------------------------------------------------------------

@pytest.fixture
def fake():
    with FakeTwilioAPI() as f:
        yield f


class Backoff(list):
    """Records the client's backoff waits instead of sleeping."""

    def __call__(self, seconds):
        self.append(seconds)


def client_for(fake, backoff=None, limiter=None) -> TwilioClient:
    return TwilioClient(fake.client(), OURS, limiter=limiter or RateLimiter(1000, burst=1000),
                        backoff=backoff if backoff is not None else Backoff())


def run(coro, timeout=15):
    return asyncio.run(asyncio.wait_for(coro, timeout))


LONG = " ".join(f"Sentence number {i} is here, with \u2018curly\u2019 quotes and a dash \u2013 like this."
                for i in range(20))


def test_a_long_reply_goes_in_gsm7_parts_of_at_most_two_segments(fake):
    run(client_for(fake).send_texts(HIS, [LONG, "Reply Y or N"]))
    bodies = fake.sent_bodies(HIS)
    assert len(bodies) > 2 and bodies[-1] == "Reply Y or N"
    for body in bodies:
        encoding, segments = sms_segments(body)
        assert encoding == "GSM-7" and segments <= 2, body
    assert "\u2019" not in "".join(bodies) and "'curly'" in bodies[0]
    assert all(c.params["From"] == OURS and c.params["To"] == HIS for c in fake.sent_messages())
    # split between sentences: nothing lost, each part ends a sentence
    assert " ".join(bodies[:-1]).count("Sentence number") == 20
    assert all(b.endswith(".") for b in bodies[:-1])


def test_each_part_waits_for_its_segments_under_the_limiter(fake):
    taken = []

    class CountingLimiter(RateLimiter):
        async def acquire(self, n=1.0):
            taken.append(n)

    run(client_for(fake, limiter=CountingLimiter(1)).send_texts(HIS, ["Short.", "x " * 200]))
    assert taken[0] == 1.0 and max(taken) <= 2.0 and len(taken) == len(fake.sent_bodies(HIS))


def test_a_429_is_retried_after_a_backoff(fake):
    backoff = Backoff()
    fake.fail_next(status=429)
    run(client_for(fake, backoff).send_texts(HIS, ["hello"]))
    assert fake.sent_bodies(HIS) == ["hello"]
    assert [c.status for c in fake.sent_messages(HIS)] == [429, 201]
    assert backoff == [0.5]


def test_server_errors_back_off_longer_each_time_then_the_reply_stops(fake):
    backoff = Backoff()
    fake.fail_next(status=500, times=4)
    run(client_for(fake, backoff).send_texts(HIS, ["first part", "second part"]))  # no exception: logged
    assert len(fake.sent_messages(HIS)) == 4 and fake.sent_bodies(HIS) == []
    assert backoff == [0.5, 1.0, 2.0]


def test_a_number_that_opted_out_at_the_carrier_raises_blocked_and_nothing_more_is_sent(fake):
    backoff = Backoff()
    fake.block_number(HIS)
    with pytest.raises(SendError) as info:
        run(client_for(fake, backoff).send_texts(HIS, ["first part", "second part"]))
    assert info.value.blocked is True and info.value.kind == "permanent"
    assert len(fake.sent_messages(HIS)) == 1 and backoff == []


def test_a_permanent_error_stops_the_rest_of_the_reply_without_raising(fake):
    backoff = Backoff()
    fake.fail_next(code=21614)  # not a mobile number
    run(client_for(fake, backoff).send_texts(HIS, ["first part", "second part", "third part"]))
    assert len(fake.sent_messages(HIS)) == 1 and fake.sent_bodies(HIS) == [] and backoff == []


def test_a_later_part_failing_keeps_the_parts_already_sent(fake):
    client = client_for(fake)

    async def main():
        await client.send_texts(HIS, ["first part"])
        fake.fail_next(code=21614)
        await client.send_texts(HIS, ["second part", "third part"])

    run(main())
    assert fake.sent_bodies(HIS) == ["first part"] and len(fake.sent_messages(HIS)) == 2


def test_an_empty_reply_sends_nothing(fake):
    run(client_for(fake).send_texts(HIS, ["", "   "]))
    assert fake.sent_messages() == []


def test_an_unreachable_twilio_is_retried_then_the_reply_stops():
    with FakeTwilioAPI() as gone:
        rest = gone.client(timeout=1)
    backoff = Backoff()
    client = TwilioClient(rest, OURS, limiter=RateLimiter(1000, burst=1000), backoff=backoff)
    run(client.send_texts(HIS, ["hello"]))
    assert backoff == [0.5, 1.0, 2.0]


def test_send_returns_the_sid_and_raises_send_error(fake):
    client = client_for(fake)
    sid = run(client.send(HIS, "One message"))
    assert sid.startswith("SM") and fake.sent_bodies(HIS) == ["One message"]
    fake.fail_next(status=500)
    with pytest.raises(SendError) as info:
        run(client.send(HIS, "Another"))
    assert info.value.kind == "retry"  # a single send is not retried: its caller decides


def test_the_staff_notifier_sends_plain_text(fake):
    notifier = SmsNotifier(client_for(fake))

    async def main():
        await notifier.start()
        return await notifier.send("+447700900555", "Coach: please check now. Reply ACK K7Q2MX", "K7Q2MX",
                                   html_text="<b>ignored</b>")

    assert run(main()).startswith("SM")
    assert fake.sent_bodies("+447700900555") == ["Coach: please check now. Reply ACK K7Q2MX"]
    assert notifier.channel == "sms"


def test_from_settings_sends_through_the_configured_api_base(app, fake):
    settings = dataclasses.replace(app.settings, twilio_account_sid=DEFAULT_ACCOUNT_SID,
                                   twilio_auth_token=DEFAULT_AUTH_TOKEN, twilio_from_number=OURS,
                                   twilio_api_base=fake.url, rate_sms_segments_per_second=50)
    client = TwilioClient.from_settings(settings, timeout=5)
    assert run(client.send(HIS, "hi")).startswith("SM")
    [call] = fake.sent_messages(HIS)
    assert call.username == DEFAULT_ACCOUNT_SID and call.params["From"] == OURS


def test_make_rest_client_needs_credentials():
    with pytest.raises(RuntimeError, match="TWILIO_ACCOUNT_SID"):
        make_rest_client("", "token")
    with pytest.raises(RuntimeError, match="TWILIO_AUTH_TOKEN"):
        make_rest_client(DEFAULT_ACCOUNT_SID, "")


def test_the_webhook_answer_is_empty_twiml():
    assert EMPTY_TWIML.startswith("<?xml") and "<Response></Response>" in EMPTY_TWIML


# -- send_error --------------------------------------------------------------------------------------------

URI = f"/2010-04-01/Accounts/{DEFAULT_ACCOUNT_SID}/Messages.json"


@pytest.mark.parametrize("exc,kind,blocked", [
    (TwilioRestException(400, URI, "Attempt to send to unsubscribed recipient", 21610), "permanent", True),
    (TwilioRestException(429, URI, "Too Many Requests", 20429), "retry", False),
    (TwilioRestException(500, URI, "Internal Server Error", 20500), "retry", False),
    (TwilioRestException(503, URI, "Service Unavailable", 20503), "retry", False),
    (TwilioRestException(400, URI, "Invalid 'To' Phone Number", 21211), "permanent", False),
    (TwilioRestException(400, URI, "not a mobile number", 21614), "permanent", False),
    (TwilioRestException(401, URI, "Authenticate", 20003), "permanent", False),
    (TwilioRestException(404, URI, "not found", 20404), "permanent", False),
    (requests.exceptions.ReadTimeout("read timed out"), "in_doubt", False),
    (requests.exceptions.ConnectTimeout("connect timed out"), "retry", False),
    (requests.exceptions.ConnectionError("connection refused"), "retry", False),
    (RuntimeError("a bug of ours"), "in_doubt", False),
], ids=lambda v: (f"{type(v).__name__}-{getattr(v, 'code', '')}" if isinstance(v, Exception) else None))
def test_send_error_mapping(exc, kind, blocked):
    err = send_error(exc)
    assert (err.kind, err.blocked) == (kind, blocked)
    assert str(err)


def test_pages_keep_a_turn_to_4_segments_and_the_question_last():
    from coach.core.text.sms import segment_count
    from coach.messaging.sms import pages

    recap = ("This week is about warning signs. These are the early signals that you are getting wound up, "
             "before you say or do something harmful. The sooner you notice them, the more choice you have.")
    question = "Quick question. Why is it useful to know your warning signs? Reply A, B or C."
    got = pages([recap] * 4 + [question], "Reply OK for more.")
    assert len(got) >= 2
    for page in got:
        assert sum(segment_count(p) for p in page) <= 4
    assert all(page[-1].endswith("\nReply OK for more.") for page in got[:-1])
    assert got[-1][-1] == question
    joined = " ".join(p.replace("\nReply OK for more.", "") for page in got for p in page)
    assert joined.split() == " ".join([recap] * 4 + [question]).split()  # nothing lost, in order
    assert pages(["Thanks.", question], "Reply OK for more.") == [["Thanks.", question]]
    assert pages([], "Reply OK for more.") == []
