"""The Assistant's state machine and its persistence, free of Telegram: handlers/assistant drives it."""
