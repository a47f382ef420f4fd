"""KuCoin futures (the classic futures account, host api-futures.kucoin.com): its ledger's realised profit and loss
and its fills, for FUTURES_TRADES. docs/exchange-apis/kucoin.md ("Futures") names the pages.

| request | paging | range | cursor |
| --- | --- | --- | --- |
| `GET /api/v1/transaction-history` | last `offset`, `forward`, `maxCount` 50 | `startAt` once | `ledger:<c>` |
| `GET /api/v1/fills` (futures) | `currentPage`, `pageSize` 1000 | one range, `startAt`/`endAt` | `fills` |

Each currency's ledger is read forward from the offset of its last line stored, so a re-sync asks only for what is
new; a line still Pending (the current settlement period of an open position) ends the walk before it, and the next
sync reads it once settled. The first sync first reads each currency's first page: a ledger with no line in either
currency means the account never used futures, and the endpoint is skipped with the reason. Fills are walked only
when a ledger shows a line. The two lists have their own cursors, so a re-sync resumes each where it stopped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.kucoin.futures_rows import SETTLED_WORDS, FuturesRows
from connectors.fetchers.kucoin.pacing import PoolPacer
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, to_ms, walk_begin
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text

CURRENCIES = ("USDT", "XBT")  # the futures ledger's currencies ("XBT or USDT")
LEDGER, FILLS = "futuresPrivateGetTransactionHistory", "futuresPrivateGetFills"
LEDGER_PAGE = 50  # maxCount: "The default size is 50" (no maximum documented)
# Every fill type the page names: the same as none ("Query all types when empty"); naming them is what tells the
# emulator's one port which host's /api/v1/fills is asked (sandbox/exchanges/kucoin.py).
TRADE_TYPES = "trade,adl,liquid,settlement"


class Walked(StrEnum):
    """The futures walks' cursor keys (besides each currency's ledger): codes kept in cursors, never shown."""

    FILLS = "fills"


FILLS_KEY = Walked.FILLS
WHOLE_RANGE_MS = 100 * 365 * 86_400_000
NO_FUTURES = Text.of("profile.kucoin.skip.no_futures")


def ledger_key(currency: str) -> str:
    """The cursor key of one currency's ledger walk: `ledger:USDT`."""
    return ":".join(("ledger", currency))


class KucoinFutures:
    """The futures endpoint of one KuCoin fetcher, sharing its client, pacer and opening date."""

    def __init__(self, client: Any, pacer: PoolPacer, profile_id: str, exchange_name: str, opened: Any) -> None:
        self.client = client
        self.pacer = pacer
        self.rows = FuturesRows(client)
        self.profile_id = profile_id
        self.exchange_name = exchange_name
        self.opened = opened

    async def _ask(self, method: str, params: Mapping[str, Any], spec: EndpointSpec, report: FetchReport) -> Any:
        await self.pacer.spend(method, spec.endpoint)
        body = await call(self.client, method, params, endpoint=spec.endpoint, report=report)
        return body.get("data") or {}

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        firsts: dict[str, Any] = {}
        for currency in CURRENCIES:
            if not cursors.get(ledger_key(currency)):
                firsts[currency] = await self._ask(LEDGER, self._ledger_params(currency, None, since), spec, report)
        walked_before = any(cursors.get(ledger_key(c)) for c in CURRENCIES) or bool(cursors.get(FILLS_KEY))
        if not walked_before and not any((first.get("dataList") or []) for first in firsts.values()):
            raise UnsupportedEndpoint(self.profile_id, spec.endpoint, NO_FUTURES)
        for currency in CURRENCIES:
            async for page in self._ledger(spec, currency, since, until, cursors, firsts.get(currency), report):
                yield page
        async for page in self._fills(spec, since, until, cursors.get(FILLS_KEY), report):
            yield page

    def _ledger_params(self, currency: str, after: int | None, since: datetime | None) -> dict[str, Any]:
        params: dict[str, Any] = {"currency": currency, "forward": "true", "maxCount": LEDGER_PAGE}
        if after is not None:
            params["offset"] = after
        elif since is not None:
            params["startAt"] = to_ms(since)
        return params

    async def _ledger(
        self,
        spec: EndpointSpec,
        currency: str,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        first: Any,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        key = ledger_key(currency)
        stored = cursors.get(key) or {}
        after: int | None = int(stored["offset"]) if "offset" in stored else None
        data = first
        while True:
            if data is None:
                data = await self._ask(LEDGER, self._ledger_params(currency, after, since), spec, report)
            records: list[NormalizedRecord] = []
            rows = list(data.get("dataList") or [])
            pending_ms: int | None = None
            for row in rows:
                if str(row.get("status")) not in SETTLED_WORDS:
                    pending_ms = int(row["time"])  # the current period: read again once settled
                    break
                after = int(row["offset"])
                record = self.rows.line(row)
                if record is not None:
                    records.append(record)
            more = pending_ms is None and bool(rows) and bool(data.get("hasMore"))
            if pending_ms is not None:
                covered = ms_to_utc(pending_ms - 1)
            else:
                covered = ms_to_utc(int(rows[-1]["time"])) if more else until
            cursor: Cursor = {"offset": after} if after is not None else {}
            yield Page(spec.endpoint, tuple(records), cursor, covered, market=key)
            if not more:
                return
            data = None

    async def _fills(
        self, spec: EndpointSpec, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        size = spec.page_size

        async def page(start: int, end: int, token: Any) -> WindowPage:
            current = int(token or 1)
            params = {"tradeTypes": TRADE_TYPES, "startAt": start, "endAt": end, "currentPage": current,
                      "pageSize": size}  # fmt: skip
            data = await self._ask(FILLS, params, spec, report)
            found = WindowPage([self.rows.fill(row) for row in data.get("items") or []])
            if current < int(data.get("totalPage") or 0):
                found.token = current + 1
            return found

        begin = walk_begin(spec, cursor, since, report, exchange_name=self.exchange_name, opened=self.opened)
        walk = WindowWalk(spec.endpoint, WHOLE_RANGE_MS, page, market=FILLS_KEY, clock=lambda: to_ms(until))
        async for item in walk.pages(start_ms=begin, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield item
