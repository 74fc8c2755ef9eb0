"""The shared kernel: what every other package stands on.

Owns: settings (declared once), the app database (models, engine, claims, migrations),
identity (pseudonymous participant ids, encrypted provider ids, sites), text (SMS
segments, placeholder rendering), rate limits, the risk vocabulary, and the Notifier
contract between senders and the alert dispatcher.

May import: nothing of ours (only the standard library and third-party packages; no Rasa,
no Telegram or Twilio clients).
"""
