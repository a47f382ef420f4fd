"""Bybit crypto loans (the "new crypto loan" pages; endpoint CRYPTO_LOANS): loans taken, repayments and collateral
adjustments, and the interest worked out from the open debt. Rules and their sources: docs/exchange-apis/bybit.md,
"Crypto loans".

| request | what |
| --- | --- |
| `GET /v5/crypto-loan-flexible/borrow-history` | loans taken: BORROW |
| `GET /v5/crypto-loan-flexible/repayment-history` | repayments: REPAY |
| `GET /v5/crypto-loan-common/adjustment-history` | collateral added (side out) or taken back (in): TRANSFER |
| `GET /v5/crypto-loan-common/position` | once the lists name a loan, after them: INTEREST (below) |

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
(`connectors/balances/bybit.py`, `GET /v5/crypto-loan-common/position`).

Interest: a repayment pays the interest due first ("If interest is due, that is paid off first") and no list names
it; the position's `flexibleTotalDebt` holds the interest accrued. So, per loan coin, interest to date = debt now +
repaid − borrowed (connectors/fetchers/loan_interest.py, the rule Binance's loans share): each list's cursor keeps the
sums of the rows it stored, and one position read (`GET /v5/crypto-loan-common/position`; before the walks once a
loan is known, so a row made during them waits) stores what the debt holds beyond them as one INTEREST record per
coin. Where the identity cannot hold it stores none: a coin
with a row still processing (the sync after it is final works it out), and an account whose lists hold a loan or a
repayment older than the sync-from date (those rows are not stored: a gap says so, every sync).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import ccxt.async_support as ccxt

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport, Page
from connectors.fetchers.bybit.rows import BYBIT_OPENED
from connectors.fetchers.loan_interest import DebtSums
from connectors.fetchers.windows import call, date_ms, hold_if_recent, now_ms, to_ms
from connectors.profiles import EndpointSpec
from connectors.records import Flow, NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key
from i18n import Text, msgid

LOAN_PAGE = 100  # every list's `limit`: [1, 100], default 10
FIRST_LOAN = "first_ms"  # in the borrowings' cursor: the time of the oldest loan stored
SUMS = "debt_sums"  # in the borrowings' and repayments' cursors: their rows' DebtSums; in the interest's: stored
CUT = "before_sync_from"  # in a list's cursor: it held a row older than the sync-from date, which was not read
POSITION = "privateGetV5CryptoLoanCommonPosition"  # the open loans: `borrowList[]` per `loanCurrency`
# Said on every sync of an account whose loan lists hold rows older than its sync-from date: the interest cannot be
# worked out (module docstring).
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
    INTEREST = "crypto_loan_interest"  # the interest's cursor (what was stored) and its records' key
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
# What a final row does to its coin's debt: a loan adds its amount, a repayment takes its amount off (interest first,
# then principal: the sum is what the identity needs). Collateral moves owe nothing.
DEBT_SIGN = {BORROWS.key: 1, REPAYMENTS.key: -1}
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


def interest_record(coin: str, amount: Decimal, when: int, code: Callable[[str], str]) -> NormalizedRecord:
    """The interest a coin's loans were charged since the last sync that stored one: a charge, so negative."""
    key = f"{Stored.RECORD}:{Stored.INTEREST}:{coin}:{when}"
    return NormalizedRecord(
        kind=RecordKind.INTEREST,
        occurred_at=ms_to_utc(when),
        natural_key=natural_key(RecordKind.INTEREST, key),
        asset=code(coin),
        amount=-amount,
        raw={"loanCurrency": coin, "interest": str(amount), "derived": "flexibleTotalDebt"},
    )


@dataclass(slots=True)
class Walked:
    """What the walks found for the interest: per list its rows' sums, the coins with a row not final, and whether a
    list held a row older than the sync-from date."""

    sums: dict[str, DebtSums]
    unsettled: set[str] = dataclasses.field(default_factory=set)
    cut: bool = False
    owed: dict[str, Decimal] | None = None  # the position's flexible debt per coin, when read before the walks
    asked_ms: int | None = None  # and the time of its answer: a row from then on may not be in that debt


