"""Find messages that signal danger, on every message, so a human can be told at once.

Usage::

    from escalation.detector import RiskDetector

    det = RiskDetector.from_path("content/safety/lexicon.yml")   # builds once (a few seconds)
    d = det.detect("i cant do this anymore im going to top myself tonight")
    d.escalate   # True
    d.category   # "suicide_self_harm"
    d.severity   # "imminent"
    d.matched    # ["suicide.kill_myself:top myself", ...]
    d.to_dict()  # {"text", "escalate", "category", "severity", "matched"}

How a message is read (every rule is data in the lexicon; see content/safety/README.md):

1. Normalise: lower case, straight quotes, "sooo" -> "soo", contractions spelt out
   ("can't" -> "can not", "im" -> "i am"), then the lexicon's ``spellings`` ("gonna" ->
   "going to", "kms" -> "kill myself").
2. Tokenise with spaCy's English tokenizer (``nlp.make_doc``); give each word its base form
   from spaCy's lookup lemmatizer tables ("killed" -> "kill"); an unknown word one typo
   away from a lexicon word is read as that word ("strangeld" -> "strangled").
3. Find the patterns with spaCy's matchers. Each pattern line is compiled once into spaCy
   ``Matcher`` token patterns (LEMMA / LOWER sets, optional tokens, ``{0,n}`` gaps;
   ``spacy_patterns()`` returns them) and run in pieces:

   - the line is cut at its gaps (``*N``), and a run between gaps is cut again where a
     piece would stop being a fixed phrase or would multiply out to too many patterns;
   - a piece that is a fixed phrase (no number; base forms only or exact spellings only;
     its choices spelt out to at most 1,000 word sequences) is added to one of two
     ``PhraseMatcher``s (attr LEMMA, attr LOWER); a piece that is the same phrase in many
     lines (a class, say) is added once. Most pieces are phrases;
   - the other pieces (numbers, exact and base forms in one phrase, big choices, a gap
     inside a choice) go into that line's own ``Matcher``. The PhraseMatchers also find
     the words each such line requires; the Matcher runs only on messages that contain
     them all, and only on the few words around the line's rarest one;
   - a line matches where its pieces' matches chain: piece i + 1 starts where piece i
     ends, or within N words of it across a gap, none of them a clause break.

   Per message that is two PhraseMatcher calls plus a Matcher call for the few lines that
   need one. (Running every line through a Matcher instead is slower: spaCy repeats
   ``{0,n}`` gap states for every way through the gap, and checks ``{"IN": [...]}`` sets
   with a Python call per token.)
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

No Rasa, no network, and nothing happens at import: spaCy loads when a detector is built.

The package's modules, in the order a message meets them:

- ``normalise``: step 1, the normaliser (contractions, stretched words, spellings);
- ``words``: step 2, base forms and typo correction (spaCy's lookup tables);
- ``compile``: step 3 at build time, pattern lines -> paths -> pieces (``_Rule``);
- ``matching``: step 3 per message, the PhraseMatchers and Matchers, chaining pieces;
- ``judge``: steps 4 and 5, the reading rules and the verdict (``Detection``);
- ``core``: ``RiskDetector``, which builds all of the above once and runs them.
"""

from __future__ import annotations

from escalation.detector.compile import END_WORDS, GAP_STOP, NUMBER_WORDS
from escalation.detector.core import RiskDetector
from escalation.detector.judge import CATEGORY_PRIORITY, HARM_CATEGORIES, RETARGET_CLASSES, SEVERITY_RANK, Detection
from escalation.detector.normalise import CLAUSE_BREAKS, SENT_BREAKS

__all__ = [
    "RiskDetector",
    "Detection",
    "CATEGORY_PRIORITY",
    "SEVERITY_RANK",
    # the vocabulary of the reading rules, importable from here as it always was
    "CLAUSE_BREAKS",
    "END_WORDS",
    "GAP_STOP",
    "HARM_CATEGORIES",
    "NUMBER_WORDS",
    "RETARGET_CLASSES",
    "SENT_BREAKS",
]
