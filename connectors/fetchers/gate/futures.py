"""Gate perpetual and delivery futures: fills (FUTURES_TRADES) and the futures account books' profit and loss and
funding (FUNDING), for each product and settle currency whose account shows history (products.py tells them apart).
docs/exchange-apis/gate.md names the pages.

| request | paging | window | reach |
| --- | --- | --- | --- |
| `GET /{futures,delivery}/{settle}/accounts` | one object | — | — |
| `GET /futures/{settle}/my_trades_timerange`, `…/account_book` | `offset` + `limit` 100 | one range | not documented |
| `GET /delivery/{settle}/my_trades` | `offset` + `limit` 100, newest first | no range | not documented |
| `GET /delivery/{settle}/account_book` | `to` moved back + `limit` 100 | one range | not documented |
| `GET /{futures,delivery}/{settle}/contracts` (public) | `offset` + `limit` 100 | — | — |

Each account is read first: Gate answers `USER_NOT_FOUND` ("please transfer funds first to create futures account")
for one never opened, and its `history` sums every deposit/withdrawal, profit and loss, fee and funding it ever
booked, so an account whose sums are all zero has no history to walk. With no account showing any, both endpoints
are skipped and /status says why; a key whose permission group is disabled is answered FORBIDDEN, and with nothing
else to read both end skipped with the fix (tick the group read-only). Options are not read yet: an options account
showing a balance or a position is said as a gap on FUTURES_TRADES and FUNDING (or their skip), never left out.
Each product and settle is its own walk (cursor market `usdt`, `btc`, `delivery:usdt`) over one range from the
sync-from date to the last whole second before `until` (Gate's ranges are whole seconds: gate/ranges.py); a re-sync
asks from where the last one ended. The delivery fills take no range: they are read newest first until the newest id
the last sync stored (cursor `{"last_id": …}`), and the delivery book takes no offset: a full page is followed by
the range ending at its oldest second, past the rows already read there. A product's contracts are read once, when
a page of its fills holds rows, for their multipliers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import ccxt

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.gate.futures_rows import FuturesRows, seconds_to_ms
from connectors.fetchers.gate.products import DELIVERY, PRODUCTS, Product
from connectors.fetchers.gate.ranges import GATE_OPENED, WHOLE_RANGE_MS, last_whole_second_ms, seconds_range
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, to_ms, walk_begin
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import NormalizedRecord, exact, ms_to_utc
from i18n import Text

NO_FUTURES = Text.of("profile.gate.skip.no_futures")
NO_FUTURES_RIGHT = Text.of("profile.gate.skip.no_futures_permission")
OPTIONS_NOT_READ = Text.of("profile.gate.gap.options_not_read")
OPTIONS_ACCOUNT = "privateOptionsGetAccounts"
HISTORY_SUMS = ("dnw", "pnl", "fee", "refr", "fund", "point_dnw", "point_fee", "point_refr")
CONTRACTS_PAGE = 100
Reader = Callable[[FuturesRows, Mapping[str, Any]], NormalizedRecord | None]
Walked = tuple[Product, str]  # a product and one of its settle currencies


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
        self._walked: tuple[Walked, ...] | None = None
        self._denied = False  # the key may not read a product (FORBIDDEN)
        self._options = False  # the options account shows use, which Tallybot does not read yet
        self._multipliers: dict[Walked, dict[str, Decimal]] = {}

    async def settles(self, endpoint: Endpoint, report: FetchReport) -> tuple[Walked, ...]:
        """The products and settles whose account shows history (asked once per fetcher); none: skipped, saying
        why (with the fix when the key may not read a product)."""
        if self._walked is None:
            found = []
            for product in PRODUCTS:
                for settle in product.settles:
                    try:
                        account = await call(
                            self.client, product.accounts, {"settle": settle}, endpoint=endpoint, report=report
                        )
                    except ccxt.AccountNotEnabled:  # USER_NOT_FOUND: this settle's account was never opened
                        continue
                    except ccxt.PermissionDenied:
                        # FORBIDDEN: the key's group for this product is disabled. Its other settles cannot be
                        # read either; the spot kinds and other products still can, so this never fails the sync.
                        self._denied = True
                        break
                    if shows_history(account or {}):
                        found.append((product, settle))
            self._walked = tuple(found)
            self._options = await self._options_used(endpoint, report)
        if not self._walked and self._options:
            raise UnsupportedEndpoint(self.profile_id, endpoint, OPTIONS_NOT_READ, not_read=True)
        if not self._walked:
            raise UnsupportedEndpoint(self.profile_id, endpoint, NO_FUTURES_RIGHT if self._denied else NO_FUTURES)
        return self._walked

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        fills = spec.endpoint is Endpoint.FUTURES_TRADES
        walked = await self.settles(spec.endpoint, report)
        if self._options:  # options are not read: said as a gap over the whole range, not left silently out
            start = since or datetime.combine(GATE_OPENED, time(), UTC)
            report.gaps.append(CoverageGap(spec.endpoint, start, until, OPTIONS_NOT_READ, not_read=True))
        for product, settle in walked:
            rows = FuturesRows(settle, {}, product.account)
            cursor = cursors.get(product.market(settle))
            if fills and not product.fills_in_range:
                pages = self._newest_first(spec, product, settle, rows, since, until, cursor, report)
            else:
                method, read = (product.fills, _fill) if fills else (product.book, _line)
                pages = self._walk(spec, (product, settle), rows, method, read, since, until, cursor, report)
            async for page in pages:
                yield page

    async def _options_used(self, endpoint: Endpoint, report: FetchReport) -> bool:
        """Whether the options account shows a sign of use: a balance or a position (GET /options/accounts has no
        `history` sums). Unopened or unreadable (the key's options group disabled): no sign Tallybot can see."""
        try:
            account = await call(self.client, OPTIONS_ACCOUNT, {}, endpoint=endpoint, report=report)
        except (ccxt.AccountNotEnabled, ccxt.PermissionDenied):
            return False
        account = account or {}
        return any(exact(account.get(name) or "0") != 0 for name in ("total", "position_value"))

    async def multipliers(self, walked: Walked, endpoint: Endpoint, report: FetchReport) -> dict[str, Decimal]:
        """Each contract's `quanto_multiplier` (GET /{futures,delivery}/{settle}/contracts, every page)."""
        if walked not in self._multipliers:
            product, settle = walked
            found: dict[str, Decimal] = {}
            offset = 0
            while True:
                params = {"settle": settle, "limit": CONTRACTS_PAGE, "offset": offset}
                listed = list(
                    await call(self.client, product.contracts, params, endpoint=endpoint, report=report) or []
                )
                found.update({str(c["name"]): exact(c.get("quanto_multiplier") or "0") for c in listed})
                if len(listed) < CONTRACTS_PAGE:
                    break
                offset += len(listed)
            self._multipliers[walked] = found
        return self._multipliers[walked]

    async def _walk(
        self,
        spec: EndpointSpec,
        walked: Walked,
        rows: FuturesRows,
        method: str,
        read: Reader,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        product, settle = walked
        size, market = spec.page_size, product.market(settle)
        by_offset = method == product.fills or product.book_by_offset

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            first, last = seconds_range(window_start, window_end)
            found = WindowPage([])
            if first > last:
                return found
            params: dict[str, Any] = {"settle": settle, "from": first, "to": last, "limit": size}
            seen: set[str] = set()
            if by_offset:
                params["offset"] = int(token or 0)
            elif token:  # the delivery book: the range ends at the oldest second of the last full page
                params["to"], seen = int(token["to"]), set(token["seen"])
            listed = list(
                await call(self.client, method, params, endpoint=spec.endpoint, report=report, market=market) or []
            )
            if listed and method == product.fills and not rows.multipliers:
                # The contracts' sizes, read once a settle and only when it has fills to read (a re-sync with
                # nothing new asks nothing more).
                rows.multipliers.update(await self.multipliers(walked, spec.endpoint, report))
            fresh = [row for row in listed if str(row.get("id")) not in seen]
            found.records.extend(record for row in fresh if (record := read(rows, row)) is not None)
            if len(listed) >= size:
                found.token = int(params.get("offset", 0)) + len(listed) if by_offset else _next_end(listed, params)
            return found

        start = walk_begin(spec, cursor, since, report, exchange_name=self.exchange_name, opened=GATE_OPENED)
        walk = WindowWalk(spec.endpoint, WHOLE_RANGE_MS, page, market=market, clock=lambda: to_ms(until))
        end = last_whole_second_ms(until)
        async for item in walk.pages(start_ms=start, until_ms=end, cursor=cursor, floor_ms=since_ms(since)):
            yield item

    async def _newest_first(
        self,
        spec: EndpointSpec,
        product: Product,
        settle: str,
        rows: FuturesRows,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """A fills list without a range (delivery): newest first by `offset` until the newest id stored last time
        or a fill older than the sync-from date; fills in the second `until` falls in are left to the next sync.
        One page at the end carries the new cursor, so a walk cut short is read again, not skipped."""
        stored = int((cursor or {}).get("last_id", 0))
        floor, end, market = since_ms(since), last_whole_second_ms(until), product.market(settle)
        newest, offset, records = stored, 0, []
        done = False
        while not done:
            params = {"settle": settle, "limit": spec.page_size, "offset": offset}
            listed = list(
                await call(self.client, product.fills, params, endpoint=spec.endpoint, report=report, market=market)
                or []
            )
            done = len(listed) < spec.page_size
            for row in listed:
                ident, at = int(row["id"]), seconds_to_ms(row["create_time"])
                if ident <= stored or (floor is not None and at < floor):
                    done = True
                    break
                if at <= end:
                    if not rows.multipliers:  # the contracts, read only when a fill is new (not on an idle re-sync)
                        rows.multipliers.update(await self.multipliers((product, settle), spec.endpoint, report))
                    records.append(rows.fill(row))
                    newest = max(newest, ident)
            offset += len(listed)
        yield Page(spec.endpoint, tuple(records), {"last_id": newest}, ms_to_utc(end), market=market)


def _next_end(listed: list[Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """The next request of a list paged by its range's end (the delivery book, newest first): the range ends at
    the oldest second of this page, past the rows already read in it. A page all in one second cannot be paged."""
    oldest = min(int(Decimal(str(row["time"]))) for row in listed)
    if oldest >= int(params["to"]):
        raise ccxt.ExchangeError(DELIVERY.book)  # the diagnosis names the failure; the method says where
    return {"to": oldest, "seen": sorted(str(row["id"]) for row in listed if int(Decimal(str(row["time"]))) == oldest)}


def _fill(rows: FuturesRows, row: Mapping[str, Any]) -> NormalizedRecord | None:
    return rows.fill(row)


def _line(rows: FuturesRows, row: Mapping[str, Any]) -> NormalizedRecord | None:
    return rows.line(row)
