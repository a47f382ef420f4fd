"""Which handlers the bot has, and in what order: the one place that wires `handlers/` into an Application.

`bot.app.build_application` calls `register` and imports nothing else of `handlers/`, so the only arrow from the
application layer up to the Telegram adapters is this module (tests/test_architecture.py holds it to that).
"""

from __future__ import annotations

from telegram.ext import Application

from handlers import (
    assistant,
    autosync,
    errors,
    exports,
    fallbacks,
    files,
    gate,
    keys,
    preferences,
    start,
    sync,
    troubleshooting,
)


def register(application: Application) -> None:  # type: ignore[type-arg]
    # The gate first: its key guard deletes pasted key material before anything else sees the update, and it
    # refuses users outside a private deployment.
    gate.register(application)
    assistant.register(application)
    keys.register(application)
    autosync.register(application)
    sync.register(application)
    files.register(application)
    exports.register(application)
    start.register(application)
    troubleshooting.register(application)
    preferences.register(application)
    # Fallbacks last: within a handler group the first match wins.
    fallbacks.register(application)
    errors.register(application)
