"""Text as it goes out: SMS encoding and segments (``sms``), placeholders (``render``). Pure."""
