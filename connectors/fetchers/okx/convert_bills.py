"""Funding bills of OKX Convert (types 272/273) that convert history also lists are stored once (review finding 3).

Bill types 272 "[Convert] Buy Crypto/Fiat" and 273 "[Convert] Sell Crypto/Fiat" are
"[闪兑] 买入/卖出数字货币/法币" in the Chinese edition of "Asset bills details" (updated 2026-07-05), and
GET /api/v5/asset/convert/history is "获取闪兑交易历史" (Get convert history, updated 2026-07-06): the same product,
闪兑. No page says whether every such bill is a leg of a trade convert history lists, nor whether every listed trade
has bills. Read only one of the lists, a trade the other alone holds (a fiat convert, say) is lost; read both as they
are, a trade both hold counts twice.

So both are read and a trade is stored once: when the transfers' walk meets a page with 272/273 bills, it asks
convert history for the trades around them (newest first below `after`, as the list pages) and pairs each bill with
a leg of a listed trade of the same currency and the same signed amount (a buy adds `fillBaseSz` of `baseCcy` and
takes `fillQuoteSz` of `quoteCcy`; a sell the reverse), within MATCH_WINDOW_MS, each leg of a trade taken once. A
bill paired so stores that trade's own record, the one the convert endpoint stores (the same natural key, so it is
stored once whichever walk comes first, and kept should the convert endpoint be off); the trade's other bill stores
nothing more. A bill paired with nothing stays a convert leg of its own (bill_kinds.py).

Unsourced, chosen: the window. The documented trade's `ts` is a whole second (1646188520000) while bills carry
milliseconds; how far apart the two are is not stated. A minute is wide, and safe: a bill is only paired with a leg
of exactly its currency and amount, each leg once, so even two trades of the same amount within a minute swap
partners without changing what is counted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import FetchReport
from connectors.fetchers.okx.rows import CONVERT_DONE, Parsed, RowReader
from connectors.fetchers.windows import call
from connectors.profiles import Endpoint
from connectors.records import exact

CONVERT_BILLS = frozenset({"272", "273"})
MATCH_WINDOW_MS = 60_000
PAGE = 100  # Get convert history: `limit` "The maximum is 100"
_HISTORY = "privateGetAssetConvertHistory"

Leg = tuple[str, str, Decimal]  # (tradeId, ccy, signed change of the account's balance)


class ConvertBills:
    """Pairs a walk's convert bills with convert history's trades, and reads the transfers' bills with the pairs."""

    def __init__(self, client: Any, rows: RowReader) -> None:
        self.client = client
        self.rows = rows
        self.paired: dict[str, Mapping[str, Any]] = {}  # billId -> the trade's convert-history row
        self.taken: set[Leg] = set()  # legs of listed trades already paired with a bill
        self.stored: set[str] = set()  # tradeIds whose record this walk gave

    def prepare(self, endpoint: Endpoint, report: FetchReport) -> Callable[[list[Mapping[str, Any]]], Awaitable[None]]:
        async def pair(rows: list[Mapping[str, Any]]) -> None:
            bills = [r for r in rows if str(r.get("type", "")) in CONVERT_BILLS and str(r["billId"]) not in self.paired]
            if not bills:
                return
            times = [int(r["ts"]) for r in bills]
            trades = await self._listed(min(times) - MATCH_WINDOW_MS, max(times) + MATCH_WINDOW_MS, endpoint, report)
            self._pair(bills, trades)

        return pair

    def transfer(self, row: Mapping[str, Any]) -> Parsed:
        """A funding bill as the transfers' walk stores it: a paired convert bill as its trade, once."""
        trade = self.paired.get(str(row.get("billId", "")))
        if trade is None:
            return self.rows.transfer(row)
        trade_id = str(trade["tradeId"])
        if trade_id in self.stored:
            return None, None
        self.stored.add(trade_id)
        return self.rows.convert(trade)

    async def _listed(self, low: int, high: int, endpoint: Endpoint, report: FetchReport) -> list[Mapping[str, Any]]:
        """The finished trades convert history lists from `low` to `high` (ms, both included)."""
        found: dict[str, Mapping[str, Any]] = {}
        after = high + 1
        while True:
            params = {"after": after, "limit": PAGE}
            body = await call(self.client, _HISTORY, params, endpoint=endpoint, report=report)
            page = body.get("data") or []
            for trade in page:
                if low <= int(trade["ts"]) <= high and str(trade.get("state", "")) in CONVERT_DONE:
                    found[str(trade["tradeId"])] = trade
            if len(page) < PAGE:
                break
            lowest = min(int(trade["ts"]) for trade in page)
            if lowest < low or lowest + 1 >= after:  # below the window, or a whole page within one ms
                break
            after = lowest + 1  # `after` is strictly older: the rows at `lowest` come again, known by tradeId
        return list(found.values())

    def _pair(self, bills: list[Mapping[str, Any]], trades: list[Mapping[str, Any]]) -> None:
        legs = {leg: int(trade["ts"]) for trade in trades for leg in _legs(trade)}
        by_id = {str(trade["tradeId"]): trade for trade in trades}
        for bill in sorted(bills, key=lambda b: int(b["ts"])):
            ts, ccy, change = int(bill["ts"]), str(bill["ccy"]), exact(bill["balChg"])
            near = [
                (abs(ts - at), leg)
                for leg, at in legs.items()
                if leg not in self.taken and leg[1] == ccy and leg[2] == change and abs(ts - at) <= MATCH_WINDOW_MS
            ]
            if near:
                _, leg = min(near)
                self.taken.add(leg)
                self.paired[str(bill["billId"])] = by_id[leg[0]]


def _legs(trade: Mapping[str, Any]) -> tuple[Leg, Leg]:
    trade_id, sign = str(trade["tradeId"]), 1 if str(trade["side"]).lower() == "buy" else -1
    base = exact(trade["fillBaseSz"]) * sign
    quote = exact(trade["fillQuoteSz"]) * -sign
    return (trade_id, str(trade["baseCcy"]), base), (trade_id, str(trade["quoteCcy"]), quote)
