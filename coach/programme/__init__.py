"""The programme: what a man does each week and what is remembered about it.

Owns: the session engine and its store, answer parsing, the programme calendar, his
reminder preferences, enrolment (joining codes, opting out), the weekly schedule of
nudges, completion reports, and content/ (loading, checking, building and previewing what
authors write).

May import: coach.core. Never escalation or coach.messaging: risk and sending are handed in
by the layers above.
"""
