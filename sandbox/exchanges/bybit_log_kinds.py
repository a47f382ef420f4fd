"""The unified transaction log's lines that are neither derivatives nor spot trades, scripted for one Bybit account
(``BybitEmulator(log_kinds=True)``; unified accounts only: a classic account keeps no unified log).

What the account did, a choice of the script (docs/exchange-apis/bybit.md, "The transaction log's other lines"):
an airdrop of 12.5 MNT, a claimed bonus of 5 USDT, 100 USDT borrowed on spot margin by hand, two hourly interest
charges on it, 40 USDT of it repaid, and a one-click repayment (2.5 of the MNT sold for 1.75 USDT, repaid). The
types and their words are Bybit's (docs/v5/enum.mdx#typeuta-translog: `AIRDROP`, `BONUS` "Bonus claimed",
`MANUAL_LOANS_BORROW` "Manual borrow", `INTEREST` "Interest occurred due to borrowing", `MANUAL_LOANS_REPAY` "Manual
repay", `SPOT_REPAYMENT_SELL`/`_BUY` "One-click repayment currency sell/buy"). Which type the one-click repayment's
own repay line has is not said: the script writes a manual repay, and its two legs share an `orderId`. No page shows
such a line, so the money is written where the page's formula puts a cash change that is neither a fee nor funding:
`cashFlow`, with `change` = `cashFlow` and, for spot lines, `qty` the signed change of the coin ("Spot: the negative
means the qty of this currency is decreased"). The interest charges are the borrow history's rows too (the same
money, listed twice by Bybit).

Two more kinds of `CURRENCY_SELL`/`CURRENCY_BUY` lines, "Currency convert, and the liquidation for borrowing asset (UTA
loan)": each convert the account made from its unified wallet (the convert history's `eb_convert_uta` rows) writes its
two legs, 350 ms after the row's `createdAt` and under an order id of their own (how far apart and which id: not
said), their money counted once, from the convert history; and the loan is partly liquidated: 4 of the MNT sold for
2.8 USDT (the two legs sharing an order), which repay that much of it (a `REPAY` line, "Manual loan repay and auto
loan repay", the enum's current name). No other list holds the liquidation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from sandbox.exchanges.bybit_derivatives_script import CashLine, DerivativesScript, InterestCharge, q8
from sandbox.exchanges.records import ConvertRecord

SPOT = "spot"
AIRDROP = (Decimal("12.5"), "MNT")
BONUS = (Decimal(5), "USDT")
BORROWED = (Decimal(100), "USDT")
REPAID = (Decimal(40), "USDT")
# A one-click repayment: 2.5 of the airdropped MNT sold for 1.75 USDT, which repays that much of the loan.
ONE_CLICK_SOLD = (Decimal("2.5"), "MNT")
ONE_CLICK_BOUGHT = (Decimal("1.75"), "USDT")
ONE_CLICK_ORDER = "one-click-repay-1"
# A UTA loan's liquidation: 4 MNT sold for 2.8 USDT, which repays that much of the loan.
LIQUIDATED = (Decimal(4), "MNT")
LIQUIDATION_BOUGHT = (Decimal("2.8"), "USDT")
LIQUIDATION_ORDER = "uta-loan-liquidation-1"
CONVERT_LINE_LAG_MS = 350  # a convert's legs are stamped this long after its row's `createdAt` (a choice)
HOURLY_RATE = Decimal("0.000001216904")
INTEREST_AT = (0.55, 0.6)  # where in the account's span the two charges fall


def _line(
    number: int, kind: str, coin: str, amount: Decimal, when: int, order: str = "", *, counted: bool = True
) -> CashLine:
    return CashLine(
        id=f"{770000 + number}_{coin}_{when}",
        symbol="",
        category=SPOT,
        side="None",
        time=when,
        type=kind,
        qty=amount,
        size=Decimal(0),
        currency=coin,
        price=Decimal(0),
        cash_flow=amount,
        trade_id=f"log-kinds-{number}",
        order_id=order,
        counted=counted,
    )


def convert_lines(converts: Iterable[ConvertRecord]) -> tuple[CashLine, ...]:
    """Each unified-wallet convert's two legs, their money the convert history's (not counted again)."""
    lines: list[CashLine] = []
    for n, c in enumerate(sorted(converts, key=lambda c: c.timestamp)):
        when, order = c.timestamp + CONVERT_LINE_LAG_MS, f"convert-order-{c.id}"
        lines.append(_line(100 + 2 * n, "CURRENCY_SELL", c.from_asset, -c.from_amount, when, order, counted=False))
        lines.append(_line(101 + 2 * n, "CURRENCY_BUY", c.to_asset, c.to_amount, when, order, counted=False))
    return tuple(lines)


def with_log_kinds(
    script: DerivativesScript, start: int, end: int, uta_converts: Iterable[ConvertRecord] = ()
) -> DerivativesScript:
    """`script` with the lines above added between `start` and `end` (ms): their money in its log, the interest in
    its borrow history too, and the loan still owed in its `spot_borrow`; `uta_converts` (made from the unified
    wallet) each write their two legs."""

    def at(fraction: float) -> int:
        return start + int((end - start) * fraction)

    borrowed, coin = BORROWED
    charges = tuple(InterestCharge(coin, at(f), q8(borrowed * HOURLY_RATE), HOURLY_RATE, borrowed) for f in INTEREST_AT)
    lines = (
        _line(1, "AIRDROP", AIRDROP[1], AIRDROP[0], at(0.3)),
        _line(2, "BONUS", BONUS[1], BONUS[0], at(0.4)),
        _line(3, "MANUAL_LOANS_BORROW", coin, borrowed, at(0.5)),
        *(_line(4 + n, "INTEREST", coin, -c.cost, c.time) for n, c in enumerate(charges)),
        _line(9, "MANUAL_LOANS_REPAY", REPAID[1], -REPAID[0], at(0.65)),
        _line(10, "SPOT_REPAYMENT_SELL", ONE_CLICK_SOLD[1], -ONE_CLICK_SOLD[0], at(0.7), ONE_CLICK_ORDER),
        _line(11, "SPOT_REPAYMENT_BUY", ONE_CLICK_BOUGHT[1], ONE_CLICK_BOUGHT[0], at(0.7), ONE_CLICK_ORDER),
        _line(12, "MANUAL_LOANS_REPAY", ONE_CLICK_BOUGHT[1], -ONE_CLICK_BOUGHT[0], at(0.7) + 1),
        _line(13, "CURRENCY_SELL", LIQUIDATED[1], -LIQUIDATED[0], at(0.8), LIQUIDATION_ORDER),
        _line(14, "CURRENCY_BUY", LIQUIDATION_BOUGHT[1], LIQUIDATION_BOUGHT[0], at(0.8), LIQUIDATION_ORDER),
        _line(15, "REPAY", LIQUIDATION_BOUGHT[1], -LIQUIDATION_BOUGHT[0], at(0.8) + 1),
        *convert_lines(uta_converts),
    )
    owed = dict(script.spot_borrow)
    owed[coin] = owed.get(coin, Decimal(0)) + borrowed - REPAID[0] - ONE_CLICK_BOUGHT[0] - LIQUIDATION_BOUGHT[0]
    return replace(script, cash=(*script.cash, *lines), interest=(*script.interest, *charges), spot_borrow=owed)
