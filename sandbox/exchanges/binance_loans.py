"""Binance crypto loans (flexible rate) over a scripted account: its history lists and its open loans.

As developers.binance.com/docs/crypto_loan/flexible-rate/user-information documents them (Get Flexible Loan Borrow
History, Repayment History, LTV Adjustment History, Liquidation History, Ongoing Orders):

- ``GET /sapi/v2/loan/flexible/{borrow,repay}/history``, ``.../ltv/adjustment/history`` and
  ``.../liquidation/history``: weight 400 (IP); `loanCoin`, `collateralCoin`, `startTime`, `endTime`, `current`
  ("Start from 1; default: 1; max: 1000"), `limit` ("Default: 10; max: 100"); "If startTime and endTime are not sent,
  the recent 90-day data will be returned", "The max interval between startTime and endTime is 180 days" (refused as
  Binance refuses a longer range elsewhere, -1127). The answer: ``{"rows": [...], "total": n}``.
- the v1 editions of the first three (``/sapi/v1/loan/flexible/...``) "can be used to check history before
  2024-02-27 08:00": each edition here holds only its side of that moment.
- ``GET /sapi/v2/loan/flexible/ongoing/orders``: weight 300 (IP); `current`, `limit` as above; rows `loanCoin`,
  `totalDebt`, `collateralCoin`, `collateralAmount`, `currentLTV`.

The script (opt in with ``BinanceEmulator(crypto_loans=True)``; the lists answer empty otherwise), days before the
account's `now_ms`; BTC and ETH deposited 170 days back give the collateral (`deposits`):

| days | list | row |
| --- | --- | --- |
| 150 | borrow | 300 USDC against 0.2 ETH, SUCCESS |
| 120 | liquidation | 301.2 USDC of debt (1.2 of it interest) cleared by 0.15 ETH; 0.05 ETH returned; Liquidated |
| 100 | borrow | 1000 USDT against 0.05 BTC, SUCCESS |
| 80 | LTV adjustment | ADDITIONAL 0.01 BTC |
| 60 | repay | 400.5 USDT, 0.02 BTC collateral returned, REPAID |
| 50 | LTV adjustment | REDUCED 0.005 BTC |
| 30 | borrow | 50 USDT against 0.003 BTC, FAILED |

The open loan (USDT against BTC) owes 600.12345678 USDT (599.5 of principal and 0.62345678 of interest) against
0.035 BTC. A test may then have the user repay 100 USDT (`repay_pending`: REPAYING, nothing moved yet) and Binance
complete it (`settle`: REPAID, and 0.001 USDT more interest accrued since): the loan then owes 500.12445678. The spot
wallet holds what the loans paid out and returned, less the collateral they hold (`spot_change`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.binance_auto_invest import time_range
from sandbox.exchanges.binance_book import BinanceError, Call, int_param
from sandbox.exchanges.binance_limits import Bucket
from sandbox.exchanges.records import DepositRecord

Json = dict[str, Any]
Handler = Callable[[Call], object]
Route = tuple[str, int, Bucket, Handler, str]

WEIGHT, ONGOING_WEIGHT = 400, 300  # "Request Weight(IP) 400" (each history page), "300" (ongoing orders)
WINDOW_MS = 180 * DAY_MS  # "The max interval between startTime and endTime is 180 days"
DEFAULT_MS = 90 * DAY_MS  # "... the recent 90-day data will be returned"
V2_FROM_MS = int(datetime(2024, 2, 27, 8, tzinfo=UTC).timestamp() * 1000)
BASE = "/sapi/{}/loan/flexible/{}"
LISTS = {"borrow": "borrow/history", "repay": "repay/history", "ltv": "ltv/adjustment/history"}
LIQUIDATION, ONGOING = BASE.format("v2", "liquidation/history"), BASE.format("v2", "ongoing/orders")
DEPOSITED = {"BTC": Decimal("0.1"), "ETH": Decimal("0.3")}


@dataclass(frozen=True)
class LoanRow:
    """One row of a list (`kind`: borrow, repay, ltv, liquidation), in the page's own fields and order."""

    kind: str
    at: int
    fields: tuple[tuple[str, str], ...]

    def wire(self) -> Json:
        time_field = {"borrow": "borrowTime", "repay": "repayTime", "ltv": "adjustTime"}
        row: Json = dict(self.fields)
        row[time_field.get(self.kind, "liquidationStartingTime")] = self.at
        if self.kind == "repay":  # the page lists repayStatus before repayTime
            row["repayTime"] = row.pop("repayTime")
        elif self.kind == "liquidation":
            row["status"] = row.pop("status")
        return row

    def field(self, name: str) -> str:
        return dict(self.fields)[name]


