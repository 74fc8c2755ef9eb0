"""SMS encoding arithmetic: GSM-7 vs UCS-2 segments, safe characters, splitting.

Pure functions, no network. Numbers from Twilio's docs: GSM-7 fits 160 characters in one
segment or 153 per part when concatenated; UCS-2 fits 70, or 67 per part. One character
outside GSM-7 (an emoji, a curly quote) switches the whole message to UCS-2. Characters
from the GSM-7 extension table (``{ } [ ] ~ \\ | ^ €``) take two units.

    >>> segment_count("Reply Y or N")
    1
    >>> encoding("It’s fine")
    'UCS-2'
"""

from __future__ import annotations

import re
import unicodedata
from typing import List, Tuple

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_BASIC = set(GSM7_BASIC)
_EXT = set(GSM7_EXTENSION)

# What authors (and users, and Word) type that is not GSM-7, and its plain replacement.
REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2026": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
    "\u2022": "-", "\u00b7": "-", "\t": " ",
}


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC or ch in _EXT for ch in text)


def encoding(text: str) -> str:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def units(text: str) -> int:
    """Length in encoding units: septets for GSM-7 (extension chars count 2), UTF-16 code units for UCS-2."""
    if is_gsm7(text):
        return sum(2 if ch in _EXT else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def segment_count(text: str) -> int:
    n = units(text)
    if n == 0:
        return 1
    if is_gsm7(text):
        return 1 if n <= 160 else -(-n // 153)
    return 1 if n <= 70 else -(-n // 67)


def describe(text: str) -> str:
    """'2 segments, GSM-7, 250 characters' - for authors."""
    n = segment_count(text)
    return f"{n} segment{'s' if n != 1 else ''}, {encoding(text)}, {units(text)} characters"


def non_gsm_characters(text: str) -> List[Tuple[int, str]]:
    """(index, character) for every character that would force UCS-2."""
    return [(i, ch) for i, ch in enumerate(text) if ch not in _BASIC and ch not in _EXT]


def to_gsm7(text: str) -> str:
    """Make text GSM-7 safe: typographic punctuation to plain, anything else dropped."""
    out = []
    for ch in text:
        if ch in _BASIC or ch in _EXT:
            out.append(ch)
        elif ch in REPLACEMENTS:
            out.append(REPLACEMENTS[ch])
        else:
            # Letters with accents keep their base letter where one exists (é is GSM, ê is not).
            base = unicodedata.normalize("NFKD", ch)
            out.append("".join(c for c in base if c in _BASIC))
    return re.sub(r"[ ]{2,}", " ", "".join(out))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_for_sms(text: str, max_units: int = 306) -> List[str]:
    """Split ``text`` into GSM-7 messages of at most ``max_units`` units each.

    Splits on sentence boundaries where it can, then on spaces, then hard.
    """
    text = to_gsm7(text).strip()
    if not text:
        return []
    if units(text) <= max_units:
        return [text]
    pieces = [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
    parts: List[str] = []
    current = ""
    for piece in pieces:
        for chunk in _fit(piece, max_units):
            candidate = f"{current} {chunk}".strip() if current else chunk
            if units(candidate) <= max_units:
                current = candidate
            else:
                parts.append(current)
                current = chunk
    if current:
        parts.append(current)
    return parts


def _fit(piece: str, max_units: int) -> List[str]:
    """Break one sentence that is itself too long, on spaces or hard."""
    if units(piece) <= max_units:
        return [piece]
    out, current = [], ""
    for word in piece.split(" "):
        while units(word) > max_units:  # a single enormous "word"
            if current:
                out.append(current)
                current = ""
            cut = max_units
            while cut > 1 and units(word[:cut]) > max_units:
                cut -= 1
            out.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}".strip() if current else word
        if units(candidate) <= max_units:
            current = candidate
        else:
            out.append(current)
            current = word
    if current:
        out.append(current)
    return out
