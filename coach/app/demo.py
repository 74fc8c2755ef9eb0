"""`coach demo`: a demo site anyone can open in the console at once.

Staff log-ins for each role (passwords made up here and printed once), and a dozen men at
different weeks with check-ins, answers, goals, quiz answers, coaching calls, groups, a 1:1,
alerts and a safety check. Everything is written through the same functions the coach and
the console use, so the demo looks exactly like real use. Running it again resets the demo
staff passwords and adds nothing twice.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from coach.core.accounts import record, set_password
from coach.core.db.models import Participant, RiskCheck, SessionProgress, Site, Staff, utcnow
from coach.core.identity import IdentityVault
from coach.programme import attendance, casework
from coach.programme.calendar import opens_on, start_for_week, uk_today
from coach.programme.content.model import Content
from coach.programme.enrolment import enrol
from coach.programme.step_answers import save
from coach.programme.store import SqlStore
from escalation import triage
from escalation.alerts import Signal, raise_alert
from escalation.staff import add_staff, set_rota

SITE = "demo-site"
STAFF = (("fay", "Fay Demo", "facilitator"), ("sam", "Sam Demo", "facilitator"), ("isla", "Isla Demo", "iss"),
         ("ola", "Ola Demo", "supervisor"))
MEN = (("D.R.", 12), ("Kev M.", 11), ("J.T.", 10), ("Aaron P.", 9), ("S.B.", 8), ("Lee W.", 7), ("M.O.", 6),
       ("Craig H.", 5), ("P.N.", 4), ("Tony G.", 3), ("R.A.", 2), ("Jamie L.", 1))
WORDS = {
    "warning_signs_body": "jaw goes tight, hot in the face", "warning_signs_thoughts": "she's doing it on purpose",
    "warning_signs_situations": "when im skint and shes on her phone", "timeout_signal": "my fists go tight",
    "timeout_words": "I need 20 minutes, I'll be back", "timeout_place": "walk to the park and back",
    "timeout_calm": "breathing and a brew", "support_people": "my brother Gaz, my sponsor",
    "values": "being a dad my kids arent scared of", "strengths": "I dont give up", "why_change": "for my kids",
    "want_them_to_feel": "safe when i come in", "urge_triggers": "payday and fridays",
    "one_safe_thing": "ring my sponsor",
}
GENERAL = ("Took a time out when it got heated. Felt weird but it worked.", "Hard week, rows about money.",
           "Kept off the drink till Saturday.", "Noticed I go quiet first, then I snap.",
           "Talked to my brother instead of going to the pub.", "Not much to say, tried the breathing once.")
GOALS = ("Take a time out instead of shouting", "Stay off the drink on weekdays", "Be calm at handovers",
         "Ring my sponsor when cravings hit")


@dataclass
class DemoLogin:
    login: str
    name: str
    role: str
    password: str


def fill(s: Session, content: Content, vault: IdentityVault, now: Optional[datetime] = None,
         seed: int = 7) -> List[DemoLogin]:
    """Create (or refresh) the demo site as of ``now`` (naive UTC; default: now); returns the
    log-ins with their new passwords."""
    rng = random.Random(seed)
    now = now or utcnow()
    today = uk_today(now)
    logins = _staff(s, vault)
    site = s.execute(select(Site).where(Site.code == SITE)).scalar_one()
    if s.execute(select(Participant.id).where(Participant.site_id == site.id)).first() is None:
        staff = {row.login: row for row in s.execute(select(Staff).where(Staff.site_id == site.id)).scalars()}
        for i, (name, week) in enumerate(MEN):
            _man(s, content, vault, rng, name, week, now, today, i, staff)
    return logins


def _staff(s: Session, vault: IdentityVault) -> List[DemoLogin]:
    out, ids = [], {}
    for login, name, role in STAFF:
        person = s.execute(select(Staff).where(Staff.login == login)).scalar_one_or_none()
        if person is None:
            person = add_staff(s, vault, SITE, name, role)
        password = "-".join(secrets.token_hex(3) for _ in range(3))
        set_password(s, person, password, login=login)
        record(s, None, "demo_password", detail={"staff": person.id}, site_id=person.site_id)
        ids[login] = person.id
        out.append(DemoLogin(login, name, role, password))
    set_rota(s, SITE, "facilitator", [ids["fay"], ids["sam"]])
    set_rota(s, SITE, "iss", [ids["isla"]])
    return out


def _value(step, rng: random.Random, trend: float, week: int):
    if step.type == "number":
        lo, hi = step.min or 0, step.max if step.max is not None else 10
        name = step.save_as or ""
        if name.endswith("craving"):
            base = 7 - trend * week
        elif name.endswith("_days"):
            return max(lo, min(hi, int(round(2 + trend * week * 0.8 + rng.uniform(-1, 1)))))
        else:
            base = 4 + trend * week
        return max(lo, min(hi, int(round(base + rng.uniform(-1.5, 1.5)))))
    if step.type == "quiz":
        right = [o.key for o in step.options if o.correct]
        return right[0] if right and rng.random() < 0.75 else rng.choice([o.key for o in step.options])
    if step.type in ("choice",):
        return rng.choice([o.key for o in step.options])
    if step.type == "yesno":
        return rng.random() < 0.8
    if step.save_as == "goal.text":
        return rng.choice(GOALS)
    return WORDS.get(step.save_as or "", rng.choice(GENERAL))


def _man(s: Session, content: Content, vault: IdentityVault, rng: random.Random, name: str, week: int,
         now: datetime, today: date, i: int, staff: Dict[str, Staff]) -> None:
    programme = content.programme
    p = enrol(s, site=SITE, start=start_for_week(programme, week, today))
    casework.set_name(s, vault, p.id, name)
    store = SqlStore(s)
    trend = rng.choice((0.35, 0.2, 0.0, -0.25))
    finished = [w for w in range(0, week + 1) if w < week or rng.random() < 0.5]
    if i % 4 == 1 and len(finished) > 3:  # some men skip a week or two, as in the pilot
        finished.remove(finished[-2])
    for w in range(0, week + 1):
        flow = content.sessions.get(w)
        if flow is None:
            continue
        done = w in finished
        steps = flow.steps if done else flow.steps[: len(flow.steps) // 2]
        if not done and w != week:
            continue
        when = datetime.combine(opens_on(programme, p.start_date, w), time(19, 30)) + timedelta(days=1)
        store.session_started(p.id, w, flow.steps[0].id)
        for step in steps:
            if not _applies(store, p.id, step, w):
                store.step_done(p.id, w, step.id, "n/a")
                continue
            if step.interactive and step.type != "message":
                save(store, p.id, w, step, _value(step, rng, trend, w))
            store.step_done(p.id, w, step.id, "done")
        if done:
            store.session_completed(p.id, w)
        _backdate(s, p.id, w, when)
    p.last_contact_at = now - timedelta(hours=rng.randint(2, 120))
    p.notice_seen_at = datetime.combine(p.start_date, time(12))
    fay = staff["fay"]
    attendance.record(s, p.id, "one_to_one", 0, "attended", fay.id, held_on=p.start_date)
    for g in range(1, min(attendance.GROUPS, (week + 1) // 2) + 1):
        attendance.record(s, p.id, "group", g, "attended" if rng.random() < 0.7 else "missed", fay.id,
                          held_on=p.start_date + timedelta(days=14 * g))
    for w in [w for w in finished if 1 <= w < week]:
        outcome = "done" if rng.random() < 0.8 else "no_answer"
        row = attendance.record(s, p.id, "call", w, outcome, fay.id, held_on=opens_on(programme, p.start_date, w)
                                + timedelta(days=3), note="Went through his week." if outcome == "done" else None)
        row.created_at = datetime.combine(row.held_on, time(11))
    if i == 1:
        raise_alert(s, p.id, "i cant do this anymore, got the pills out", "demo-1",
                    Signal("suicide_self_harm", "imminent", ("pills out",), "detector"), now=now - timedelta(hours=2),
                    context=[{"who": "coach", "text": "How has your mood been this week, 0 to 10?"}])
    if i == 3:
        a = raise_alert(s, p.id, "if she keeps the kids from me im going round there", "demo-2",
                        Signal("harm_to_partner", "high", ("going round",), "detector"), now=now - timedelta(hours=30))
        triage.take(s, staff["isla"], a.code)
        triage.note(s, staff["isla"], a.code, "Spoke to his ex-partner; safety plan reviewed.")
    if i == 6:
        a = raise_alert(s, p.id, "that match nearly killed me lol", "demo-3",
                        Signal("suicide_self_harm", "high", ("killed me",), "detector"), now=now - timedelta(days=3))
        triage.close(s, staff["fay"], a.code, "false_alarm", "He meant the football.")
    if i == 4:
        s.add(RiskCheck(participant_id=p.id, site_id=p.site_id, message_id="demo-4", category="suicide_self_harm",
                        probability=0.41, text="whats the point in any of it", status="review",
                        created_at=now - timedelta(days=1), review_reason="no clear answer in time"))


def _applies(store: SqlStore, pid: str, step, week: int) -> bool:
    """The engine's ``when:`` conditions as they would have been on the day (one check-in a week)."""
    if step.when in ("has_goal", "no_goal"):
        return (store.goal(pid) is not None) == (step.when == "has_goal")
    if step.when in ("goal_from_before", "new_goal"):
        set_in = store.goal_week(pid)
        return set_in is not None and (set_in != week) == (step.when == "goal_from_before")
    return step.when != "checkin_today"


def _backdate(s: Session, pid: str, week: int, when: datetime) -> None:
    row = s.execute(select(SessionProgress).where(SessionProgress.participant_id == pid,
                                                  SessionProgress.week == week)).scalar_one()
    row.started_at = when
    row.last_activity_at = when
    if row.completed_at:
        row.completed_at = when + timedelta(minutes=25)


def demo_ids(s: Session) -> Optional[List[str]]:
    site = s.execute(select(Site).where(Site.code == SITE)).scalar_one_or_none()
    return None if site is None else list(s.execute(select(Participant.id).where(Participant.site_id == site.id))
                                          .scalars())

