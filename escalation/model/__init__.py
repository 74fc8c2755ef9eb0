"""The risk model: a calibrated classifier of its own, trained on content/safety/model/.

- ``data``: reading and checking the labelled messages authors and writers keep there;
- ``classifier``: ``RiskModel`` (word and character n-grams, calibrated logistic regressions
  for the category and for imminence) and its saved file;
- ``train``: cross-validated thresholds for the check and alert tiers, then the final fit.

It is separate from the dialogue's intent classifier on purpose: changing what the coach
understands never moves a risk decision, and the other way round. ``escalation.risk``
combines it with the authored lexicon into one decision per message.
"""
