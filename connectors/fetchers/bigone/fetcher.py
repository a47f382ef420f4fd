"""BigONE (API v3): deposits, withdrawals, and the user's trades of every discovered asset pair, each list walked
newest first by its ``page_token``. Rules and their sources: docs/exchange-apis/bigone.md.

| endpoint | page | paging | window | reach |
| --- | --- | --- | --- | --- |
| `GET /api/v3/viewer/trades?asset_pair_name=…` | 200 | `page_token`, newest first | none | not stated |
| `GET /api/v3/viewer/deposits` | 50 | `page_token`, newest first | none | not stated |
| `GET /api/v3/viewer/withdrawals` | 50 | `page_token`, newest first | none | not stated |

No list takes a time range: each is read from its newest row back to the newest row an earlier sync read
(``stop_id``; ids descend down the list, as in BigONE's examples), or to the start of the user's history. A row not
final yet (a deposit still pending) keeps ``stop_id`` below it, so the next sync reads it again, for 14 days
(windows.HOLD_MAX_AGE_MS, counted from ``inserted_at``): one pending longer is let go and named as a gap
(windows.released_gap).

Cursors: ``{"stop_id": …, "covered_ms": …}`` once a walk ended; during one also ``"token"`` (the next page's
``page_token``), ``"top_id"`` and ``"top_ms"`` (the newest row of the walk), ``"hold_id"`` (the lowest pending
row). An interrupted walk is finished first by the next sync, which the sync after that tops up.

Trades need an asset pair: the pairs asked are those the account's own records point at (discovery.py: balances
from `GET /api/v3/viewer/accounts`, deposits, withdrawals, records of earlier syncs). The wallet lists run first
(`registry.sync_order`): they are the evidence. Per pair the cursor also keeps discovery's marks (``from_id`` 1 once
the pair had a trade; 0 and the two balances while empty); market "" holds the evidence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page, served_spec
from connectors.fetchers.bigone.rows import RowReader, when
from connectors.fetchers.discovery import (
    DEFAULT_PROBE_BUDGET,
    AssetEvidence,
    Evidence,
    SpotMarket,
    walk_planned_markets,
)
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.windows import call, hold_if_recent, released_gap, to_ms
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, exact, ms_to_utc

NAME = "BigONE"
WALLET: Mapping[Endpoint, str] = {
    Endpoint.DEPOSITS: "privateGetDeposits",
    Endpoint.WITHDRAWALS: "privateGetWithdrawals",
}
# One row read: its records, and whether it is still pending.
Read = Callable[[Mapping[str, Any]], tuple[list[NormalizedRecord], bool]]


class BigoneFetcher(HandwrittenFetcher):
    """Fetches BigONE history through ccxt's implicit API methods, reading BigONE's raw strings."""

    SUPPORTED = frozenset({*WALLET, Endpoint.SPOT_TRADES})

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
        return self._wallet(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    # -- one newest-first list --------------------------------------------------------------------------------

    async def _walk(
        self,
        spec: EndpointSpec,
        method: str,
        params: Mapping[str, Any],
        read: Read,
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
        market: str = "",
    ) -> AsyncIterator[tuple[Page, bool]]:
        """Pages from the newest row (or the interrupted walk's token) down to `stop_id`; each with whether it
        held a row."""
        state = dict(cursor or {})
        stop = state.get("stop_id")
        covered = ms_to_utc(int(state.get("covered_ms", 0)))
        token, top_id, top_ms = state.get("token"), state.get("top_id"), state.get("top_ms")
        hold = state.get("hold_id")
        floor = to_ms(since) if since is not None else None
        while True:
            request = {**params, "limit": spec.page_size}
            if token:
                request["page_token"] = token
            body = await call(self.client, method, request, endpoint=spec.endpoint, report=report, market=market)
            rows = list((body or {}).get("data") or [])
            records: list[NormalizedRecord] = []
            # The list ends with a page without a token or without rows ([general]: a page comes with its
            # page_token); a short page with a token is not the end (the page size is not a documented promise).
            done = not rows or not (body or {}).get("page_token")
            for row in rows:
                ident, moment = int(row["id"]), to_ms(when(row))
                if (stop is not None and ident <= int(stop)) or (floor is not None and moment < floor):
                    done = True  # read by an earlier sync, or before the history asked for
                    break
                if top_id is None:
                    top_id, top_ms = ident, moment
                found, pending = read(row)
                records.extend(found)
                if pending and hold_if_recent(moment) is None:
                    # Pending past 14 days (a WITHHOLD deposit may never settle): it no longer keeps stop_id below
                    # it, or every later sync would walk down to it again; the user is told its time instead.
                    gap = released_gap(spec.endpoint, moment)
                    if gap not in report.gaps:
                        report.gaps.append(gap)
                elif pending and (hold is None or ident < int(hold)):
                    hold = ident
            if done:
                newest = int(top_id) if top_id is not None else stop
                if hold is not None and newest is not None:
                    newest = min(int(newest), int(hold) - 1)
                # A finished resumed walk is complete up to its own newest row; a fresh one up to `until`.
                end = ms_to_utc(int(top_ms)) if state.get("token") and top_ms is not None else until
                stored: Cursor = {"covered_ms": to_ms(end)}
                if newest is not None:
                    stored["stop_id"] = int(newest)
                yield Page(spec.endpoint, tuple(records), stored, end, market), bool(rows)
                return
            token = (body or {}).get("page_token")
            stored = {"covered_ms": to_ms(covered), "token": token, "top_id": top_id, "top_ms": top_ms}
            if stop is not None:
                stored["stop_id"] = stop
            if hold is not None:
                stored["hold_id"] = hold
            yield Page(spec.endpoint, tuple(records), stored, covered, market), True

    # -- deposits and withdrawals -----------------------------------------------------------------------------

    async def _wallet(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        parse = self.rows.deposit if spec.endpoint is Endpoint.DEPOSITS else self.rows.withdrawal

        def read(row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], bool]:
            self.evidence.note(str(row.get("asset_symbol", "")), spec.endpoint.value)
            record, pending = parse(row)
            return ([record] if record is not None else []), pending

        walk = self._walk(spec, WALLET[spec.endpoint], {}, read, since=since, until=until, cursor=cursor, report=report)
        async for page, _ in walk:
            yield page

    # -- spot trades ------------------------------------------------------------------------------------------

    async def _balances(self, report: FetchReport) -> dict[str, Decimal]:
        body = await call(self.client, "privateGetAccounts", {}, endpoint=Endpoint.SPOT_TRADES, report=report)
        held: dict[str, Decimal] = {}
        for row in (body or {}).get("data") or []:
            total = exact(row.get("balance") or "0")
            if total > 0:
                held[str(row["asset_symbol"])] = total
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

        def read(row: Mapping[str, Any]) -> tuple[list[NormalizedRecord], bool]:
            return self.rows.trades(market, row), False

        walk = self._walk(
            spec,
            "privateGetTrades",
            {"asset_pair_name": market.id},
            read,
            since=since,
            until=until,
            cursor=cursor,
            report=report,
            market=market.id,
        )
        async for page, had_rows in walk:
            traded = traded or had_rows
            # The discovery marks (discovery.plan_markets): a pair with trades, or an empty one's balances.
            marks: Cursor = {"from_id": 1} if traded else {"from_id": 0, "balances": dict(snapshot)}
            yield Page(page.endpoint, page.records, {**page.cursor, **marks}, page.covered_until, page.market)
