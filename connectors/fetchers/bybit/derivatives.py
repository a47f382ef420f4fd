"""Bybit v5 derivatives history: fills, realized profit and loss, funding and spot-margin interest, read by what
kind of account the key belongs to. Rules and their sources: docs/exchange-apis/bybit.md.

| endpoint | what | window | page | reach |
| --- | --- | --- | --- | --- |
| `GET /v5/execution/list?category=linear|inverse|option` | fills (fee `execFee`) | 7 days | 100 | 2 years |
| `GET /v5/account/transaction-log` (unified) | `cashFlow` P&L, `funding` | 7 days | 50 | 2 years |
| `GET /v5/account/contract-transaction-log` (classic) | the same, funding's sign turned | 7 days | 50 | probed |
| `GET /v5/account/borrow-history` (unified) | `borrowCost` interest | 30 days | 50 | 2 years |

`GET /v5/account/info`'s `unifiedMarginStatus` (docs/v5/enum.mdx#unifiedmarginstatus) says which lists hold the
account's history: 1 classic (contract log, no options, no unified loans), 3/4 UTA1.0 (unified log, and the contract
log for inverse), 5/6 UTA2.0 (unified log only). It is asked once per fetcher. Each list is its own walk with its
own cursor key, so a re-sync resumes each where it stopped.

The classic log's page states no reach (nor does the rate-limit table list it). When a walk of it would begin before
the two years the unified log keeps, one request asks a day just before the walk's start: refused ("startTime can
not be earlier than …", 10001), the log is walked from two years back, the older part named as out of reach; answered,
from the start asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import ccxt

from connectors.fetchers import windows
from connectors.fetchers.base import Cursor, FetchReport, Page, UnsupportedEndpoint
from connectors.fetchers.bybit.derivative_rows import DERIVATIVE_CATEGORIES, INVERSE, LINEAR, OPTION, DerivativeRows
from connectors.fetchers.bybit.rows import Parsed
from connectors.fetchers.windows import cursor_start, span_ms, to_ms
from connectors.profiles import Endpoint, EndpointSpec
from i18n import Text

LOG_PAGE = 50  # transaction-log.mdx, contract-transaction-log.mdx: limit [1, 50]
DAY_MS = 86_400_000
CLASSIC_NO_LOANS = Text.of("profile.bybit.skip.classic_no_loans")
CLASSIC = 1
UTA1 = frozenset({3, 4})
CATEGORIES_SEEN = "seen_categories"  # in the log walks' cursors: the derivatives categories the log has shown


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    rows_key: str
    params: Mapping[str, Any]

    @classmethod
    def listed(cls, method: str, params: Mapping[str, Any]) -> Route:
        """A list whose rows are in `result.list` (every derivatives list)."""
        return cls(method, "list", params)


@dataclass(frozen=True, slots=True)
class Log:
    method: str
    key: str  # the cursor key of its funding walk
    pnl_key: str  # the cursor key of its walk for realized profit and loss
    deducted_positive: bool  # the classic log writes a funding payment as positive


UNIFIED_LOG = Log("privateGetV5AccountTransactionLog", "uta_log", "uta_log_pnl", deducted_positive=False)
CONTRACT_LOG = Log(
    "privateGetV5AccountContractTransactionLog", "contract_log", "contract_log_pnl", deducted_positive=True
)


@dataclass(frozen=True, slots=True)
class AccountMode:
    """What a Bybit account's status means for the lists and wallets Tallybot reads."""

    status: int
    categories: tuple[str, ...]
    logs: tuple[Log, ...]
    loans: bool  # spot-margin interest in the borrow history (unified accounts)
    wallets: tuple[str, ...]  # the wallet-balance accountTypes (wallet-balance.mdx)

    @property
    def classic(self) -> bool:
        return self.status == CLASSIC


def mode_of(status: int) -> AccountMode:
    if status == CLASSIC:
        return AccountMode(status, (LINEAR, INVERSE), (CONTRACT_LOG,), False, ("SPOT", "CONTRACT"))
    if status in UTA1:
        return AccountMode(
            status, (LINEAR, INVERSE, OPTION), (UNIFIED_LOG, CONTRACT_LOG), True, ("UNIFIED", "CONTRACT")
        )
    return AccountMode(status, (LINEAR, INVERSE, OPTION), (UNIFIED_LOG,), True, ("UNIFIED",))


async def read_mode(client: Any) -> AccountMode:
    """The account's kind, from `GET /v5/account/info` (50/s; any read-only key)."""
    body = await client.privateGetV5AccountInfo({})
    return mode_of(int((body.get("result") or {}).get("unifiedMarginStatus") or 0))


def _noting(
    parse: Callable[[Mapping[str, Any], int], Parsed], seen: set[str]
) -> Callable[[Mapping[str, Any], int], Parsed]:
    """`parse`, noting the derivatives category of every log line it reads."""

    def noted(row: Mapping[str, Any], window_start: int) -> Parsed:
        if str(row.get("category", "")) in DERIVATIVE_CATEGORIES:
            seen.add(str(row["category"]))
        return parse(row, window_start)

    return noted


