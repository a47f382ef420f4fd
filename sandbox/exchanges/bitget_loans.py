"""Bitget's crypto loans over a scripted account: the four history lists and the open loans.

Each page is Bitget's (docs/exchange-apis/bitget.md, "Crypto loans"; earn/loan/*):
- ``GET /api/v2/earn/loan/borrow-history`` (Get-Borrow-History, "Get Loan History"): ``orderId``, ``loanCoin``,
  ``pledgeCoin``, ``status`` optional; ``startTime`` ("only supports querying the data of the past three months") and
  ``endTime`` required; ``pageNo`` default 1, ``pageSize`` default 10, at most 100; ``data[]`` of ``orderId``,
  ``loanCoin``, ``pledgeCoin``, ``initPledgeAmount``, ``initLoanAmount``, ``hourRate``, ``daily``, ``borrowTime``,
  ``status`` (``ROLLBACK`` failure, ``FORCE`` force liquidation, ``REPAY`` already repaid).
- ``GET /api/v2/earn/loan/repay-history`` (Get-Repay-History): the same parameters without ``status``; ``data[]`` of
  ``orderId``, ``loanCoin``, ``pledgeCoin``, ``repayAmount``, ``payInterest``, ``repayLoanAmount``,
  ``repayUnlockAmount``, ``repayTime``.
- ``GET /api/v2/earn/loan/revise-history`` (Get-Pledge-Rate-History): ``reviseSide`` (``down`` supplement collateral,
  ``up`` withdraw collateral) in place of ``loanCoin``; ``data[]`` of ``loanCoin``, ``pledgeCoin``, ``orderId``,
  ``reviseTime``, ``reviseSide``, ``reviseAmount``, ``afterPledgeRate``, ``beforePledgeRate``.
- ``GET /api/v2/earn/loan/reduces`` (Get-Burst-List, "Get Liquidation Records"): ``status`` (``COMPLETE``, ``WAIT``);
  ``data[]`` of ``orderId``, ``loanCoin``, ``pledgeCoin``, ``reduceTime``, ``pledgeRate``, ``pledgePrice``,
  ``status``, ``pledgeAmount``, ``reduceFee``, ``residueAmount``, ``runlockAmount``, ``repayLoanAmount``.
- ``GET /api/v2/earn/loan/ongoing-orders`` (Get-Loan-Orders): ``orderId``, ``loanCoin``, ``pledgeCoin`` optional;
  ``data[]`` of ``orderId``, ``loanCoin``, ``loanAmount``, ``interestAmount``, ``hourInterestRate``, ``pledgeCoin``,
  ``pledgeAmount``, ``pledgeRate``, ``supRate``, ``forceRate``, ``borrowTime``, ``expireTime``.
Each 10 requests a second per UID. Beyond the pages (each said in docs/exchange-apis/bitget.md): rows are served
newest first; rows older than 90 days are not served (the range is cut, as the emulator's fills); a ``pageSize``
over 100 or a ``pageNo`` below 1 gets 40017, a missing end 40019; an open loan's borrowing has the ``status`` ""
(no word is documented for it); a loan's amounts are these readings: ``repayAmount`` = ``repayLoanAmount`` +
``payInterest``; ``loanAmount`` the principal still owed, ``interestAmount`` accrued and not yet paid; a liquidation
sells ``pledgeAmount``, takes ``reduceFee`` from the collateral and releases ``runlockAmount``, ``residueAmount``
staying pledged.

The account holds no loan until a test calls ``add_crypto_loans(book.loans, now_ms)`` (days before the account's
clock; BTC pledged for USDT):

- loan 1 (``LOAN_IDS[0]``), 40 days ago: 0.05 BTC pledged, 1500 USDT borrowed; 35 days ago 0.01 BTC more pledged
  (``down``), 33 days ago 0.005 BTC withdrawn (``up``); 30 days ago 500.0625 USDT repaid (500 principal, 0.0625
  interest, no collateral released); 26 days ago 1000.25 USDT repaid (1000, 0.25) and the 0.055 BTC left released:
  status ``REPAY``;
- loan 2, 24 days ago: 0.02 BTC pledged, 900 USDT borrowed; 9 days ago liquidated: listed ``WAIT`` (the loan still
  open, its borrowing's status "") until ``finish_liquidation`` completes it: 0.0155 BTC sold for the 900 USDT owed,
  a fee of 0.0002 BTC, 0.0043 BTC released to spot; the borrowing's status ``FORCE``;
- loan 3, 10 days ago: 0.03 BTC pledged, 1200 USDT borrowed; 5 days ago 200.04 USDT repaid (200, 0.04); open:
  1000 USDT owed, 0.12 USDT interest accrued;
- a borrowing 8 days ago that failed (``ROLLBACK``): 0.01 BTC for 400 USDT, nothing moved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_protocol import Call, Json, int_param, invalid, missing
from sandbox.exchanges.bitget_wallets import MoreKinds
from sandbox.exchanges.records import plain

D = Decimal
REACH_MS = 90 * DAY_MS  # "the past three months"
LOAN_IDS = ("1140000000000000001", "1140000000000000002", "1140000000000000003", "1140000000000000004")
PATHS = {
    "borrow": "/api/v2/earn/loan/borrow-history",
    "repay": "/api/v2/earn/loan/repay-history",
    "revise": "/api/v2/earn/loan/revise-history",
    "reduce": "/api/v2/earn/loan/reduces",
    "ongoing": "/api/v2/earn/loan/ongoing-orders",
}
PER_SECOND = {path: 10 for path in PATHS.values()}  # "Frequency limit: 10c/1s (UID)", each page
# The filters each list takes beside the range and paging, and the row's time field.
FILTERS = {
    "borrow": ("orderId", "loanCoin", "pledgeCoin", "status"),
    "repay": ("orderId", "loanCoin", "pledgeCoin"),
    "revise": ("orderId", "reviseSide", "pledgeCoin"),
    "reduce": ("orderId", "loanCoin", "pledgeCoin", "status"),
}
TIMES = {"borrow": "borrowTime", "repay": "repayTime", "revise": "reviseTime", "reduce": "reduceTime"}


@dataclass
class Loans:
    rows: dict[str, list[Json]] = field(default_factory=lambda: {name: [] for name in TIMES})
    ongoing: dict[str, Json] = field(default_factory=dict)  # orderId -> Get-Loan-Orders row


class BitgetLoansBook:
    """Serves the scripted loans (none until `add_crypto_loans`); `spot` is the account's spot change the book adds
    to (bitget_wallets.MoreKinds)."""

    def __init__(self, spot: MoreKinds) -> None:
        self.spot = spot
        self.loans = Loans()

    def routes(self) -> tuple[tuple[str, Any], ...]:
        lists: tuple[tuple[str, Any], ...] = tuple((PATHS[name], self._list(name)) for name in TIMES)
        return (*lists, (PATHS["ongoing"], self.ongoing_orders))

    def _list(self, name: str) -> Callable[[Call], list[Json]]:
        def serve(call: Call) -> list[Json]:
            p = call.params
            start, end = int_param(p, "startTime"), int_param(p, "endTime")
            if start is None:
                raise missing("startTime")
            if end is None:
                raise missing("endTime")
            size, number = int_param(p, "pageSize") or 10, int_param(p, "pageNo") or 1
            if start > end or not 1 <= size <= 100 or number < 1:
                raise invalid()
            start = max(start, call.now_ms - REACH_MS)
            chosen = [
                row
                for row in self.loans.rows[name]
                if start <= int(row[TIMES[name]]) <= end and _matches(row, p, FILTERS[name])
            ]
            chosen.sort(key=lambda row: int(row[TIMES[name]]), reverse=True)
            return [dict(row) for row in chosen[(number - 1) * size : number * size]]

        return serve

    def ongoing_orders(self, call: Call) -> list[Json]:
        rows = [row for row in self.loans.ongoing.values() if _matches(row, call.params, FILTERS["repay"])]
        return [dict(row) for row in rows]


def _matches(row: Json, params: Mapping[str, str], names: tuple[str, ...]) -> bool:
    return all(params.get(name, "") in ("", str(row.get(name, ""))) for name in names)


def add_crypto_loans(book: BitgetLoansBook, now_ms: int) -> Loans:
    """Adds the module's scripted loans (see the docstring) to `book`, loan 2 still liquidating; returns them."""
    loans, spot = book.loans, book.spot

    def at(days: int) -> str:
        return str(now_ms - days * DAY_MS)

    def borrow(order: str, days: int, pledged: str, lent: str, status: str) -> None:
        loans.rows["borrow"].append(
            {"orderId": order, "loanCoin": "USDT", "pledgeCoin": "BTC", "initPledgeAmount": pledged,
             "initLoanAmount": lent, "hourRate": "0.0004", "daily": "7", "borrowTime": at(days), "status": status}
        )  # fmt: skip
        if status != "ROLLBACK":
            spot.move_spot("BTC", -D(pledged))
            spot.move_spot("USDT", D(lent))

    def repay(order: str, days: int, principal: str, interest: str, released: str) -> None:
        paid = D(principal) + D(interest)
        loans.rows["repay"].append(
            {"orderId": order, "loanCoin": "USDT", "pledgeCoin": "BTC", "repayAmount": plain(paid),
             "payInterest": interest, "repayLoanAmount": principal, "repayUnlockAmount": released,
             "repayTime": at(days)}
        )  # fmt: skip
        spot.move_spot("USDT", -paid)
        spot.move_spot("BTC", D(released))

    def revise(order: str, days: int, side: str, amount: str, before: str, after: str) -> None:
        loans.rows["revise"].append(
            {"loanCoin": "USDT", "pledgeCoin": "BTC", "orderId": order, "reviseTime": at(days), "reviseSide": side,
             "reviseAmount": amount, "afterPledgeRate": after, "beforePledgeRate": before}
        )  # fmt: skip
        spot.move_spot("BTC", -D(amount) if side == "down" else D(amount))

    first, second, third, failed = LOAN_IDS
    borrow(first, 40, "0.05", "1500", "REPAY")
    revise(first, 35, "down", "0.01", "50", "41.67")
    revise(first, 33, "up", "0.005", "41.67", "45.45")
    repay(first, 30, "500", "0.0625", "0")
    repay(first, 26, "1000", "0.25", "0.055")
    borrow(second, 24, "0.02", "900", "")
    loans.ongoing[second] = _open(second, "900", "0.02", at(24), now_ms)
    loans.rows["reduce"].append(
        {"orderId": second, "loanCoin": "USDT", "pledgeCoin": "BTC", "reduceTime": at(9), "pledgeRate": "83.5",
         "pledgePrice": "58064.52", "status": "WAIT", "pledgeAmount": "0.0155", "reduceFee": "0.0002",
         "residueAmount": "0", "runlockAmount": "0.0043", "repayLoanAmount": "900"}
    )  # fmt: skip
    borrow(third, 10, "0.03", "1200", "")
    repay(third, 5, "200", "0.04", "0")
    loans.ongoing[third] = {**_open(third, "1000", "0.03", at(10), now_ms), "interestAmount": "0.12"}
    borrow(failed, 8, "0.01", "400", "ROLLBACK")
    return loans


def finish_liquidation(book: BitgetLoansBook) -> None:
    """Loan 2's liquidation completes: the loan closes, its borrowing reads ``FORCE`` and the collateral left over
    (``runlockAmount``) is back in spot."""
    second = LOAN_IDS[1]
    [row] = [row for row in book.loans.rows["reduce"] if row["orderId"] == second]
    row["status"] = "COMPLETE"
    for borrowed in book.loans.rows["borrow"]:
        if borrowed["orderId"] == second:
            borrowed["status"] = "FORCE"
    del book.loans.ongoing[second]
    book.spot.move_spot("BTC", D(row["runlockAmount"]))


def _open(order: str, owed: str, pledged: str, borrowed_at: str, now_ms: int) -> Json:
    return {"orderId": order, "loanCoin": "USDT", "loanAmount": owed, "interestAmount": "0",
            "hourInterestRate": "0.0004", "pledgeCoin": "BTC", "pledgeAmount": pledged, "pledgeRate": "65",
            "supRate": "75", "forceRate": "83", "borrowTime": borrowed_at,
            "expireTime": str(now_ms + 30 * DAY_MS)}  # fmt: skip