def scripted_loans(now_ms: int, enabled: bool) -> tuple[LoanRow, ...]:
    if not enabled:
        return ()

    def at(days: int) -> int:
        return now_ms - days * DAY_MS

    def borrow(days: int, loan: str, amount: str, coll: str, pledged: str, status: str) -> LoanRow:
        fields = (("loanCoin", loan), ("initialLoanAmount", amount), ("collateralCoin", coll))
        return LoanRow("borrow", at(days), (*fields, ("initialCollateralAmount", pledged), ("status", status)))

    def adjust(days: int, direction: str, amount: str, before: str, after: str) -> LoanRow:
        fields = (("loanCoin", "USDT"), ("collateralCoin", "BTC"), ("direction", direction))
        return LoanRow(
            "ltv", at(days), (*fields, ("collateralAmount", amount), ("preLTV", before), ("afterLTV", after))
        )

    liquidation = (
        ("loanCoin", "USDC"),
        ("liquidationDebt", "301.2"),
        ("collateralCoin", "ETH"),
        ("liquidationCollateralAmount", "0.15"),
        ("returnCollateralAmount", "0.05"),
        ("liquidationFee", "0.0015"),
        ("liquidationStartingPrice", "2008"),
        ("status", "Liquidated"),
    )
    return (
        borrow(150, "USDC", "300", "ETH", "0.2", "SUCCESS"),
        LoanRow("liquidation", at(120), liquidation),
        borrow(100, "USDT", "1000", "BTC", "0.05", "SUCCESS"),
        adjust(80, "ADDITIONAL", "0.01", "0.5", "0.42"),
        repayment(at(60), "400.5", "0.02", "REPAID"),
        adjust(50, "REDUCED", "0.005", "0.3", "0.33"),
        borrow(30, "USDT", "50", "BTC", "0.003", "FAILED"),
    )


def repayment(at: int, amount: str, returned: str, status: str) -> LoanRow:
    fields = (("loanCoin", "USDT"), ("repayAmount", amount), ("collateralCoin", "BTC"))
    return LoanRow("repay", at, (*fields, ("collateralReturn", returned), ("repayStatus", status)))


def loan_deposits(now_ms: int, enabled: bool) -> tuple[DepositRecord, ...]:
    """The collateral's coins, deposited before the first loan."""
    if not enabled:
        return ()
    when = now_ms - 170 * DAY_MS
    return tuple(
        DepositRecord(str(8_800_001 + n), f"{n + 0xC0:064x}", coin, coin, amount, f"loan-{coin.lower()}", when)
        for n, (coin, amount) in enumerate(DEPOSITED.items())
    )