class Walk(Protocol):
    def __call__(
        self,
        spec: EndpointSpec,
        route: Route,
        parse: Callable[[Mapping[str, Any], int], Parsed],
        *,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
        market: str = "",
    ) -> AsyncIterator[Page]: ...


class DerivativesFetch:
    """The derivatives endpoints of one Bybit fetcher; `walk` is its windowed cursor walk."""

    def __init__(self, client: Any, rows: DerivativeRows, walk: Walk, profile_id: str = "bybit") -> None:
        self.client = client
        self.profile_id = profile_id
        self.rows = rows
        self.walk = walk
        self._mode: AccountMode | None = None
        self._contract_log_reaches_back: bool | None = None  # None: not probed in this fetcher's life

    async def mode(self) -> AccountMode:
        if self._mode is None:
            self._mode = await read_mode(self.client)
        return self._mode

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        mode = await self.mode()
        walks: list[AsyncIterator[Page]] = []
        logs = dataclasses.replace(spec, page_size=LOG_PAGE)
        if spec.endpoint is Endpoint.FUTURES_TRADES:
            async for page in self._futures(spec, logs, mode, since, until, cursors, report):
                yield page
            return
        if spec.endpoint is Endpoint.FUNDING:
            for log in mode.logs:
                route = Route.listed(log.method, {"type": "SETTLEMENT"})
                parse = self.rows.funding(deducted_positive=log.deducted_positive)
                reach = await self._log_reach(log, logs, cursors.get(log.key), since, report)
                walks.append(self._walk(reach, route, parse, log.key, since, until, cursors, report))
        elif spec.endpoint is Endpoint.MARGIN_LOANS and mode.loans:
            route = Route.listed("privateGetV5AccountBorrowHistory", {})
            walks.append(self._walk(spec, route, self.rows.interest, "", since, until, cursors, report))
        if not walks:
            # A classic account has no unified spot-margin loans: skipped, and /status says why.
            raise UnsupportedEndpoint(self.profile_id, spec.endpoint, CLASSIC_NO_LOANS)
        for pages in walks:
            async for page in pages:
                yield page

    async def _futures(
        self,
        spec: EndpointSpec,
        logs: EndpointSpec,
        mode: AccountMode,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """The log first (realized profit and loss), then the fills of each category the log shows.

        Every fill is a line of the log (its fee changes the wallet: the docs' example lists each fill of an order
        with its tradeId), so a category with no line in the log has no fill: its execution walk costs nothing. The
        categories seen ride in the log walks' cursors, so a later sync still walks a category whose lines an
        earlier, interrupted sync read; a category walk once begun goes on from its own cursor."""
        seen: set[str] = set()
        for log in mode.logs:
            key = log.pnl_key
            seen |= set((cursors.get(key) or {}).get(CATEGORIES_SEEN, ()))
            parse = _noting(self.rows.realized, seen)
            reach = await self._log_reach(log, logs, cursors.get(key), since, report)
            async for page in self._walk(
                reach, Route.listed(log.method, {}), parse, key, since, until, cursors, report
            ):
                yield dataclasses.replace(page, cursor={**page.cursor, CATEGORIES_SEEN: sorted(seen)})
        for category in mode.categories:
            if category not in seen and not cursors.get(category):
                continue
            route = Route.listed("privateGetV5ExecutionList", {"category": category})
            async for page in self._walk(
                spec, route, self.rows.fill(category), category, since, until, cursors, report
            ):
                yield page

    async def _log_reach(
        self, log: Log, spec: EndpointSpec, cursor: Cursor | None, since: datetime | None, report: FetchReport
    ) -> EndpointSpec:
        """`spec` with the reach the log has: the classic log's is probed once, only when a walk would begin
        before the unified log's two years (its page states none)."""
        if log is not CONTRACT_LOG or spec.lookback is None:
            return spec
        begin = cursor_start(cursor)
        if begin is None:
            begin = to_ms(since) if since is not None else 0
        floor = windows.now_ms() - span_ms(spec.lookback)  # the module's clock, as the walk's own start reads it
        if begin >= floor:
            return spec
        if self._contract_log_reaches_back is None:
            probe = max(begin, floor - DAY_MS)
            report.requests += 1
            try:
                await self.client.privateGetV5AccountContractTransactionLog(
                    {"startTime": probe, "endTime": probe + DAY_MS, "limit": 1}
                )
                self._contract_log_reaches_back = True
            except ccxt.BadRequest:  # 10001: older than the log keeps
                self._contract_log_reaches_back = False
        return dataclasses.replace(spec, lookback=None) if self._contract_log_reaches_back else spec

    def _walk(
        self,
        spec: EndpointSpec,
        route: Route,
        parse: Callable[[Mapping[str, Any], int], Parsed],
        key: str,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        return self.walk(
            spec, route, parse, since=since, until=until, cursor=cursors.get(key), report=report, market=key
        )
