"""The Assistant, free of Telegram: its use cases (service.py), state machine, drafts and results; handlers render."""
