"""HTX (spot API): match results in 48-hour windows over the last 120 days, deposits and withdrawals paged by
their transfer ids, and transfers between the user's own accounts from the account ledger in 10-day windows over
the last 180 days. Rules and their sources: docs/exchange-apis/htx.md.

| endpoint | page | paging | window | reach |
| --- | --- | --- | --- | --- |
| `GET /v1/order/matchresults` | 500 | `from` = last row's `id`, `direct=next` (newest first) | 48 h | 120 days |
| `GET /v1/query/deposit-withdraw?type=deposit` | 100 | `from` = an id, `direct=prev`, to an empty page | none | ? |
| `GET /v1/query/deposit-withdraw?type=withdraw` | 100 | as deposits | none | not stated |
| `GET /v2/account/ledger?transactTypes=transfer` | 500 | `fromId` = the page's `nextId` | 10 days | 180 days |

USDT-margined futures, cross and isolated (fills, funding and the futures accounts' other money lines), and the gaps
of coin-margined ones, are futures.py's.

Match results need no symbol (it is optional), so no market has to be discovered: one walk covers every market.

Cursors: trades and own transfers `{"window_start_ms": …}` (windows.WindowWalk; inside a window the token is the
`id` or `nextId` to page on from); deposits and withdrawals `{"from_id": …}`, the id of the last row read, or one
below the earliest row not final yet, so the next sync reads that row again (the row at `from` is skipped when it
comes back: whether `from` is inclusive is not stated). A row pending past 14 days (windows.HOLD_MAX_AGE_MS) no
longer holds the cursor and is noted as a gap (windows.released_gap); a match result whose fee is still in
deduction holds its window like a pending deposit, and is stored once its fee is done.

The calls go through ccxt's v1 `private` methods, which sign with the client's `hostname` (set to the emulator's by
connectors/urls.py); the `spotPrivate…` methods sign with a host of their own table that a URL override does not
move.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date, datetime
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, served_spec
from connectors.fetchers.discovery import listed_spot_markets
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.htx.futures import HtxFutures
from connectors.fetchers.htx.rows import RowReader, fee_final
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    hold_if_recent,
    released_gap,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text, msgid

NAME = "HTX"
# Huobi opened in September 2013; nothing is older.
HTX_OPENED = date(2013, 9, 1)
TRANSFER_TYPE: Mapping[Endpoint, str] = {Endpoint.DEPOSITS: "deposit", Endpoint.WITHDRAWALS: "withdraw"}


class HtxFetcher(HandwrittenFetcher):
    """Fetches HTX history through ccxt's implicit API methods, reading HTX's raw strings."""

    SUPPORTED = frozenset(
        {*TRANSFER_TYPE, Endpoint.SPOT_TRADES, Endpoint.TRANSFERS, Endpoint.FUTURES_TRADES, Endpoint.FUNDING}
    )

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None, **_: Any) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)
        self.futures = HtxFutures(client, profile.id, HTX_OPENED)

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
            return self._trades(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        if endpoint is Endpoint.TRANSFERS:
            return self._own_transfers(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        if endpoint is Endpoint.FUNDING:
            return self.futures.fetch_lines(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.FUTURES_TRADES:
            return self.futures.fetch_fills(spec, since=since, until=until, cursors=cursors, report=report)
        return self._transfers(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    # -- match results ----------------------------------------------------------------------------------------

    async def _trades(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError("HTX match results need a window in the profile")
        markets = listed_spot_markets(self.client)
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=HTX_OPENED)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            request: dict[str, Any] = {
                "start-time": window_start,
                "end-time": window_end,
                "size": spec.page_size,
                "direct": "next",
            }
            if token is not None:
                request["from"] = token
            body = await call(
                self.client, "privateGetOrderMatchresults", request, endpoint=spec.endpoint, report=report
            )
            rows = list((body or {}).get("data") or [])
            found = WindowPage([])
            for row in rows:
                market = markets.get(str(row.get("symbol", "")))
                if market is None:
                    self._unlisted(spec, row, report)
                    continue
                if not fee_final(row):
                    # The fee is still being deducted: hold the window here and store the trade once it is done.
                    found.pending.append(int(row["created-at"]))
                    continue
                found.records.append(self.rows.trade(market, row))
            if len(rows) >= spec.page_size:
                found.token = str(rows[-1]["id"])
            return found

        # Given the report, the walk notes a trade whose fee stays in deduction past 14 days as a gap and lets go.
        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page, report=report)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
            yield item

    # -- transfers between the user's own accounts (the account ledger) ----------------------------------------

    async def _own_transfers(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError("HTX's account ledger needs a window in the profile")
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=NAME, opened=HTX_OPENED)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            request: dict[str, Any] = {
                "transactTypes": "transfer",
                "startTime": window_start,
                "endTime": window_end,
                "limit": spec.page_size,
            }
            if token is not None:
                request["fromId"] = token  # the nextId of the page before
            body = await call(self.client, "v2PrivateGetAccountLedger", request, endpoint=spec.endpoint, report=report)
            rows = list((body or {}).get("data") or [])
            found = WindowPage([self.rows.own_transfer(row) for row in rows])
            # "Only when the number of items within the query window … exceeded the page limitation … nextId".
            next_id = (body or {}).get("nextId")
            found.token = str(next_id) if next_id is not None else None
            return found

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor):
            yield item

    @staticmethod
    def _unlisted(spec: EndpointSpec, row: Mapping[str, Any], report: FetchReport) -> None:
        """A trade of a market HTX no longer lists: its base and quote cannot be told apart from the symbol."""
        when = ms_to_utc(int(row["created-at"]))
        reason = Text.of(msgid("sync.gap.htx.unlisted"), symbol=str(row.get("symbol")))
        report.gaps.append(CoverageGap(spec.endpoint, when, when, reason))

    # -- deposits and withdrawals ------------------------------------------------------------------------------

    async def _transfers(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        kind = TRANSFER_TYPE[spec.endpoint]
        floor = since_ms(since)
        after = int(cursor["from_id"]) if cursor and cursor.get("from_id") is not None else None
        held: int | None = None  # the id of the earliest row not final yet: the next sync asks from there
        while True:
            request: dict[str, Any] = {"type": kind, "direct": "prev", "size": spec.page_size}
            if after is not None:
                request["from"] = after
            body = await call(
                self.client, "privateGetQueryDepositWithdraw", request, endpoint=spec.endpoint, report=report
            )
            answered = list((body or {}).get("data") or [])
            rows = [r for r in answered if int(r["id"]) != after]  # `from` may be inclusive: read once
            records: list[NormalizedRecord] = []
            for row in rows:
                record, pending = self.rows.transfer(row)
                if pending is not None and hold_if_recent(pending) is None:
                    # Pending past 14 days: stuck, not settling. It no longer holds the cursor, and the user is told.
                    gap = released_gap(spec.endpoint, pending)
                    if gap not in report.gaps:
                        report.gaps.append(gap)
                elif pending is not None and held is None:
                    held = int(row["id"])
                if record is not None and (floor is None or int(row["created-at"]) >= floor):
                    records.append(record)
            # The page's size cap is not readable off the docs (htx.md): the list ends with a page of no new rows,
            # not with a short one, so a cap below the size asked cannot end the walk early.
            more = bool(rows)
            last = int(rows[-1]["id"]) if rows else after
            # From one below a held row: it comes back under either reading of `from`, and is not skipped.
            mark = held - 1 if held is not None else last
            stored: Cursor = {"from_id": mark} if mark is not None else {}
            covered = ms_to_utc(int(rows[-1]["created-at"])) if more else until
            yield Page(spec.endpoint, tuple(records), stored, covered)
            if not more:
                return
            after = last
