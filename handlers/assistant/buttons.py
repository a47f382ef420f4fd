"""Callback data of the Assistant's buttons: `as:<draft token>:<action>[:<argument>]`, the `ASSISTANT` family of
the one callback codec (handlers/callbacks.py), which checks the 64 bytes when a button is built.

The token ties a button to one flow of one user: a button from an earlier flow, or pressed by someone
else, never matches the presser's open draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton

from handlers.callbacks import ASSISTANT

PREFIX = ASSISTANT.prefix


class Action:
    TOGGLE = "t"  # pick or unpick an exchange
    PAGE = "p"
    CONFIRM = "ok"
    KEY_TYPE = "kt"
    CHECK = "chk"
    ADVANCED = "adv"
    NAME = "nm"
    SUBACCOUNT = "sub"
    DATE = "dt"
    CLEAR_DATE = "cd"
    ENDPOINT = "ep"
    BACK = "bk"
    RETRY_FIELD = "rf"  # re-enter from a given field index
    MAKE_KEY = "mk"  # let Tallybot make the key pair (exchanges that take self-generated keys)
    OWN_KEY = "own"  # back from a made key pair to pasting a key of one's own
    SKIP = "skip"
    CANCEL = "x"


@dataclass(frozen=True, slots=True)
class Pressed:
    token: str
    action: str
    argument: str


def data(token: str, action: str, argument: str = "") -> str:
    return ASSISTANT.data(token, action, argument)


def button(label: str, token: str, action: str, argument: str = "") -> InlineKeyboardButton:
    return ASSISTANT.button(label, token, action, argument)


def parse(raw: str | None) -> Pressed | None:
    """The pressed button, or None for data that is not ours or is malformed (it comes from the client)."""
    fields = ASSISTANT.parse(raw)
    if fields is None:
        return None
    token, action, argument = fields
    return Pressed(token, action, argument)