class LoansBook:
    """Serves the lists and the open loans; `spot_change` is what the loans did to the spot wallet."""

    def __init__(self, rows: tuple[LoanRow, ...]) -> None:
        self.rows = rows
        # The open loan's debt: interest accrued on top of what the rows explain (none without a script).
        self.interest = Decimal("0.62345678") if rows else Decimal(0)
        self.asked: list[tuple[str, int, int, int]] = []  # (path, startTime, endTime, current), for tests

    def repay_pending(self, at: int) -> None:
        """The user repays 100 USDT at `at`; Binance is still processing it (REPAYING): nothing has moved yet."""
        self.rows = (*self.rows, repayment(at, "100", "0", "REPAYING"))

    def settle(self) -> None:
        """The pending repayment completes, and the loan has accrued 0.001 USDT more interest since."""
        self.rows = tuple(
            replace(r, fields=tuple((k, "REPAID" if k == "repayStatus" else v) for k, v in r.fields))
            if r.kind == "repay"
            else r
            for r in self.rows
        )
        self.interest += Decimal("0.001")

    def routes(self) -> tuple[Route, ...]:
        ip: Bucket = "sapi_ip"
        lists: list[Route] = [
            (BASE.format(edition, tail), WEIGHT, ip, self._history(kind, edition == "v1"), "GET")
            for kind, tail in LISTS.items()
            for edition in ("v1", "v2")
        ]
        liquidation: Route = (LIQUIDATION, WEIGHT, ip, self._history("liquidation", False), "GET")
        return (*lists, liquidation, (ONGOING, ONGOING_WEIGHT, ip, self.ongoing, "GET"))

    def _final(self, kind: str) -> list[LoanRow]:
        done = {"borrow": "SUCCESS", "repay": "REPAID", "liquidation": "Liquidated"}
        return [r for r in self.rows if r.kind == kind and (kind == "ltv" or done[kind] in dict(r.fields).values())]

    def spot_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}

        def add(coin: str, amount: Decimal) -> None:
            change[coin] = change.get(coin, Decimal(0)) + amount

        for r in self._final("borrow"):
            add(r.field("loanCoin"), Decimal(r.field("initialLoanAmount")))
            add(r.field("collateralCoin"), -Decimal(r.field("initialCollateralAmount")))
        for r in self._final("repay"):
            add(r.field("loanCoin"), -Decimal(r.field("repayAmount")))
            add(r.field("collateralCoin"), Decimal(r.field("collateralReturn")))
        for r in self._final("ltv"):
            sign = -1 if r.field("direction") == "ADDITIONAL" else 1
            add(r.field("collateralCoin"), sign * Decimal(r.field("collateralAmount")))
        for r in self._final("liquidation"):
            add(r.field("collateralCoin"), Decimal(r.field("returnCollateralAmount")))
        return change

    def open_loans(self) -> list[Json]:
        """Per pair still owing: the debt (principal left, and the interest) and the collateral held."""
        debt: dict[tuple[str, str], Decimal] = {}
        held: dict[tuple[str, str], Decimal] = {}
        for r in self._final("borrow"):
            pair = (r.field("loanCoin"), r.field("collateralCoin"))
            debt[pair] = debt.get(pair, Decimal(0)) + Decimal(r.field("initialLoanAmount"))
            held[pair] = held.get(pair, Decimal(0)) + Decimal(r.field("initialCollateralAmount"))
        for r in self._final("repay"):
            pair = (r.field("loanCoin"), r.field("collateralCoin"))
            debt[pair] -= Decimal(r.field("repayAmount"))
            held[pair] -= Decimal(r.field("collateralReturn"))
        for r in self._final("ltv"):
            pair = (r.field("loanCoin"), r.field("collateralCoin"))
            sign = 1 if r.field("direction") == "ADDITIONAL" else -1
            held[pair] += sign * Decimal(r.field("collateralAmount"))
        for r in self._final("liquidation"):
            del debt[(r.field("loanCoin"), r.field("collateralCoin"))]  # the liquidated loan is closed
        return [
            {
                "loanCoin": loan,
                "totalDebt": str(owed + self.interest),
                "collateralCoin": coll,
                "collateralAmount": str(held[(loan, coll)]),
                "currentLTV": "0.57",
            }
            for (loan, coll), owed in sorted(debt.items())
        ]

    def _history(self, kind: str, v1: bool) -> Handler:
        path = BASE.format("v1" if v1 else "v2", LISTS.get(kind, "liquidation/history"))

        def handle(call: Call) -> Json:
            start, end = time_range(call, DEFAULT_MS, WINDOW_MS)
            current, limit = _paging(call)
            self.asked.append((path, start, end, current))
            loan, coll = call.params.get("loanCoin"), call.params.get("collateralCoin")
            rows = [
                r.wire()
                for r in sorted(self.rows, key=lambda r: -r.at)
                if r.kind == kind
                and start <= r.at <= end
                and (r.at < V2_FROM_MS) == v1
                and loan in (None, r.field("loanCoin"))
                and coll in (None, r.field("collateralCoin"))
            ]
            return {"rows": rows[(current - 1) * limit : current * limit], "total": len(rows)}

        return handle

    def ongoing(self, call: Call) -> Json:
        current, limit = _paging(call)
        self.asked.append((ONGOING, 0, 0, current))
        rows = self.open_loans()
        return {"rows": rows[(current - 1) * limit : current * limit], "total": len(rows)}


def _paging(call: Call) -> tuple[int, int]:
    current = int_param(call.params, "current") or 1
    limit = int_param(call.params, "limit") or 10
    if not 1 <= current <= 1000:
        raise BinanceError(-1130, "Data sent for parameter 'current' is not valid.")
    if not 1 <= limit <= 100:
        raise BinanceError(-1130, "Data sent for parameter 'limit' is not valid.")
    return current, limit
