"""Input channels: REST (local), Telegram and SMS. Rasa imports this package at start-up."""

import logging

from bot import rasa_patches

rasa_patches.apply()
# httpx logs every request URL at INFO: Telegram's has the bot token in it, Rasa's API the
# auth token. Secrets never go in logs.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)
