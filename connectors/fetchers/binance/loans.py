"""Binance crypto loans (flexible rate, CRYPTO_LOANS): borrowings, repayments, LTV adjustments and liquidations, and
the interest the open loans' debt grew by. No margin account is needed.

| cursor key (under "crypto_loans") | path (`/sapi/v2/loan/flexible/...`; v1 before 2024-02-27 08:00) | weight (IP) |
| --- | --- | --- |
| borrow, borrow_v1 | `borrow/history` | 400 |
| repay, repay_v1 | `repay/history` | 400 |
| ltv, ltv_v1 | `ltv/adjustment/history` | 400 |
| liquidation | `liquidation/history` (no v1 page) | 400 |
| (interest) | `ongoing/orders` | 300 |

Each history list: 180 days a request, paged by `current` and `limit` (100).

developers.binance.com/docs/crypto_loan/flexible-rate/user-information (Get Flexible Loan Borrow History, Repayment
History, LTV Adjustment History, Liquidation History, Ongoing Orders): "The max interval between startTime and endTime
is 180 days", `current` "Start from 1; default: 1; max: 1000", `limit` "Default: 10; max: 100", and each v2 history
page: "GET /sapi/v1/loan/flexible/... can be used to check history before 2024-02-27 08:00". The Crypto Loan change
log (developers.binance.com/docs/crypto_loan/change-log) dates the v1 lists 2023-08-26 and the liquidation list
2024-12-20 (no v1 edition). So a first sync walks the v1 lists from 2023-08-26 to 2024-02-27 08:00 (two windows
each) and the v2 lists from then; each list from its own cursor after that, one request a list a sync. Each path has
its own IP budget (budgets.py `spend_path`). ccxt names no liquidation-history method: it is asked by its path.

A PENDING borrowing, a REPAYING repayment or a Liquidating liquidation holds its list's cursor at its time
(windows.py), so the sync after it settles stores it. Rows and records: loan_rows.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from connectors.clients import last_response_headers
from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.binance.budgets import SapiPacing
from connectors.fetchers.binance.loan_rows import LoanList, LoanRows, LoanSums, Parsed, interest_record, pair_of
from connectors.fetchers.windows import WindowPage, WindowWalk, call, rate_limited, since_ms, to_ms, walk_begin
from connectors.profiles import EndpointSpec
from connectors.records import ms_to_utc

WINDOW_MS = 180 * 86_400_000  # "The max interval between startTime and endTime is 180 days"
PAGE_SIZE = 100  # `limit` "Default: 10; max: 100"
WEIGHT = 400  # "Request Weight(IP) 400" (each history page)
ONGOING_WEIGHT = 300  # "Request Weight(IP) 300"
V2_FROM_MS = to_ms(datetime(2024, 2, 27, 8, tzinfo=UTC))  # "... check history before 2024-02-27 08:00"
V1_FROM = date(2023, 8, 26)  # the change log: "2023-08-26 New endpoint for Crypto Loans" (the flexible v1 lists)
CURSOR = "crypto_loans"
ONGOING = ("sapiV2GetLoanFlexibleOngoingOrders", "/sapi/v2/loan/flexible/ongoing/orders")


@dataclass(frozen=True, slots=True)
class Walked:
    """One list as walked: its cursor name, its rows' kind, how ccxt asks it (an implicit method, or none: its path
    under `sapiV2`), its path, and whether it is the v1 edition (history before V2_FROM_MS only)."""

    name: str
    rows: LoanList
    method: str
    path: str
    v1: bool

    def span(self, opened_ms: int, until_ms: int) -> tuple[int, int]:
        return (opened_ms, V2_FROM_MS - 1) if self.v1 else (max(opened_ms, V2_FROM_MS), until_ms)


def _lists() -> tuple[Walked, ...]:
    lists = []
    for rows, tail, v1_method, v2_method in (
        (LoanList.BORROW, "borrow/history", "sapiGetLoanFlexibleBorrowHistory", "sapiV2GetLoanFlexibleBorrowHistory"),
        (LoanList.REPAY, "repay/history", "sapiGetLoanFlexibleRepayHistory", "sapiV2GetLoanFlexibleRepayHistory"),
        (
            LoanList.LTV,
            "ltv/adjustment/history",
            "sapiGetLoanFlexibleLtvAdjustmentHistory",
            "sapiV2GetLoanFlexibleLtvAdjustmentHistory",
        ),
    ):
        lists.append(Walked(f"{rows}_v1", rows, v1_method, f"/sapi/v1/loan/flexible/{tail}", v1=True))
        lists.append(Walked(str(rows), rows, v2_method, f"/sapi/v2/loan/flexible/{tail}", v1=False))
    liquidation = LoanList.LIQUIDATION
    lists.append(Walked(str(liquidation), liquidation, "", "/sapi/v2/loan/flexible/liquidation/history", v1=False))
    return tuple(lists)


LISTS = _lists()


class BinanceCryptoLoans:
    """The lists above, each from its own cursor, and the interest their debt grew by (loan_rows.py)."""

    def __init__(self, client: Any, pacing: SapiPacing, rows: LoanRows, name: str) -> None:
        self.client, self.pacing, self.rows, self.name = client, pacing, rows, name
        self.opened_ms = to_ms(datetime(V1_FROM.year, V1_FROM.month, V1_FROM.day, tzinfo=UTC))
        self._held: set[str] = set()

    async def fetch(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """Pages whose cursor is the endpoint's own ("" market) with this walk's under CURSOR; other keys pass."""
        base: Cursor = dict(cursors.get("") or {})
        mine: dict[str, Any] = dict(base.get(CURSOR) or {})
        sums = LoanSums.of(mine.get("sums"))
        self._held = set()  # pairs with a row not final yet: their debt is not all explained
        for loan_list in LISTS:
            own = mine.get(loan_list.name)
            first, last = loan_list.span(self.opened_ms, to_ms(until))
            begin = walk_begin(spec, own, since, report, exchange_name=self.name, opened=ms_to_utc(first).date())
            walk = WindowWalk(spec.endpoint, WINDOW_MS, self._fetch_page(spec, report, loan_list, sums), report=report)
            async for page in walk.pages(
                start_ms=max(begin, first), until_ms=last, cursor=own, floor_ms=since_ms(since)
            ):
                mine = {**mine, loan_list.name: page.cursor, "sums": sums.cursor()}
                yield Page(page.endpoint, page.records, {**base, CURSOR: mine}, page.covered_until)
        if since is None:
            # The whole history is stored: the debt beyond it is interest, on each loan with nothing pending.
            ongoing = await self._ongoing(spec, report)
            when = to_ms(until)
            records = []
            for pair, amount in sums.charged(ongoing, unsettled=self._held).items():
                records.append(interest_record(self.rows.code, pair, amount, when))
                sums.book(pair, amount)
            mine = {**mine, "sums": sums.cursor()}
            yield Page(spec.endpoint, tuple(records), {**base, CURSOR: mine}, until)

    def _fetch_page(
        self, spec: EndpointSpec, report: FetchReport, loan_list: Walked, sums: LoanSums
    ) -> Callable[[int, int, Any], Awaitable[WindowPage]]:
        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {"startTime": start, "endTime": end, "current": number, "limit": PAGE_SIZE}
            body = await self._ask(spec, report, loan_list.method, loan_list.path, params, WEIGHT)
            rows = list(body.get("rows") or [])
            total = int(body.get("total") or 0)
            page = WindowPage([], number + 1 if number * PAGE_SIZE < total and rows else None)
            for row in rows:
                parsed: Parsed = self.rows.parse(loan_list.rows, row)
                page.records.extend(parsed.records)
                if parsed.hold_ms is not None:
                    page.pending.append(parsed.hold_ms)
                    self._held.add(pair_of(row))
                sums.add(row, parsed)
            return page

        return fetch_page

    async def _ongoing(self, spec: EndpointSpec, report: FetchReport) -> list[Mapping[str, Any]]:
        """Every open loan (`totalDebt` of `loanCoin` against `collateralAmount` of `collateralCoin`)."""
        method, path = ONGOING
        loans: list[Mapping[str, Any]] = []
        number = 1
        while True:
            params = {"current": number, "limit": PAGE_SIZE}
            body = await self._ask(spec, report, method, path, params, ONGOING_WEIGHT)
            rows = list(body.get("rows") or [])
            loans.extend(rows)
            if not rows or number * PAGE_SIZE >= int(body.get("total") or 0):
                return sorted(loans, key=pair_of)
            number += 1

    async def _ask(
        self, spec: EndpointSpec, report: FetchReport, method: str, path: str, params: dict[str, Any], weight: int
    ) -> Any:
        await self.pacing.spend_path(path, weight, uid=False, endpoint=spec.endpoint)
        if method:
            body = await call(self.client, method, params, endpoint=spec.endpoint, report=report)
        else:
            body = await self._by_path(spec, report, path, params)
        self.pacing.observe_path(path, last_response_headers(), uid=False)
        return body

    async def _by_path(self, spec: EndpointSpec, report: FetchReport, path: str, params: dict[str, Any]) -> Any:
        """ccxt lists no implicit method for the liquidation history: its path under the `sapiV2` API, signed alike
        (counted and turned into RateLimited as `call` does)."""
        report.requests += 1
        try:
            return await self.client.request(path.removeprefix("/sapi/v2/"), ["sapiV2"], "GET", params)
        except Exception as exc:
            stop = rate_limited(exc, self.client, endpoint=spec.endpoint)
            if stop is not None:
                raise stop from None
            raise
