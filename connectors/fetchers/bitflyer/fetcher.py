"""bitFlyer Lightning (HTTP API v1): executions per spot product, crypto deposits and sends, JPY deposits and
withdrawals. Rules and their sources: docs/exchange-apis/bitflyer.md.

| endpoint | list | paging |
| --- | --- | --- |
| spot trades | `GET /v1/me/getexecutions?product_code=…` per Spot product of `GET /v1/getmarkets` | `before`/`after` |
| deposits | `GET /v1/me/getcoinins` (crypto) and `GET /v1/me/getdeposits` (JPY) | as trades |
| withdrawals | `GET /v1/me/getcoinouts` (crypto) and `GET /v1/me/getwithdrawals` (JPY) | as trades |

Every list is paged the documented way ("Pagination"): newest first, `count` rows (default 100), `before` an id to
stay below, `after` an id to stay above. A list is walked from its newest row down with `before`; a walk stops at a
short page or at the first row older than the sync-from date. Nothing takes a time range, and no reach is
documented.

Cursor per list: `{"after": id}` once walked (a re-sync asks only rows above it: one request while fewer than a page
are new), and while a walk is under way `{"after": …, "top": newest id seen, "before": lowest id read}` so a resumed
walk asks for exactly the next page. A deposit or withdrawal still PENDING holds `after` just below its id, so the
next sync reads it again once it settles; one pending longer than `windows.HOLD_MAX_AGE_MS` is let go and noted as a
gap (`sync.gap.pending_released`). Trades keep one cursor per product
code; deposits and withdrawals one cursor holding their two lists (`"coin"`, `"cash"`).

The products: every Spot product of the Japanese market list (one request a sync). bitFlyer has a handful, so each is
asked, traded or not: one request per product per sync, no discovery needed and none missed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.bitflyer.rows import Parsed, RowReader, event_ms
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.windows import call, date_ms, hold_if_recent, released_gap, to_ms
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, RecordKind

# bitFlyer opened in January 2014 (its own company profile); nothing is older.
BITFLYER_OPENED = date(2014, 1, 9)
TRADES_METHOD = "privateGetGetexecutions"
# Each wallet endpoint's two lists: (cursor key, ccxt implicit method, record kind).
WALLET: Mapping[Endpoint, tuple[tuple[str, str], ...]] = {
    Endpoint.DEPOSITS: (("coin", "privateGetGetcoinins"), ("cash", "privateGetGetdeposits")),
    Endpoint.WITHDRAWALS: (("coin", "privateGetGetcoinouts"), ("cash", "privateGetGetwithdrawals")),
}
KIND = {Endpoint.DEPOSITS: RecordKind.DEPOSIT, Endpoint.WITHDRAWALS: RecordKind.WITHDRAWAL}
LIST_NAMES = {
    "privateGetGetcoinins": "coinin",
    "privateGetGetdeposits": "deposit",
    "privateGetGetcoinouts": "coinout",
    "privateGetGetwithdrawals": "withdrawal",
}
SPOT_MATCH_ONLY = "Spot"  # the market list's market_type of a spot product
Read = Callable[[Mapping[str, Any]], tuple[int, int, Parsed]]  # (id, time in ms, parsed row)


class BitflyerFetcher(HandwrittenFetcher):
    """Fetches bitFlyer history through ccxt's implicit API methods, reading bitFlyer's raw numbers as Decimal."""

    SUPPORTED = frozenset({Endpoint.SPOT_TRADES, *WALLET})

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)

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
        floor = since if since is not None else datetime.fromtimestamp(date_ms(BITFLYER_OPENED) / 1000, UTC)
        if endpoint is Endpoint.SPOT_TRADES:
            return self._trades(spec, floor, until, cursors, report)
        return self._wallet(spec, floor, until, cursors.get("") or {}, report)

    # -- the id-paged walk ------------------------------------------------------------------------------------

    async def _walk(
        self,
        spec: EndpointSpec,
        method: str,
        params: Mapping[str, Any],
        state: Cursor,
        floor_ms: int,
        read: Read,
        report: FetchReport,
        market: str = "",
    ) -> AsyncIterator[tuple[list[NormalizedRecord], Cursor, bool]]:
        """Pages of one list from its newest row down: (records, the list's cursor after them, walk finished)."""
        after, top, before, hold = state.get("after"), state.get("top"), state.get("before"), state.get("hold")
        while True:
            request: dict[str, Any] = {**params, "count": spec.page_size}
            if after is not None:
                request["after"] = after
            if before is not None:
                request["before"] = before
            rows = await call(self.client, method, request, endpoint=spec.endpoint, report=report, market=market)
            records: list[NormalizedRecord] = []
            below_floor = False
            for row in rows or []:
                ident, when, (record, pending) = read(row)
                top = ident if top is None else max(int(top), ident)
                if when < floor_ms:
                    below_floor = True  # older than the sync-from date: so is every row after it
                    break
                if pending and hold_if_recent(when) is None:
                    report.gaps.append(released_gap(spec.endpoint, when))  # pending too long: no longer waited for
                elif pending:
                    hold = ident if hold is None else min(int(hold), ident)
                elif record is not None:
                    records.append(record)
            if below_floor or len(rows or []) < spec.page_size:
                settled = top if top is not None else after
                yield records, {"after": settled if hold is None else int(hold) - 1}, True
                return
            before = int(rows[-1]["id"])
            yield records, {"after": after, "top": top, "before": before, "hold": hold}, False

    # -- spot trades ------------------------------------------------------------------------------------------

    async def _products(self, report: FetchReport) -> list[str]:
        listed = await call(self.client, "publicGetGetmarkets", {}, endpoint=Endpoint.SPOT_TRADES, report=report)
        return [str(m["product_code"]) for m in listed or [] if m.get("market_type") == SPOT_MATCH_ONLY]

    async def _trades(
        self,
        spec: EndpointSpec,
        floor: datetime,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        for product in await self._products(report):
            report.markets_scanned.append(product)

            def read(row: Mapping[str, Any], product: str = product) -> tuple[int, int, Parsed]:
                return int(row["id"]), event_ms(row["exec_date"]), (self.rows.execution(product, row), False)

            state = cursors.get(product) or {}
            walk = self._walk(
                spec, TRADES_METHOD, {"product_code": product}, state, to_ms(floor), read, report, product
            )
            async for records, cursor, finished in walk:
                yield Page(spec.endpoint, tuple(records), cursor, until if finished else floor, product)

    # -- deposits and withdrawals -----------------------------------------------------------------------------

    async def _wallet(
        self, spec: EndpointSpec, floor: datetime, until: datetime, cursor: Cursor, report: FetchReport
    ) -> AsyncIterator[Page]:
        kind = KIND[spec.endpoint]
        merged: Cursor = dict(cursor)
        lists = WALLET[spec.endpoint]
        for position, (key, method) in enumerate(lists):
            name = LIST_NAMES[method]

            def read(row: Mapping[str, Any], name: str = name) -> tuple[int, int, Parsed]:
                return int(row["id"]), event_ms(row["event_date"]), self.rows.move(kind, name, row)

            walk = self._walk(spec, method, {}, merged.get(key) or {}, to_ms(floor), read, report)
            async for records, state, finished in walk:
                merged = {**merged, key: state}
                complete = finished and position == len(lists) - 1
                yield Page(spec.endpoint, tuple(records), merged, until if complete else floor)
