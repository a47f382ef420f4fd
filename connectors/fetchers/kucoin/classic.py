"""KuCoin's classic fills, `GET /api/v1/fills`: the spot fills of an account from before its upgrade to the
high-frequency (HF) trade account, which `GET /api/v1/hf/fills` does not list. Rules and sources:
docs/exchange-apis/kucoin.md ("classic fills").

One walk for every market (`symbol` is optional here), in windows of 7 × 24 h (the most one request may span),
paged by `currentPage` at 500 rows (the most a page holds), newest first; Spot pool, weight 10. Its cursor is stored
under the market key `CLASSIC`, which no KuCoin symbol (BASE-QUOTE) can be. The markets it finds are evidence for the
HF walk's market discovery.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.discovery import AssetEvidence, SpotMarket
from connectors.fetchers.kucoin.pacing import PoolPacer
from connectors.fetchers.kucoin.rows import RowReader
from connectors.fetchers.windows import DAY_MS, WindowPage, WindowWalk, call, to_ms, walk_begin
from connectors.profiles import EndpointSpec


class Walked(StrEnum):
    """Codes of the classic fills' walk, kept in cursors, never shown: its cursor's market key (no KuCoin symbol,
    BASE-QUOTE, can be it) and the evidence source of the markets it finds."""

    CLASSIC = "classic"
    CLASSIC_FILLS = "classic_fills"


CLASSIC = Walked.CLASSIC
PAGE_SIZE = 500  # Pagination: pageSize 10 to 500
WINDOW_MS = 7 * DAY_MS  # "up to one week … exceeded 7*24 hours"; a window plus endAt's extra ms is exactly a week
METHOD = "privateGetFills"


@dataclass(slots=True)
class ClassicFills:
    """The classic fills' walk, sharing the fetcher's client, pacer, row reader and market evidence."""

    client: Any
    pacer: PoolPacer
    rows: RowReader
    evidence: AssetEvidence
    exchange_name: str
    opened: date

    def market(self, symbol: str, listed: Mapping[str, SpotMarket]) -> SpotMarket:
        """The row's market: as listed, else read off the symbol (BASE-QUOTE), for a market KuCoin no longer lists."""
        known = listed.get(symbol)
        if known is not None:
            return known
        base_id, _, quote_id = symbol.partition("-")
        base, quote = self.rows.code(base_id), self.rows.code(quote_id)
        return SpotMarket(symbol, base_id, quote_id, f"{base}/{quote}", base, quote)

    async def pages(
        self,
        spec: EndpointSpec,
        listed: Mapping[str, SpotMarket],
        cursor: Cursor | None,
        *,
        since: datetime | None,
        until: datetime,
        end_at: Callable[[int], int],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=self.exchange_name, opened=self.opened)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            current = int(token or 1)
            params = {
                "tradeType": "TRADE",
                "startAt": window_start,
                "endAt": end_at(window_end),
                "currentPage": current,
                "pageSize": PAGE_SIZE,
            }
            await self.pacer.spend(METHOD, spec.endpoint)
            body = await call(self.client, METHOD, params, endpoint=spec.endpoint, report=report)
            data = body.get("data") or {}
            found = WindowPage([], current + 1 if current < int(data.get("totalPage") or 0) else None)
            for row in data.get("items") or []:
                market = self.market(str(row["symbol"]), listed)
                self.evidence.note_all((market.base_id, market.quote_id), Walked.CLASSIC_FILLS)
                found.records.append(self.rows.fill(market, row))
            return found

        walk = WindowWalk(spec.endpoint, WINDOW_MS, page, CLASSIC)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
            yield item
