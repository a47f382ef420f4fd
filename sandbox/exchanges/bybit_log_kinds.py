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
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sandbox.exchanges.bybit_derivatives_script import CashLine, DerivativesScript, InterestCharge, q8

SPOT = "spot"
AIRDROP = (Decimal("12.5"), "MNT")
BONUS = (Decimal(5), "USDT")
BORROWED = (Decimal(100), "USDT")
REPAID = (Decimal(40), "USDT")
# A one-click repayment: 2.5 of the airdropped MNT sold for 1.75 USDT, which repays that much of the loan.
ONE_CLICK_SOLD = (Decimal("2.5"), "MNT")
ONE_CLICK_BOUGHT = (Decimal("1.75"), "USDT")
ONE_CLICK_ORDER = "one-click-repay-1"
HOURLY_RATE = Decimal("0.000001216904")
INTEREST_AT = (0.55, 0.6)  # where in the account's span the two charges fall


def _line(number: int, kind: str, coin: str, amount: Decimal, when: int, order: str = "") -> CashLine:
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
    )


def with_log_kinds(script: DerivativesScript, start: int, end: int) -> DerivativesScript:
    """`script` with the lines above added between `start` and `end` (ms): their money in its log, the interest in
    its borrow history too, and the loan still owed in its `spot_borrow`."""

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
    )
    owed = dict(script.spot_borrow)
    owed[coin] = owed.get(coin, Decimal(0)) + borrowed - REPAID[0] - ONE_CLICK_BOUGHT[0]
    return replace(script, cash=(*script.cash, *lines), interest=(*script.interest, *charges), spot_borrow=owed)
