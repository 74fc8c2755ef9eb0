"""Rasa NLU components: ``risk.RiskGate`` applies the risk decision to every parsed message."""
