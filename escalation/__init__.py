"""Risk: reading every message for danger and getting it to a person, fast and exactly once.

Owns: the lexicon (the pattern language authors write, and its schema), the detector
(normalise, compile, judge), the risk decision carried with a message, alerts (raise,
route, follow up, acknowledge, audit), staff and the on-call rota, dispatch from the
outbox, what staff are told, and evaluation on labelled messages.

May import: coach.core. Never Rasa, never coach.programme or coach.messaging: the
dispatcher is handed its notifiers and its message templates.
"""
