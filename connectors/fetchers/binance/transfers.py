"""Binance transfers between the account's own wallets: the universal transfer history, one list per direction.

| request | paging | window | reach | weight |
| --- | --- | --- | --- | --- |
| `GET /sapi/v1/asset/transfer?type=…` | `current` + `size` 100; `total` | none documented | 6 months | 1 (IP) |
| `GET /sapi/v1/margin/transfer?isolatedSymbol=…` | `current` + `size` 100; `total` | 30 days | not stated | 1 (IP) |

Query User Universal Transfer History (wallet/asset/query-user-universal-transfer): `type` is mandatory and names
one direction ("MAIN_UMFUTURE Spot account transfer to USDⓈ-M Futures account", …: the User Universal Transfer page's
ENUM); "Support query within the last 6 months only"; without times "the last 7 days". The page states no longest
span, so each direction is asked in one window over its reach: a first sync costs one request per direction (18),
a re-sync the same. The universal list's isolated-margin directions need a pair (`fromSymbol`/`toSymbol`) and
name only moves between cross and isolated margin; moves between spot and an isolated pair are in Get Cross Margin
Transfer History (margin_trading/transfer): asked per isolated pair the account has (`GET
/sapi/v1/margin/isolated/account`, read once a sync by margin.py), `type` ROLL_IN (into the pair) or ROLL_OUT, "The
max interval between startTime and endTime is 30 days", newest first; from Binance's margin launch, reach not stated;
rows older than six months asked with `archived=true`, as the editions that list the flag say ("Set archived to true
to query data from 6 months ago"), unless Binance answers that it no longer reads it (margin.py's `Archive`).

A transfer is a TRANSFER record (it counts zero in reconciliation: every wallet is read, the isolated pairs too), keyed
by `type` and `tranId` (an isolated one by the pair and `txId`).
A transfer into cross margin (MAIN_MARGIN, UMFUTURE_MARGIN, …) names a coin the cross account used: the margin
trades' discovery (margin.py) takes it as evidence, so a pair whose quote was moved in and spent is asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.binance.margin import Archive
from connectors.fetchers.binance.subaccounts import BinanceSubAccountMoves
from connectors.fetchers.windows import (
    FetchWindowPage,
    WindowPage,
    WindowWalk,
    call,
    hold_if_recent,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import EndpointSpec
from connectors.profiles.catalog.binance import NAME
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

# The User Universal Transfer page's ENUM, less the isolated-margin directions (they need a pair).
DIRECTIONS = (
    "MAIN_UMFUTURE", "UMFUTURE_MAIN", "MAIN_CMFUTURE", "CMFUTURE_MAIN", "MAIN_MARGIN", "MARGIN_MAIN",
    "UMFUTURE_MARGIN", "MARGIN_UMFUTURE", "CMFUTURE_MARGIN", "MARGIN_CMFUTURE", "MAIN_FUNDING", "FUNDING_MAIN",
    "FUNDING_UMFUTURE", "UMFUTURE_FUNDING", "MARGIN_FUNDING", "FUNDING_MARGIN", "FUNDING_CMFUTURE", "CMFUTURE_FUNDING",
)  # fmt: skip
INTO_CROSS_MARGIN = frozenset(d for d in DIRECTIONS if d.endswith("_MARGIN"))
DONE, PENDING = "CONFIRMED", "PENDING"  # "status: CONFIRMED / FAILED / PENDING"
ISOLATED_WINDOW = timedelta(days=30)
IsolatedPairs = Callable[[FetchReport], Awaitable[list[str]]]


class BinanceTransfers:
    """TRANSFERS of one account; `into_margin` is told each coin moved into cross margin."""

    def __init__(
        self,
        client: Any,
        into_margin: Callable[[str], None],
        isolated_pairs: IsolatedPairs,
        sub_accounts: BinanceSubAccountMoves,
        opened: tuple[date, date],
    ) -> None:
        """`opened`: when Binance, and its margin trading, opened (where the walks without a stated reach start)."""
        self.client = client
        self.into_margin = into_margin
        self.isolated_pairs, self.sub_accounts = isolated_pairs, sub_accounts
        self.opened, self.margin_opened = opened
        self.archive = Archive()  # the isolated pairs' list: does it still read `archived`?

    async def fetch(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """Every direction in turn, each a walk of its own kept under "lists" in the endpoint's cursor."""
        stored = cursors.get("") or {}
        state: dict[str, Cursor] = dict(stored.get("lists") or {})
        seen = bool(stored.get("seen"))
        until_ms, reach = to_ms(until), FetchReport()
        for direction in DIRECTIONS:
            own = state.get(direction)
            start = walk_begin(spec, own, since, reach, exchange_name=NAME)
            span = max(until_ms - start + 1, 1)  # no longest span documented: the whole reach at once
            walk = WindowWalk(spec.endpoint, span, self._page(spec, direction, report), report=report)
            async for page in walk.pages(start_ms=start, until_ms=until_ms, cursor=own, floor_ms=since_ms(since)):
                state[direction] = page.cursor
                seen = seen or bool(page.records)
                yield Page(spec.endpoint, page.records, {"lists": dict(state), "seen": seen}, page.covered_until)
        # The isolated pairs' and the sub-account lists state no reach: walked from their opening, not the universal
        # list's six months (replace: the spec without that lookback).
        unlimited = replace(spec, lookback=None)
        for name, span, fetch_page, opened in await self._other_walks(spec, report):
            own = state.get(name)
            start = walk_begin(unlimited, own, since, report, exchange_name=NAME, opened=opened)
            walk = WindowWalk(spec.endpoint, span, fetch_page, report=report)
            async for page in walk.pages(start_ms=start, until_ms=until_ms, cursor=own, floor_ms=since_ms(since)):
                state[name] = page.cursor
                seen = seen or bool(page.records)
                yield Page(spec.endpoint, page.records, {"lists": dict(state), "seen": seen}, page.covered_until)
        # The six months' reach is a gap of this account only if it moves money between its wallets (a transfer seen
        # now or at an earlier sync); for everyone else it would mark every long history partial for nothing, and
        # reconciliation is the check (transfers count zero there).
        if seen:
            report.gaps.extend({gap.reason: gap for gap in reach.gaps}.values())

    def _page(self, spec: EndpointSpec, direction: str, report: FetchReport) -> Callable[[int, int, Any], Any]:
        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {"type": direction, "startTime": start, "endTime": end, "current": number, "size": spec.page_size}
            body = await call(self.client, "sapiGetAssetTransfer", params, endpoint=spec.endpoint, report=report)
            rows = body.get("rows") or []
            found = WindowPage(
                [], number + 1 if rows and number * spec.page_size < int(body.get("total") or 0) else None
            )
            for row in rows:
                record, hold = self.transfer(row)
                if record is not None:
                    found.records.append(record)
                if hold is not None and (found.hold_ms is None or hold < found.hold_ms):
                    found.hold_ms = hold
            return found

        return fetch_page

    async def _other_walks(
        self, spec: EndpointSpec, report: FetchReport
    ) -> list[tuple[str, int, FetchWindowPage, date]]:
        """Each isolated pair's list (from margin's opening), then the sub-account moves (from Binance's)."""
        span = span_ms(ISOLATED_WINDOW)
        isolated = [
            (":".join(("isolated", pair)), span, self._isolated_page(spec, pair, report), self.margin_opened)
            for pair in await self.isolated_pairs(report)
        ]
        walks = await self.sub_accounts.walks(spec, report)
        moves = [(name, span, page, opened or self.opened) for name, span, page, opened in walks]
        return isolated + moves

    def _isolated_page(self, spec: EndpointSpec, pair: str, report: FetchReport) -> FetchWindowPage:
        async def fetch_page(start: int, end: int, number: int, archived: bool) -> WindowPage:
            params: dict[str, Any] = {"isolatedSymbol": pair, "startTime": start, "endTime": end, "current": number}
            params["size"] = spec.page_size
            if archived:
                params.update(archived="true")
            body = await call(self.client, "sapiGetMarginTransfer", params, endpoint=spec.endpoint, report=report)
            rows = body.get("rows") or []
            more = rows and number * spec.page_size < int(body.get("total") or 0)
            found = WindowPage([], number + 1 if more else None)
            for row in rows:
                # ROLL_IN: into the pair from `transFrom`; ROLL_OUT: out of it to `transTo`. Keyed apart from the
                # universal list's rows by the pair.
                moved = {**row, "type": f"{row['type']}:{pair}", "tranId": row["txId"]}
                record, hold = self.transfer(moved)
                if record is not None:
                    found.records.append(replace(record, raw=dict(row)))
                if hold is not None and (found.hold_ms is None or hold < found.hold_ms):
                    found.hold_ms = hold
            return found

        return self.archive.pages(fetch_page)

    def transfer(self, row: Mapping[str, Any]) -> tuple[NormalizedRecord | None, int | None]:
        """A CONFIRMED row is a TRANSFER; a PENDING one holds the cursor while recent; a FAILED one moved nothing."""
        direction, when, status = str(row["type"]), int(row["timestamp"]), str(row.get("status", DONE))
        if status == PENDING:
            return None, hold_if_recent(when)
        if status != DONE:
            return None, None
        asset = str(row["asset"])
        if direction in INTO_CROSS_MARGIN:
            self.into_margin(asset)
        ident = f"{direction}:{row['tranId']}"  # a tranId is Binance's per transfer; the direction keeps keys apart
        return (
            NormalizedRecord(
                kind=RecordKind.TRANSFER,
                occurred_at=ms_to_utc(when),
                natural_key=natural_key(RecordKind.TRANSFER, ident),
                asset=str(self.client.safe_currency_code(asset)),
                amount=exact(row["amount"]),
                exchange_tx_id=str(row["tranId"]),
                raw=dict(row),  # `type` says which way
            ),
            None,
        )
