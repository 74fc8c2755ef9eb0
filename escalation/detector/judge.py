"""The clinical judgement: from a message's matches to the verdict (steps 4 and 5).

4. Each risk match is dropped if it sits inside an idiom ("kill myself laughing"), if a
   negator governs it ("i would never hit her"), if someone else is the subject ("he hit
   her"; not for child harm or substance emergencies), or if the nearest time marker says
   it is old, known history ("two years ago", "when i used to drink") rather than recent
   or intended ("last night", "again", "going to").
5. The alert takes the most severe surviving match (ties: child, partner, suicide,
   substance, others). Partner/child matches outrank a harm-to-others match; suicidal
   words outrank a substance emergency (an overdose "on purpose"); any harm match
   outranks a substance emergency in the same sentence ("knocked him out cold").
   ``matched`` lists every surviving match.

Owns: Detection (the verdict), the detector's tie-break policy (SEVERITY_RANK,
CATEGORY_PRIORITY, checked against the shared vocabulary in coach.core.risk), the rules
about who did it and to whom, and ``_Judge``, which applies them to one message's matches
(found by escalation.detector.matching).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from coach.core.risk import CATEGORIES, SEVERITIES
from escalation.detector.normalise import CLAUSE_BREAKS, SENT_BREAKS
from escalation.lexicon import Group, Lexicon, PatternDef, Word

SEVERITY_RANK = {"high": 1, "imminent": 2}
# Ties on severity: a child in the picture decides it ("the kids saw me hit her" is a
# safeguarding alert about the children), then the partner, then the rest.
CATEGORY_PRIORITY = {
    "harm_to_child": 5,
    "harm_to_partner": 4,
    "suicide_self_harm": 3,
    "substance_emergency": 2,
    "harm_to_others": 1,
}
if set(CATEGORY_PRIORITY) != set(CATEGORIES) or set(SEVERITY_RANK) != set(SEVERITIES):  # pragma: no cover
    raise ImportError("the detector's tie-break policy must rank exactly coach.core.risk's categories and severities")
HARM_CATEGORIES = frozenset({"harm_to_partner", "harm_to_child", "harm_to_others"})

# Words allowed between a third-party subject and the act ("he then hit her", "my dad had battered her").
_THIRD_PARTY_BRIDGE = frozenset(
    "then just also even has had have was is be been would will 's 'd actually really apparently allegedly "
    "used to went go always once had've".split()
)

# Class names the 'retarget' option looks for (partner_mention: "she", "her", "my ex"...).
RETARGET_CLASSES = ("partner_mention", "child", "staff_woman", "partner_named", "child_context")

# Rules about who did it apply to these (a child at risk from anyone is still an alert,
# and "he's not breathing" is the whole point of a substance emergency).
_THIRD_PARTY_CATEGORIES = frozenset({"harm_to_partner", "harm_to_others", "suicide_self_harm"})
_OTHERS_POSSESSIVE = frozenset({"his", "their", "your", "someone's"})
_POSSESSIVE_FILLERS = frozenset(
    "new old little big younger older best eldest youngest baby step fucking stupid".split()
)


@dataclass
class Detection:
    """The verdict on one message.

    ``matched``: surviving matches as "pattern_id:words" (the one that set the category first).
    ``suppressed``: matches that were cancelled, with the reason, for audits and tuning;
    not part of ``to_dict()``.
    """

    text: str
    escalate: bool
    category: str | None = None
    severity: str | None = None
    matched: list = field(default_factory=list)
    suppressed: list = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "escalate": self.escalate,
            "category": self.category,
            "severity": self.severity,
            "matched": list(self.matched),
        }


def non_partner_nouns(lexicon: Lexicon, class_alts: Callable[[str], tuple], canon: Callable[[str], str]) -> set[str]:
    """Words that make "her" a possessive ("her son") rather than the partner: the last
    word of each member of the classes 'child' and 'others', pronouns aside."""
    nouns: set[str] = set()
    pronouns = {"him", "them", "someone", "somebody", "her", "he", "she", "his", "anyone", "anybody"}
    for name in ("child", "others"):
        for seq in class_alts(name) if name in lexicon.classes else ():
            last = seq.items[-1]
            alts = [a.items[-1] for a in last.alternatives] if isinstance(last, Group) else [last]
            for w in alts:
                if isinstance(w, Word):
                    head = w.text.split()[-1]
                    if head not in pronouns:
                        nouns.add(canon(head))
    return nouns


class _Judge:
    """The reading rules with the lexicon's settings; called with each message's matches."""

    def __init__(
        self,
        pdefs: dict[str, PatternDef],
        bridge: frozenset,
        neg_window: int,
        near_window: int,
        non_partner_nouns: set[str],
    ):
        self.pdefs = pdefs
        self.bridge = bridge  # words a negator reaches across ("never ever hit her")
        self.neg_window = neg_window
        self.near_window = near_window
        self.non_partner_nouns = non_partner_nouns

    def __call__(self, text: str, low: list[str], lem: list[str], risk: dict, ctx: dict) -> Detection:
        """The verdict on ``text``, from its words and base forms and the line matches
        ({key: [(start, shortest end, longest end), ...]}) of the risk patterns and the
        context lines (negators, time markers, idioms, 'with' lines, classes)."""
        if not risk:
            return Detection(text, False)
        msg = _Message(low, lem, ctx, self)
        alerts, suppressed = self._weigh(risk, msg)
        if not alerts:
            return Detection(text, False, suppressed=_dedupe(suppressed))
        return _verdict(text, msg, alerts, suppressed)

    def _weigh(self, risk: dict, msg: "_Message") -> tuple[dict[str, tuple[int, int, str, str]], list[str]]:
        """Each pattern's first standing match as an alert, id -> (start, end, category,
        severity); the cancelled ones as "id:words (reason)"."""
        alerts: dict[str, tuple[int, int, str, str]] = {}
        suppressed: list[str] = []
        hits = sorted(
            ((pid, s, e, emax) for pid, spans in risk.items() for s, e, emax in spans), key=lambda r: (r[1], -r[2])
        )
        for pid, s, e, emax in hits:
            if pid in alerts:
                continue
            p = self.pdefs[pid]
            reason = self._cancelled(p, s, e, emax, msg)
            if reason is not None:
                suppressed.append(f"{pid}:{' '.join(msg.low[s:e])} ({reason})")
                continue
            alerts[pid] = (s, e, _category(p, s, emax, msg), _severity(p, s, msg))
        return alerts, suppressed

    def _cancelled(self, p: PatternDef, s: int, e: int, emax: int, msg: "_Message") -> str | None:
        """Why the match of ``p`` at s:e (longest end emax) is not an alert; None if it stands."""
        if p.with_parsed and not msg.ctx.get("with:" + p.id):
            return "none of its 'with' words in the message"
        # an idiom cancels a risk phrase it overlaps, unless the risk phrase contains it and
        # goes on after it ("kicked the door in" is not the idiom "kicked the door"; "bought
        # the kids nerf guns" ends on the idiom "nerf gun", so it is the idiom)
        if any(xs < e and s < xe and not (s <= xs and xe < emax) for xs, xe in msg.idioms):
            return "idiom"
        if p.negation and msg.negated(s):
            return "negated"
        if p.check_subject and p.category in _THIRD_PARTY_CATEGORIES and (
            msg.third_party(s)
            or (p.category == "harm_to_partner" and any(w in _OTHERS_POSSESSIVE for w in msg.low[s:e]))
        ):
            return "someone else's act"
        possessive = self._her_possessive(p, emax, msg)
        if possessive is not None:
            return possessive
        if p.history == "known" and msg.timing(s, e) == "past" and not any(r >= e for r in msg.repeats):
            return "past/known history"
        return None

    def _her_possessive(self, p: PatternDef, emax: int, msg: "_Message") -> str | None:
        """A partner match ending on "her" followed by someone else: "her son", "her new
        fella". The harm is to someone else (their pattern decides)."""
        low, n = msg.low, msg.n
        if p.category == "harm_to_partner" and low[emax - 1] == "her" and emax < n:
            nxt = emax + 1 if (low[emax] in _POSSESSIVE_FILLERS and emax + 1 < n) else emax
            if msg.lem[nxt] in self.non_partner_nouns:
                return f"her = possessive: '{' '.join(low[emax:nxt + 1])}'"
        return None


