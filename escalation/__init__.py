"""Risk detection and escalation for the ADVANCE-D coach (no Rasa imports, no network).

- ``escalation.detector``: ``RiskDetector`` / ``Detection`` - reads every message for danger.
- ``escalation.lexicon``: loads and checks ``content/safety/lexicon.yml`` (the authors' rules).
- ``escalation.evaluate``: recall / precision / false alarms on labelled messages.

Importing this package does no work; the spaCy pipeline is built when a detector is made.
"""
