"""Callback data of the Assistant's buttons: `as:<draft token>:<action>[:<argument>]`, at most 64 bytes.

The token ties a button to one flow of one user: a button from an earlier flow, or pressed by someone
else, never matches the presser's open draft.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton

PREFIX = "as"


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
    value = f"{PREFIX}:{token}:{action}:{argument}"
    if len(value.encode()) > 64:
        raise ValueError("callback data over Telegram's 64 bytes")
    return value


def button(label: str, token: str, action: str, argument: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=data(token, action, argument))


def parse(raw: str | None) -> Pressed | None:
    """The pressed button, or None for data that is not ours or is malformed (it comes from the client)."""
    if not raw:
        return None
    parts = raw.split(":", 3)
    if len(parts) != 4 or parts[0] != PREFIX:
        return None
    return Pressed(parts[1], parts[2], parts[3])
