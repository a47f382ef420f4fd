"""A scripted Bitget account's futures and margin history: what `bitget_derivatives` serves, and the ground truth a
full sync must store.

Every kind the classic v2 API lists: USDT-M, coin-M and USDC-M futures fills with their realized profit and fees,
funding fees, transfers from spot into each futures and margin account and back, cross and isolated margin fills,
borrowings, repayments and interest. The spot account is grown by the deposits that fund it and shrunk by the
transfers out (`grow_account`), so every wallet the key reads adds up to what the history explains.

Amounts are fixed (a reader can check them by hand); times and ids come from the account's clock and seed.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.records import BalanceRecord, DepositRecord, ScriptedAccount

D = Decimal
USDT, COIN, USDC = "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES"
PRODUCT_TYPES = (USDT, COIN, USDC)
# transferRecords' account names (spot/account/Get-Account-TransferRecords: fromType, toType).
ACCOUNT_OF = {USDT: "usdt_futures", COIN: "coin_futures", USDC: "usdc_futures"}


@dataclass(frozen=True)
class FuturesFill:
    id: str
    product: str
    symbol: str
    margin_coin: str
    side: str  # buy / sell
    trade_side: str  # open / close (hedge mode)
    price: Decimal
    size: Decimal  # baseVolume
    notional: Decimal  # quoteVolume
    fee: Decimal  # charged, positive
    profit: Decimal
    timestamp: int
    order_id: str


@dataclass(frozen=True)
class Bill:
    """One futures account bill (contract/account/Get-Account-Bill): `amount` and `fee` signed as balance changes."""

    id: str
    product: str
    symbol: str
    coin: str
    business_type: str
    amount: Decimal
    fee: Decimal
    timestamp: int


@dataclass(frozen=True)
class WalletTransfer:
    id: str
    coin: str
    amount: Decimal
    from_type: str
    to_type: str
    timestamp: int
    symbol: str = ""  # the isolated margin pair, for isolated_margin


@dataclass(frozen=True)
class MarginFill:
    id: str
    mode: str  # crossed / isolated
    symbol: str
    base: str
    quote: str
    side: str
    price: Decimal
    size: Decimal
    amount: Decimal
    fee_coin: str
    fee: Decimal  # charged, positive
    timestamp: int


@dataclass(frozen=True)
class Loan:
    id: str
    mode: str
    symbol: str  # "" for cross
    coin: str
    amount: Decimal
    timestamp: int


@dataclass(frozen=True)
class Repayment:
    id: str
    mode: str
    symbol: str
    coin: str
    principal: Decimal
    interest: Decimal
    timestamp: int


@dataclass(frozen=True)
class Interest:
    id: str
    mode: str
    symbol: str
    coin: str
    amount: Decimal  # charged, positive
    timestamp: int


@dataclass
class DerivativesScript:
    """The futures and margin history of one account, oldest first within each list."""

    fills: list[FuturesFill] = field(default_factory=list)
    bills: list[Bill] = field(default_factory=list)
    transfers: list[WalletTransfer] = field(default_factory=list)
    deposits: list[DepositRecord] = field(default_factory=list)
    margin_fills: list[MarginFill] = field(default_factory=list)
    loans: list[Loan] = field(default_factory=list)
    repayments: list[Repayment] = field(default_factory=list)
    interest: list[Interest] = field(default_factory=list)

    # -- balances ----------------------------------------------------------------------------------------------

    def futures_balance(self, product: str) -> dict[str, Decimal]:
        """Wallet balance per margin coin (no unrealized profit: every position is closed): the bills' sum."""
        sums: dict[str, Decimal] = {}
        for bill in self.bills:
            if bill.product == product:
                sums[bill.coin] = sums.get(bill.coin, D(0)) + bill.amount + bill.fee
        return sums

    def margin_rows(self, mode: str) -> dict[tuple[str, str], tuple[Decimal, Decimal, Decimal]]:
        """(symbol, coin) -> (held, borrowed, interest owed); cross rows have symbol ""."""
        held: dict[tuple[str, str], Decimal] = {}
        owed: dict[tuple[str, str], Decimal] = {}
        due: dict[tuple[str, str], Decimal] = {}

        def add(book: dict[tuple[str, str], Decimal], key: tuple[str, str], amount: Decimal) -> None:
            book[key] = book.get(key, D(0)) + amount
            for other in (held, owed, due):
                other.setdefault(key, D(0))

        target = "crossed_margin" if mode == "crossed" else "isolated_margin"
        for t in self.transfers:
            if target in (t.from_type, t.to_type):
                add(held, (t.symbol, t.coin), t.amount if t.to_type == target else -t.amount)
        for f in (f for f in self.margin_fills if f.mode == mode):
            key = f.symbol if mode == "isolated" else ""
            sign = 1 if f.side == "buy" else -1
            add(held, (key, f.base), sign * f.size)
            add(held, (key, f.quote), -sign * f.amount)
            add(held, (key, f.fee_coin), -f.fee)
        for loan in (x for x in self.loans if x.mode == mode):
            add(held, (loan.symbol, loan.coin), loan.amount)
            add(owed, (loan.symbol, loan.coin), loan.amount)
        for charge in (x for x in self.interest if x.mode == mode):
            add(due, (charge.symbol, charge.coin), charge.amount)
        for paid in (x for x in self.repayments if x.mode == mode):
            add(held, (paid.symbol, paid.coin), -(paid.principal + paid.interest))
            add(owed, (paid.symbol, paid.coin), -paid.principal)
            add(due, (paid.symbol, paid.coin), -paid.interest)
        return {key: (held[key], owed[key], due[key]) for key in held}


