"""content/ as data: load and check it (``loader``), keep it fresh in a running process
(``cache``), build the Rasa files generated from it (``build``), walk a session (``preview``)."""
