"""Binance's universal transfer history, emulated: ``GET /sapi/v1/asset/transfer`` (wallet/asset/
query-user-universal-transfer; docs/exchange-apis/binance.md).

- weight 1 (IP); ``type`` is mandatory (one direction, e.g. ``MAIN_UMFUTURE``); ``current`` (default 1) and ``size``
  (default 10, at most 100); ``{"total": n, "rows": [...]}``, each row ``asset``, ``amount``, ``type``, ``status``
  (CONFIRMED / FAILED / PENDING), ``tranId``, ``timestamp``.
- "Support query within the last 6 months only": older rows are never answered; "If startTime and endTime not sent,
  return records of the last 7 days by default". The page states no longest span between the two, so none is applied.
- The isolated-margin directions need ``fromSymbol`` / ``toSymbol`` (-1102 without).

The rows come from the scripted futures and margin accounts: every spot <-> futures transfer of the income history
(a TRANSFER line: positive into the futures wallet) and the spot -> cross margin transfer of the margin script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.binance_book import BinanceError, Call, int_param, mandatory, missing
from sandbox.exchanges.records import plain

Json = dict[str, Any]
REACH_MS = 180 * DAY_MS  # "the last 6 months only"
DEFAULT_SPAN_MS = 7 * DAY_MS
NEEDS_FROM_SYMBOL = frozenset({"ISOLATEDMARGIN_MARGIN", "ISOLATEDMARGIN_ISOLATEDMARGIN"})
NEEDS_TO_SYMBOL = frozenset({"MARGIN_ISOLATEDMARGIN", "ISOLATEDMARGIN_ISOLATEDMARGIN"})
# Into the wallet, out of it: by product of the futures script (binance_futures.py USDM, COINM).
FUTURES_DIRECTIONS = {"usdm": ("MAIN_UMFUTURE", "UMFUTURE_MAIN"), "coinm": ("MAIN_CMFUTURE", "CMFUTURE_MAIN")}


@dataclass(frozen=True)
class UniversalTransfer:
    type: str
    asset: str
    amount: Decimal
    tran_id: int
    timestamp: int
    status: str = "CONFIRMED"


def scripted_transfers(futures: Any | None, margin: Any | None, cross_in: Decimal) -> tuple[UniversalTransfer, ...]:
    """The scripted accounts' transfers between spot and the futures and cross-margin wallets."""
    rows: list[UniversalTransfer] = []
    if futures is not None:
        for line in futures.income:
            if line.income_type == "TRANSFER":
                into, out = FUTURES_DIRECTIONS[line.product]
                direction = into if line.income > 0 else out
                rows.append(UniversalTransfer(direction, line.asset, abs(line.income), line.tran_id, line.time))
    if margin is not None and margin.deposits:
        when = margin.deposits[0].timestamp + HOUR_MS
        rows.append(UniversalTransfer("MAIN_MARGIN", "USDT", cross_in, 11_415_955_596, when))
    return tuple(sorted(rows, key=lambda r: (r.timestamp, r.tran_id)))


class TransfersBook:
    def __init__(self, rows: Sequence[UniversalTransfer]) -> None:
        self.rows = list(rows)

    def history(self, call: Call) -> Json:
        params = call.params
        direction = mandatory(params, "type")
        if direction in NEEDS_FROM_SYMBOL and not params.get("fromSymbol"):
            raise missing("fromSymbol")
        if direction in NEEDS_TO_SYMBOL and not params.get("toSymbol"):
            raise missing("toSymbol")
        current = int_param(params, "current") or 1
        size = int_param(params, "size") or 10
        if not 1 <= size <= 100:
            raise BinanceError(-1130, "Data sent for parameter 'size' is not valid.")
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        if start is None and end is None:
            start, end = call.now_ms - DEFAULT_SPAN_MS, call.now_ms
        low = max(start if start is not None else 0, call.now_ms - REACH_MS)
        high = end if end is not None else call.now_ms
        chosen = [r for r in self.rows if r.type == direction and low <= r.timestamp <= high]
        chosen.sort(key=lambda r: -r.timestamp)  # newest first, as the other sapi histories
        shown = chosen[(current - 1) * size : current * size]
        return {"total": len(chosen), "rows": [_row(r) for r in shown]}


def _row(r: UniversalTransfer) -> Json:
    return {
        "asset": r.asset,
        "amount": plain(r.amount),
        "type": r.type,
        "status": r.status,
        "tranId": r.tran_id,
        "timestamp": r.timestamp,
    }
