"""MEXC (spot API v3): deposits, withdrawals, transfers between own accounts, small balances converted to MX and spot
trades per discovered market, each walked in time windows oldest first. Rules and their sources:
docs/exchange-apis/mexc.md.

| endpoint | page | paging inside a window | window | reach |
| --- | --- | --- | --- | --- |
| `GET /api/v3/capital/deposit/hisrec` | 1000 | start moves to the last row's time | 90 days | not documented |
| `GET /api/v3/capital/withdraw/history` | 1000 | as deposits | 90 days | not documented |
| `GET /api/v3/myTrades?symbol=…` | 100 | as deposits | 30 days (profile) | the last month |
| `GET /api/v3/capital/transfer` | 100 | `page`, SPOT to FUTURES, then back | 180 days (profile) | six months |
| `GET /api/v3/capital/convert` (DustLog) | 1000 | `page` | none documented: one range | not documented |

Futures fills and funding come from the contract API (futures.py).

The deposit, withdrawal and trade lists have neither a page number nor a cursor: a full page is followed by the
same request starting at the time of its last row (rows come oldest first), skipping the rows of that millisecond
already read.

Trades need a symbol: the markets asked are those the account's own records point at (discovery.py: balances from
`GET /api/v3/account`, deposits, withdrawals, transfers, conversions, records of earlier syncs). Run the wallet lists
first (`registry.sync_order`): they are the evidence.

Cursors: deposits, withdrawals, transfers and the DustLog `{"window_start_ms": …}` (windows.WindowWalk; deposits
and withdrawals with the trailing-day re-read); trades, per market, the same plus `"from_id"` (1 once the market
had a trade, 0 while it had none: MEXC's trade ids are hex strings without order, so the mark says only whether
there were trades) and, while empty, `"balances"` of its two assets at the sync's start; market "" holds the
evidence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, served_spec
from connectors.fetchers.discovery import (
    DEFAULT_PROBE_BUDGET,
    AssetEvidence,
    Evidence,
    SpotMarket,
    walk_planned_markets,
)
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.mexc.futures import MexcFutures
from connectors.fetchers.mexc.rows import Parsed, RowReader
from connectors.fetchers.windows import (
    SETTLING,
    WindowPage,
    WindowWalk,
    call,
    cursor_start,
    history_start,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, exact, ms_to_utc
from i18n import Text, msgid

NAME = "MEXC"
# A floor for walks whose profile entry names no `earliest`: MEXC (then MXC) opened in April 2018 (its own
# "About" page), so nothing is older.
MEXC_OPENED = date(2018, 4, 1)
WALLET: Mapping[Endpoint, str] = {
    Endpoint.DEPOSITS: "spotPrivateGetCapitalDepositHisrec",
    Endpoint.WITHDRAWALS: "spotPrivateGetCapitalWithdrawHistory",
}
# Query User Universal Transfer History answers one direction per request (both account types are required).
DIRECTIONS = (("SPOT", "FUTURES"), ("FUTURES", "SPOT"))
Token = list[Any]  # [time of the last row read, [ids of the rows read at that time]]


class MexcFetcher(HandwrittenFetcher):
    """Fetches MEXC history through ccxt's implicit API methods, reading MEXC's raw strings."""

    SUPPORTED = frozenset(
        {*WALLET, Endpoint.TRANSFERS, Endpoint.CONVERT, Endpoint.SPOT_TRADES, Endpoint.FUTURES_TRADES, Endpoint.FUNDING}
    )

    def __init__(
        self,
        profile: ExchangeProfile,
        client: Any,
        *,
        key_type: str | None = None,
        probe_budget: int = DEFAULT_PROBE_BUDGET,
    ) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)
        self.evidence = AssetEvidence()
        self.probe_budget = probe_budget
        self.futures = MexcFutures(client, profile.id, MEXC_OPENED)

    def learn_assets(self, assets: Iterable[str]) -> None:
        for code in assets:
            self.evidence.note(str(self.client.currency_id(code)), Evidence.STORED)

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
        if endpoint is Endpoint.SPOT_TRADES:
            return self._trades(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.FUTURES_TRADES:
            return self.futures.fills(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.FUNDING:
            return self.futures.funding(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        if endpoint is Endpoint.TRANSFERS:
            return self._transfers(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        if endpoint is Endpoint.CONVERT:
            return self._dust(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        return self._wallet(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    async def _page(
        self,
        spec: EndpointSpec,
        method: str,
        params: Mapping[str, Any],
        window: tuple[int, int],
        token: Token | None,
        read: Callable[[Mapping[str, Any]], tuple[str, int, Parsed]],
        report: FetchReport,
        market: str = "",
    ) -> WindowPage:
        """One request of a list paged by moving its start: the rows after `token`, and the token of the next."""
        start, end = (int(token[0]), window[1]) if token else window
        seen = set(token[1]) if token else set()
        request = {**params, "startTime": start, "endTime": end, "limit": spec.page_size}
        rows = await call(self.client, method, request, endpoint=spec.endpoint, report=report, market=market)
        found = WindowPage([])
        last_ms, at_last = start, list(seen)
        for row in rows or []:
            ident, when, (record, hold) = read(row)
            if when == start and ident in seen:
                continue  # read by the page before, which ended at this millisecond
            if record is not None:
                found.records.append(record)
            if hold is not None and (found.hold_ms is None or hold < found.hold_ms):
                found.hold_ms = hold
            if when != last_ms:
                last_ms, at_last = when, []
            at_last.append(ident)
        if len(rows or []) >= spec.page_size:
            if last_ms == start and len(at_last) == len(seen):
                # A whole page of one millisecond already read: MEXC offers no way past it.
                reason = Text.of(msgid("sync.gap.mexc.crowded"), size=spec.page_size, phrase=spec.phrase)
                report.gaps.append(CoverageGap(spec.endpoint, ms_to_utc(start), ms_to_utc(start), reason))
            else:
                found.token = [last_ms, at_last]
        return found

    # -- deposits and withdrawals -----------------------------------------------------------------------------

    async def _wallet(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        method = WALLET[spec.endpoint]
        parse = self.rows.deposit if spec.endpoint is Endpoint.DEPOSITS else self.rows.withdrawal
        time_field = "insertTime" if spec.endpoint is Endpoint.DEPOSITS else "applyTime"
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=MEXC_OPENED)

        def read(row: Mapping[str, Any]) -> tuple[str, int, Parsed]:
            self.evidence.note(str(row.get("coin", "")), spec.endpoint.value)
            ident = str(row.get("id") or (row.get("txId"), row.get("coin"), row.get("amount")))
            return ident, int(row[time_field]), parse(row)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            return await self._page(spec, method, {}, (window_start, window_end), token, read, report)

        walk = WindowWalk(spec.endpoint, _window(spec), page, rereads_late_listings=spec.endpoint in SETTLING)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield item

    # -- transfers between the user's spot and futures accounts -------------------------------------------------

    async def _transfers(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        """Each window asked in both directions, page by page (`page` from 1, `size`); the token names both."""
        start_ms = _reach_start(spec, cursor, since, report)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            direction, number = (int(token[0]), int(token[1])) if token else (0, 1)
            source, target = DIRECTIONS[direction]
            params = {
                "fromAccountType": source,
                "toAccountType": target,
                "startTime": window_start,
                "endTime": window_end,
                "page": number,
                "size": spec.page_size,
            }
            body = await call(
                self.client, "spotPrivateGetCapitalTransfer", params, endpoint=spec.endpoint, report=report
            )
            # ccxt shows the live answer as an object; the docs print it inside a list (docs/exchange-apis/mexc.md).
            answer = (body[0] if body else {}) if isinstance(body, list) else body
            found = WindowPage([])
            for row in answer.get("rows") or []:
                self.evidence.note(str(row.get("asset", "")), spec.endpoint.value)
                record, hold = self.rows.transfer(row)
                if record is not None:
                    found.records.append(record)
                if hold is not None and (found.hold_ms is None or hold < found.hold_ms):
                    found.hold_ms = hold
            if number * spec.page_size < int(answer.get("total") or 0):
                found.token = [direction, number + 1]
            elif direction + 1 < len(DIRECTIONS):
                found.token = [direction + 1, 1]
            return found

        walk = WindowWalk(spec.endpoint, _window(spec), page)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
            yield item

    # -- small balances converted to MX -----------------------------------------------------------------------

    async def _dust(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        """The DustLog from the cursor to `until` in one range (none is documented), page by page."""
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=MEXC_OPENED)
        until_ms = to_ms(until)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {"startTime": window_start, "endTime": window_end, "page": number, "limit": spec.page_size}
            body = await call(
                self.client, "spotPrivateGetCapitalConvert", params, endpoint=spec.endpoint, report=report
            )
            found = WindowPage([])
            for conversion in body.get("data") or []:
                for detail in conversion.get("convertDetails") or []:
                    self.evidence.note(str(detail.get("asset", "")), spec.endpoint.value)
                    found.records.append(self.rows.dust(detail))
            # The example names the page count totalPageNum, the table totalPage.
            if number < int(body.get("totalPageNum") or body.get("totalPage") or 0):
                found.token = number + 1
            return found

        span = span_ms(spec.window) if spec.window is not None else max(1, until_ms - start_ms + 1)
        async for item in WindowWalk(spec.endpoint, span, page).pages(
            start_ms=start_ms, until_ms=until_ms, cursor=cursor
        ):
            yield item

    # -- spot trades ------------------------------------------------------------------------------------------

    async def _balances(self, report: FetchReport) -> dict[str, Decimal]:
        body = await call(self.client, "spotPrivateGetAccount", {}, endpoint=Endpoint.SPOT_TRADES, report=report)
        held: dict[str, Decimal] = {}
        for row in body.get("balances") or []:
            total = exact(row.get("free") or "0") + exact(row.get("locked") or "0")
            if total > 0:
                held[str(row["asset"])] = total
        return held

    async def _trades(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        self.evidence.load((cursors.get("") or {}).get("assets", {}))
        held = await self._balances(report)

        def walk(market: SpotMarket, snapshot: Mapping[str, str]) -> AsyncIterator[Page]:
            return self._market(spec, market, cursors.get(market.id), since, until, snapshot, report)

        async for page in walk_planned_markets(
            self.client,
            self.evidence,
            held,
            cursors,
            report,
            exchange_name=NAME,
            probe_budget=self.probe_budget,
            walk=walk,
        ):
            yield page

    async def _market(
        self,
        spec: EndpointSpec,
        market: SpotMarket,
        cursor: Cursor | None,
        since: datetime | None,
        until: datetime,
        snapshot: Mapping[str, str],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        traded = int((cursor or {}).get("from_id", 0)) > 0
        start_ms = _reach_start(spec, cursor, since, report)

        def read(row: Mapping[str, Any]) -> tuple[str, int, Parsed]:
            record: NormalizedRecord = self.rows.trade(market, row)
            return str(row["id"]), int(row["time"]), (record, None)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            nonlocal traded
            found = await self._page(
                spec,
                "spotPrivateGetMyTrades",
                {"symbol": market.id},
                (window_start, window_end),
                token,
                read,
                report,
                market.id,
            )
            traded = traded or bool(found.records)
            return found

        walk = WindowWalk(spec.endpoint, _window(spec), page, market.id)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
            # The discovery marks (discovery.plan_markets): a market with trades, or an empty one's balances.
            marks: Cursor = {"from_id": 1} if traded else {"from_id": 0, "balances": dict(snapshot)}
            yield replace(item, cursor={**item.cursor, **marks})


def _window(spec: EndpointSpec) -> int:
    if spec.window is None:
        raise ValueError(f"MEXC {spec.endpoint} needs a window in its profile")
    return span_ms(spec.window)


def _reach_start(spec: EndpointSpec, cursor: Cursor | None, since: datetime | None, report: FetchReport) -> int:
    """Where a walk of a list with a rolling reach (trades: a month; transfers: six months) starts; the history out of
    reach is one gap for the endpoint, not one per market. A walk stopped inside a window resumes at that window's
    start even though the reach has moved on a little since: a new start would ask the window's first pages again."""
    requested = cursor_start(cursor)
    if requested is None and since is not None:
        requested = to_ms(since)
    start = history_start(spec, requested_ms=requested, exchange_name=NAME, opened=MEXC_OPENED)
    if start.gap is not None and not any(g.endpoint is spec.endpoint for g in report.gaps):
        report.gaps.append(start.gap)
    if cursor and cursor.get("window_end_ms") is not None and requested is not None:
        return requested
    return start.ms
