"""Binance crypto loans (flexible rate): each list's rows as records, and the interest no list itemises.

Rows carry no id (the pages' response examples): each record is keyed by the row's own fields. What each row stores
(docs/exchange-apis/binance.md, "Crypto loans (flexible rate)"):

| list | final when | records (loan coin; collateral coin) |
| --- | --- | --- |
| borrow | `status` SUCCESS | BORROW of `initialLoanAmount`; TRANSFER out of `initialCollateralAmount` |
| repay | `repayStatus` REPAID | REPAY of `repayAmount`; TRANSFER in of `collateralReturn` |
| LTV adjustment | (no status) | TRANSFER of `collateralAmount`: out when ADDITIONAL, in when REDUCED |
| liquidation | `status` Liquidated | CONVERT of `liquidationCollateralAmount` for `liquidationDebt`; TRANSFER in of
  `returnCollateralAmount` |

The balance check reads the open loans as a wallet of their own (connectors/balances/binance.py: collateral held,
less the debt), so a borrow, a repayment and a collateral move change no total (BORROW, REPAY and TRANSFER count
zero, bot/reconcile/ledger.py); a liquidation sells collateral for the debt it clears, which changes both totals.

Interest: flexible-rate interest is added to the debt (`totalDebt` of the ongoing orders) and no list names a charge.
What the debt grew by beyond the borrows, repayments and liquidations stored is the interest charged (the rule is
connectors/fetchers/loan_interest.py's, shared with Bybit); `LoanSums` keeps those per pair in the cursor, so a sync
that reads the whole history (no sync-from date: a partial one would turn the borrows before it into "interest")
stores what was charged since the last as one INTEREST record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.fetchers.loan_interest import DebtSums
from connectors.records import Flow, NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key


class LoanList(StrEnum):
    """The four lists, as cursor names and row kinds."""

    BORROW = "borrow"
    REPAY = "repay"
    LTV = "ltv"
    LIQUIDATION = "liquidation"


class RowStatus(StrEnum):
    """A row's status, lowercased: a borrow's `status` (SUCCESS, FAILED, PENDING), a repayment's `repayStatus` (REPAID,
    REPAYING, FAILED), a liquidation's `status` (the page spells them Liquidated, Liquidating)."""

    SUCCESS = "success"
    PENDING = "pending"
    REPAID = "repaid"
    REPAYING = "repaying"
    LIQUIDATED = "liquidated"
    LIQUIDATING = "liquidating"


NOT_FINAL = frozenset({RowStatus.PENDING, RowStatus.REPAYING, RowStatus.LIQUIDATING})
ADDITIONAL = "ADDITIONAL"  # an LTV adjustment's `direction` adding collateral (REDUCED takes some back)
# How each list names its row's time.
TIME_FIELDS = {
    LoanList.BORROW: "borrowTime",
    LoanList.REPAY: "repayTime",
    LoanList.LTV: "adjustTime",
    LoanList.LIQUIDATION: "liquidationStartingTime",
}


def pair_of(row: Mapping[str, Any]) -> str:
    return f"{row['loanCoin']}/{row['collateralCoin']}"


@dataclass(slots=True)
class Parsed:
    """A row read: its records, the time it holds the walk at while not final, and what it did to its pair's debt."""

    records: list[NormalizedRecord] = field(default_factory=list)
    hold_ms: int | None = None
    key: str = ""  # the row's own key, counted once into its pair's sums
    debt: Decimal = Decimal(0)  # borrowed (+), repaid or cleared by a liquidation (-)