class CryptoLoans:
    """The three crypto-loan lists of one Bybit key, each walked newest first down to what an earlier sync stored,
    and the interest the open loans' debt holds beyond them."""

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
        walked = Walked({key: DebtSums.of((cursors.get(key) or {}).get(SUMS)) for key in DEBT_SIGN})
        walked.cut = any((cursors.get(key) or {}).get(CUT) for key in DEBT_SIGN)
        try:
            if not walked.cut and any(sums.debt for sums in walked.sums.values()):
                # A loan known from an earlier sync: the debt is read before the walks, so a loan or repayment made
                # while they run is seen newer than its answer and waits for the next sync, never read as interest.
                walked.owed, walked.asked_ms = await self._position(spec, report)
            for loan in LISTS:
                async for page in self._walk(loan, listed, since, until, cursors.get(loan.key), report, walked):
                    if loan is BORROWS:
                        first = page.cursor.get(FIRST_LOAN, first)
                    yield page
            async for page in self._interest(spec, until, cursors.get(Stored.INTEREST), report, walked):
                yield page
        except ccxt.PermissionDenied:
            # 10005: the key was made without "Spot trade". The lists are skipped, the sync goes on, and /status
            # says which permission to tick (a gap over the whole range: the refusal says nothing of which loans
            # exist); the balance check's position read is "not readable with this key" as well.
            start = since or ms_to_utc(date_ms(BYBIT_OPENED))
            report.gaps.append(CoverageGap(spec.endpoint, start, until, DENIED_GAP))
            return
        if walked.cut:
            # Loans or repayments before the sync-from date are not stored: the identity cannot hold, and the
            # interest of every loan coin is certainly missing.
            start = ms_to_utc(first) if first is not None else since or until
            report.gaps.append(CoverageGap(spec.endpoint, start, until, INTEREST_GAP, not_read=True))

    async def _interest(
        self, spec: EndpointSpec, until: datetime, cursor: Cursor | None, report: FetchReport, walked: Walked
    ) -> AsyncIterator[Page]:
        """One position read and, per loan coin the lists name, the interest its debt holds beyond the rows: debt
        now + repaid − borrowed, less the interest stored before (loan_interest.py). Nothing is asked of an account
        whose lists name no loan, nor when a list holds rows before the sync-from date."""
        rows = DebtSums.joined(walked.sums.values())
        if walked.cut or not rows.debt:
            return
        stored = DebtSums.of((cursor or {}).get(SUMS))
        if walked.owed is None:  # the first sync that finds a loan reads the debt after the walks
            walked.owed, _ = await self._position(spec, report)
        # Only coins the lists name: a debt no list explains (a fixed-term loan, the older crypto-loan product's) is
        # never read as interest.
        owed = {coin: debt for coin, debt in walked.owed.items() if coin in rows.debt}
        rows.interest = stored.interest
        when = to_ms(until)
        records = []
        for coin, amount in rows.due(owed, walked.unsettled).items():
            records.append(interest_record(coin, amount, when, self.code))
            stored.book(coin, amount)
        yield Page(spec.endpoint, tuple(records), {SUMS: stored.cursor()}, until, market=Stored.INTEREST)

    async def _position(self, spec: EndpointSpec, report: FetchReport) -> tuple[dict[str, Decimal], int]:
        """The flexible debt per loan coin (`borrowList[]`: `loanCurrency`, `flexibleTotalDebt`) and the answer's
        `time` (Bybit's clock, as the rows' times are; the local clock before asking when absent: earlier, so more
        rows wait, never fewer)."""
        asked = now_ms()
        body = await call(self.client, POSITION, {}, endpoint=spec.endpoint, report=report)
        owed = {
            str(row["loanCurrency"]): exact(row.get("flexibleTotalDebt") or "0")
            for row in (body.get("result") or {}).get("borrowList") or []
        }
        return owed, int(body.get("time") or asked)

    async def _walk(
        self,
        loan: LoanList,
        spec: EndpointSpec,
        since: datetime | None,
        until: datetime,
        cursor: Cursor | None,
        report: FetchReport,
        walked: Walked,
    ) -> AsyncIterator[Page]:
        """Pages before the last keep the old cursor (a resumed walk starts again from the newest row, and the rows
        it repeats are stored once by their keys and counted once by the sums); the last moves it to the newest final
        row, or to just before the oldest row still processing."""
        after = (cursor or {}).get("after_ms")
        after_ids = set((cursor or {}).get("ids", ()))
        floor = to_ms(since) if since is not None else None
        until_ms = to_ms(until)
        sign = DEBT_SIGN.get(loan.key)
        sums = walked.sums.get(loan.key)
        newest: int | None = None
        newest_ids: set[str] = set()
        hold: int | None = None
        oldest: int | None = (cursor or {}).get(FIRST_LOAN)
        cut = bool((cursor or {}).get(CUT))
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
                if after is not None and (when < after or (when == after and ident in after_ids)):
                    reached = True
                    continue
                if floor is not None and when < floor:
                    reached = True
                    cut = cut or sign is not None  # a loan or repayment not read: the identity cannot hold
                    continue
                coin = str(row[loan.coin])
                if when > until_ms:
                    walked.unsettled.add(coin)  # after the range: the debt may hold it, the sums do not yet
                    continue  # the next sync takes it: the cursor stays before it
                status = str(row.get(loan.status, ""))
                if status == Status.PROCESSING:
                    walked.unsettled.add(coin)
                    recent = hold_if_recent(when)
                    hold = recent if hold is None or (recent is not None and recent < hold) else hold
                    continue
                if newest is None or when > newest:
                    newest, newest_ids = when, {ident}
                elif when == newest:
                    newest_ids.add(ident)
                if status == Status.SUCCESS:
                    record = loan_record(loan, row, self.code)
                    records.append(record)
                    if sums is not None and sign is not None:
                        sums.count(coin, record.natural_key, sign * record.amount)
                        if walked.asked_ms is not None and when >= walked.asked_ms:
                            walked.unsettled.add(coin)  # made after the debt was read: the next sync counts it
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
                if sums is not None:
                    stored[SUMS] = sums.cursor()
                if cut:
                    stored[CUT] = True
                    walked.cut = True
            covered = until if done else ms_to_utc(0)
            yield Page(spec.endpoint, tuple(records), stored, covered, market=loan.key)
            if done:
                return
