"""The Assistant conversation: pick exchanges, paste keys (deleted at once), options, live check, store."""

from handlers.assistant.router import register

__all__ = ["register"]
