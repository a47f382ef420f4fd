"""MEXC futures (contract API v1): fills with their closing profit or loss, and funding. Rules and their sources:
docs/exchange-apis/mexc.md, "Futures (contract API v1)".

| request | paging | window | reach |
| --- | --- | --- | --- |
| `GET /api/v1/private/order/list/order_deals?symbol=…` | `page_num`, `page_size` 100 | 90 days | not documented |
| `GET /api/v1/private/position/funding_records` | `page_num`, `page_size` 100, newest first | none | not documented |
| `GET /api/v1/private/position/list/history_positions` | `page_num`, `page_size` 100, all | none | not documented |
| `GET /api/v1/private/position/open_positions`, `account/assets` | one list | — | — |

Fills need a contract: the contracts asked are those the account's positions name, closed (history_positions) or
still open, and those found before (kept in the discovery cursor, market ""). The closed positions take no time range
and MEXC does not say in which order they come, so every sync reads them to the last page (one shorter than a full
one): no stop mark that an order would have to honour, at one request per 100 closed positions. Each contract's
fills are walked in 90-day windows from its own cursor ({"window_start_ms": …}, market = the contract's symbol), so
a re-sync asks one window per contract.

Funding has no time range: its pages are read newest first down to the newest row an earlier sync stored (cursor
{"newest_ms": …, "ids": [ids at that time]}), so a re-sync reads one page.

An account whose futures account holds nothing, has no open position and never closed one shows no sign of futures:
both endpoints are skipped, saying why. A transfer between spot and futures is the spot API's transfer list's
(TRANSFERS); the contract API's own `account/transfer_record` lists the same moves from the futures side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.mexc.futures_rows import ContractRows
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, span_ms, to_ms, walk_begin
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, exact, ms_to_utc
from i18n import Text

NAME = "MEXC"
DEALS = "contractPrivateGetOrderListOrderDeals"
FUNDING = "contractPrivateGetPositionFundingRecords"
HISTORY = "contractPrivateGetPositionListHistoryPositions"
OPEN = "contractPrivateGetPositionOpenPositions"
ASSETS = "contractPrivateGetAccountAssets"
PAGE_MAX = 100  # "page size, default 20, maximum 100" on every list read here


@dataclass(slots=True)
class Evidence:
    """What the futures account shows, read once per sync: contracts its positions name, and whether it has any
    sign of futures at all."""

    symbols: set[str] = field(default_factory=set)
    pages_read: int = 0  # of closed positions
    more: bool = False  # whether a further page of closed positions may hold more
    holds: bool = False


class MexcFutures:
    """The futures history of one MEXC account, for FUTURES_TRADES and FUNDING."""

    def __init__(self, client: Any, profile_id: str, opened: date) -> None:
        self.client = client
        self.profile_id = profile_id
        self.opened = opened
        self.rows = ContractRows(client)
        self._evidence: Evidence | None = None

    async def evidence(self, endpoint: Endpoint, report: FetchReport) -> Evidence:
        """The account's signs of futures, read once per sync: its assets, its open positions and the newest page
        of its closed positions (what both endpoints need; FUTURES_TRADES reads older pages itself)."""
        if self._evidence is not None:
            return self._evidence
        found = Evidence()
        assets = await call(self.client, ASSETS, {}, endpoint=endpoint, report=report)
        found.holds = any(exact(row.get("equity") or 0) != 0 for row in assets.get("data") or [])
        held = await call(self.client, OPEN, {}, endpoint=endpoint, report=report)
        found.symbols |= {str(row["symbol"]) for row in held.get("data") or []}
        found.more = await self._closed_page(endpoint, 1, found, report)
        self._evidence = found
        return found

    async def _closed_page(self, endpoint: Endpoint, number: int, found: Evidence, report: FetchReport) -> bool:
        """One page of closed positions noted in `found`; whether a next page may hold more."""
        params = {"page_num": number, "page_size": PAGE_MAX}
        rows = (await call(self.client, HISTORY, params, endpoint=endpoint, report=report)).get("data") or []
        found.symbols |= {str(row["symbol"]) for row in rows}
        found.pages_read = number
        return len(rows) >= PAGE_MAX

    async def every_closed(self, endpoint: Endpoint, report: FetchReport) -> Evidence:
        """The evidence with every page of closed positions read, whatever order MEXC lists them in."""
        found = await self.evidence(endpoint, report)
        while found.more:
            found.more = await self._closed_page(endpoint, found.pages_read + 1, found, report)
        return found

    def skip_unless_used(self, endpoint: Endpoint, evidence: Evidence, known: bool) -> None:
        if not (known or evidence.holds or evidence.symbols):
            raise UnsupportedEndpoint(self.profile_id, endpoint, Text.of("profile.mexc.skip.no_futures"))

    # -- funding ----------------------------------------------------------------------------------------------

    async def funding(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        evidence = await self.evidence(spec.endpoint, report)
        self.skip_unless_used(spec.endpoint, evidence, bool(cursor))
        newest_before = int(cursor["newest_ms"]) if cursor and cursor.get("newest_ms") is not None else None
        stored_ids = {str(i) for i in (cursor or {}).get("ids", [])}
        floor, until_ms = since_ms(since), to_ms(until)
        newest_ms, newest_ids = newest_before, set(stored_ids)
        before: Cursor = dict(cursor or {})
        number = 1
        while True:
            params = {"page_num": number, "page_size": spec.page_size}
            body = (await call(self.client, FUNDING, params, endpoint=spec.endpoint, report=report)).get("data") or {}
            rows = body.get("resultList") or []
            reached, records = False, []
            for row in rows:
                when, ident = int(row["settleTime"]), str(row["id"])
                if newest_before is not None and (
                    when < newest_before or (when == newest_before and ident in stored_ids)
                ):
                    reached = True
                    continue
                if when > until_ms or (floor is not None and when < floor):
                    continue
                if newest_ms is None or when > newest_ms:
                    newest_ms, newest_ids = when, set()
                if when == newest_ms:
                    newest_ids.add(ident)
                records.append(self.rows.funding(row))
            if reached or number >= int(body.get("totalPage") or 0):
                # The newest rows come first: the cursor moves only once every row newer than it was read.
                done: Cursor = {"newest_ms": newest_ms, "ids": sorted(newest_ids)} if newest_ms is not None else {}
                yield Page(spec.endpoint, tuple(records), done, until)
                return
            yield Page(spec.endpoint, tuple(records), before, ms_to_utc(0))
            number += 1

    # -- fills ------------------------------------------------------------------------------------------------

    async def fills(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        state: Cursor = dict(cursors.get("") or {})
        known = set(state.get("symbols") or [])
        evidence = await self.every_closed(spec.endpoint, report)
        self.skip_unless_used(spec.endpoint, evidence, bool(known))
        symbols = sorted(known | evidence.symbols)
        discovery: Cursor = {"symbols": symbols}
        yield Page(spec.endpoint, (), discovery, ms_to_utc(0))
        for symbol in symbols:
            report.markets_scanned.append(symbol)
            async for page in self._contract(spec, symbol, cursors.get(symbol), since, until, report):
                yield page

    async def _contract(
        self,
        spec: EndpointSpec,
        symbol: str,
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError("MEXC futures fills need a window in their profile")
        start = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=self.opened)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {
                "symbol": symbol,
                "start_time": window_start,
                "end_time": window_end,
                "page_num": number,
                "page_size": spec.page_size,
            }
            body = await call(self.client, DEALS, params, endpoint=spec.endpoint, report=report, market=symbol)
            rows = body.get("data") or []
            records: list[NormalizedRecord] = []
            for row in rows:
                records.extend(self.rows.fill(row))
            return WindowPage(records, number + 1 if len(rows) >= spec.page_size else None)

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page, symbol)
        async for item in walk.pages(start_ms=start, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield item


def _stored_before(when: int, ident: str, newest_before: int | None, stored_ids: set[str]) -> bool:
    """Whether a funding row is one an earlier sync stored: older than its newest, or one of the newest's ids."""
    if newest_before is None:
        return False
    return when < newest_before or (when == newest_before and ident in stored_ids)
