"""Bitget with a Tax API key: the tax transaction records, every movement of an account, in 30-day windows.

| endpoint | stream (cursor key) | Bitget list, parameter | type field |
| --- | --- | --- | --- |
| ledger | "spot" | `GET /api/v2/tax/spot-record` | `spotTaxType` |
| ledger | "margin", "margin:isolated" | `GET /api/v2/tax/margin-record`, `marginType` | `marginTaxType` |
| ledger | "p2p" | `GET /api/v2/tax/p2p-record` | `p2pTaxType` |
| futures | "future", "future:COIN-FUTURES", … | `GET /api/v2/tax/future-record`, `productType` | `futureTaxType` |

The quantity is `amount`, except P2P: `balance` in the current docs, `total` in the March 2025 edition (both read).
The margin and futures lists answer one `marginType` / `productType` per request, by default `crossed` /
`USDT-FUTURES` (docs, common/tax/*): each documented value is a stream of its own.

Each list: both ends of a range of at most 30 days, at most 500 records, newest first, the next page by
`idLessThan=<id>`; two years back; one request a second. A Tax API key opens nothing else: trades, deposits and
withdrawals all come as ledger lines here (both legs of a trade share its `bizOrderId`). Amounts are signed balance
changes; fees are reported positive when charged; the line's type is in `raw` (`spotTaxType` …).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import Parsed, Route, id_page, walk_start
from connectors.fetchers.windows import (
    FetchWindowPage,
    WindowPage,
    WindowWalk,
    span_ms,
    to_ms,
)
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key


@dataclass(frozen=True, slots=True)
class TaxStream:
    key: str  # the cursor's market key, and the natural key's prefix (ids are per list)
    route: Route
    type_field: str
    asset_field: str
    amount_fields: tuple[str, ...]  # the first one present holds the quantity
    # P2P lines carry an unsigned "Quantity" (docs: p2pTaxType transfer_in, transfer_out, sell, buy): the type says
    # which way it moved. Other lists carry signed balance changes.
    directions: Mapping[str, int] | None = None


# The docs list `transfer_in`, `transfer_out`, `sell`, `buy`; their example writes `transfer-in`.
P2P_DIRECTIONS = {"transfer_in": 1, "transfer-in": 1, "buy": 1, "transfer_out": -1, "transfer-out": -1, "sell": -1}
_SPOT = Route("privateTaxGetV2TaxSpotRecord", "id")
_MARGIN = "privateTaxGetV2TaxMarginRecord"
_P2P = Route("privateTaxGetV2TaxP2pRecord", "id")
_FUTURE = "privateTaxGetV2TaxFutureRecord"

# The ledger's lists: (cursor key, list, type field, coin field, quantity fields, directions), as TaxStream reads.
LEDGER_LISTS: tuple[tuple[str, Route, str, str, tuple[str, ...], Mapping[str, int] | None], ...] = (
    ("spot", _SPOT, "spotTaxType", "coin", ("amount",), None),
    ("margin", Route(_MARGIN, "id", {"marginType": "crossed"}), "marginTaxType", "coin", ("amount",), None),
    ("margin:isolated", Route(_MARGIN, "id", {"marginType": "isolated"}), "marginTaxType", "coin", ("amount",), None),
    ("p2p", _P2P, "p2pTaxType", "coin", ("balance", "total"), P2P_DIRECTIONS),
)

STREAMS: Mapping[Endpoint, tuple[TaxStream, ...]] = {
    Endpoint.LEDGER: tuple(TaxStream(*row) for row in LEDGER_LISTS),
    Endpoint.FUTURES_TRADES: tuple(
        TaxStream(
            key,
            Route(_FUTURE, "id", {"productType": product}),
            "futureTaxType",
            "marginCoin",
            ("amount",),
        )
        for key, product in (
            ("future", "USDT-FUTURES"),
            ("future:COIN-FUTURES", "COIN-FUTURES"),
            ("future:USDC-FUTURES", "USDC-FUTURES"),
        )
    ),
}


class BitgetTax:
    def __init__(self, client: Any) -> None:
        self.client = client

    def code(self, coin: str) -> str:
        return str(self.client.safe_currency_code(coin))

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError(f"Bitget {spec.endpoint} needs a window in its profile")
        for stream in STREAMS[spec.endpoint]:
            cursor = cursors.get(stream.key)
            start_ms = walk_start(spec, cursor, since, report)
            page_function = self._page_function(spec, stream, report)
            walk = WindowWalk(spec.endpoint, span_ms(spec.window), page_function, stream.key)
            async for page in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
                yield page

    def _page_function(self, spec: EndpointSpec, stream: TaxStream, report: FetchReport) -> FetchWindowPage:
        def parse(row: Mapping[str, Any]) -> Parsed:
            return self._record(stream, row), None

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            return await id_page(
                self.client, spec, report, stream.route, parse, window_start, window_end, token, market=stream.key
            )

        return page

    def _record(self, stream: TaxStream, row: Mapping[str, Any]) -> NormalizedRecord:
        ident = str(row["id"])
        fee = row.get("fee")
        symbol = row.get("symbol")
        return NormalizedRecord(
            kind=RecordKind.LEDGER,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.LEDGER, f"{stream.key}:{ident}"),
            asset=self.code(str(row[stream.asset_field])),
            amount=_signed(stream, row, exact(_quantity(stream, row))),
            exchange_tx_id=ident,
            market=str(symbol) if symbol else None,
            # The tax type ("Buy", "Withdrawal", "open_long" …) stays in raw: `side` holds at most 8 characters.
            fee_asset=self.code(str(row[stream.asset_field])) if fee not in (None, "") else None,
            fee_amount=0 - exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )


def _quantity(stream: TaxStream, row: Mapping[str, Any]) -> Any:
    for name in stream.amount_fields:
        if row.get(name) not in (None, ""):
            return row[name]
    raise KeyError(f"Bitget {stream.route.method} row without {' or '.join(stream.amount_fields)}")


def _signed(stream: TaxStream, row: Mapping[str, Any], quantity: Decimal) -> Decimal:
    """The balance change: a direction from the line's type wins over the quantity's own sign (which the docs
    leave open); a type not listed keeps the quantity as written."""
    direction = (stream.directions or {}).get(str(row.get(stream.type_field, "")).lower())
    return quantity if direction is None else direction * abs(quantity)
