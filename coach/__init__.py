"""The ADVANCE-D coach, in layers (each package's docstring says what it owns and may import).

    coach.cli, coach.app      entry points: commands, worker, runner, terminal chat
    bot                       the Rasa adapter: channels, NLU component, actions, nudge sender
    coach.programme | escalation | coach.messaging
                              the programme | risk and alerts | Telegram and Twilio
    coach.core                settings, database, identity, text, rate limits, shared contracts

Imports only point down this list, and the three in the middle never import each other.
`make lint` checks it (import-linter, contracts in `.importlinter`). This package itself
imports nothing.
"""
