"""Callback data of every button: `<prefix>:<field>[:<field>…]`, at most 64 bytes, one codec for every family.

Each family of buttons is declared once, with the shape of each field, so that
- a prefix cannot be used by two families (the registry refuses a second one),
- a button that would not fit Telegram's 64 bytes, or whose field would not parse back, fails when it is built
  (in the test that draws the menu), not when Telegram refuses the whole message,
- the data of a pressed button, which comes from the client and can be forged or stale, parses to None unless
  every field has its declared shape; the handler then answers "this button is from an older menu".

The codec lives here, below the handlers, because processes without handlers build buttons too: a sync worker puts
the Status button under a summary and the Replace-key button under an automatic sync's notice. The families those
processes build are declared here; every other family is the handlers' (handlers/callbacks.py), in the same registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton

MAX_BYTES = 64  # Telegram's limit on callback_data


@dataclass(frozen=True, slots=True)
class Field:
    """One field and the regular expression its whole value must match."""

    name: str
    shape: str


# Shapes shared by several families. An id is ASCII digits that fit the databases' 64-bit ids (18 digits always do).
ID = r"[0-9]{1,18}"
NONCE = r"[A-Za-z0-9_-]{1,16}"  # a short random nonce tying a button to one flow or one pending upload
NAME = r"[a-z0-9_-]{1,32}"  # exchange ids, format names, topic ids, actions


class Family:
    """One family of buttons, registered under its prefix."""

    def __init__(self, prefix: str, *fields: Field) -> None:
        if not re.fullmatch(r"[a-z]{1,4}", prefix) or not fields:
            raise ValueError(f"a family needs a short lowercase prefix and at least one field: {prefix!r}")
        if prefix in _FAMILIES:
            raise ValueError(f"callback prefix {prefix!r} is already taken")
        self.prefix = prefix
        self.fields = fields
        self._shape = re.compile(
            re.escape(prefix) + "".join(f":(?P<{field.name}>{field.shape})" for field in fields), re.DOTALL
        )
        _FAMILIES[prefix] = self

    @property
    def pattern(self) -> str:
        """The `CallbackQueryHandler` pattern that routes this family's presses (parsing checks the fields)."""
        return f"^{re.escape(self.prefix)}:"

    def data(self, *values: str | int) -> str:
        """The callback data for these field values; ValueError if it would not parse back or fit 64 bytes."""
        if len(values) != len(self.fields):
            raise ValueError(f"{self.prefix}: {len(self.fields)} fields expected, got {len(values)}")
        value = ":".join([self.prefix, *(str(v) for v in values)])
        if len(value.encode()) > MAX_BYTES:
            raise ValueError(f"{self.prefix}: callback data over Telegram's {MAX_BYTES} bytes")
        if self.parse(value) != tuple(str(v) for v in values):
            raise ValueError(f"{self.prefix}: a field does not have its declared shape")
        return value

    def fits(self, *values: str | int) -> bool:
        """Whether a button with these values can be built (for buttons that are left out rather than fail)."""
        try:
            self.data(*values)
        except ValueError:
            return False
        return True

    def button(self, label: str, *values: str | int) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.data(*values))

    def parse(self, raw: str | None) -> tuple[str, ...] | None:
        """The field values of a pressed button, or None for data that is not this family's or is malformed."""
        if raw is None or len(raw.encode()) > MAX_BYTES:
            return None
        matched = self._shape.fullmatch(raw)
        if matched is None:
            return None
        return tuple(matched.group(field.name) for field in self.fields)


_FAMILIES: dict[str, Family] = {}


def families() -> tuple[Family, ...]:
    return tuple(_FAMILIES.values())


def pattern_of(*chosen: Family) -> str:
    """One pattern for a handler that serves several families."""
    return "^(?:" + "|".join(re.escape(family.prefix) for family in chosen) + "):"


# Families a worker builds as well as the handlers (which answer them: handlers/sync.py, handlers/keys.py).
STATUS = Family("st", Field("view", "show"))
KEYS = Family("k", Field("action", NAME), Field("integration", ID), Field("argument", r"[a-z]{0,8}"))


def replace_key_data(integration_id: int) -> str:
    """The callback data of the "Replace the key" button under a notice: /keys's own replace action
    (handlers/keys.py FLOWS)."""
    return KEYS.data("rep", integration_id, "")
