"""Bitget Tax API key of a unified trading account (UTA): `GET /api/v3/tax/records` (uta/tax/Get-Tax-Records).

The v2 tax lists answer such a key with 40085, as every v2 list does for a unified account. The v3 list takes one
`bizType` per request (SPOT, MARGIN with `marginType` crossed by default or isolated, USDT-FUTURES, COIN-FUTURES,
USDC-FUTURES, OTHER), both ends at most 7 days apart, "Data query range: 366 days", at most 500 rows (default 500),
the next page by `cursor=<id>`; 1 request a second. Rows: `id`, `coin`, `type` (the tax types of uta/enum),
`amount` (signed), `fee`, `balance`, `ts`.

| endpoint | streams (cursor key) |
| --- | --- |
| ledger | "uta:SPOT", "uta:MARGIN", "uta:MARGIN:isolated", "uta:OTHER" |
| futures trades | "uta:USDT-FUTURES", "uta:COIN-FUTURES", "uta:USDC-FUTURES" |
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import walk_start
from connectors.fetchers.bitget.streams import stream_key
from connectors.fetchers.windows import WindowPage, WindowWalk, call, cursor_window_request, span_ms, to_ms
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

TAX_RECORDS = "privateUtaGetV3TaxRecords"
STREAMS: Mapping[Endpoint, tuple[tuple[str, Mapping[str, str]], ...]] = {
    Endpoint.LEDGER: (
        ("uta:SPOT", {"bizType": "SPOT"}),
        ("uta:MARGIN", {"bizType": "MARGIN", "marginType": "crossed"}),
        ("uta:MARGIN:isolated", {"bizType": "MARGIN", "marginType": "isolated"}),
        ("uta:OTHER", {"bizType": "OTHER"}),
    ),
    Endpoint.FUTURES_TRADES: tuple(
        (stream_key("uta", product), {"bizType": product})
        for product in ("USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")
    ),
}


def unified_tax_spec(spec: EndpointSpec) -> EndpointSpec:
    return replace(
        spec,
        window=timedelta(days=7),
        lookback=timedelta(days=366),
        page_size=min(spec.page_size, 500),
        api_path="GET /api/v3/tax/records",
    )


class BitgetUnifiedTax:
    def __init__(self, client: Any) -> None:
        self.client = client

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        v3 = unified_tax_spec(spec)
        if v3.window is None:
            raise ValueError("unreachable: the v3 tax spec sets a window")
        for key, params in STREAMS[spec.endpoint]:
            cursor = cursors.get(key)
            start_ms = walk_start(v3, cursor, since, report)
            walk = WindowWalk(spec.endpoint, span_ms(v3.window), self._pages(v3, key, params, report), key)
            async for page in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
                yield page

    def _pages(self, spec: EndpointSpec, key: str, params: Mapping[str, str], report: FetchReport) -> Any:
        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            request = cursor_window_request(params, window_start, window_end, spec.page_size, token)
            body = await call(self.client, TAX_RECORDS, request, endpoint=spec.endpoint, report=report, market=key)
            rows = body.get("data") or []
            result = WindowPage([self._record(key, row) for row in rows])
            if len(rows) >= spec.page_size:
                result.token = str(min(int(row["id"]) for row in rows))
            return result

        return page

    def _record(self, key: str, row: Mapping[str, Any]) -> NormalizedRecord:
        ident, coin = str(row["id"]), str(self.client.safe_currency_code(str(row["coin"])))
        fee = row.get("fee")
        charged = fee not in (None, "") and exact(fee) != 0
        return NormalizedRecord(
            kind=RecordKind.LEDGER,
            occurred_at=ms_to_utc(row["ts"]),
            natural_key=natural_key(RecordKind.LEDGER, f"{key}:{ident}"),
            asset=coin,
            amount=exact(row["amount"]),
            exchange_tx_id=ident,
            # Fees are balance changes like the v2 tax lists' ("-0.02134863"): reported positive when charged.
            fee_asset=coin if charged else None,
            fee_amount=0 - exact(fee) if charged else None,
            raw=dict(row),  # the tax type ("ORDER_DEALT_IN" …) is in `type`
        )
