"""Gate perpetual futures: fills (FUTURES_TRADES) and the futures account book's profit and loss and funding
(FUNDING), for each settle currency whose account shows futures history. docs/exchange-apis/gate.md names the pages.

| request | paging | window | reach |
| --- | --- | --- | --- |
| `GET /futures/{settle}/accounts` | one object | — | — |
| `GET /futures/{settle}/my_trades_timerange` | `offset` + `limit` 100 | none documented: one range | not documented |
| `GET /futures/{settle}/account_book` | `offset` + `limit` 100 | none documented: one range | not documented |
| `GET /futures/{settle}/contracts` (public) | `offset` + `limit` 100 | — | — |

Settle currencies are `usdt` and `btc` (the pages' enumerated values). Each account is read first: Gate answers
`USER_NOT_FOUND` ("please transfer funds first to create futures account") for one never opened, and its `history`
sums every deposit/withdrawal, profit and loss, fee and funding it ever booked, so an account whose sums are all zero
has no history to walk. With neither account showing any, both endpoints are skipped and /status says why; a key
whose Perpetual Futures group is disabled is answered FORBIDDEN, and both end skipped with the fix (tick it).
Each settle is its own walk (cursor market = the settle) over one range from the sync-from date to the last whole
second before `until` (Gate's ranges are whole seconds: gate/fetcher.py), paged by offset; a re-sync asks from where
the last one ended. A settle's contracts are read once, when a page of its fills holds rows, for their multipliers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import ccxt

from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.gate.futures_rows import FuturesRows
from connectors.fetchers.gate.ranges import GATE_OPENED, WHOLE_RANGE_MS, last_whole_second_ms, seconds_range
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, to_ms, walk_begin
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, exact
from i18n import Text

SETTLES = ("usdt", "btc")
NO_FUTURES = Text.of("profile.gate.skip.no_futures")
NO_FUTURES_RIGHT = Text.of("profile.gate.skip.no_futures_permission")
HISTORY_SUMS = ("dnw", "pnl", "fee", "refr", "fund", "point_dnw", "point_fee", "point_refr")
FILLS, BOOK = "privateFuturesGetSettleMyTradesTimerange", "privateFuturesGetSettleAccountBook"
CONTRACTS = "publicFuturesGetSettleContracts"
CONTRACTS_PAGE = 100
Reader = Callable[[FuturesRows, Mapping[str, Any]], NormalizedRecord | None]


def shows_history(account: Mapping[str, Any]) -> bool:
    """Whether a futures account ever booked anything: a non-zero sum in its `history`."""
    history = account.get("history") or {}
    return any(history.get(name) not in (None, "") and exact(history[name]) != 0 for name in HISTORY_SUMS)


class GateFutures:
    """The futures endpoints of one Gate fetcher."""

    def __init__(self, client: Any, profile_id: str, exchange_name: str) -> None:
        self.client = client
        self.profile_id = profile_id
        self.exchange_name = exchange_name
        self._settles: tuple[str, ...] | None = None
        self._denied = False  # the key may not read futures (FORBIDDEN)
        self._multipliers: dict[str, dict[str, Decimal]] = {}

    async def settles(self, endpoint: Endpoint, report: FetchReport) -> tuple[str, ...]:
        """The settle currencies whose account shows history (asked once per fetcher); none: skipped, saying why."""
        if self._settles is None:
            found = []
            for settle in SETTLES:
                try:
                    account = await call(
                        self.client, "privateFuturesGetSettleAccounts", {"settle": settle}, endpoint=endpoint,
                        report=report,
                    )  # fmt: skip
                except ccxt.AccountNotEnabled:  # USER_NOT_FOUND: this settle's account was never opened
                    continue
                except ccxt.PermissionDenied:
                    # FORBIDDEN: the key's Perpetual Futures group is disabled. Nothing of futures can be read, and
                    # the spot kinds still can: these kinds end skipped with the fix, not the sync failed.
                    self._denied = True
                    break
                if shows_history(account or {}):
                    found.append(settle)
            self._settles = tuple(found)
        if self._denied:
            raise UnsupportedEndpoint(self.profile_id, endpoint, NO_FUTURES_RIGHT)
        if not self._settles:
            raise UnsupportedEndpoint(self.profile_id, endpoint, NO_FUTURES)
        return self._settles

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        method, read = (FILLS, _fill) if spec.endpoint is Endpoint.FUTURES_TRADES else (BOOK, _line)
        for settle in await self.settles(spec.endpoint, report):
            rows = FuturesRows(settle, {})
            async for page in self._walk(spec, settle, rows, method, read, since, until, cursors.get(settle), report):
                yield page

    async def multipliers(self, settle: str, endpoint: Endpoint, report: FetchReport) -> dict[str, Decimal]:
        """Each contract's `quanto_multiplier` (GET /futures/{settle}/contracts, every page)."""
        if settle not in self._multipliers:
            found: dict[str, Decimal] = {}
            offset = 0
            while True:
                params = {"settle": settle, "limit": CONTRACTS_PAGE, "offset": offset}
                listed = list(await call(self.client, CONTRACTS, params, endpoint=endpoint, report=report) or [])
                found.update({str(c["name"]): exact(c.get("quanto_multiplier") or "0") for c in listed})
                if len(listed) < CONTRACTS_PAGE:
                    break
                offset += len(listed)
            self._multipliers[settle] = found
        return self._multipliers[settle]

    async def _walk(
        self,
        spec: EndpointSpec,
        settle: str,
        rows: FuturesRows,
        method: str,
        read: Reader,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        size = spec.page_size

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            first, last = seconds_range(window_start, window_end)
            found = WindowPage([])
            if first > last:
                return found
            offset = int(token or 0)
            params = {"settle": settle, "from": first, "to": last, "limit": size, "offset": offset}
            listed = list(
                await call(self.client, method, params, endpoint=spec.endpoint, report=report, market=settle) or []
            )
            if listed and method == FILLS and not rows.multipliers:
                # The contracts' sizes, read once a settle and only when it has fills to read (a re-sync with
                # nothing new asks nothing more).
                rows.multipliers.update(await self.multipliers(settle, spec.endpoint, report))
            found.records.extend(record for row in listed if (record := read(rows, row)) is not None)
            if len(listed) >= size:
                found.token = offset + len(listed)
            return found

        start = walk_begin(spec, cursor, since, report, exchange_name=self.exchange_name, opened=GATE_OPENED)
        walk = WindowWalk(spec.endpoint, WHOLE_RANGE_MS, page, market=settle, clock=lambda: to_ms(until))
        end = last_whole_second_ms(until)
        async for item in walk.pages(start_ms=start, until_ms=end, cursor=cursor, floor_ms=since_ms(since)):
            yield item


def _fill(rows: FuturesRows, row: Mapping[str, Any]) -> NormalizedRecord | None:
    return rows.fill(row)


def _line(rows: FuturesRows, row: Mapping[str, Any]) -> NormalizedRecord | None:
    return rows.line(row)
