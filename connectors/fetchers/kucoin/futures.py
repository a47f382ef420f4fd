"""KuCoin futures (the classic futures account, host api-futures.kucoin.com): its ledger's realised profit and loss
and its fills, for FUTURES_TRADES. docs/exchange-apis/kucoin.md ("Futures") names the pages.

| request | paging | range | cursor |
| --- | --- | --- | --- |
| `GET /api/v1/transaction-history` | newest first, `offset` the page's smallest; `maxCount` 50 | from | `ledger:<c>` |
| `GET /api/v1/fills` (futures) | `currentPage`, `pageSize` 1000 | 7-day windows, `startAt`/`endAt` | `fills` |

KuCoin lists each currency's ledger newest first ("sorted in descending order by createdAt and id") and turns the
page with "the minimum offset number of the current page". So each sync reads from the newest line down to the
offset of the newest line it stored last time (or the sync-from date), and saves the newest Completed offset once the
walk is through: one page at the end, so a walk cut short is read again, never skipped. A Pending line (the current
settlement period of an open position, listed first) is not final and is passed over; once settled it is newer than
every stored line, so the next sync reads it. The first page of each currency also tells whether futures were ever
used: no line in either means the endpoint is skipped with the reason. Before any of it, the account's mode
(`GET /api/ua/v1/account/mode`, `selfAccountMode` CLASSIC or UNIFIED): a unified account's futures live under
`/api/ua/v1/…`, which Tallybot does not read, so the endpoint is skipped as not read (a gap /status names), never
answered from the classic ledger as if it were the whole story. Fills are asked at most 7 × 24 h a request
("each individual query is limited to a time range of 7 × 24 hours"), and only within the three months KuCoin
keeps them (the profile's FUTURES_TRADES `lookback`): older history is reported as a gap. The lists have their own
cursors.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

import ccxt

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.kucoin.futures_rows import SETTLED_WORDS, FuturesRows
from connectors.fetchers.kucoin.pacing import PoolPacer
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, to_ms, walk_begin
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text

CURRENCIES = ("USDT", "XBT")  # the futures ledger's currencies ("XBT or USDT")
LEDGER, FILLS = "futuresPrivateGetTransactionHistory", "futuresPrivateGetFills"
ACCOUNT_MODE, UNIFIED = "utaPrivateGetAccountMode", "UNIFIED"  # selfAccountMode: CLASSIC or UNIFIED
LEDGER_PAGE = 50  # maxCount: "The default size is 50" (no maximum documented)
# Every fill type the page names: the same as none ("Query all types when empty"); naming them is what tells the
# emulator's one port which host's /api/v1/fills is asked (sandbox/exchanges/kucoin.py).
TRADE_TYPES = "trade,adl,liquid,settlement"


class Walked(StrEnum):
    """The futures walks' cursor keys (besides each currency's ledger): codes kept in cursors, never shown."""

    FILLS = "fills"


FILLS_KEY = Walked.FILLS
FILLS_WINDOW_MS = 7 * 86_400_000  # "each individual query is limited to a time range of 7 × 24 hours"
NO_FUTURES = Text.of("profile.kucoin.skip.no_futures")
UNIFIED_NOT_READ = Text.of("profile.kucoin.skip.unified_futures")


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
        mode = await self._ask(ACCOUNT_MODE, {}, spec, report)
        if str(mode.get("selfAccountMode") or "").upper() == UNIFIED:
            # Not read yet (not_read), neither unused nor a permission the key lacks: no key permission fixes this.
            raise UnsupportedEndpoint(self.profile_id, spec.endpoint, UNIFIED_NOT_READ, not_read=True)
        firsts = {c: await self._ask(LEDGER, self._ledger_params(c, None, since), spec, report) for c in CURRENCIES}
        walked_before = any(cursors.get(ledger_key(c)) for c in CURRENCIES) or bool(cursors.get(FILLS_KEY))
        if not walked_before and not any((first.get("dataList") or []) for first in firsts.values()):
            raise UnsupportedEndpoint(self.profile_id, spec.endpoint, NO_FUTURES)
        for currency in CURRENCIES:
            yield await self._ledger(spec, currency, since, until, cursors, firsts[currency], report)
        async for page in self._fills(spec, since, until, cursors.get(FILLS_KEY), report):
            yield page

    def _ledger_params(self, currency: str, below: int | None, since: datetime | None) -> dict[str, Any]:
        params: dict[str, Any] = {"currency": currency, "maxCount": LEDGER_PAGE}
        if below is not None:
            params["offset"] = below
        if since is not None:
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
    ) -> Page:
        """One currency's ledger, newest first down to the newest offset stored last time, as one page."""
        key = ledger_key(currency)
        stored = cursors.get(key) or {}
        known: int | None = int(stored["offset"]) if "offset" in stored else None
        newest = known
        records: list[NormalizedRecord] = []
        pending_ms: list[int] = []
        data, below = first, None
        while True:
            rows = list(data.get("dataList") or [])
            settled = [row for row in rows if str(row.get("status")) in SETTLED_WORDS]
            pending_ms += [int(row["time"]) for row in rows if str(row.get("status")) not in SETTLED_WORDS]
            reached = False
            for row in settled:
                offset = int(row["offset"])
                if known is not None and offset <= known:
                    reached = True
                    break
                newest = offset if newest is None else max(newest, offset)
                record = self.rows.line(row)
                if record is not None:
                    records.append(record)
            if reached or not settled or not data.get("hasMore"):
                break  # a page of Pending lines only has no Completed offset to turn the page by: they are newest
            smallest = min(int(row["offset"]) for row in settled)
            if below is not None and smallest >= below:
                raise ccxt.ExchangeError(LEDGER)  # the page did not turn: the diagnosis names the failure
            below = smallest
            data = await self._ask(LEDGER, self._ledger_params(currency, below, since), spec, report)
        # The Pending lines' periods are not final: complete only up to just before the earliest of them.
        covered = ms_to_utc(min(pending_ms) - 1) if pending_ms else until
        cursor: Cursor = {"offset": newest} if newest is not None else {}
        return Page(spec.endpoint, tuple(records), cursor, covered, market=key)

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

        # Fills older than the profile's reach (spec.lookback, the three months kept) are gone; the ledger's
        # RealisedPNL lines still hold their profit and loss: the walk starts at the reach, the range before it a gap.
        begin = walk_begin(spec, cursor, since, report, exchange_name=self.exchange_name, opened=self.opened)
        walk = WindowWalk(spec.endpoint, FILLS_WINDOW_MS, page, market=FILLS_KEY, clock=lambda: to_ms(until))
        async for item in walk.pages(start_ms=begin, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield item
