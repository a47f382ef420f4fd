"""The scripted derivatives history of a Bybit account (seeded, placed inside the account's own span): what
``bybit_derivatives`` serves and what a full sync must store.

A long and a short on two USDT perpetuals with funding in between, a long on the inverse BTCUSD perpetual (settled
in BTC) with funding, and (unified accounts) a call option bought and delivered in the money (settled in USDC). A
unified account also borrowed USDT on spot margin and paid hourly interest; a classic one moved USDT (and BTC, if it
held any) from its spot to its contract wallet and part of it back. Every position closes at a profit larger than
its fees and funding, so every balance stays positive.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.records import EIGHT_PLACES, ScriptedAccount, TransferRecord

LINEAR, INVERSE, OPTION = "linear", "inverse", "option"
DERIVATIVES = (LINEAR, INVERSE, OPTION)
CONTRACT, SPOT, UNIFIED = "CONTRACT", "SPOT", "UNIFIED"
TAKER_RATE = Decimal("0.00055")
OPTION_FEE_RATE = Decimal("0.0003")
# Log lines (bybit_log_kinds) whose money the wallet counts from the borrow history or the outstanding loans.
COUNTED_ELSEWHERE = frozenset({"INTEREST", "MANUAL_LOANS_BORROW", "MANUAL_LOANS_REPAY", "REPAY"})
FEE_REFUNDED = Decimal("-0.42")  # a FEE_REFUND line's `fee`: negative, "rebates" (transaction-log.mdx)


def q8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Fill:
    """One derivatives execution (a trade, or an option's delivery)."""

    exec_id: str
    order_id: str
    category: str
    symbol: str
    settle: str
    side: str  # "Buy" / "Sell"
    qty: Decimal
    price: Decimal
    value: Decimal  # in the settle coin (inverse: qty / price)
    fee: Decimal
    fee_rate: Decimal
    time: int
    exec_type: str = "Trade"
    closed_size: Decimal = Decimal(0)


@dataclass(frozen=True)
class CashLine:
    """One line of a transaction log; `funding` is signed as received (the unified log's sign)."""

    id: str
    symbol: str
    category: str
    side: str
    time: int
    type: str  # TRADE, SETTLEMENT, DELIVERY
    qty: Decimal
    size: Decimal
    currency: str
    price: Decimal
    cash_flow: Decimal
    funding: Decimal | None = None
    fee: Decimal = Decimal(0)
    fee_rate: Decimal = Decimal(0)
    trade_id: str = ""
    order_id: str = ""
    # False: the wallet counts this line's money from another list's record (a convert's leg: the convert history).
    counted: bool = True

    @property
    def change(self) -> Decimal:
        return self.cash_flow + (self.funding or Decimal(0)) - self.fee


@dataclass(frozen=True)
class InterestCharge:
    """One borrow-history row: the interest charged on a spot-margin loan."""

    currency: str
    time: int
    cost: Decimal
    hourly_rate: Decimal
    borrowed: Decimal


@dataclass(frozen=True)
class DerivativesScript:
    fills: tuple[Fill, ...]
    cash: tuple[CashLine, ...]
    interest: tuple[InterestCharge, ...]
    transfers: tuple[TransferRecord, ...]  # spot <-> contract wallet (classic)
    spot_borrow: Mapping[str, Decimal]  # outstanding spot-margin loans (unified)

    def change(self) -> dict[str, Decimal]:
        """What the derivatives and the interest added to each coin (fees, funding, realized profit). A log line
        whose money is counted from another list is left out: interest (the borrow history's charges) and spot-margin
        loans (the wallet adds what is still owed, `spot_borrow`)."""
        out: dict[str, Decimal] = {}
        for line in self.cash:
            if line.type in COUNTED_ELSEWHERE or not line.counted:
                continue
            out[line.currency] = out.get(line.currency, Decimal(0)) + line.change
        for charge in self.interest:
            out[charge.currency] = out.get(charge.currency, Decimal(0)) - charge.cost
        return out

    def moved_to_contract(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for t in self.transfers:
            sign = 1 if t.to_account == CONTRACT else -1
            out[t.asset] = out.get(t.asset, Decimal(0)) + sign * t.amount
        return out


NO_DERIVATIVES = DerivativesScript((), (), (), (), {})  # a spot-only account


class _Builder:
    def __init__(self, seed: int, start: int, end: int) -> None:
        self.rng = random.Random(seed * 7919 + 15)  # noqa: S311 - a scripted account, not a secret
        self.start, self.end = start, end
        self.fills: list[Fill] = []
        self.cash: list[CashLine] = []
        self.number = 0

    def at(self, fraction: float) -> int:
        return self.start + int((self.end - self.start) * fraction) + self.rng.randint(0, 3_600_000)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def line_id(self, symbol: str) -> str:
        self.number += 1
        return f"{592324 + self.number}_{symbol}_{161440249321 + self.number * 7}"

    def fill(
        self,
        category: str,
        symbol: str,
        settle: str,
        side: str,
        qty: Decimal,
        price: Decimal,
        when: int,
        *,
        rate: Decimal = TAKER_RATE,
        fee: Decimal | None = None,
        closes: Decimal = Decimal(0),
        cash_flow: Decimal = Decimal(0),
        exec_type: str = "Trade",
    ) -> Fill:
        value = q8(qty / price) if category == INVERSE else q8(qty * price)
        charged = q8(value * rate if fee is None else fee)
        made = Fill(
            self.uid(),
            self.uid(),
            category,
            symbol,
            settle,
            side,
            qty,
            price,
            value,
            charged,
            rate,
            when,
            exec_type,
            closes,
        )
        self.fills.append(made)
        size = Decimal(0) if closes else (qty if side == "Buy" else -qty)
        kind = "DELIVERY" if exec_type == "Delivery" else "TRADE"
        line = CashLine(
            self.line_id(symbol),
            symbol,
            category,
            side,
            when,
            kind,
            qty,
            size,
            settle,
            price,
            cash_flow,
            None,
            charged,
            rate,
            made.exec_id,
            made.order_id,
        )
        self.cash.append(line)
        return made

    def funding(
        self,
        category: str,
        symbol: str,
        settle: str,
        side: str,
        qty: Decimal,
        price: Decimal,
        when: int,
        amount: Decimal,
    ) -> None:
        size = qty if side == "Buy" else -qty
        rate = Decimal("0.0001") if side == "Buy" else Decimal("-0.0001")
        line = CashLine(
            self.line_id(symbol),
            symbol,
            category,
            side,
            when,
            "SETTLEMENT",
            qty,
            size,
            settle,
            price,
            Decimal(0),
            amount,
            Decimal(0),
            rate,
            self.uid(),
            "",
        )
        self.cash.append(line)

    def perpetual(self, symbol: str, side: str, qty: Decimal, price: Decimal, gain: Decimal, begin: float) -> None:
        """Open, two funding settlements, close at a profit of `gain` per unit (USDT-settled)."""
        opened = self.fill(LINEAR, symbol, "USDT", side, qty, price, self.at(begin))
        close_price = price + gain if side == "Buy" else price - gain
        for step in (0.03, 0.06):
            paid = q8(opened.value * Decimal("0.0001"))
            self.funding(
                LINEAR, symbol, "USDT", side, qty, price, self.at(begin + step), -paid if side == "Buy" else paid
            )
        back = "Sell" if side == "Buy" else "Buy"
        self.fill(
            LINEAR, symbol, "USDT", back, qty, close_price, self.at(begin + 0.1), closes=qty, cash_flow=q8(qty * gain)
        )


def script_span(account: ScriptedAccount) -> tuple[int, int]:
    """(start, end) in ms where scripted log lines fall: after the account's first record, until two days ago."""
    times = [t.timestamp for t in account.trades] + [d.timestamp for d in account.deposits]
    start = max(min(times, default=account.now_ms - 30 * DAY_MS), account.now_ms - 700 * DAY_MS) + DAY_MS
    return start, max(account.now_ms - 2 * DAY_MS, start + DAY_MS)


def script_derivatives(account: ScriptedAccount, *, classic: bool) -> DerivativesScript:
    """The derivatives history of one scripted account (placed between its first record and two days ago)."""
    start, end = script_span(account)
    b = _Builder(account.seed, start, end)
    btc = Decimal(b.rng.randint(55_000, 70_000))
    b.perpetual("BTCUSDT", "Buy", Decimal("0.01"), btc, Decimal(b.rng.randint(1500, 3000)), 0.2)
    b.perpetual(
        "ETHUSDT", "Sell", Decimal("0.5"), Decimal(b.rng.randint(2500, 3500)), Decimal(b.rng.randint(60, 120)), 0.35
    )
    # Inverse BTCUSD: 100 USD contracts long; value, fees, funding and profit in BTC.
    opened = b.fill(INVERSE, "BTCUSD", "BTC", "Buy", Decimal(100), btc, b.at(0.5))
    b.funding(INVERSE, "BTCUSD", "BTC", "Buy", Decimal(100), btc, b.at(0.53), -q8(opened.value * Decimal("0.0001")))
    higher = btc + 3000
    profit = q8(Decimal(100) / btc - Decimal(100) / higher)
    b.fill(INVERSE, "BTCUSD", "BTC", "Sell", Decimal(100), higher, b.at(0.58), closes=Decimal(100), cash_flow=profit)
    if not classic:
        # A call bought for its premium and delivered in the money (USDC options, settled in USDC).
        strike = (btc // 1000) * 1000
        delivered = b.at(0.75)
        day = datetime.fromtimestamp(delivered / 1000, tz=UTC).strftime("%d%b%y").upper().lstrip("0")
        symbol = f"BTC-{day}-{strike}-C"
        premium, qty = Decimal(b.rng.randint(800, 1500)), Decimal("0.1")
        option_fee = q8(OPTION_FEE_RATE * btc * qty)
        paid = -q8(premium * qty)
        b.fill(
            OPTION,
            symbol,
            "USDC",
            "Buy",
            qty,
            premium,
            b.at(0.65),
            fee=option_fee,
            rate=OPTION_FEE_RATE,
            cash_flow=paid,
        )
        delivery = strike + 4000
        delivery_rate = Decimal("0.00015")
        b.fill(
            OPTION,
            symbol,
            "USDC",
            "Sell",
            qty,
            delivery,
            delivered,
            fee=q8(delivery_rate * delivery * qty),
            rate=delivery_rate,
            exec_type="Delivery",
            closes=qty,
            cash_flow=q8((delivery - strike) * qty),
        )
    interest: list[InterestCharge] = []
    borrow: dict[str, Decimal] = {}
    transfers: list[TransferRecord] = []
    held = {x.asset: x.total for x in account.balances}
    if classic:
        usdt = q8(min(held.get("USDT", Decimal(0)), Decimal(1000)) / 2)
        if usdt > 0:
            transfers.append(TransferRecord(b.uid(), "USDT", usdt, SPOT, CONTRACT, b.at(0.1)))
            transfers.append(TransferRecord(b.uid(), "USDT", q8(usdt / 2), CONTRACT, SPOT, b.at(0.9)))
        coin = q8(min(held.get("BTC", Decimal(0)), Decimal("0.01")) / 2)
        if coin > 0:
            transfers.append(TransferRecord(b.uid(), "BTC", coin, SPOT, CONTRACT, b.at(0.45)))
    else:
        borrowed = Decimal(250)
        borrow["USDT"] = borrowed
        rate = Decimal("0.000001216904")
        for fraction in (0.8, 0.85, 0.9):
            interest.append(InterestCharge("USDT", b.at(fraction), q8(borrowed * rate), rate, borrowed))
    # A fee refund: a log line with no execution behind it, its money in `fee` (negative: "rebates"), no cash flow.
    refund = CashLine(b.line_id("BTCUSDT"), "BTCUSDT", LINEAR, "None", b.at(0.95), "FEE_REFUND", Decimal(0),
                      Decimal(0), "USDT", Decimal(0), Decimal(0), fee=FEE_REFUNDED)  # fmt: skip
    b.cash.append(refund)
    return DerivativesScript(tuple(b.fills), tuple(b.cash), tuple(interest), tuple(transfers), borrow)
