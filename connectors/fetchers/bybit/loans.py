"""Bybit crypto loans (the "new crypto loan" pages; endpoint CRYPTO_LOANS): loans taken, repayments and collateral
adjustments. Rules and their sources: docs/exchange-apis/bybit.md, "Crypto loans".

| request | what |
| --- | --- |
| `GET /v5/crypto-loan-flexible/borrow-history` | loans taken: BORROW |
| `GET /v5/crypto-loan-flexible/repayment-history` | repayments: REPAY |
| `GET /v5/crypto-loan-common/adjustment-history` | collateral added (side out) or taken back (in): TRANSFER |

Each: `limit` [1, 100] (Tallybot asks 100), `nextPageCursor`, newest first (each page's example), reach not stated,
"UID rate limit: 5 req / second", permission "Spot trade".

The pages take no time parameters: each list is read from its newest row down to the newest row an earlier sync
stored (its time and ids ride in the list's cursor), as the convert history is. Status 1 success is stored, 3 fail
never, 2 processing holds the cursor before it while recent, so a later sync stores it once it is final.

Whose wallet: "The loan funds are released to the Funding wallet", "The repaid amount will be deducted from the
Funding wallet", "The adjusted collateral amount will be returned to or deducted from the Funding wallet" (the Borrow,
Repay and Adjust Collateral Amount pages). The unified transaction log is the unified wallet's, so none of these
moves is a line of it: nothing is counted twice. Loans and repayments count zero in reconciliation and collateral moves
are between the account's own holdings: the open loans' debt and pledged collateral are read as a wallet of their own
(`connectors/balances/bybit.py`, `GET /v5/crypto-loan-common/position`). The interest is paid out of repayments
("If interest is due, that is paid off first") and no list a key can read names it: it is what reconciliation leaves
unexplained in the loan coin.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import ccxt.async_support as ccxt

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.bybit.rows import BYBIT_OPENED
from connectors.fetchers.windows import call, date_ms, hold_if_recent, to_ms
from connectors.profiles import EndpointSpec
from connectors.records import Flow, NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text, msgid

LOAN_PAGE = 100  # every list's `limit`: [1, 100], default 10
FIRST_LOAN = "first_ms"  # in the borrowings' cursor: the time of the oldest loan stored
# Said on every sync of an account that has taken a crypto loan: its interest is in no list (module docstring).
INTEREST_GAP = Text.of(msgid("sync.gap.bybit.crypto_loan_interest"))
# Every crypto-loan page needs the key's "Spot trade" permission: a key without it is refused (10005).
DENIED_GAP = Text.of(msgid("sync.gap.bybit.crypto_loans_denied"))


class Status(StrEnum):
    """The lists' `status` / `repayStatus`: "1: success; 2: processing; 3: fail" (kept as Bybit's numbers)."""

    SUCCESS = "1"
    PROCESSING = "2"


class Field(StrEnum):
    """Row fields the pages name in lower case (the others are Bybit's camelCase names, written as they are)."""

    STATUS = "status"
    AMOUNT = "amount"


class Stored(StrEnum):
    """Cursor keys of the three walks and their records' natural-key prefix (the database holds them)."""

    BORROWS = "crypto_loan_borrows"
    REPAYMENTS = "crypto_loan_repayments"
    ADJUSTMENTS = "crypto_loan_collateral"
    RECORD = "cryptoloan"


@dataclass(frozen=True, slots=True)
class LoanList:
    method: str  # ccxt's implicit method
    key: Stored  # the walk's cursor key
    time: str  # the row's time field (ms)
    ident: str  # the row's id field
    status: str  # the row's status field
    kind: RecordKind
    coin: str
    amount: str


BORROWS = LoanList(
    "privateGetV5CryptoLoanFlexibleBorrowHistory",
    Stored.BORROWS,
    "borrowTime",
    "orderId",
    Field.STATUS,
    RecordKind.BORROW,
    "loanCurrency",
    "initialLoanAmount",
)
REPAYMENTS = LoanList(
    "privateGetV5CryptoLoanFlexibleRepaymentHistory",
    Stored.REPAYMENTS,
    "repayTime",
    "repayId",
    "repayStatus",
    RecordKind.REPAY,
    "loanCurrency",
    "repayAmount",
)
ADJUSTMENTS = LoanList(
    "privateGetV5CryptoLoanCommonAdjustmentHistory",
    Stored.ADJUSTMENTS,
    "adjustTime",
    "adjustId",
    Field.STATUS,
    RecordKind.TRANSFER,
    "collateralCurrency",
    Field.AMOUNT,
)
LISTS = (BORROWS, REPAYMENTS, ADJUSTMENTS)
ADD_COLLATERAL = "0"  # adjustment `direction`: "0: add collateral; 1: reduce collateral"


def loan_record(loan: LoanList, row: Mapping[str, Any], code: Callable[[str], str]) -> NormalizedRecord:
    """One final row as its record: a loan taken, a repayment (interest included: the page does not split it), or
    collateral moved out of the funding wallet into the loan (side out) or back (side in)."""
    ident, when = str(row[loan.ident]), int(row[loan.time])
    side = None
    if loan.kind is RecordKind.TRANSFER:
        side = Flow.OUT if str(row.get("direction")) == ADD_COLLATERAL else Flow.IN
    return NormalizedRecord(
        kind=loan.kind,
        occurred_at=ms_to_utc(when),
        natural_key=natural_key(loan.kind, f"{Stored.RECORD}:{loan.key}:{ident}"),
        asset=code(str(row[loan.coin])),
        amount=exact(row[loan.amount]),
        exchange_tx_id=ident,
        side=side,
        raw=dict(row),
    )


class CryptoLoans:
    """The three crypto-loan lists of one Bybit key, each walked newest first down to what an earlier sync stored."""

    def __init__(self, client: Any, code: Callable[[str], str]) -> None:
        self.client, self.code = client, code

    async def fetch(
        self,
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        listed = dataclasses.replace(spec, page_size=LOAN_PAGE)
        first: int | None = (cursors.get(BORROWS.key) or {}).get(FIRST_LOAN)
        try:
            for loan in LISTS:
                async for page in self._walk(loan, listed, since, until, cursors.get(loan.key), report):
                    if loan is BORROWS:
                        first = page.cursor.get(FIRST_LOAN, first)
                    yield page
        except ccxt.PermissionDenied:
            # 10005: the key was made without "Spot trade". The lists are skipped, the sync goes on, and /status
            # says which permission to tick (a gap over the whole range: the refusal says nothing of which loans
            # exist); the balance check's position read is "not readable with this key" as well.
            start = since or ms_to_utc(date_ms(BYBIT_OPENED))
            report.gaps.append(CoverageGap(spec.endpoint, start, until, DENIED_GAP))
        if first is not None:
            # The interest paid with repayments and accrued on open loans: certainly missing, in the loan coins.
            report.gaps.append(CoverageGap(spec.endpoint, ms_to_utc(first), until, INTEREST_GAP, not_read=True))

    async def _walk(
        self,
        loan: LoanList,
        spec: EndpointSpec,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """Pages before the last keep the old cursor (a resumed walk starts again from the newest row, and the rows
        it repeats are stored once by their keys); the last moves it to the newest final row, or to just before the
        oldest row still processing."""
        after = (cursor or {}).get("after_ms")
        after_ids = set((cursor or {}).get("ids", ()))
        floor = to_ms(since) if since is not None else None
        until_ms = to_ms(until)
        newest: int | None = None
        newest_ids: set[str] = set()
        hold: int | None = None
        oldest: int | None = (cursor or {}).get(FIRST_LOAN)
        token = ""
        while True:
            params: dict[str, Any] = {"limit": spec.page_size}
            if token:
                params["cursor"] = token
            body = await call(self.client, loan.method, params, endpoint=spec.endpoint, report=report)
            result = body.get("result") or {}
            rows = result.get("list") or []
            records: list[NormalizedRecord] = []
            reached = False
            for row in rows:
                when, ident = int(row[loan.time]), str(row[loan.ident])
                if (after is not None and (when < after or (when == after and ident in after_ids))) or (
                    floor is not None and when < floor
                ):
                    reached = True
                    continue
                if when > until_ms:
                    continue  # the next sync takes it: the cursor stays before it
                status = str(row.get(loan.status, ""))
                if status == Status.PROCESSING:
                    recent = hold_if_recent(when)
                    hold = recent if hold is None or (recent is not None and recent < hold) else hold
                    continue
                if newest is None or when > newest:
                    newest, newest_ids = when, {ident}
                elif when == newest:
                    newest_ids.add(ident)
                if status == Status.SUCCESS:
                    records.append(loan_record(loan, row, self.code))
                    oldest = when if oldest is None else min(oldest, when)
            token = str(result.get("nextPageCursor") or "")
            done = reached or not token or len(rows) < spec.page_size
            stored: Cursor = dict(cursor or {})
            if done:
                if hold is not None:
                    stored = {"after_ms": hold - 1, "ids": []}
                elif newest is not None:
                    stored = {"after_ms": newest, "ids": sorted(newest_ids)}
                if oldest is not None and loan is BORROWS:
                    stored[FIRST_LOAN] = oldest
            covered = until if done else ms_to_utc(0)
            yield Page(spec.endpoint, tuple(records), stored, covered, market=loan.key)
            if done:
                return
