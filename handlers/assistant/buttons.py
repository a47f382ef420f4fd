"""Callback data of the Assistant's buttons: `as:<draft token>:<action>[:<argument>]`, the `ASSISTANT` family of
the one callback codec (handlers/callbacks.py), which checks the 64 bytes when a button is built.

The token ties a button to one flow of one user: a button from an earlier flow, or pressed by someone
else, never matches the presser's open draft.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton

from bot.assistant.results import Action, Press
from handlers.callbacks import ASSISTANT

__all__ = ["PREFIX", "Action", "Press", "button", "data", "parse"]

PREFIX = ASSISTANT.prefix


def data(token: str, action: str, argument: str = "") -> str:
    return ASSISTANT.data(token, action, argument)


def button(label: str, token: str, action: str, argument: str = "") -> InlineKeyboardButton:
    return ASSISTANT.button(label, token, action, argument)


def parse(raw: str | None) -> Press | None:
    """The pressed button, or None for data that is not ours or is malformed (it comes from the client)."""
    fields = ASSISTANT.parse(raw)
    if fields is None:
        return None
    token, action, argument = fields
    return Press(token, action, argument)
