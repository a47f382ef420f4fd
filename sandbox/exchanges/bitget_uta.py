"""Bitget API v3 for a unified trading account (UTA): fills, deposit and withdrawal records, as uta/* documents them.

``GET /api/v3/trade/fills`` (uta/trade/Get-Order-Fills): ``category`` optional (the scripted trades are SPOT),
``limit`` default and max 100, ``startTime``-``endTime`` at most 30 days apart, only the last 90 days served, newest
first, the next page by ``cursor`` (the answer's ``data.cursor``). ``GET /api/v3/account/deposit-records`` and
``withdrawal-records`` (uta/account/deposit/…, uta/account/withdrawal/…): both ends required (no maximum range
stated), ``limit`` default 20, max 100, ``cursor`` = the smallest ``orderId`` seen; ``data`` a list. Invalid values
get 400172, the v3 twin of 40017 ccxt recorded. A classic account's key is not served here (not emulated).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_book import CHAINS, BitgetBook, BitgetError, Call, NotEmulated, int_param, missing
from sandbox.exchanges.records import DepositRecord, TradeRecord, WithdrawalRecord, plain

Json = dict[str, Any]
UTA_KEY = "uta"
FILLS_RANGE_MS = 30 * DAY_MS
FILLS_REACH_MS = 90 * DAY_MS
CATEGORIES = ("SPOT", "MARGIN", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")


def _invalid() -> BitgetError:
    return BitgetError("400172", "Parameter verification failed")


def _limit(params: Mapping[str, str], default: int) -> int:
    value = int_param(params, "limit")
    if value is None:
        return default
    if not 1 <= value <= 100:
        raise _invalid()
    return value


class BitgetUtaBook:
    def __init__(self, book: BitgetBook) -> None:
        self.book = book

    @staticmethod
    def _unified(call: Call) -> None:
        if call.key is None or call.key.key_type != UTA_KEY:
            raise NotEmulated("v3 history of a classic account's key")

    def fills(self, call: Call) -> Json:
        self._unified(call)
        p = call.params
        category = p.get("category") or None
        if category is not None and category not in CATEGORIES:
            raise _invalid()
        limit = _limit(p, 100)
        end = int_param(p, "endTime") or call.now_ms
        start = int_param(p, "startTime")
        start = end - FILLS_RANGE_MS if start is None else start
        if start > end or end - start > FILLS_RANGE_MS:
            raise _invalid()
        start = max(start, call.now_ms - FILLS_REACH_MS)
        ceiling = int_param(p, "cursor")
        trades = self.book.account.trades if category in (None, "SPOT") else ()
        chosen = sorted(
            (t for t in trades if start <= t.timestamp <= end and (ceiling is None or int(t.id) < ceiling)),
            key=lambda t: int(t.id),
            reverse=True,
        )[:limit]
        return {"list": [self._fill(t) for t in chosen], "cursor": chosen[-1].id if chosen else ""}

    @staticmethod
    def _fill(t: TradeRecord) -> Json:
        return {
            "execId": t.id,
            "execLinkId": t.id,
            "orderId": t.order_id,
            "clientOid": "",
            "category": "SPOT",
            "symbol": t.symbol,
            "orderType": "limit" if t.is_maker else "market",
            "side": t.side,
            "execPrice": plain(t.price),
            "execQty": plain(t.amount),
            "execValue": plain(t.cost),
            "tradeScope": "maker" if t.is_maker else "taker",
            "tradeSide": "open",
            "feeDetail": [{"feeCoin": t.fee_asset, "fee": plain(t.fee)}],
            "createdTime": str(t.timestamp),
            "updatedTime": str(t.timestamp + 1),
            "execPnl": "0",
        }

    def _records(self, call: Call, records: Any) -> list[Any]:
        self._unified(call)
        p = call.params
        limit = _limit(p, 20)
        start, end = int_param(p, "startTime"), int_param(p, "endTime")
        if start is None:
            raise missing("startTime")
        if end is None:
            raise missing("endTime")
        if start > end:
            raise _invalid()
        coin, ceiling = (p.get("coin") or "").upper(), int_param(p, "cursor")
        chosen = [
            r
            for r in records
            if start <= r.timestamp <= end
            and (not coin or r.asset == coin)
            and (ceiling is None or int(r.id) < ceiling)
        ]
        return sorted(chosen, key=lambda r: int(r.id), reverse=True)[:limit]

    def deposit_records(self, call: Call) -> list[Json]:
        return [self._deposit(d) for d in self._records(call, self.book.account.deposits)]

    @staticmethod
    def _deposit(d: DepositRecord) -> Json:
        return {
            "orderId": d.id,
            "recordId": d.tx_id,
            "coin": d.asset.lower(),  # lower case, as in the docs' example
            "type": "deposit",
            "dest": "on_chain",
            "size": plain(d.amount),
            "status": "success",
            "fromAddress": "",
            "toAddress": d.address,
            "chain": CHAINS.get(d.network, d.network).lower(),
            "createdTime": str(d.timestamp),
            "updatedTime": str(d.timestamp + 60_000),
        }

    def withdrawal_records(self, call: Call) -> list[Json]:
        return [self._withdrawal(w) for w in self._records(call, self.book.account.withdrawals)]

    @staticmethod
    def _withdrawal(w: WithdrawalRecord) -> Json:
        # `size` "Withdrawal quantity", `fee` "The unit of measurement is the withdrawal currency" (positive).
        return {
            "orderId": w.id,
            "clientOid": "",
            "recordId": w.tx_id,
            "coin": w.asset.lower(),
            "type": "withdraw",
            "dest": "on_chain",
            "size": plain(w.amount),
            "status": "success",
            "fromAddress": "",
            "toAddress": w.address,
            "chain": CHAINS.get(w.network, w.network).lower(),
            "fee": plain(w.fee),
            "confirm": "64",
            "tag": "",
            "createdTime": str(w.timestamp),
            "updatedTime": str(w.timestamp + 300_000),
        }
