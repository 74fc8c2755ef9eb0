"""Understanding short SMS-style answers: numbers, yes/no, options, "dunno", "skip".

Pure functions; the NLU intent is a hint passed in by the caller, never required.

    >>> parse_number("about 6/10", 0, 10).value
    6
    >>> parse_yes_no("nah")
    False
    >>> parse_option("b)", ["A", "B", "C"], ["x", "y", "z"])
    'B'
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Optional, Sequence

WORD_NUMBERS = {
    "zero": 0, "none": 0, "nil": 0, "nowt": 0, "nothing": 0, "no days": 0, "not one": 0, "o": 0,
    "one": 1, "once": 1, "two": 2, "twice": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "a couple": 2, "couple": 2,
}
# Amounts too vague to save as a number: he is asked "about how many?" instead.
VAGUE = ("a few", "few", "some", "several", "a handful", "handful", "loads", "lots", "a lot", "a bit",
         "not many", "not much", "most days", "most of them", "some days", "a good few", "quite a few", "many")
# A rating in words ("pretty bad tbh"): he is asked for the number, with a hint.
RATING_WORDS = re.compile(r"\b(?:bad|good|great|shit|shite|crap|rubbish|rough|awful|terrible|grim|decent|fine|ok|okay|"
                          r"alright|average|better|worse|low|high|strong|weak|so so|not great|not bad|mint|sound)\b")
# Words around an answer that don't change it: "dunno tbh", "skip mate".
FILLER = re.compile(r"\b(?:tbh|tbf|mate|m8|lol|lmao|honestly|to be honest|really|like|innit|pal|bro|bruv|"
                    r"man|tho|though|aye|ffs|sorry|mind)\b")
ALL_WORDS = ("every day", "everyday", "all week", "all of them", "all days", "all the days", "every single day", "all")
YES = {
    "y", "yes", "yeah", "yea", "yeh", "yep", "yup", "ye", "yh", "ya", "yas", "aye", "ok", "okay", "k", "kk",
    "sure", "deffo", "defo", "definitely", "of course", "course", "go on", "sound", "right", "correct",
    "true", "i did", "i have", "yes mate", "yeah mate", "too right", "ja", "yess", "yse", "yesh", "absolutely",
}
NO = {
    "n", "no", "nah", "nope", "naw", "nae", "na", "not really", "never", "no way", "i didnt",
    "i didn't", "i havent", "i haven't", "no mate", "not yet", "false", "noo", "nop", "nahh", "not at all",
}
DUNNO = {
    "dunno", "idk", "not sure", "no idea", "unsure", "dont know", "don't know", "i dont know",
    "i don't know", "dno", "dunno mate", "couldnt say", "couldn't say", "hard to say", "no clue",
    "maybe", "not a clue", "dont no", "dnt know", "idek", "i dunno",
    "dinnae ken", "i dinnae ken", "dinna ken", "i dinna ken", "divvent knaa", "i divvent knaa", "dont kno",
    "i dont kno", "havent a clue", "haven't a clue", "i havent a clue", "search me", "no idea mate", "unsure tbh",
    "not sure tbh", "god knows", "who knows", "couldnt tell you", "couldn't tell you", "i really dont know",
}
SKIP = {"skip", "pass", "skip it", "next", "next question", "skip this", "skip that", "move on",
        "rather not say", "id rather not say", "i'd rather not say", "no comment", "skp", "skipp"}
# After "Reply OK for more." (SMS): these ask for the rest of the reply.
MORE = {"more", "ok more", "more please", "more pls", "go on", "go on then", "carry on", "continue", "next", "ready",
        "ok go on", "ok then", "send it", "send more", "and", "then what", "what else", "keep going", "cont"}
REPEAT = {"repeat", "again", "say again", "say that again", "what", "what?", "huh", "come again", "wot", "wat", "wha",
          "pardon", "sorry?", "eh", "eh?", "repeat that", "what was the question", "rpt"}


def normalise(text: str) -> str:
    """Lower case, punctuation stripped, letters repeated 3+ times squashed ('yesss' -> 'yess')."""
    t = text.lower().replace("\u2019", "'")
    t = re.sub(r"[^\w'\s/]+", " ", t)
    t = re.sub(r"(\w)\1{2,}", r"\1\1", t)
    return re.sub(r"\s+", " ", t).strip()


def _plain(text: str) -> str:
    """normalise() without filler words: "dunno tbh" -> "dunno"."""
    return re.sub(r"\s+", " ", FILLER.sub(" ", normalise(text))).strip()


def _words(text: str) -> int:
    return len(normalise(text).split())


def is_dunno(text: str, intent: Optional[str] = None) -> bool:
    n = normalise(text)
    return n in DUNNO or _plain(text) in DUNNO or (intent == "dunno" and _words(text) <= 5)


# The reply words the coach's own messages teach him (HELP, WHERE, TOOLS, LATER, HI, STOP):
# typed alone, they are never an answer to a question.
COMMANDS = frozenset({"help", "where", "tools", "tool", "toolkit", "later", "hi", "stop", "menu"})


def is_command(text: str) -> bool:
    return normalise(text) in COMMANDS


def is_skip(text: str, intent: Optional[str] = None) -> bool:
    n = normalise(text)
    return n in SKIP or _plain(text) in SKIP or (intent == "skip" and _words(text) <= 5)


def is_repeat(text: str, intent: Optional[str] = None) -> bool:
    n = normalise(text)
    return n in REPEAT or text.strip() in {"?", "??"} or (intent == "repeat" and _words(text) <= 5)


def repeat_mode(text: str) -> str:
    """How much to send again: REPEAT or "say that again" gets the messages before the question
    too ("repeat"); "wot", "what?", "huh" only the question, so one SMS, not a block ("next")."""
    return "repeat" if re.search(r"\b(?:repeat|again|rpt)\b", normalise(text)) else "next"


@dataclass(frozen=True)
class NumberAnswer:
    value: Optional[int]
    problem: Optional[str] = None  # "none" | "range" | "dunno" | "several" | "vague" | "unclear" | "words"


_NUM = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w.])")
# A number that is a time, a date or money, not a score or a count: "not after 9 at night", "9pm", "£5".
_NOT_A_SCORE = re.compile(
    r"\b(?:after|before|until|till|til|by|since)\s+(?:about\s+)?\d+\b(?!\s*(?:/|out of))"
    r"|\b\d+\s*(?:am|pm|o'?clock|oclock|at night|in the morning|in the evening|tonight|hours?|hrs?|mins?|"
    r"minutes?|quid|pounds?|p|k|th|st|nd|rd|mg|ml|units?|pints?|cans?|bags?|grams?|g)\b|[£$]\s*\d")


def parse_number(text: str, lo: int, hi: int) -> NumberAnswer:
    """A whole number from lo to hi in what he wrote, or why not."""
    if is_dunno(text):
        return NumberAnswer(None, "dunno")
    if re.search(r"(?:^|\s)(?:-|minus\s*)\d", text.lower()):
        return NumberAnswer(None, "range")  # "-1": below any scale we use
    if re.search(r"\d[.,]\d", text):
        return NumberAnswer(None, "none")  # "6.5": ask for a whole number
    n = normalise(text)
    if _NOT_A_SCORE.search(text.lower()):
        return NumberAnswer(None, "unclear")
    n = re.sub(r"\b(\d+)\s*-?\s*ish\b", r"\1", n)  # "4ish", "6 ish": about 4, about 6
    # "7/10", "7 out of 10": the scale's maximum is not an answer.
    n = re.sub(r"\b(\d+)\s*(?:/|out of|outta|oo)\s*\d+\b", r"\1", n)
    nums = _NUM.findall(n.replace(",", "."))
    if not nums:
        if any(re.search(rf"\b{re.escape(w)}\b", n) for w in ALL_WORDS):
            return NumberAnswer(hi) if hi == 7 else NumberAnswer(None, "none")
        found = set()
        rest = n
        for w in sorted(WORD_NUMBERS, key=len, reverse=True):  # longest first: "not one" before "one"
            if (len(w) > 1 or n == w) and re.search(rf"\b{re.escape(w)}\b", rest):
                found.add(WORD_NUMBERS[w])
                rest = re.sub(rf"\b{re.escape(w)}\b", " ", rest)
        found = sorted(found)
        if not found and any(re.search(rf"\b{re.escape(w)}\b", n) for w in VAGUE):
            return NumberAnswer(None, "vague" if hi <= 7 else "words")  # "a few": ask, never guess
        if not found and RATING_WORDS.search(n):
            return NumberAnswer(None, "words")  # "pretty bad": ask for the number, with a hint
        if len(found) == 1:
            nums = [str(found[0])]
        elif len(found) > 1:
            return NumberAnswer(None, "several")
        else:
            return NumberAnswer(None, "none")
    values = {float(x) for x in nums}
    if len(values) > 1:
        return NumberAnswer(None, "several")
    value = values.pop()
    if value != int(value):
        return NumberAnswer(None, "none")
    value = int(value)
    if not lo <= value <= hi:
        return NumberAnswer(None, "range")
    return NumberAnswer(value)


def wants_more(text: str) -> bool:
    """'ok', 'more', 'go on', a thumbs up: the rest of a reply that was cut for SMS."""
    n = _plain(text or "")
    if not n:
        return (text or "").strip() in {"\U0001F44D", "\U0001F44C"}  # thumbs up, OK hand
    return n in MORE or n in YES


def parse_yes_no(text: str, intent: Optional[str] = None) -> Optional[bool]:
    n = normalise(text)
    if n in {"yeah nah", "yea nah", "yeh nah", "ye nah"}:
        return False  # UK/Aus: "yeah, nah" means no
    if n in {"nah yeah", "na yeah", "nah yea"}:
        return True
    if n in YES:
        return True
    if n in NO:
        return False
    first = n.split(" ", 1)[0] if n else ""
    if first in {"yes", "yeah", "yep", "y", "aye", "yup", "ye", "ok", "okay"}:
        return True
    if first in {"no", "nah", "nope", "n", "naw", "never"}:
        return False
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    return None


def parse_option(text: str, keys: Sequence[str], labels: Sequence[str]) -> Optional[str]:
    """Which option he picked: its key ('A', 'b)', '(c)'), its number, or words close to its text."""
    raw = text.strip()
    n = normalise(raw)
    upper = [k.upper() for k in keys]
    m = re.fullmatch(r"\(?\s*([a-z0-9]{1,2})\s*[).:]?", raw.lower())
    if m:
        token = m.group(1).upper()
        if token in upper:
            return keys[upper.index(token)]
        if token.isdigit() and 1 <= int(token) <= len(keys) and not any(k.isdigit() for k in keys):
            return keys[int(token) - 1]
    # "its b", "answer c", "b i think": one key letter with a few known words around it.
    m = re.fullmatch(r"(?:(?:its|it's|it is|answer|option|i think|i'd say|id say|i reckon|i pick|i choose|"
                     r"probably)\s+)?"
                     r"([a-z])(?:\s+(?:i think|i reckon|mate|please|surely|probably|then))?", n)
    if m and m.group(1).upper() in upper and (m.group(0) != m.group(1) or len(n) == 1):
        return keys[upper.index(m.group(1).upper())]
    if len(n) >= 4:
        norm_labels = [normalise(label) for label in labels]
        for key, label in zip(keys, norm_labels):
            if n == label or (len(n) >= 8 and n in label):
                return key
        close = difflib.get_close_matches(n, norm_labels, n=1, cutoff=0.75)
        if close:
            return keys[norm_labels.index(close[0])]
    return None


# Not a goal, however it is phrased: a complaint, a shrug, or words about the question itself.
_NOT_A_GOAL = re.compile(
    r"\b(?:already told|told (?:u|you|ya)|same as (?:before|last|always)|(?:sumfin|something|summat|smth) like that|"
    r"whatever|dont care|don't care|do i have to|why do (?:u|you)|you know (?:it|what)|u know|change (?:me|my) goal|"
    r"goal(?:'s| is)? wrong|its wrong|it's wrong|wrong goal|pointless|this is stupid|ffs|no idea|not sure|dunno|idk)\b")


def goal_text(text: str) -> Optional[str]:
    """What to save as his goal (or step): his words, or the part of them after a complaint
    ("i already told u. stay off the drink" -> "stay off the drink"); None if no part will do."""
    if goal_problem(text) is None:
        return text
    parts = [p.strip() for p in re.split(r"[.!?\n]+|\s-\s|,\s*(?=\w)", text) if p.strip()]
    return parts[-1] if len(parts) > 1 and goal_problem(parts[-1]) is None else None


def goal_problem(text: str) -> Optional[str]:
    """Why ``text`` can't be saved as a goal or a step towards one, or None if it can.

    >>> goal_problem("stay off the drink on weekdays") is None
    True
    >>> goal_problem("5"), goal_problem("dunno"), goal_problem("i already told u. stay off the drink")
    ('number', 'dunno', 'not_a_goal')
    """
    n = normalise(text)
    if not re.search(r"[^\W\d_]", n):
        return "number" if re.search(r"\d", n) else "empty"
    if is_dunno(text) or _plain(text) in DUNNO:
        return "dunno"
    if _NOT_A_GOAL.search(n) or _plain(text) in YES | NO:
        return "not_a_goal"
    letters = [w for w in _plain(text).split() if re.search(r"[^\W\d_]", w)]
    if len(letters) < 2 and len(n) < 4:
        return "too_short"
    return None


_CHANGE_GOAL = re.compile(r"\b(?:change|new|different|update|swap|rewrite|redo)\b.{0,12}\bgoal\b|"
                          r"\bgoal\b.{0,12}\b(?:wrong|change|changed|different|out of date)\b")


def wants_goal_change(text: str) -> bool:
    """ "change me goal its wrong", "i want a new goal", "my goal's changed"."""
    return bool(_CHANGE_GOAL.search(normalise(text)))


def meaningful(answer: Optional[str]) -> Optional[str]:
    """A saved answer worth reading back to him, or None (then the content's fallback is used):
    "dunno", "idk", "skip" or a bare "no" mean nothing in "Your sign that it's time to go: ..."."""
    if answer is None:
        return None
    n = _plain(answer)
    if not n or n in DUNNO or n in SKIP or n in YES | NO or not re.search(r"[^\W\d_]", n):
        return None
    return answer
