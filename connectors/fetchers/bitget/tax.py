"""Bitget with a Tax API key: the tax transaction records, every movement of an account, in 30-day windows.

| endpoint | stream (cursor key) | Bitget list | type field |
| --- | --- | --- | --- |
| ledger | "spot" | `GET /api/v2/tax/spot-record` | `spotTaxType` |
| ledger | "margin" | `GET /api/v2/tax/margin-record` | `marginTaxType` |
| ledger | "p2p" | `GET /api/v2/tax/p2p-record` | `p2pTaxType` |
| futures trades | "future" | `GET /api/v2/tax/future-record` | `futureTaxType` |

Each list: both ends of a range of at most 30 days, at most 500 records, newest first, the next page by
`idLessThan=<id>`; two years back; one request a second. A Tax API key opens nothing else: trades, deposits and
withdrawals all come as ledger lines here (both legs of a trade share its `bizOrderId`). Amounts are signed balance
changes; fees are reported positive when charged; the line's type is in `raw` (`spotTaxType` …).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import BITGET_OPENED, Parsed, Route, id_page, note_gap
from connectors.fetchers.windows import (
    FetchWindowPage,
    WindowPage,
    WindowWalk,
    cursor_start,
    history_start,
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
    amount_field: str


STREAMS: Mapping[Endpoint, tuple[TaxStream, ...]] = {
    Endpoint.LEDGER: (
        TaxStream("spot", Route("privateTaxGetV2TaxSpotRecord", "id"), "spotTaxType", "coin", "amount"),
        TaxStream("margin", Route("privateTaxGetV2TaxMarginRecord", "id"), "marginTaxType", "coin", "amount"),
        TaxStream("p2p", Route("privateTaxGetV2TaxP2pRecord", "id"), "p2pTaxType", "coin", "total"),
    ),
    Endpoint.FUTURES_TRADES: (
        TaxStream("future", Route("privateTaxGetV2TaxFutureRecord", "id"), "futureTaxType", "marginCoin", "amount"),
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
            requested = cursor_start(cursor)
            if requested is None and since is not None:
                requested = to_ms(since)
            start = history_start(spec, requested_ms=requested, exchange_name="Bitget", opened=BITGET_OPENED)
            if start.gap is not None:
                note_gap(report, start.gap)
            page_function = self._page_function(spec, stream, report)
            walk = WindowWalk(spec.endpoint, span_ms(spec.window), page_function, stream.key)
            async for page in walk.pages(start_ms=start.ms, until_ms=to_ms(until), cursor=cursor):
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
            amount=exact(row[stream.amount_field]),
            exchange_tx_id=ident,
            market=str(symbol) if symbol else None,
            # The tax type ("Buy", "Withdrawal", "open_long" …) stays in raw: `side` holds at most 8 characters.
            fee_asset=self.code(str(row[stream.asset_field])) if fee not in (None, "") else None,
            fee_amount=0 - exact(fee) if fee not in (None, "") else None,
            raw=dict(row),
        )
