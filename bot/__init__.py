"""The Rasa adapter: where Rasa 3.6 meets the coach.

Owns: the Rasa project (config.yml, domain/, data/), input and output channels (REST,
Telegram, SMS: one trip per inbound message through ``channels.ingress``), the NLU
component that applies the risk decision, the custom actions, the nudge sender the worker
uses (``nudge``), the runtime each Rasa-side process shares (``runtime``), and one patch
to Rasa.

May import: coach.core, coach.programme, escalation and coach.messaging. Never coach.app
or coach.cli.
"""
