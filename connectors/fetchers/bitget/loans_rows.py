"""What each row of Bitget's crypto loan lists is, as records (docs/exchange-apis/bitget.md, "Crypto loans").

A crypto loan moves money between the spot account and the loan (`GET /api/v2/earn/loan/ongoing-orders`, read by the
balance check as the wallet `crypto_loans`: the pledged collateral in, the principal owed out). Moves between the two
add nothing to the account's total, so they are TRANSFER records (side `out`: from spot into the loan; `in`: back),
and a loan's principal is BORROW and REPAY (zero on the total, as margin loans: the loan wallet holds the debt).
What changes the total: interest paid, and a liquidation's sale of collateral and its fee.

- borrow-history: `initLoanAmount` of `loanCoin` is BORROW; `initPledgeAmount` of `pledgeCoin` a TRANSFER `out`.
- repay-history: `repayLoanAmount` (principal) is REPAY; `payInterest` INTEREST, negative; `repayUnlockAmount`
  (collateral released) a TRANSFER `in`.
- revise-history: `reviseAmount` of `pledgeCoin`, `reviseSide` `down` ("supplement collateral") a TRANSFER `out`,
  `up` ("withdraw collateral") a TRANSFER `in`.
- reduces (liquidations): `pledgeAmount` of collateral sold for `repayLoanAmount` of the loan coin, a CONVERT with
  `reduceFee` as its fee in the collateral coin; the principal so repaid a REPAY; `runlockAmount` (collateral
  released) a TRANSFER `in`.

Statuses: a borrowing `ROLLBACK` ("failure") is never stored; `REPAY` and `FORCE` (repaid, liquidated) are loans
that were made. An open loan's status is not documented: its borrowing is stored once the ongoing orders list its
`orderId` (the loan exists), else it holds the cursor as pending. A liquidation `WAIT` ("liquidating") holds the
cursor; `COMPLETE` is stored. A row pending longer than the walks' 14 days lets the cursor go, noted as a gap
(connectors/fetchers/windows.py). Repayment and collateral rows carry no id of their own: keyed by the loan's `orderId`
and the row's time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from connectors.fetchers.bitget.streams import stream_key
from connectors.records import Flow, NormalizedRecord, RecordKind, Side, exact, ms_to_utc, natural_key

Rows = tuple[list[NormalizedRecord], int | None]  # (records if final, time it holds the cursor at if pending)


class Part(StrEnum):
    """The parts of a loan record's id: `<kind>:loan:<orderId>[:<time>][:…]` (loan order ids are their own id
    space; a repayment or collateral row has no id of its own)."""

    LOAN = "loan"
    PLEDGE = "pledge"
    UNLOCK = "unlock"
    REVISE = "revise"
    REDUCE = "reduce"


REPAID, LIQUIDATED, FAILED = "REPAY", "FORCE", "ROLLBACK"  # borrow-history `status`
DONE, LIQUIDATING = "COMPLETE", "WAIT"  # reduces `status`
SUPPLEMENT, WITHDRAW = "down", "up"  # revise-history `reviseSide`


class LoanRows:
    """Turns one row of a loan list into records; `code` maps Bitget's coin to ccxt's code, `open_orders` the
    `orderId`s of the ongoing orders (asked only for a borrowing whose status is not documented)."""

    def __init__(self, code: Callable[[str], str]) -> None:
        self.code = code
        self.open_orders: Collection[str] = ()

    def _record(self, kind: RecordKind, ident: str, when: int, coin: str, amount: Decimal, **more: Any) -> Any:
        return NormalizedRecord(
            kind=kind,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(kind, ident),
            asset=self.code(coin),
            amount=amount,
            exchange_tx_id=ident.split(":")[1],
            **more,
        )

    def _collateral(self, ident: str, when: int, coin: str, amount: Decimal, flow: Flow, row: Mapping[str, Any]) -> Any:
        return self._record(RecordKind.TRANSFER, ident, when, coin, amount, side=flow, raw=dict(row))

    def borrow(self, row: Mapping[str, Any]) -> Rows:
        order, when, status = str(row["orderId"]), int(row["borrowTime"]), str(row.get("status") or "")
        if status == FAILED:
            return [], None
        if status not in (REPAID, LIQUIDATED) and order not in self.open_orders:
            return [], when  # neither a documented outcome nor open (yet): see it again next sync
        ident = stream_key(Part.LOAN, order)
        pledged = exact(row["initPledgeAmount"])
        return [
            self._record(RecordKind.BORROW, ident, when, row["loanCoin"], exact(row["initLoanAmount"]), raw=dict(row)),
            self._collateral(stream_key(ident, Part.PLEDGE), when, row["pledgeCoin"], pledged, Flow.OUT, row),
        ], None

    def repay(self, row: Mapping[str, Any]) -> Rows:
        order, when = str(row["orderId"]), int(row["repayTime"])
        ident, loan_coin = stream_key(Part.LOAN, order, str(when)), row["loanCoin"]
        records = [self._record(RecordKind.REPAY, ident, when, loan_coin, exact(row["repayLoanAmount"]), raw=dict(row))]
        interest = exact(row.get("payInterest") or "0")
        if interest:
            records.append(self._record(RecordKind.INTEREST, ident, when, loan_coin, -abs(interest), raw=dict(row)))
        released = exact(row.get("repayUnlockAmount") or "0")
        if released:
            unlock = stream_key(ident, Part.UNLOCK)
            records.append(self._collateral(unlock, when, row["pledgeCoin"], released, Flow.IN, row))
        return records, None

    def revise(self, row: Mapping[str, Any]) -> Rows:
        order, when, side = str(row["orderId"]), int(row["reviseTime"]), str(row["reviseSide"])
        if side not in (SUPPLEMENT, WITHDRAW):
            raise ValueError(f"Bitget pledge adjustment {order}: undocumented reviseSide {side!r}")
        flow = Flow.OUT if side == SUPPLEMENT else Flow.IN
        ident = stream_key(Part.LOAN, order, Part.REVISE, str(when))
        return [self._collateral(ident, when, row["pledgeCoin"], exact(row["reviseAmount"]), flow, row)], None

    def liquidation(self, row: Mapping[str, Any]) -> Rows:
        order, when, status = str(row["orderId"]), int(row["reduceTime"]), str(row.get("status") or "")
        if status != DONE:
            return [], when  # WAIT "liquidating" (or a word the page does not list)
        ident, pledge, loan = stream_key(Part.LOAN, order, Part.REDUCE, str(when)), row["pledgeCoin"], row["loanCoin"]
        repaid, fee = exact(row["repayLoanAmount"]), exact(row.get("reduceFee") or "0")
        # The collateral sold for the loan coin that repaid the loan; the fee taken from the collateral (the page
        # names no coin for `reduceFee`).
        sale = self._record(
            RecordKind.CONVERT,
            ident,
            when,
            loan,
            repaid,
            side=Side.BUY,
            quote_asset=self.code(pledge),
            quote_amount=exact(row["pledgeAmount"]),
            fee_asset=self.code(pledge) if fee else None,
            fee_amount=abs(fee) if fee else None,
            raw=dict(row),
        )
        records = [sale, self._record(RecordKind.REPAY, ident, when, loan, repaid, raw=dict(row))]
        released = exact(row.get("runlockAmount") or "0")
        if released:
            records.append(self._collateral(stream_key(ident, Part.UNLOCK), when, pledge, released, Flow.IN, row))
        return records, None
