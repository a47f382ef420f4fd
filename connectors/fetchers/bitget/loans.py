"""Bitget crypto loans with a normal key: borrowings, repayments, collateral adjustments and liquidations
(CRYPTO_LOANS; what each row is stored as: `loans_rows`).

| list (ccxt implicit method) | Bitget page (earn/loan/…) | time field |
| --- | --- | --- |
| `GET /api/v2/earn/loan/borrow-history` | Get-Borrow-History ("Get Loan History") | `borrowTime` |
| `GET /api/v2/earn/loan/repay-history` | Get-Repay-History | `repayTime` |
| `GET /api/v2/earn/loan/revise-history` | Get-Pledge-Rate-History | `reviseTime` |
| `GET /api/v2/earn/loan/reduces` | Get-Burst-List ("Get Liquidation Records") | `reduceTime` |
| `GET /api/v2/earn/loan/ongoing-orders` | Get-Loan-Orders (asked only for a borrowing of no documented status) | – |

Each list: `startTime` and `endTime` required, "only supports querying the data of the past three months" (the
profile's reach: 89 days, the shortest three months, so no request asks past it); no longest range is stated, so
one range covers the reach; `pageNo` (default 1) and `pageSize` ("default 10, max 100"); `data` a bare list; 10
requests a second per UID. A page of 100 rows asks the next `pageNo` with the same range (its end fixed, so rows
listed later cannot shift the pages). Each list is a walk of its own (cursor key `loans:<list>`); a pending row
(a liquidation `WAIT`, a borrowing not yet placed) holds its cursor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.loans_rows import FAILED, LIQUIDATED, REPAID, LoanRows, Rows
from connectors.fetchers.bitget.pages import walk_start
from connectors.fetchers.bitget.streams import stream_key
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, span_ms, to_ms
from connectors.profiles import EndpointSpec

PAGE_SIZE = 100  # "pageSize … default 10, max 100"
ONGOING = "privateEarnGetV2EarnLoanOngoingOrders"
KEY_PREFIX, ONGOING_KEY = "loans", "ongoing"  # cursor keys `loans:<list>`; the open loans' request's label


class Name(StrEnum):
    """A list's name: its cursor key `loans:<name>`."""

    BORROW = "borrow"
    REPAY = "repay"
    REVISE = "revise"
    REDUCE = "reduce"


@dataclass(frozen=True, slots=True)
class LoanList:
    name: Name
    method: str
    parse: Callable[[LoanRows], Callable[[Mapping[str, Any]], Rows]]


BORROWS = LoanList(Name.BORROW, "privateEarnGetV2EarnLoanBorrowHistory", lambda rows: rows.borrow)
LISTS = (
    BORROWS,
    LoanList(Name.REPAY, "privateEarnGetV2EarnLoanRepayHistory", lambda rows: rows.repay),
    LoanList(Name.REVISE, "privateEarnGetV2EarnLoanReviseHistory", lambda rows: rows.revise),
    LoanList(Name.REDUCE, "privateEarnGetV2EarnLoanReduces", lambda rows: rows.liquidation),
)


class BitgetLoans:
    """The crypto loan walks of one sync."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.rows = LoanRows(lambda coin: str(client.safe_currency_code(coin)))
        self._ongoing_read = False

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        if spec.window is None:
            raise ValueError("Bitget crypto loans need a window in the profile")
        for listing in LISTS:
            key = stream_key(KEY_PREFIX, listing.name)
            cursor = cursors.get(key)
            start_ms = walk_start(spec, cursor, since, report)
            pages = self._pages(spec, report, listing, key)
            walk = WindowWalk(spec.endpoint, span_ms(spec.window), pages, key, report=report)
            async for page in walk.pages(
                start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)
            ):
                yield page

    def _pages(self, spec: EndpointSpec, report: FetchReport, listing: LoanList, key: str) -> Any:
        parse = listing.parse(self.rows)

        async def page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {"startTime": start, "endTime": end, "pageNo": number, "pageSize": PAGE_SIZE}
            body = await call(self.client, listing.method, params, endpoint=spec.endpoint, report=report, market=key)
            rows: list[Mapping[str, Any]] = body.get("data") or []
            if listing is BORROWS and not self._ongoing_read and any(_undocumented(r) for r in rows):
                await self._read_ongoing(spec, report)
            found = WindowPage([], token=number + 1 if len(rows) >= PAGE_SIZE else None)
            for row in rows:
                records, hold = parse(row)
                found.records.extend(records)
                found.keep(None, hold)
            return found

        return page

    async def _read_ongoing(self, spec: EndpointSpec, report: FetchReport) -> None:
        """The open loans' order ids, once a sync: a borrowing they list was made."""
        label = stream_key(KEY_PREFIX, ONGOING_KEY)
        body = await call(self.client, ONGOING, {}, endpoint=spec.endpoint, report=report, market=label)
        self.rows.open_orders = frozenset(str(row["orderId"]) for row in body.get("data") or [])
        self._ongoing_read = True


def _undocumented(row: Mapping[str, Any]) -> bool:
    return str(row.get("status") or "") not in (REPAID, LIQUIDATED, FAILED)