def _category(p: PatternDef, s: int, emax: int, msg: "_Message") -> str:
    """Who is at risk: the pattern's category, unless the sentence or message says otherwise."""
    sent, class_sents = msg.sent, msg.class_sents
    category = p.category
    if p.retarget:
        if sent[s] in class_sents.get("partner_mention", ()):
            category = "harm_to_partner"
        elif sent[s] in class_sents.get("child", ()):
            category = "harm_to_child"
    if (category == "harm_to_partner" and sent[s] in class_sents.get("staff_woman", ())
            and not class_sents.get("partner_named")):
        # "that social worker ... i'll put her through the window": her is the worker
        category = "harm_to_others"
    elif (category == "harm_to_others" and any(w in ("him", "kid") for w in msg.low[s:emax])
            and class_sents.get("child_context")):
        # "gave him a smack ... school will ask questions": him is a child
        category = "harm_to_child"
    return category


def _severity(p: PatternDef, s: int, msg: "_Message") -> str:
    """The pattern's severity, imminent when its sentence says it is ("tonight", "now")."""
    if p.severity != "imminent" and msg.sent[s] in msg.imminent_sents:
        return "imminent"
    return p.severity


def _verdict(text: str, msg: "_Message", alerts: dict, suppressed: list[str]) -> Detection:
    """An alert at the most severe match's severity, in the leading match's category;
    ``matched`` lists the leading match first, then by severity, category and position."""
    items = list(alerts.items())
    severity = max((v[3] for _, v in items), key=SEVERITY_RANK.__getitem__)
    best = _leading(items, msg.sent)
    ordered = sorted(
        items,
        key=lambda it: (it[0] != best[0], -SEVERITY_RANK[it[1][3]], -CATEGORY_PRIORITY[it[1][2]], it[1][0]),
    )
    low = msg.low
    matched = [f"{pid}:{' '.join(low[v[0]:v[1]])}" for pid, v in ordered]
    return Detection(text, True, best[1][2], severity, matched, _dedupe(suppressed))


