"""Bybit's crypto loans (the "new crypto loan" pages of bybit-exchange/docs, `docs/v5/new-crypto-loan/`).

Served as the pages document them (docs/exchange-apis/bybit.md, "Crypto loans"):
- `GET /v5/crypto-loan-flexible/borrow-history` (flexible/loan-orders.mdx): filters `orderId`, `loanCurrency`; rows
  `borrowTime` (a number, ms), `initialLoanAmount`, `loanCurrency`, `orderId`, `status` (1 success, 2 processing,
  3 fail).
- `GET /v5/crypto-loan-flexible/repayment-history` (flexible/repay-orders.mdx): filters `repayId`, `loanCurrency`;
  rows `loanCurrency`, `repayAmount`, `repayId`, `repayStatus`, `repayTime` (a number), `repayType` (a number).
- `GET /v5/crypto-loan-common/adjustment-history` (ltv-adjust-history.mdx): filters `adjustId`,
  `collateralCurrency`; rows `adjustId` (a number), `adjustTime` (a number), `amount`, `collateralCurrency`,
  `direction` (0 add, 1 reduce), `preLTV`, `afterLTV`, `status`.
- `GET /v5/crypto-loan-common/position` (crypto-loan-position.mdx): `borrowList`, `collateralList`, `supplyList`,
  `ltv`, `totalCollateral`, `totalDebt`, `totalSupply`.
Every list: `limit` [1, 100], default 10, `nextPageCursor`; no time parameters (none is documented); newest first
(each page's example). Every page: permission "Spot trade", "UID rate limit: 5 req / second". Money moves in the
funding wallet: "The loan funds are released to the Funding wallet", "The collateral funds are deducted from the
Funding wallet", "The repaid amount will be deducted from the Funding wallet", "The adjusted collateral amount will be
returned to or deducted from the Funding wallet" (flexible/borrow.mdx, flexible/repay.mdx, adjust-collateral.mdx);
a repayment pays the interest due first (flexible/repay.mdx).

The script (`scripted=True`, a choice, not a rule): 500 USDT moved from the unified wallet to the funding wallet (an
internal transfer), a flexible loan of 0.01 BTC against 400 USDT of collateral, a failed loan, 50 USDT of collateral
added, 0.004 BTC repaid (0.0000012 BTC of it interest), 30 USDT of collateral taken back; the loan is open, owing
0.0060012 BTC of principal and 0.00000045 BTC of interest accrued since.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bybit_book import BybitError, Call, Json, cursor_page, limit_param
from sandbox.exchanges.records import TransferRecord, plain

SUCCESS, PROCESSING, FAIL = 1, 2, 3  # every list's status: "1: success; 2: processing; 3: fail"
ADD, REDUCE = 0, 1  # adjustment direction: "0: add collateral; 1: reduce collateral"
BY_USER = 1  # repayType "1: repay by user"
PERMISSION = "SpotTrade"  # every page's `Permission: "Spot trade"`, as the key-info answer names it (apikey-info.mdx)
DENIED = (10005, "Permission denied, please check your API key permissions.")  # docs/v5/error.mdx


@dataclass(frozen=True)
class Borrow:
    order_id: str
    coin: str
    amount: Decimal
    time: int
    collateral_coin: str
    collateral: Decimal  # taken from the funding wallet with the loan (the borrow request's collateralList)
    status: int = SUCCESS

    def row(self) -> Json:
        return {
            "borrowTime": self.time,
            "initialLoanAmount": plain(self.amount),
            "loanCurrency": self.coin,
            "orderId": self.order_id,
            "status": self.status,
        }


@dataclass(frozen=True)
class Repayment:
    repay_id: str
    coin: str
    amount: Decimal
    interest: Decimal  # the part of it that paid interest due (the page does not list it)
    time: int
    status: int = SUCCESS

    def row(self) -> Json:
        return {
            "loanCurrency": self.coin,
            "repayAmount": plain(self.amount),
            "repayId": self.repay_id,
            "repayStatus": self.status,
            "repayTime": self.time,
            "repayType": BY_USER,
        }


@dataclass(frozen=True)
class Adjustment:
    adjust_id: int
    coin: str
    amount: Decimal
    direction: int
    time: int
    pre_ltv: str
    after_ltv: str
    status: int = SUCCESS

    def row(self) -> Json:
        return {
            "adjustId": self.adjust_id,
            "adjustTime": self.time,
            "afterLTV": self.after_ltv,
            "amount": plain(self.amount),
            "collateralCurrency": self.coin,
            "direction": self.direction,
            "preLTV": self.pre_ltv,
            "status": self.status,
        }


@dataclass(frozen=True)
class LoanScript:
    transfers: Sequence[TransferRecord] = ()  # unified wallet to funding wallet, for the collateral
    borrows: Sequence[Borrow] = ()
    repayments: Sequence[Repayment] = ()
    adjustments: Sequence[Adjustment] = ()
    interest_since: Decimal = Decimal(0)  # accrued on the open loan since its last repayment, unpaid

    def unified_change(self) -> dict[str, Decimal]:
        changed: dict[str, Decimal] = {}
        for t in self.transfers:
            changed[t.asset] = changed.get(t.asset, Decimal(0)) - t.amount
        return changed

    def funding(self) -> dict[str, Decimal]:
        """The funding wallet: the collateral moved in, less what was pledged, plus the loans less the repayments."""
        held: dict[str, Decimal] = {}

        def add(coin: str, amount: Decimal) -> None:
            held[coin] = held.get(coin, Decimal(0)) + amount

        for t in self.transfers:
            add(t.asset, t.amount)
        for b in self.borrows:
            if b.status == SUCCESS:
                add(b.coin, b.amount)
                add(b.collateral_coin, -b.collateral)
        for r in self.repayments:
            if r.status == SUCCESS:
                add(r.coin, -r.amount)
        for a in self.adjustments:
            if a.status == SUCCESS:
                add(a.coin, -a.amount if a.direction == ADD else a.amount)
        return held

    def collateral(self) -> dict[str, Decimal]:
        pledged: dict[str, Decimal] = {}
        for b in self.borrows:
            if b.status == SUCCESS:
                pledged[b.collateral_coin] = pledged.get(b.collateral_coin, Decimal(0)) + b.collateral
        for a in self.adjustments:
            if a.status == SUCCESS:
                pledged[a.coin] = pledged.get(a.coin, Decimal(0)) + (a.amount if a.direction == ADD else -a.amount)
        return pledged

    def debt(self) -> dict[str, Decimal]:
        """Principal left (a repayment pays its interest first) plus the interest accrued since, per loan coin."""
        owed: dict[str, Decimal] = {}
        for b in self.borrows:
            if b.status == SUCCESS:
                owed[b.coin] = owed.get(b.coin, Decimal(0)) + b.amount
        for r in self.repayments:
            if r.status == SUCCESS:
                owed[r.coin] = owed.get(r.coin, Decimal(0)) - (r.amount - r.interest)
        return {coin: amount + self.interest_since for coin, amount in owed.items() if amount}


NO_LOANS = LoanScript()


def script_loans(now_ms: int) -> LoanScript:
    """The scripted loan, inside the last 30 days (the test's ground truth is written from these numbers)."""

    def at(days: int) -> int:
        return now_ms - days * DAY_MS

    usdt, btc = "USDT", "BTC"
    return LoanScript(
        transfers=(
            TransferRecord(
                "selfTransfer_c0ffee00-0000-4000-8000-000000000001", usdt, Decimal(500), "UNIFIED", "FUND", at(20)
            ),
        ),
        borrows=(
            Borrow("1363", btc, Decimal("0.01"), at(19), usdt, Decimal(400)),
            Borrow("1364", btc, Decimal("0.5"), at(18), usdt, Decimal(0), status=FAIL),
        ),
        adjustments=(
            Adjustment(27491, usdt, Decimal(50), ADD, at(15), "0.372314", "0.34186"),
            Adjustment(27511, usdt, Decimal(30), REDUCE, at(5), "0.203441", "0.218288"),
        ),
        repayments=(Repayment("1771", btc, Decimal("0.004"), Decimal("0.0000012"), at(10)),),
        interest_since=Decimal("0.00000045"),
    )


def _chosen(rows: Sequence[Any], call: Call, filters: dict[str, Callable[[Any], str]]) -> list[Any]:
    return [
        r
        for r in rows
        if all(not call.params.get(name) or pick(r) == call.params[name] for name, pick in filters.items())
    ]


@dataclass
class BybitLoans:
    script: LoanScript = NO_LOANS
    refused: set[str] = field(default_factory=set)  # API keys made without "Spot trade"

    def _allowed(self, call: Call) -> None:
        if call.key is None or call.key.api_key in self.refused:
            raise BybitError(*DENIED)

    def key_info(self, api_key: str, answer: Mapping[str, object]) -> Json:
        """The key-info answer, its Spot group without SpotTrade for a key made without it."""
        if api_key not in self.refused:
            return dict(answer)
        permissions = dict(answer.get("permissions") or {})  # type: ignore[call-overload]
        permissions["Spot"] = [p for p in permissions.get("Spot", []) if p != PERMISSION]
        return {**answer, "permissions": permissions}

    def _page(self, rows: Sequence[Any], call: Call, key: Callable[[Any], tuple[int, str]]) -> Json:
        self._allowed(call)
        limit = limit_param(call.params, 10, 100)
        items, cursor = cursor_page(rows, call.params, limit, key)
        return {"list": [r.row() for r in items], "nextPageCursor": cursor}

    def borrows(self, call: Call) -> Json:
        rows = _chosen(self.script.borrows, call, {"orderId": lambda b: b.order_id, "loanCurrency": lambda b: b.coin})
        return self._page(rows, call, lambda b: (b.time, b.order_id))

    def repayments(self, call: Call) -> Json:
        rows = _chosen(
            self.script.repayments, call, {"repayId": lambda r: r.repay_id, "loanCurrency": lambda r: r.coin}
        )
        return self._page(rows, call, lambda r: (r.time, r.repay_id))

    def adjustments(self, call: Call) -> Json:
        filters = {"adjustId": lambda a: str(a.adjust_id), "collateralCurrency": lambda a: a.coin}
        rows = _chosen(self.script.adjustments, call, filters)
        return self._page(rows, call, lambda a: (a.time, str(a.adjust_id)))

    def position(self, call: Call) -> Json:
        """The open loans: debt per loan coin (all flexible), collateral per coin; no supply. USD values are not
        emulated (Tallybot reads none): "0"."""
        self._allowed(call)
        debt, pledged = self.script.debt(), self.script.collateral()
        borrow = [
            {
                "fixedTotalDebt": "0",
                "fixedTotalDebtUSD": "0",
                "flexibleHourlyInterestRate": "0.0000001361462",
                "flexibleTotalDebt": plain(amount),
                "flexibleTotalDebtUSD": "0",
                "loanCurrency": coin,
            }
            for coin, amount in sorted(debt.items())
        ]
        collateral = [{"amount": plain(a), "amountUSD": "0", "currency": c} for c, a in sorted(pledged.items()) if a]
        return {
            "borrowList": borrow,
            "collateralList": collateral,
            "ltv": "0" if not borrow else "0.218288",
            "supplyList": [],
            "totalCollateral": "0",
            "totalDebt": "0",
            "totalSupply": "0",
        }
