"""OKX v5's request vocabulary as the emulator speaks it: error answers, the authenticated call, ids, parameters
and newest-first paging (``after`` older than a cursor, ``before`` newer; ``limit`` at most 100).

Parameter errors are 50014 (missing) and 51000 (invalid), HTTP 400, per OKX's v5 docs (docs/exchange-apis/okx.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sandbox.exchanges.protocol import Call as Call
from sandbox.exchanges.protocol import NotEmulated as NotEmulated
from sandbox.exchanges.records import IdStyle, plain

Json = dict[str, Any]
R = TypeVar("R")

MAX_LIMIT = 100
INST_TYPES = ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION")


class OkxError(Exception):
    """An error answer ``{"code": code, "msg": msg, "data": []}`` with OKX's HTTP status for that code."""

    def __init__(self, code: str, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class OkxIds(IdStyle):
    """Markets are ``BTC-USDT``, order ids 18 digits, convert ids ``trader…``; the rest plain numbers."""

    def market_symbol(self, base: str, quote: str) -> str:
        return f"{base}-{quote}"

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(600_000_000_000_000_000 + n)

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        if kind == "convert":
            return f"trader{16_000_000_000_000_000 + n}"
        return str(n)


def missing(name: str) -> OkxError:
    return OkxError("50014", f"Parameter {name} can not be empty.")


def invalid(name: str) -> OkxError:
    return OkxError("51000", f"Parameter {name} error")


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise invalid(name)
    return int(raw)


def limit_param(params: Mapping[str, str]) -> int:
    value = int_param(params, "limit")
    if value is None:
        return MAX_LIMIT
    if not 1 <= value <= MAX_LIMIT:
        raise invalid("limit")
    return value


def newest_first(records: Sequence[R], cursor: Callable[[R], int], params: Mapping[str, str]) -> list[R]:
    """OKX paging: ``after`` = older than this cursor, ``before`` = newer; pages are newest first.

    With ``before`` alone the page holds the records right after the cursor, so walking forward skips nothing.
    """
    limit = limit_param(params)
    after, before = int_param(params, "after"), int_param(params, "before")
    chosen = sorted(
        (r for r in records if (after is None or cursor(r) < after) and (before is None or cursor(r) > before)),
        key=cursor,
        reverse=True,
    )
    if before is not None and after is None:
        return chosen[-limit:]
    return chosen[:limit]


def signed(value: Decimal) -> str:
    return "0" if value == 0 else plain(value)