def _leading(items: list, sent: list[int]):
    """The alert that sets the category: the most severe, then by CATEGORY_PRIORITY, then
    the first, among those no other category outranks."""
    choose = items
    cats = {v[2] for _, v in choose}
    if "harm_to_others" in cats and cats & {"harm_to_partner", "harm_to_child"}:
        choose = [it for it in choose if it[1][2] != "harm_to_others"]
    if "suicide_self_harm" in cats and "substance_emergency" in cats:
        # an overdose told alongside suicidal words is a suicide attempt
        choose = [it for it in choose if it[1][2] != "substance_emergency"]
    harm_sents = {sent[v[0]] for _, v in choose if v[2] in HARM_CATEGORIES}
    trimmed = [it for it in choose if not (it[1][2] == "substance_emergency" and sent[it[1][0]] in harm_sents)]
    choose = trimmed or choose
    return max(choose, key=lambda it: (SEVERITY_RANK[it[1][3]], CATEGORY_PRIORITY[it[1][2]], -it[1][0]))


class _Message:
    """One message as the judge reads it: its words and base forms, each word's clause and
    sentence, and the context lines found in it (negators, time markers, classes...)."""

    def __init__(self, low: list[str], lem: list[str], ctx: dict, judge: _Judge):
        self.low = low
        self.lem = lem
        self.ctx = ctx
        self.n = len(low)
        self._judge = judge
        self.clause, self.sent = _clauses_and_sentences(low)
        self.idioms = [(s, emax) for s, _, emax in ctx.get("ctx:idioms", ())]
        exceptions = [(s, emax) for s, _, emax in ctx.get("ctx:negation_exceptions", ())]
        self.negators = _outside(ctx.get("ctx:negators", ()), exceptions)
        self.near_negators = _outside(ctx.get("ctx:near_negators", ()), exceptions)
        self.markers = self._time_markers()
        self.third_party_ends = {e for _, e, _ in ctx.get("ctx:third_party", ())}
        self.repeats = [s for s, _, _ in ctx.get("ctx:repeat_markers", ()) if not self.negated(s)]
        self.imminent_sents = {self.sent[s] for s, _, _ in ctx.get("ctx:imminent_markers", ())}
        self.class_sents = {name: {self.sent[s] for s, _, _ in ctx.get("cls:" + name, ())} for name in RETARGET_CLASSES}

    def negated(self, start: int) -> bool:
        """Does a negator govern the word at ``start``? In its clause and at most the
        negation window before it with only bridge words between ("never ever hit"), or a
        near negator right before it ("stopped myself hitting")."""
        clause, lem, low = self.clause, self.lem, self.low
        bridge = self._judge.bridge
        for _, ne in self.negators:
            if ne > start or clause[ne - 1] != clause[start] or start - ne > self._judge.neg_window:
                continue
            if all(lem[j] in bridge or low[j] in bridge for j in range(ne, start)):
                return True
        for _, ne in self.near_negators:
            if ne <= start and start - ne <= self._judge.near_window and clause[ne - 1] == clause[start]:
                return True
        return False

    def _time_markers(self) -> list[tuple[str, str, int, int]]:
        """(kind, scope, start, end) of each time marker: 'current' (unless negated) or
        'past', for its 'sentence' or the whole 'message' (known history)."""
        markers = []
        for kind, key, scope in (
            ("current", "ctx:current_markers", "sentence"),
            ("past", "ctx:past_markers", "sentence"),
            ("past", "ctx:known_markers", "message"),
        ):
            for ms, me, _ in self.ctx.get(key, ()):
                if kind == "current" and self.negated(ms):
                    continue
                markers.append((kind, scope, ms, me))
        return markers

    def timing(self, s: int, e: int) -> str:
        """'past' when the nearest time marker says old/known history, else 'current'."""
        clause, sent = self.clause, self.sent
        best = None
        for kind, scope, ms, me in self.markers:
            if clause[ms] == clause[s]:
                rank = 0
            elif sent[ms] == sent[s]:
                rank = 1
            elif scope == "message":
                rank = 2
            else:
                continue
            score = (rank, _distance(ms, me, s, e), 0 if kind == "current" else 1)
            if best is None or score < best[0]:
                best = (score, kind)
        return best[1] if best else "current"

    def third_party(self, start: int) -> bool:
        """Someone else is the subject: "he hit her", "my mate wants to die"."""
        low, ends = self.low, self.third_party_ends
        j = start
        for _ in range(4):
            if j in ends:
                return True
            if j > 0 and low[j - 1] in _THIRD_PARTY_BRIDGE:
                j -= 1
            else:
                return False
        return j in ends


def _clauses_and_sentences(low: list[str]) -> tuple[list[int], list[int]]:
    """Each word's clause number and sentence number (a break belongs to what it ends)."""
    n = len(low)
    clause = [0] * n
    sent = [0] * n
    c = s_id = 0
    for i, w in enumerate(low):
        clause[i] = c
        sent[i] = s_id
        if w in CLAUSE_BREAKS:
            c += 1
        if w in SENT_BREAKS:
            s_id += 1
    return clause, sent


def _outside(spans, exceptions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, shortest end) of the matches not inside a negation exception ("not only")."""
    return [(s, e) for s, e, _ in spans if not any(xs <= s and e <= xe for xs, xe in exceptions)]


def _distance(ms: int, me: int, s: int, e: int) -> int:
    if me <= s:
        return s - me
    if ms >= e:
        return ms - e
    return 0


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for it in items:
        if it not in seen:
            seen.add(it)
            out.append(it)
    return out
