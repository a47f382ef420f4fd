"""Which unified-log convert legs the convert history already holds (docs/exchange-apis/bybit.md, "The transaction
log's other lines").

`CURRENCY_BUY` and `CURRENCY_SELL` are "Currency convert, and the liquidation for borrowing asset (UTA loan)"
(docs/v5/enum.mdx#typeuta-translog): a convert made from the unified wallet (convert history `accountType`
`eb_convert_uta`) and a loan's liquidation both write them, and no field of a line says which. The convert history
(`GET /v5/asset/exchange/query-convert-history`) stores converts whole; a liquidation is in no other list. So a leg is
stored unless a convert-history row holds the same money: the same coin, the same amount on the same side (`toCoin`
/ `toAmount` for a leg credited, `fromCoin` / `fromAmount` for one debited), created within `NEAR_MS` of the line
(or carrying the line's `orderId` as its `exchangeTxId`), each row's leg taken by one line at most. No page says how
far apart a convert's row and its lines are stamped, nor whether they share an id: the window is generous because
equal amounts to the last digit in one coin are what tie them (unsourced; a liquidation selling exactly a convert's
amount within the hour would be taken for it). A failed convert moved nothing and holds no leg.

The history has no time filter and is newest first by page number (`index`, 100 a page): it is read from page 1 only
when a page of the log holds such a line, and only as far back as that line needs; one sync reads it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import FetchReport
from connectors.fetchers.windows import call
from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord, RecordKind, exact

# Log types a convert-history row may also hold: the enum's "Currency convert" lines, `CONVERT` ("Currency convert
# repayment") and the Indonesian site's converts (`IDN_CONVERT_IN`/`_OUT`, listed without words).
CONVERT_LIST_TYPES = frozenset({"CURRENCY_BUY", "CURRENCY_SELL", "CONVERT", "IDN_CONVERT_IN", "IDN_CONVERT_OUT"})
CONVERT_HISTORY = "privateGetV5AssetExchangeQueryConvertHistory"
PAGE = 100  # `limit`: "up to 100 records, return 100 when exceeds 100"
NEAR_MS = 3_600_000  # how far apart a convert's row and its lines may be stamped (unsourced, see above)
FAILED = frozenset({"failure"})  # `exchangeStatus`: init, processing, success, failure


@dataclass
class ConvertLegs:
    """The convert history as far back as the log's legs have needed it, and which rows' legs are taken."""

    client: Any
    endpoint: Endpoint
    rows: list[Mapping[str, Any]] = field(default_factory=list)
    taken: set[tuple[int, bool]] = field(default_factory=set)  # (row's place, credited leg)
    index: int = 1
    ended: bool = False

    async def held(self, record: NormalizedRecord, report: FetchReport) -> bool:
        """Whether a convert-history row holds this leg (then it is taken, and the leg is not stored)."""
        raw = record.raw
        if record.kind is not RecordKind.CONVERT or str(raw.get("type", "")) not in CONVERT_LIST_TYPES:
            return False
        when = int(raw["transactionTime"])
        await self._read_back_to(when - NEAR_MS, report)
        change = exact(raw["change"])
        credited = change > 0
        for place, row in enumerate(self.rows):
            if (place, credited) not in self.taken and _holds(row, raw, abs(change), credited, when):
                self.taken.add((place, credited))
                return True
        return False

    async def _read_back_to(self, oldest_ms: int, report: FetchReport) -> None:
        while not self.ended and (not self.rows or int(self.rows[-1]["createdAt"]) >= oldest_ms):
            asked = {"index": self.index, "limit": PAGE}
            body = await call(self.client, CONVERT_HISTORY, asked, endpoint=self.endpoint, report=report)
            page = (body.get("result") or {}).get("list") or []
            self.rows.extend(page)
            self.index += 1
            self.ended = len(page) < PAGE


def _holds(row: Mapping[str, Any], line: Mapping[str, Any], amount: Decimal, credited: bool, when: int) -> bool:
    if str(row.get("exchangeStatus", "")) in FAILED:
        return False
    coin, value = ("toCoin", "toAmount") if credited else ("fromCoin", "fromAmount")
    if str(row.get(coin)) != str(line.get("currency")) or exact(row[value]) != amount:
        return False
    order = str(line.get("orderId") or "")
    return (bool(order) and order == str(row.get("exchangeTxId"))) or abs(int(row["createdAt"]) - when) <= NEAR_MS
