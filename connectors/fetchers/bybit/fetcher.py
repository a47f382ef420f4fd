"""Bybit v5: executions, deposits (on-chain and internal), withdrawals and internal transfers in time windows with
Bybit's cursor; converts by page number. Rules and their sources: docs/exchange-apis/bybit.md.

| endpoint | window | page | reach |
| --- | --- | --- | --- |
| `GET /v5/execution/list?category=spot` | 7 days | 100, `nextPageCursor` | 2 years |
| `GET /v5/asset/deposit/query-record` | 30 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/deposit/query-internal-record` | 30 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/withdraw/query-record` | 30 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/transfer/query-inter-transfer-list` | 7 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/transfer/query-universal-transfer-list` | 7 days | 50, `nextPageCursor` | not documented |
| `GET /v5/asset/exchange/query-convert-history` | none | 100, `index`, newest first | web/app converts: 2025-09-10 |
| `GET /v5/account/transaction-log` (lines no other list holds) | 7 days | 50, `nextPageCursor` | 2 years |

Derivatives fills, realized profit and loss, funding and spot-margin interest: `derivatives.py`; Earn: `earn.py`;
the unified transaction log's lines no other list holds (airdrops, bonuses, loans, …, endpoint "Ledger"):
`log_kinds.py`; moves between this UID and its master or sub-accounts (in Transfers): `subaccounts.py`; crypto
loans: `loans.py`.

Bybit's cursor names the last record served, so resuming inside a window with the stored token asks for exactly
the next page. Executions need no market: one walk covers the whole account. Deposits are two walks: on-chain
(cursor key "") then internal, off-chain ones (cursor key "internal").

A transfer to or from an account type whose balance Tallybot does not read (`INVESTMENT`, the ByFi account, "The
service has been offline"; `OPTION`; none is in the current accountType enum) is remembered in the transfers'
cursor and reported as a gap on every sync: what the coins earned or lost there is in no history.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page, served_spec
from connectors.fetchers.bybit.derivative_rows import DerivativeRows
from connectors.fetchers.bybit.derivatives import DerivativesFetch, Route
from connectors.fetchers.bybit.earn import EarnFetch, EarnRows
from connectors.fetchers.bybit.loans import CryptoLoans
from connectors.fetchers.bybit.log_kinds import LogKindRows, LogKindsFetch
from connectors.fetchers.bybit.pacing import Pacer, pacer_for
from connectors.fetchers.bybit.rows import BYBIT_OPENED, CONVERT_DONE, CONVERT_PENDING, DepositList, Parsed, RowReader
from connectors.fetchers.bybit.subaccounts import SUB_ACCOUNTS, SubAccountMoves
from connectors.fetchers.windows import (
    WindowPage,
    WindowWalk,
    call,
    cursor_window_request,
    date_ms,
    hold_if_recent,
    since_ms,
    span_ms,
    to_ms,
    walk_begin,
)
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.profiles.catalog.bybit import NAME as BYBIT
from connectors.records import NormalizedRecord, ms_to_utc
from i18n import Text, msgid

# Bybit's convert history lists converts made through the API; converts made on the website or app only from this
# day on (docs/v5/asset/convert/get-convert-history: "Starting from September 10, 2025, converts executed on the
# webpage can also be queried via this API").
WEB_CONVERTS_LISTED_FROM = date(2025, 9, 10)
WEB_CONVERTS_GAP = Text.of(msgid("sync.gap.bybit.web_converts"))
INTERNAL = DepositList.INTERNAL  # the cursor key of the internal (off-chain) deposit walk
# Account types whose balances Tallybot reads (connectors/balances/bybit.py): any other a transfer names is a wallet
# whose money the reconciliation cannot see.
READ_ACCOUNT_TYPES = frozenset({"UNIFIED", "FUND", "SPOT", "CONTRACT"})
UNREAD_WALLETS = "unread_wallets"  # the transfers cursor's key: account type -> first transfer's time (ms)
UNREAD_WALLET_GAP = msgid("sync.gap.bybit.unread_wallet")


_Route = Route

ROUTES: Mapping[Endpoint, _Route] = {
    Endpoint.SPOT_TRADES: _Route("privateGetV5ExecutionList", "list", {"category": "spot"}),
    Endpoint.DEPOSITS: _Route("privateGetV5AssetDepositQueryRecord", "rows", {}),
    # withdrawType 2: on-chain and off-chain (to another Bybit user); Bybit's default is on-chain only.
    Endpoint.WITHDRAWALS: _Route("privateGetV5AssetWithdrawQueryRecord", "rows", {"withdrawType": 2}),
    Endpoint.TRANSFERS: _Route("privateGetV5AssetTransferQueryInterTransferList", "list", {}),
}
INTERNAL_DEPOSITS = _Route("privateGetV5AssetDepositQueryInternalRecord", "rows", {})
DERIVATIVES = frozenset({Endpoint.FUTURES_TRADES, Endpoint.FUNDING, Endpoint.MARGIN_LOANS})
SUPPORTED = (
    frozenset(ROUTES) | {Endpoint.CONVERT, Endpoint.EARN_REWARDS, Endpoint.LEDGER, Endpoint.CRYPTO_LOANS} | DERIVATIVES
)


class BybitFetcher:
    """Fetches Bybit v5 history through ccxt's implicit API methods, reading Bybit's raw strings."""

    def __init__(
        self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None, pacer: Pacer | None = None
    ) -> None:
        self.profile = profile
        self.client = client
        self.key_type = key_type
        self.pacer = pacer or pacer_for(client)  # Bybit's per-minute budgets (deposits 100/min, ...)
        self.rows = RowReader(self.code, lambda symbol: self.client.safe_market(symbol, None, None, "spot"))
        self.derivatives = DerivativesFetch(client, DerivativeRows(self.code), self._windowed, profile.id)
        self.earn = EarnFetch(client, EarnRows(self.code), self._windowed, profile.id)
        self.log_kinds = LogKindsFetch(
            LogKindRows(self.code), self._windowed, self.derivatives.mode, profile.id, client
        )
        self.sub_accounts = SubAccountMoves(client, self.code, self._windowed)
        self.crypto_loans = CryptoLoans(client, self.code)

    def learn_assets(self, assets: Iterable[str]) -> None:
        """Bybit's execution list needs no market: nothing to learn."""

    def supports(self, endpoint: Endpoint) -> bool:
        return endpoint in SUPPORTED and self.profile.offers(endpoint, self.key_type)

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, endpoint in SUPPORTED)
        if endpoint is Endpoint.CONVERT:
            return self._converts(spec, since=since, until=until, cursor=cursors.get(""), report=report)
        if endpoint is Endpoint.EARN_REWARDS:
            return self.earn.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.LEDGER:
            return self.log_kinds.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.CRYPTO_LOANS:
            return self.crypto_loans.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint in DERIVATIVES:
            return self.derivatives.fetch(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.DEPOSITS:
            return self._deposits(spec, since=since, until=until, cursors=cursors, report=report)
        if endpoint is Endpoint.TRANSFERS:
            return self._transfers(spec, since=since, until=until, cursors=cursors, report=report)
        route, parse = ROUTES[endpoint], self._parser(endpoint)
        return self._windowed(spec, route, parse, since=since, until=until, cursor=cursors.get(""), report=report)

    def code(self, asset: str) -> str:
        return str(self.client.safe_currency_code(asset))

    # -- windowed endpoints -----------------------------------------------------------------------------------

    async def _deposits(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """On-chain deposits, then internal (off-chain) ones from other Bybit users: two lists, two cursors."""
        on_chain = self._windowed(
            spec,
            ROUTES[Endpoint.DEPOSITS],
            self.rows.deposit,
            since=since,
            until=until,
            cursor=cursors.get(""),
            report=report,
        )
        async for page in on_chain:
            yield page
        internal = self._windowed(
            spec,
            INTERNAL_DEPOSITS,
            self.rows.internal_deposit,
            since=since,
            until=until,
            cursor=cursors.get(INTERNAL),
            report=report,
            market=INTERNAL,
        )
        async for page in internal:
            yield page

    async def _transfers(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """Transfers between the account's wallets, noting the wallets among them whose balance is not read; then
        the moves between this UID and its master or sub-accounts (subaccounts.py, cursor key "subaccounts")."""
        cursor = cursors.get("")
        unread: dict[str, int] = dict((cursor or {}).get(UNREAD_WALLETS) or {})
        route = ROUTES[Endpoint.TRANSFERS]
        async for page in self._windowed(
            spec, route, self.rows.transfer, since=since, until=until, cursor=cursor, report=report
        ):
            for record in page.records:
                for side in ("fromAccountType", "toAccountType"):
                    wallet = str((record.raw or {}).get(side) or "")
                    if wallet and wallet not in READ_ACCOUNT_TYPES:
                        when = to_ms(record.occurred_at)
                        unread[wallet] = min(unread.get(wallet, when), when)
            yield replace(page, cursor={**page.cursor, UNREAD_WALLETS: unread}) if unread else page
        for wallet, first in sorted(unread.items()):
            reason = Text.of(UNREAD_WALLET_GAP, wallet=wallet)
            report.gaps.append(CoverageGap(spec.endpoint, ms_to_utc(first), until, reason))
        moves = self.sub_accounts.fetch(spec, since=since, until=until, cursor=cursors.get(SUB_ACCOUNTS), report=report)
        async for page in moves:
            yield page

    async def _windowed(
        self,
        spec: EndpointSpec,
        route: _Route,
        parse: Callable[[Mapping[str, Any], int], Parsed],
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
        market: str = "",
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError(f"Bybit {spec.endpoint} needs a window in its profile")
        start_ms = walk_begin(spec, cursor, since, report, exchange_name=BYBIT, opened=BYBIT_OPENED)

        async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
            params = cursor_window_request(route.params, window_start, window_end, spec.page_size, token)
            await self.pacer.turn(route.method)
            try:
                body = await call(self.client, route.method, params, endpoint=spec.endpoint, report=report)
            finally:
                self.pacer.answered(route.method)
            result = body.get("result") or {}
            # The yield page's example has its rows in `yield`, its table in `list`: either is read.
            rows = result.get(route.rows_key) or result.get("list") or []
            next_cursor = result.get("nextPageCursor") or None
            # Bybit sometimes hands out a cursor to an empty page; a short page is the last one anyway.
            found = WindowPage([], next_cursor if len(rows) >= spec.page_size else None)
            for row in rows:
                record, hold = parse(row, window_start)
                if record is not None:
                    found.records.append(record)
                if hold is not None and (found.hold_ms is None or hold < found.hold_ms):
                    found.hold_ms = hold
            return found

        walk = WindowWalk(spec.endpoint, span_ms(spec.window), page, market, rereads_late_listings=True)
        async for item in walk.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
            yield item

    def _parser(self, endpoint: Endpoint) -> Callable[[Mapping[str, Any], int], Parsed]:
        return {
            Endpoint.SPOT_TRADES: self.rows.execution,
            Endpoint.WITHDRAWALS: self.rows.withdrawal,
        }[endpoint]

    # -- converts ---------------------------------------------------------------------------------------------

    async def _converts(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        """Newest first by page number, so new converts shift the pages: walk from page 1 down to the newest
        convert already committed. Pages before the last keep the old cursor (a resumed walk starts again at
        page 1; the records it repeats are already stored); the last page moves it to the newest convert."""
        after = (cursor or {}).get("after_ms")
        after_ids = set((cursor or {}).get("ids", ()))
        floor = to_ms(since) if since is not None else None
        web_from = date_ms(WEB_CONVERTS_LISTED_FROM)
        said = bool((cursor or {}).get("reach_said"))
        if not said and (floor is None or floor < web_from):
            # Said once, on the first complete walk's sync: the stored cursor remembers it was said.
            gap_start = ms_to_utc(max(floor if floor is not None else 0, date_ms(BYBIT_OPENED)))
            report.gaps.append(CoverageGap(spec.endpoint, gap_start, ms_to_utc(web_from), WEB_CONVERTS_GAP))
        until_ms = to_ms(until)
        newest: int | None = None
        newest_ids: set[str] = set()
        hold: int | None = None
        index = 1
        while True:
            body = await call(
                self.client,
                "privateGetV5AssetExchangeQueryConvertHistory",
                {"index": index, "limit": spec.page_size},
                endpoint=spec.endpoint,
                report=report,
            )
            rows = (body.get("result") or {}).get("list") or []
            records: list[NormalizedRecord] = []
            reached = False
            for row in rows:
                when, ident = int(row["createdAt"]), str(row["exchangeTxId"])
                if (after is not None and (when < after or (when == after and ident in after_ids))) or (
                    floor is not None and when < floor
                ):
                    reached = True
                    continue
                if when > until_ms:
                    continue  # the next sync takes it: the cursor stays before it
                if newest is None or when > newest:
                    newest, newest_ids = when, {ident}
                elif when == newest:
                    newest_ids.add(ident)
                status = str(row.get("exchangeStatus", "success"))
                if status in CONVERT_PENDING:
                    recent = hold_if_recent(when)
                    hold = recent if hold is None or (recent is not None and recent < hold) else hold
                elif status in CONVERT_DONE:
                    records.append(self.rows.convert(row, when, ident))
            done = reached or len(rows) < spec.page_size
            stored: Cursor = dict(cursor or {})
            if done:
                if hold is not None:
                    stored = {"after_ms": hold - 1, "ids": []}
                elif newest is not None:
                    stored = {"after_ms": newest, "ids": sorted(newest_ids)}
                stored["reach_said"] = True
            covered = until if done else ms_to_utc(0)
            yield Page(spec.endpoint, tuple(records), stored, covered)
            if done:
                return
            index += 1