class _Clock:
    """Times `days` before now, and ids ascending with time, 19 digits as Bitget's."""

    def __init__(self, account: ScriptedAccount) -> None:
        self.now = account.now_ms
        self.rng = random.Random(f"bitget-derivatives-{account.seed}")  # noqa: S311 - scripted times
        self.n = 0

    def at(self, days: float) -> int:
        return self.now - int(days * DAY_MS) + self.rng.randrange(0, HOUR_MS)

    def ident(self, base: int) -> str:
        self.n += 1
        return str(base + self.n)


def script_for(account: ScriptedAccount) -> DerivativesScript:
    """The fixed history, every event 5 to 56 days old (within every reach: futures lists 90 days)."""
    clock = _Clock(account)
    s = DerivativesScript()

    def deposit(coin: str, amount: str, days: float) -> None:
        ident = clock.ident(1_050_900_000_000_000_000)
        network = {"BTC": "BTC"}.get(coin, "TRX")
        s.deposits.append(DepositRecord(ident, f"{int(ident):064x}", coin, network, D(amount), "TWx", clock.at(days)))

    def transfer(coin: str, amount: str, source: str, target: str, days: float, symbol: str = "") -> None:
        moment = clock.at(days)
        ident = clock.ident(1_060_000_000_000_000_000)
        s.transfers.append(WalletTransfer(ident, coin, D(amount), source, target, moment, symbol))
        for product, name in ACCOUNT_OF.items():
            if name in (source, target):
                kind = "trans_from_exchange" if name == target else "trans_to_exchange"
                sign = 1 if name == target else -1
                s.bills.append(
                    Bill(
                        clock.ident(1_070_000_000_000_000_000), product, "", coin, kind, sign * D(amount), D(0), moment
                    )
                )

    def trade(
        product: str,
        symbol: str,
        coin: str,
        side: str,
        trade_side: str,
        price: str,
        size: str,
        fee: str,
        profit: str,
        days: float,
    ) -> None:
        moment = clock.at(days)
        price_d, size_d = D(price), D(size)
        ident = clock.ident(1_080_000_000_000_000_000)
        s.fills.append(
            FuturesFill(
                ident,
                product,
                symbol,
                coin,
                side,
                trade_side,
                price_d,
                size_d,
                price_d * size_d,
                D(fee),
                D(profit),
                moment,
                str(int(ident) + 5_000),
            )
        )
        direction = (
            ("long" if side == "buy" else "short") if trade_side == "open" else ("long" if side == "sell" else "short")
        )
        s.bills.append(
            Bill(
                clock.ident(1_070_000_000_000_000_000),
                product,
                symbol,
                coin,
                f"{trade_side}_{direction}",
                D(profit),
                -D(fee),
                moment + 1,
            )
        )

    def funding(product: str, symbol: str, coin: str, amount: str, days: float) -> None:
        s.bills.append(
            Bill(
                clock.ident(1_070_000_000_000_000_000),
                product,
                symbol,
                coin,
                "contract_settle_fee",
                D(amount),
                D(0),
                clock.at(days),
            )
        )

    def margin(
        mode: str,
        symbol: str,
        base: str,
        quote: str,
        side: str,
        price: str,
        size: str,
        fee_coin: str,
        fee: str,
        days: float,
    ) -> None:
        price_d, size_d = D(price), D(size)
        s.margin_fills.append(
            MarginFill(
                clock.ident(1_090_000_000_000_000_000),
                mode,
                symbol,
                base,
                quote,
                side,
                price_d,
                size_d,
                price_d * size_d,
                fee_coin,
                D(fee),
                clock.at(days),
            )
        )

    deposit("USDT", "2500", 56)
    deposit("USDC", "600", 56)
    deposit("BTC", "0.06", 56)
    # USDT-M: a long and a short round trip, funding while they were open, part of the profit taken back.
    transfer("USDT", "1000", "spot", "usdt_futures", 50)
    trade(USDT, "BTCUSDT", "USDT", "buy", "open", "60000.5", "0.02", "0.720006", "0", 45)
    funding(USDT, "BTCUSDT", "USDT", "-0.1234", 44)
    funding(USDT, "BTCUSDT", "USDT", "0.0567", 43)
    trade(USDT, "BTCUSDT", "USDT", "sell", "close", "61000", "0.02", "0.732", "19.99", 40)
    trade(USDT, "ETHUSDT", "USDT", "sell", "open", "3000", "0.5", "0.9", "0", 30)
    funding(USDT, "ETHUSDT", "USDT", "-0.2", 28)
    trade(USDT, "ETHUSDT", "USDT", "buy", "close", "3100", "0.5", "0.93", "-50", 25)
    transfer("USDT", "100", "usdt_futures", "spot", 10)
    # Coin-M (settled in BTC): size in coins, profit and fees in BTC.
    transfer("BTC", "0.05", "spot", "coin_futures", 38)
    trade(COIN, "BTCUSD", "BTC", "buy", "open", "58000", "0.01", "0.000006", "0", 37)
    funding(COIN, "BTCUSD", "BTC", "-0.00000312", 36)
    trade(COIN, "BTCUSD", "BTC", "sell", "close", "59000", "0.01", "0.000006", "0.00016949", 34)
    # USDC-M.
    transfer("USDC", "500", "spot", "usdc_futures", 35)
    trade(USDC, "BTCPERP", "USDC", "buy", "open", "59500", "0.005", "0.1785", "0", 33)
    trade(USDC, "BTCPERP", "USDC", "sell", "close", "59000", "0.005", "0.177", "-2.5", 31)
    # Cross margin: borrow BTC, sell it, buy it back, pay the loan and its interest.
    transfer("USDT", "400", "spot", "crossed_margin", 33)
    s.loans.append(Loan(clock.ident(1_100_500_000_000_000_000), "crossed", "", "BTC", D("0.005"), clock.at(32)))
    margin("crossed", "BTCUSDT", "BTC", "USDT", "sell", "60000", "0.005", "USDT", "0.3", 32)
    s.interest.append(
        Interest(clock.ident(1_100_600_000_000_000_000), "crossed", "", "BTC", D("0.0000012"), clock.at(31))
    )
    s.interest.append(
        Interest(clock.ident(1_100_600_000_000_000_000), "crossed", "", "BTC", D("0.0000012"), clock.at(30))
    )
    margin("crossed", "BTCUSDT", "BTC", "USDT", "buy", "59000", "0.00501", "BTC", "0.00000501", 29.5)
    s.repayments.append(
        Repayment(
            clock.ident(1_100_700_000_000_000_000), "crossed", "", "BTC", D("0.005"), D("0.0000024"), clock.at(29)
        )
    )
    # Isolated margin on ETHUSDT: a loan still open, with interest owed.
    transfer("USDT", "200", "spot", "isolated_margin", 26, symbol="ETHUSDT")
    s.loans.append(Loan(clock.ident(1_100_500_000_000_000_000), "isolated", "ETHUSDT", "USDT", D("100"), clock.at(25)))
    margin("isolated", "ETHUSDT", "ETH", "USDT", "buy", "2900", "0.1", "ETH", "0.0001", 24.5)
    s.interest.append(
        Interest(clock.ident(1_100_600_000_000_000_000), "isolated", "ETHUSDT", "USDT", D("0.0123"), clock.at(24))
    )

    # Bills no fill writes (contract/account/Get-Account-Bill, businessType): a coupon given and part of it expired,
    # an exchange of USDT for USDC in multi-assets mode (one bill per coin), a copy trader's income.
    def other(product: str, coin: str, business: str, amount: str, days: float, moment: int | None = None) -> None:
        ident = clock.ident(1_070_000_000_000_000_000)
        when = clock.at(days) if moment is None else moment
        s.bills.append(Bill(ident, product, "", coin, business, D(amount), D(0), when))

    other(USDT, "USDT", "bonus_issue", "10", 22)
    other(USDT, "USDT", "bonus_expired", "-4", 21)
    exchanged = clock.at(20)  # one exchange: both coins' bills at its moment
    other(USDT, "USDT", "user_exchange_sell", "-30", 20, exchanged)
    other(USDT, "USDC", "user_exchange_buy", "29.997", 20, exchanged)
    other(USDT, "USDT", "tracking_trader_income", "1.25", 19)
    for items in (s.fills, s.bills, s.transfers, s.deposits, s.margin_fills, s.loans, s.repayments, s.interest):
        items.sort(key=lambda item: (item.timestamp, item.id))
    return s


def grow_account(account: ScriptedAccount, script: DerivativesScript) -> ScriptedAccount:
    """The spot account with the script's deposits in and its transfers out of spot (and back) taken into account."""
    change: dict[str, Decimal] = {}
    for d in script.deposits:
        change[d.asset] = change.get(d.asset, D(0)) + d.amount
    for t in script.transfers:
        sign = -1 if t.from_type == "spot" else 1 if t.to_type == "spot" else 0
        change[t.coin] = change.get(t.coin, D(0)) + sign * t.amount
    held = {b.asset: b for b in account.balances}
    for asset, amount in change.items():
        before = held.get(asset, BalanceRecord(asset, D(0), D(0)))
        held[asset] = BalanceRecord(asset, before.free + amount, before.locked)
    deposits = tuple(sorted((*account.deposits, *script.deposits), key=lambda d: (d.timestamp, d.id)))
    return dataclasses.replace(account, deposits=deposits, balances=tuple(held[a] for a in sorted(held)))
