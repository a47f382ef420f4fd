"""Gate (API v4): trades, deposits, withdrawals and the spot account book (its transfers between own accounts) in
30-day windows oldest first; converts, Earn dividends paged; perpetual futures fills, profit and loss and funding
per settle currency (futures.py).
Rules and their sources: docs/exchange-apis/gate.md.

| endpoint | page | paging inside a window | window | reach |
| --- | --- | --- | --- | --- |
| `GET /spot/my_trades` | 1000 | `page` 1, 2, … | 30 days (`from`/`to`, seconds) | not documented |
| `GET /wallet/deposits` | 500 | `offset` | 30 days | not documented |
| `GET /wallet/withdrawals` | 100 | `offset` | 30 days | not documented |
| `GET /flash_swap/orders` (converts) | 100 | `page`, oldest first (`reverse=false`) | none | not documented |
| `GET /earn/uni/interest_records` (rewards) | 100 | `page` | none documented: one range | not documented |
| `GET /spot/account_book` (transfers) | 100 | `page` | 30 days | not documented |

`currency_pair` is optional on `my_trades` ("Retrieve results with specified currency pair"), so one walk covers
every market: there is nothing to discover and nothing to ask the user. Gate's ranges are whole seconds, both ends
taken as inclusive: a window [a, b] in milliseconds asks for the seconds ceil(a) … floor(b), so consecutive windows
ask for every second once. A walk ends just before the second `until` falls in (`last_whole_second_ms`): Gate can
only be asked for that second whole, and more may happen in it after the sync asked, so the cursor stops at its
start and the next sync asks for it. A page shorter than the limit ends its window.

Cursors: `{"window_start_ms": …}` per endpoint (windows.WindowWalk; inside a window also its end and the next page
number or offset); deposits and withdrawals re-read their trailing day on a re-sync (windows.settling_start), and
one still on its way holds the cursor at its time, or is let go with a note once older than 14 days (the walk is
given the report: windows.WindowWalk).
The account book lists every change of the spot balance; only its moves between own accounts (and to and from
sub-accounts) are kept: the rest are the fills, deposits, withdrawals, swaps and dividends the other lists hold.
Converts have no time range: the list is read oldest first by id, so pages only grow at the end and the cursor
`{"page": p, "seen": k}` (k rows of page p read) resumes a re-sync with page p, past its first k rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.gate.futures import GateFutures
from connectors.fetchers.gate.ranges import GATE_OPENED, WHOLE_RANGE_MS, last_whole_second_ms, seconds_range
from connectors.fetchers.gate.rows import Parsed, RowReader
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.windows import (
    SETTLING,
    WindowPage,
    WindowWalk,
    call,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.profiles.catalog.gate import NAME
from connectors.records import NormalizedRecord, ms_to_utc

METHODS: Mapping[Endpoint, str] = {
    Endpoint.SPOT_TRADES: "privateSpotGetMyTrades",
    Endpoint.DEPOSITS: "privateWalletGetDeposits",
    Endpoint.WITHDRAWALS: "privateWalletGetWithdrawals",
    Endpoint.CONVERT: "privateFlashSwapGetOrders",
    Endpoint.EARN_REWARDS: "privateEarnGetUniInterestRecords",
    Endpoint.TRANSFERS: "privateSpotGetAccountBook",
}
FUTURES = frozenset({Endpoint.FUTURES_TRADES, Endpoint.FUNDING})  # futures.py: per settle currency
# How a list pages inside its window: `page` numbers from 1, or an `offset` from 0.
PAGE_NUMBERED = frozenset({Endpoint.SPOT_TRADES, Endpoint.EARN_REWARDS, Endpoint.TRANSFERS})
# What one row reads as: its records (a fill and the fees it paid beside its `fee`), and its time if still pending.
Read = tuple[list[NormalizedRecord], int | None]


class GateFetcher(HandwrittenFetcher):
    """Fetches Gate history through ccxt's implicit API methods, reading Gate's raw strings."""

    SUPPORTED = frozenset({*METHODS, *FUTURES})

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)
        self.futures = GateFutures(client, profile.id, NAME)
        # ccxt 4.5.90 defines the private flash_swap endpoints but no URL for them (sign() fails with a KeyError):
        # they live under the same /api/v4 as the spot ones, so the spot URL (overridden or not) is theirs.
        private = client.urls["api"]["private"]
        private.setdefault("flash_swap", private["spot"])

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, self.implements(endpoint))
        if endpoint in FUTURES:
            return self.futures.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.CONVERT:
            return self._converts(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        return self._walk(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    async def _converts(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        """The flash swaps, oldest first, page after page; those before `since` are read past, not stored."""
        page, seen = int((cursor or {}).get("page", 1)), int((cursor or {}).get("seen", 0))
        floor = since_ms(since)
        while True:
            request = {"reverse": "false", "limit": spec.page_size, "page": page}
            rows = await call(self.client, METHODS[spec.endpoint], request, endpoint=spec.endpoint, report=report)
            rows = list(rows or [])
            records = []
            for row in rows[seen:]:
                record, _ = self.rows.convert(row)
                if record is not None and (floor is None or to_ms(record.occurred_at) >= floor):
                    records.append(record)
            full = len(rows) >= spec.page_size
            stored: Cursor = {"page": page + 1, "seen": 0} if full else {"page": page, "seen": len(rows)}
            covered = int(rows[-1]["create_time"]) if full and rows else to_ms(until)
            yield Page(spec.endpoint, tuple(records), stored, ms_to_utc(covered))
            if not full:
                return
            page, seen = page + 1, 0

    def _reader(self, endpoint: Endpoint) -> Callable[[Mapping[str, Any]], Read]:
        if endpoint is Endpoint.SPOT_TRADES:
            return lambda row: (self.rows.fill(row), None)
        one: Callable[[Mapping[str, Any]], Parsed] = {
            Endpoint.EARN_REWARDS: self.rows.interest,
            Endpoint.DEPOSITS: self.rows.deposit,
            Endpoint.TRANSFERS: self.rows.book_move,
        }.get(endpoint, self.rows.withdrawal)

        def read(row: Mapping[str, Any]) -> Read:
            record, pending = one(row)
            return ([record] if record is not None else []), pending

        return read

    async def _walk(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        span = span_ms(spec.window) if spec.window is not None else WHOLE_RANGE_MS
        read = self._reader(spec.endpoint)
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=GATE_OPENED)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            return await self._page(spec, (window_start, window_end), token, read, report)

        end_ms = last_whole_second_ms(until)
        # A pending record's age is taken at the sync's `until`, the "now" every range of this walk is cut at.
        walk = WindowWalk(
            spec.endpoint,
            span,
            page,
            rereads_late_listings=spec.endpoint in SETTLING,
            report=report,
            clock=lambda: to_ms(until),
        )
        async for item in walk.pages(start_ms=start_ms, until_ms=end_ms, cursor=cursor, floor_ms=since_ms(since)):
            yield item

    async def _page(
        self,
        spec: EndpointSpec,
        window: tuple[int, int],
        token: Any,
        read: Callable[[Mapping[str, Any]], Read],
        report: FetchReport,
    ) -> WindowPage:
        """One page of a window: its records, and the next page number or offset while pages come full."""
        first, last = seconds_range(*window)
        found = WindowPage([])
        if first > last:
            return found  # a window shorter than a second holds no whole second: nothing to ask
        numbered = spec.endpoint in PAGE_NUMBERED
        position = int(token) if token is not None else (1 if numbered else 0)
        request = {"from": first, "to": last, "limit": spec.page_size, ("page" if numbered else "offset"): position}
        rows = await call(self.client, METHODS[spec.endpoint], request, endpoint=spec.endpoint, report=report)
        for row in rows or []:
            records, pending = read(row)
            found.records.extend(records)
            if pending is not None:
                found.pending.append(pending)  # the walk holds the cursor at it, or notes it let go
        if len(rows or []) >= spec.page_size:
            found.token = position + 1 if numbered else position + len(rows)
        return found
