"""Custom actions (rasa-sdk). One module per concern: session, digressions, safety, rhythm."""

import logging

for _name in ("httpx", "httpcore"):  # request URLs can hold tokens: never log them
    logging.getLogger(_name).setLevel(logging.WARNING)
