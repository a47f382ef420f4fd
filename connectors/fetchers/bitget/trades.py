"""Bitget spot fills with a normal key: one walk over every market, 90 days back.

`GET /api/v2/spot/trade/fills` takes `symbol` as optional and "only supports to get the data within 90days. The
older data can be downloaded from web" (docs, spot/trade/Get-Fills): so no market has to be found first. The walk
asks the last 90 days (one window: the range per request may span 90 days), newest first, the next page by
`idLessThan=<tradeId>`, and reports what is older as a gap (`history_start` with the profile's 90-day lookback) that
an export file fills. One cursor, market key "".
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import Parsed, Route, id_page, walk_start
from connectors.fetchers.windows import WindowPage, WindowWalk, span_ms, to_ms
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

FILLS = Route("privateSpotGetV2SpotTradeFills", "tradeId")
# A fill of a market Bitget no longer lists still names its symbol: split it at the quote coin it ends with.
QUOTES = ("USDT", "USDC", "BTC", "ETH", "BGB", "EUR", "USD", "BRL", "TRY")


class BitgetTrades:
    """Spot fills of every market in one stream."""

    def __init__(self, client: Any, spec: EndpointSpec) -> None:
        self.client = client
        self.spec = spec

    async def fetch(
        self, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor], report: FetchReport
    ) -> AsyncIterator[Page]:
        spec = self.spec
        if spec.window is None:
            raise ValueError("Bitget spot trades need a window in the profile")
        cursor = cursors.get("")
        start_ms = walk_start(spec, cursor, since, report)
        parse = self._parse()

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            return await id_page(self.client, spec, report, FILLS, parse, window_start, window_end, token)

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
            yield item

    def _parse(self) -> Callable[[Mapping[str, Any]], Parsed]:
        def parse(row: Mapping[str, Any]) -> Parsed:
            return fill_record(market_of(self.client, str(row["symbol"])), row, self.client.safe_currency_code), None

        return parse


def market_of(client: Any, symbol: str) -> Mapping[str, Any]:
    """ccxt's spot market for a Bitget symbol ("BTCUSDT"): symbol, base, quote."""
    for market in (getattr(client, "markets_by_id", None) or {}).get(symbol, ()):
        if market.get("spot"):
            return dict(market)
    code = client.safe_currency_code
    for quote in QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            base = code(symbol[: -len(quote)])
            return {"symbol": f"{base}/{code(quote)}", "base": base, "quote": code(quote)}
    raise ValueError(f"Bitget fill for market {symbol!r}, which Bitget does not list and Tallybot cannot split")


def fill_record(market: Mapping[str, Any], row: Mapping[str, Any], code: Callable[[str], str]) -> NormalizedRecord:
    """One fill; `market` is ccxt's market for the row's `symbol` (symbol, base, quote)."""
    trade_id = str(row["tradeId"])
    fee = row.get("feeDetail") or {}
    fee_coin, total_fee = fee.get("feeCoin"), fee.get("totalFee")
    return NormalizedRecord(
        kind=RecordKind.TRADE,
        occurred_at=ms_to_utc(row["cTime"]),
        # The key carries the market: it is the key earlier versions stored, so nothing is stored twice.
        natural_key=natural_key(RecordKind.TRADE, f"{row['symbol']}:{trade_id}"),
        asset=str(market["base"]),
        amount=exact(row["size"]),
        exchange_tx_id=trade_id,
        market=str(market["symbol"]),
        side=str(row["side"]).lower(),
        quote_asset=str(market["quote"]),
        quote_amount=exact(row["amount"]),
        price=exact(row["priceAvg"]),
        # Bitget signs fees as balance changes: negative when charged.
        fee_asset=code(str(fee_coin)) if fee_coin else None,
        fee_amount=0 - exact(total_fee) if total_fee not in (None, "") else None,
        raw=dict(row),
    )
