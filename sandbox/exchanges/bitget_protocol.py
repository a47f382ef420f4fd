"""Bitget v2's request vocabulary as the emulator speaks it: error answers, the authenticated call, ids, parameters,
spot time windows, ``idLessThan`` paging and the permission codes a key lists.

Missing parameters get 40019 and invalid values 40017, HTTP 400 (docs/exchange-apis/bitget.md); the book that
answers the endpoints is `sandbox.exchanges.bitget_book`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sandbox.exchanges.base import DAY_MS, ApiKey
from sandbox.exchanges.protocol import Call as Call
from sandbox.exchanges.protocol import NotEmulated as NotEmulated
from sandbox.exchanges.records import IdStyle, plain

Json = dict[str, Any]
R = TypeVar("R")

SPOT_WINDOW_MS = 90 * DAY_MS


class BitgetError(Exception):
    """An error answer ``{"code": code, "msg": msg, "requestTime": …, "data": null}`` with an HTTP status."""

    def __init__(self, code: str, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class BitgetIds(IdStyle):
    """Trade, order and record ids are 19-digit numbers ascending with time."""

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(1_100_000_000_000_000_000 + n)

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(1_000_000_000_000_000_000 + n)

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        return str(1_050_000_000_000_000_000 + n)


def missing(name: str) -> BitgetError:
    return BitgetError("40019", f"Parameter {name} cannot be empty")


def invalid() -> BitgetError:
    return BitgetError("40017", "Parameter verification failed")


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise invalid()
    return int(raw)


def required_int(params: Mapping[str, str], name: str) -> int:
    value = int_param(params, name)
    if value is None:
        raise missing(name)
    return value


def limit_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    value = int_param(params, "limit")
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise invalid()
    return value


def spot_window(
    params: Mapping[str, str], now_ms: int, lookback_ms: int, *, required: bool, max_span_ms: int | None
) -> tuple[int, int]:
    """A spot-service time range, at most `max_span_ms` long where the docs set one; absent ends are filled in.
    Records older than the lookback are not served (the range is cut, not refused)."""
    given_start, given_end = int_param(params, "startTime"), int_param(params, "endTime")
    if required and given_start is None:
        raise missing("startTime")
    if required and given_end is None:
        raise missing("endTime")
    span = max_span_ms if max_span_ms is not None else SPOT_WINDOW_MS
    end = given_end if given_end is not None else now_ms if given_start is None else min(now_ms, given_start + span)
    start = end - span if given_start is None else given_start
    if start > end or (max_span_ms is not None and end - start > max_span_ms):
        raise invalid()
    return max(start, now_ms - lookback_ms), end


def below(records: Sequence[R], ident: Callable[[R], int], params: Mapping[str, str], limit: int) -> list[R]:
    """Bitget paging: newest (highest id) first, ``idLessThan`` asks for the page after the last id seen."""
    ceiling = int_param(params, "idLessThan")
    chosen = sorted((r for r in records if ceiling is None or ident(r) < ceiling), key=ident, reverse=True)
    return chosen[:limit]


def negative(value: Decimal) -> str:
    return "0" if value == 0 else plain(-value)


def require_key(call: Call) -> ApiKey:
    if call.key is None:
        raise RuntimeError("a private endpoint was served without a key")
    return call.key


# Bitget's permission codes: "…or" read only, "…ow" read and write.
_READ_SCOPES = ("coor", "cpor", "stor", "smor", "ttor", "wtor", "p2pr")
_TRADE_SCOPES = ("coow", "cpow", "stow", "smow", "ttow")
SPOT_READ = frozenset({"stor", "stow"})
# Futures (contract order/position: co, cp) and spot margin (sm) lists: a normal key with any read code opens them, a
# Tax API key (taxr only) does not.
DERIVATIVES_READ = frozenset({"coor", "coow", "cpor", "cpow", "smor", "smow"})
ANY_KEY: frozenset[str] = frozenset()  # a private endpoint every valid key may call
TAX_READ = frozenset({"taxr", "taxw"})


def authorities(key: ApiKey) -> list[str]:
    """The ``authorities`` Bitget lists for a key: a Tax API key can read the tax records and nothing else."""
    if key.key_type in ("tax", "uta_tax"):  # a Tax API key, of a classic or a unified account
        return ["taxr"]
    p = key.permissions
    scopes: list[str] = list(_READ_SCOPES) if p.read else []
    if p.trade:
        scopes += _TRADE_SCOPES
    if p.transfer:
        scopes.append("wtow")
    if p.withdraw:
        scopes.append("wwow")
    return scopes