class LoanRows:
    """Parses the four lists' rows; `code` maps Binance's coin to ccxt's, `note` tells market discovery."""

    def __init__(self, code: Callable[[str], str], note: Callable[[str, str], None]) -> None:
        self.code, self.note = code, note

    def parse(self, name: LoanList, row: Mapping[str, Any]) -> Parsed:
        loan, collateral = str(row["loanCoin"]), str(row["collateralCoin"])
        self.note(loan, "crypto_loans")
        self.note(collateral, "crypto_loans")
        when = int(row[TIME_FIELDS[name]])
        status = str(row.get("repayStatus") if name is LoanList.REPAY else row.get("status", "")).lower()
        if status in NOT_FINAL:
            return Parsed(hold_ms=when)
        ident = (str(name), when, *(str(row.get(k, "")) for k in sorted(row) if k not in ("status", "repayStatus")))
        done = Parsed(key=natural_key(RecordKind.LEDGER, None, "crypto-loan", *ident))
        if name is LoanList.BORROW and status == RowStatus.SUCCESS:
            done.records = [
                self._record(RecordKind.BORROW, when, ident, loan, row["initialLoanAmount"], row),
                self._move(when, ident, collateral, row["initialCollateralAmount"], Flow.OUT, row),
            ]
            done.debt = exact(row["initialLoanAmount"])
        elif name is LoanList.REPAY and status == RowStatus.REPAID:
            done.records = [
                self._record(RecordKind.REPAY, when, ident, loan, row["repayAmount"], row),
                self._move(when, ident, collateral, row.get("collateralReturn"), Flow.IN, row),
            ]
            done.debt = -exact(row["repayAmount"])
        elif name is LoanList.LTV:
            # The v2 page names the amount `collateralAmount`; the stable-rate list's `amount` is read alike.
            amount = row.get("collateralAmount", row.get("amount"))
            flow = Flow.OUT if str(row.get("direction")) == ADDITIONAL else Flow.IN
            done.records = [self._move(when, ident, collateral, amount, flow, row)]
        elif name is LoanList.LIQUIDATION and status == RowStatus.LIQUIDATED:
            done.records = [self._liquidation(when, ident, row)]
            done.records.append(self._move(when, ident, collateral, row.get("returnCollateralAmount"), Flow.IN, row))
            done.debt = -exact(row["liquidationDebt"])
        else:
            return Parsed()  # FAILED: nothing moved
        done.records = [r for r in done.records if r.amount]
        return done

    def _record(
        self, kind: RecordKind, when: int, ident: tuple[object, ...], coin: str, amount: Any, row: Mapping[str, Any],
        **extra: Any,
    ) -> NormalizedRecord:  # fmt: skip
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, None, "crypto-loan", *ident),
            asset=self.code(coin),
            amount=exact(amount),
            raw=dict(row),
            **extra,
        )

    def _move(
        self, when: int, ident: tuple[object, ...], coin: str, amount: Any, flow: Flow, row: Mapping[str, Any]
    ) -> NormalizedRecord:
        # Between the spot wallet and the loan, both the account's: out of spot into the loan, or back in.
        return self._record(RecordKind.TRANSFER, when, (*ident, "collateral"), coin, amount or "0", row, side=str(flow))

    def _liquidation(self, when: int, ident: tuple[object, ...], row: Mapping[str, Any]) -> NormalizedRecord:
        # The collateral sold for the debt it cleared. `liquidationFee` names no coin (the page is silent): kept in
        # raw, not charged again, read as part of the collateral taken (docs/exchange-apis/binance.md).
        debt, loan = exact(row["liquidationDebt"]), self.code(str(row["loanCoin"]))
        return self._record(
            RecordKind.CONVERT, when, ident, str(row["collateralCoin"]), row["liquidationCollateralAmount"], row,
            side=str(Side.SELL), quote_asset=loan, quote_amount=debt,
        )  # fmt: skip


class LoanSums(DebtSums):
    """The shared sums (connectors/fetchers/loan_interest.py) per pair, fed Binance's rows and open loans."""

    __slots__ = ()

    def add(self, row: Mapping[str, Any], parsed: Parsed) -> None:
        self.count(pair_of(row), parsed.key, parsed.debt)

    def charged(self, ongoing: Iterable[Mapping[str, Any]], unsettled: Set[str]) -> dict[str, Decimal]:
        """Per pair, the interest the open loans' `totalDebt` holds beyond the rows and earlier charges (`due`)."""
        return self.due({pair_of(row): exact(row["totalDebt"]) for row in ongoing}, unsettled)


def interest_record(code: Callable[[str], str], pair: str, amount: Decimal, when: int) -> NormalizedRecord:
    """The interest charged on a pair's loan since the last sync that stored one: a charge, so negative."""
    loan = pair.split("/")[0]
    return NormalizedRecord(
        kind=RecordKind.INTEREST,
        occurred_at=ms_to_utc(when),
        natural_key=natural_key(RecordKind.INTEREST, None, "crypto-loan", pair, when, str(amount)),
        asset=code(loan),
        amount=-amount,
        raw={"pair": pair, "interest": str(amount), "derived": "totalDebt"},
    )
