"""JSON with amounts as numbers carrying their exact digits, as HTX's deposit list and MEXC's contract API send them.

`json.dumps` writes a float (digits lost before writing) or a string; these exchanges write a number such as
`0.0837798`. `number(Decimal)` marks an amount, and `raw_json` writes it unquoted with the decimal's own digits.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sandbox.exchanges.records import plain


class _RawNumber(str):
    """Written by ``raw_json`` without quotes."""


def number(value: Decimal | int) -> Any:
    """A JSON number with the decimal's own digits."""
    return _RawNumber(plain(Decimal(value)))


def raw_json(value: object) -> str:
    """Compact JSON (no spaces after separators) in which `number` values are written unquoted."""
    if isinstance(value, _RawNumber):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{raw_json(str(k))}:{raw_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(raw_json(v) for v in value) + "]"
    return json.dumps(value, separators=(",", ":"))
