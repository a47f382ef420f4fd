"""Seeded scripted accounts: years of history generated from ``random.Random(seed)``, kept as ground truth.

The same seed and ``now_ms`` always give the same account. A few amounts are "precision probes" a float cannot
carry (tiny values, more than 17 significant digits), so a float anywhere on the way — ccxt's unified fields are
floats — shows up as a mismatch. Each emulator renders the records in its own wire format and chooses the look
of the ids through an ``IdStyle``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from typing import Literal, NamedTuple

from sandbox.exchanges.base import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS
from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.records import (
    EIGHT_PLACES,
    AccountProfile,
    BalanceRecord,
    ConvertRecord,
    DepositRecord,
    IdStyle,
    Market,
    RewardRecord,
    ScriptedAccount,
    TradeRecord,
    TransferRecord,
    WithdrawalRecord,
)

PRECISION_PROBES = tuple(map(Decimal, ("0.00012345", "123456789.12345678", "98765432109.87654321", "0.00000001")))
# Reference prices in USD: they only shape plausible amounts; nothing depends on them being current.
_PRICES = (
    "BTC:30000 ETH:2000 BNB:300 SOL:50 XRP:0.5 ADA:0.4 DOGE:0.08 LTC:80 DOT:6 LINK:12 AVAX:25 TRX:0.07 ATOM:9 "
    "UNI:6 XLM:0.1 ETC:18 FIL:5 NEAR:2 APT:8 ARB:1.1 OP:1.5 INJ:20 SUI:1 TON:2 SAND:0.5 MANA:0.4 AAVE:90 "
    "ALGO:0.2 SHIB:0.00001 PEPE:0.000001 FLOKI:0.00003 BONK:0.00001 USDT:1 USDC:1 FDUSD:1 EUR:1.08"
)
USD_PRICE = {asset: Decimal(price) for asset, price in (item.split(":") for item in _PRICES.split())}
QUOTES = ("USDT", "USDC", "FDUSD", "BTC", "ETH", "EUR")
NETWORKS = {"BTC": "BTC", "ETH": "ETH", "SOL": "SOL", "TRX": "TRX", "XRP": "XRP", "BNB": "BSC"}
REWARD_KINDS = ("Simple Earn Flexible Interest", "BNB Vault", "ETH 2.0 Staking", "Launchpool", "Airdrop")
CONVERTIBLE = ("USDT", "BTC", "ETH", "BNB", "SOL", "DOGE", "USDC")
ACCOUNT_TYPES = ("FUND", "UNIFIED")


def significant(value: Decimal, digits: int) -> Decimal:
    if value == 0:
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1), rounding=ROUND_DOWN)


def down8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT_PLACES, rounding=ROUND_DOWN)


def list_markets(listed: int, ids: IdStyle | None = None) -> list[Market]:
    """Real-looking spot pairs first, then made-up tokens until ``listed`` markets exist."""
    ids = ids or IdStyle()
    markets = []
    for base, base_usd in USD_PRICE.items():
        for quote in QUOTES:
            if base == quote or base == "USDT" or (base in QUOTES and quote != "USDT"):
                continue
            if quote in ("USDC", "FDUSD", "EUR") and base_usd < 1:
                continue
            price = significant(base_usd / USD_PRICE[quote], 6)
            if price >= Decimal("0.00001") and price == price.quantize(EIGHT_PLACES):
                markets.append(Market(ids.market_symbol(base, quote), base, quote, price))
    for n in range(1, listed - len(markets) + 1):
        token = f"TKN{n:04d}"
        markets.append(Market(ids.market_symbol(token, "USDT"), token, "USDT", Decimal("0.12345")))
    return markets


class _Script:
    def __init__(self, seed: int, now_ms: int, profile: AccountProfile, ids: IdStyle, fees_in_quote: bool) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible scripts, not security
        self.fees_in_quote = fees_in_quote
        self.now_ms = now_ms
        self.profile = profile
        self.ids = ids
        self.start_ms = now_ms - int(profile.years * 365 * DAY_MS)
        self.latest_ms = now_ms - 10 * MINUTE_MS
        self.used_times: set[int] = set()
        self.first_n: dict[str, int] = {}  # where each kind's ids start, so earlier records can take lower ids
        self.next_order = 0
        self.next_trade: dict[str, int] = {}

    def timestamp(self, resolution_ms: int = 1) -> int:
        """A fresh moment in the account's life, clear of the profile's quiet ages."""
        margin = self.profile.quiet_margin_ms
        while True:
            t = self.rng.randrange(self.start_ms, self.latest_ms)
            t -= t % resolution_ms
            if t in self.used_times or any(abs(self.now_ms - age - t) < margin for age in self.profile.quiet_ages_ms):
                continue
            self.used_times.add(t)
            return t

    def times(self, count: int, resolution_ms: int = 1) -> list[int]:
        return sorted(self.timestamp(resolution_ms) for _ in range(count))

    def ids_for(self, kind: str) -> Iterator[str]:
        n = self.rng.randint(10**6, 10**9)
        self.first_n[kind] = n
        while True:
            n += self.rng.randint(1, 999)
            yield self.ids.record_id(self.rng, kind, n)

    def amount(self, asset_usd: Decimal, low: int, high: int, probe_chance: float = 0.08) -> Decimal:
        """About ``low``..``high`` USD worth, with 1 to 8 decimals; now and then a precision probe."""
        if self.rng.random() < probe_chance:
            return self.rng.choice(PRECISION_PROBES)
        notional = Decimal(self.rng.randint(low * 100, high * 100)) / 100
        decimals = Decimal(1).scaleb(-self.rng.randint(1, 8))
        value = down8(notional / asset_usd).quantize(decimals, rounding=ROUND_DOWN)
        return value if value > 0 else EIGHT_PLACES

    def funding_asset(self, traded: Sequence[Market]) -> str:
        return self.rng.choice(["USDT", "USDT", "BTC", "ETH", *(m.base for m in traded)])

    def address(self) -> str:
        return f"0x{self.rng.getrandbits(160):040x}"

    def trades(self, traded: Sequence[Market]) -> list[TradeRecord]:
        """Orders of one to three fills, ids ascending with time per market (and globally for orders)."""
        weights = [self.rng.randint(1, 10) for _ in traded]
        fills: list[tuple[int, Market, int]] = []
        order = 0
        while len(fills) < self.profile.trades:
            order += 1
            market = self.rng.choices(list(traded), weights)[0]
            t = self.timestamp()
            for k in range(self.rng.choice((1, 1, 1, 2, 3))):
                fills.append((t + k, market, order))
                self.used_times.add(t + k)
        order_ids: dict[int, str] = {}
        self.next_order = self.rng.randint(10**8, 10**9)
        self.next_trade = {m.symbol: self.rng.randint(10**5, 10**8) for m in traded}
        records = []
        for t, market, order_no in sorted(fills[: self.profile.trades], key=lambda fill: fill[0]):
            if order_no not in order_ids:
                self.next_order += self.rng.randint(1, 50_000)
                order_ids[order_no] = self.ids.order_id(self.rng, self.next_order)
            self.next_trade[market.symbol] += self.rng.randint(1, 5_000)
            trade_id = self.ids.trade_id(self.rng, self.next_trade[market.symbol])
            records.append(self.trade(t, market, order_ids[order_no], trade_id))
        return records

    def trade(self, t: int, market: Market, order_id: str, trade_id: str) -> TradeRecord:
        price = down8(significant(market.price * Decimal(self.rng.randint(50, 200)) / 100, 7))
        amount = self.amount(price * USD_PRICE.get(market.quote, Decimal(1)), 10, 50_000, probe_chance=0.04)
        cost = down8(price * amount)
        side: Literal["buy", "sell"] = self.rng.choice(("buy", "sell"))
        fee_asset = market.quote if side == "sell" or self.fees_in_quote else market.base
        fee = down8((cost if fee_asset == market.quote else amount) * Decimal("0.001"))
        return TradeRecord(
            id=trade_id,
            order_id=order_id,
            symbol=market.symbol,
            base=market.base,
            quote=market.quote,
            side=side,
            price=price,
            amount=amount,
            cost=cost,
            fee=fee,
            fee_asset=fee_asset,
            is_maker=self.rng.random() < 0.4,
            timestamp=t,
        )

    def deposits(self, traded: Sequence[Market]) -> list[DepositRecord]:
        records = []
        for t, record_id in zip(self.times(self.profile.deposits, SECOND_MS), self.ids_for("deposit"), strict=False):
            asset = self.funding_asset(traded)
            amount = self.amount(USD_PRICE[asset], 50, 80_000)
            tx_id, address = self.ids.tx_id(self.rng), self.address()
            records.append(DepositRecord(record_id, tx_id, asset, NETWORKS.get(asset, "ETH"), amount, address, t))
        return records

    def withdrawals(self, traded: Sequence[Market]) -> list[WithdrawalRecord]:
        records = []
        times = self.times(self.profile.withdrawals, SECOND_MS)  # reported as "YYYY-MM-DD HH:MM:SS" by some
        for t, record_id in zip(times, self.ids_for("withdrawal"), strict=False):
            asset = self.funding_asset(traded)
            amount, fee = self.amount(USD_PRICE[asset], 20, 40_000), self.amount(USD_PRICE[asset], 1, 5, 0)
            tx_id, network = self.ids.tx_id(self.rng), NETWORKS.get(asset, "ETH")
            records.append(WithdrawalRecord(record_id, tx_id, asset, network, amount, fee, self.address(), t))
        return records

    def converts(self) -> list[ConvertRecord]:
        records = []
        for t, record_id in zip(self.times(self.profile.converts), self.ids_for("convert"), strict=False):
            source, target = self.rng.sample(CONVERTIBLE, 2)
            amount = self.amount(USD_PRICE[source], 10, 20_000)
            ratio = significant(USD_PRICE[source] / USD_PRICE[target], 8).quantize(EIGHT_PLACES)
            quote_id = f"{self.rng.getrandbits(128):032x}"
            records.append(ConvertRecord(record_id, quote_id, source, amount, target, down8(amount * ratio), ratio, t))
        return records

    def transfers(self, traded: Sequence[Market]) -> list[TransferRecord]:
        records = []
        for t, record_id in zip(self.times(self.profile.transfers), self.ids_for("transfer"), strict=False):
            asset = self.funding_asset(traded)
            source, target = self.rng.sample(ACCOUNT_TYPES, 2)
            amount = self.amount(USD_PRICE[asset], 5, 30_000)
            records.append(TransferRecord(record_id, asset, amount, source, target, t))
        return records

    def rewards(self, traded: Sequence[Market]) -> list[RewardRecord]:
        records = []
        for t, record_id in zip(self.times(self.profile.rewards), self.ids_for("reward"), strict=False):
            asset = self.rng.choice(["BNB", "USDT", "ETH", *(m.base for m in traded[:6])])
            amount = self.amount(USD_PRICE[asset], 0, 40, 0.1)
            tran_id = str(self.rng.randint(10**9, 10**11))
            records.append(RewardRecord(record_id, tran_id, asset, amount, self.rng.choice(REWARD_KINDS), t))
        return records

    def settle(self, traded: Sequence[Market], history: History) -> tuple[History, list[BalanceRecord]]:
        """Make the balances follow from the history, as on a real account, and the history plausible.

        Some traded bases are emptied: a last sell of what the history left (or, where it left less than
        nothing, an opening deposit) brings them to exactly zero, so their markets must be found without a
        balance. Every other asset the history left at or below zero gets an opening deposit at the start of the
        account's life, so that it holds something. The balances are then exactly what all records add up to,
        including records older than any API's reach.
        """
        quotes = {m.quote for m in traded}
        bases = sorted({m.base for m in traded} - {"BTC", "ETH"} - quotes)
        abandoned = set(self.rng.sample(bases, min(len(bases), max(2, len(bases) // 3)))) if bases else set()
        sums = ground_truth_balances(history)
        closing: list[TradeRecord] = []
        last = max((t.timestamp for t in history.trades), default=self.start_ms)
        for asset in sorted(abandoned):
            if sums.get(asset, Decimal(0)) <= 0:
                continue
            market = next(m for m in traded if m.base == asset)
            self.next_order += self.rng.randint(1, 50_000)
            self.next_trade[market.symbol] = self.next_trade.get(market.symbol, 10**5) + self.rng.randint(1, 5_000)
            last += SECOND_MS
            closing.append(self.closing_sell(last, market, sums[asset]))
        history = history._replace(trades=(*history.trades, *closing))
        sums = ground_truth_balances(history)
        opening: list[DepositRecord] = []
        held = {m.base for m in traded} | {m.quote for m in traded}
        for asset in sorted(held | set(sums)):
            total = sums.get(asset, Decimal(0))
            if asset in abandoned:
                missing = -total
            elif total <= 0:
                missing = -total + self.amount(USD_PRICE.get(asset, Decimal(1)), 1, 30_000, 0.1)
            else:
                continue
            if missing > 0:
                opening.append(self.opening_deposit(asset, missing, len(opening)))
        history = history._replace(deposits=tuple(sorted((*opening, *history.deposits), key=lambda d: d.timestamp)))
        sums = ground_truth_balances(history)
        balances = [BalanceRecord(asset, total, Decimal(0)) for asset, total in sorted(sums.items())]
        return history, balances

    def closing_sell(self, t: int, market: Market, amount: Decimal) -> TradeRecord:
        """Sell all of `amount`: the fee is charged in the quote, so the base ends at exactly zero."""
        price = down8(significant(market.price, 7))
        cost = down8(price * amount)
        self.used_times.add(t)
        return TradeRecord(
            id=self.ids.trade_id(self.rng, self.next_trade[market.symbol]),
            order_id=self.ids.order_id(self.rng, self.next_order),
            symbol=market.symbol,
            base=market.base,
            quote=market.quote,
            side="sell",
            price=price,
            amount=amount,
            cost=cost,
            fee=down8(cost * Decimal("0.001")),
            fee_asset=market.quote,
            is_maker=False,
            timestamp=t,
        )

    def opening_deposit(self, asset: str, amount: Decimal, index: int) -> DepositRecord:
        """A deposit in the account's first days, clear of the profile's quiet ages, with an id below the rest."""
        t = self.start_ms + DAY_MS // 2 + index * HOUR_MS
        margin = self.profile.quiet_margin_ms
        while t in self.used_times or any(abs(self.now_ms - age - t) < margin for age in self.profile.quiet_ages_ms):
            t += HOUR_MS
        self.used_times.add(t)
        first = self.first_n.get("deposit", 10**6)
        record_id = self.ids.record_id(self.rng, "deposit", max(1, first - 1_000 * (index + 1)))
        tx_id, address = self.ids.tx_id(self.rng), self.address()
        return DepositRecord(record_id, tx_id, asset, NETWORKS.get(asset, "ETH"), amount, address, t)


class History(NamedTuple):
    trades: tuple[TradeRecord, ...]
    deposits: tuple[DepositRecord, ...]
    withdrawals: tuple[WithdrawalRecord, ...]
    converts: tuple[ConvertRecord, ...]
    transfers: tuple[TransferRecord, ...]
    rewards: tuple[RewardRecord, ...]


def ground_truth_balances(history: History | ScriptedAccount) -> dict[str, Decimal]:
    """What every record adds up to per asset: trades (base, quote and fee), deposits, withdrawals and their fees,
    converts and rewards; transfers move between the account's own wallets and add nothing. A withdrawal's amount
    is what left for the address and its fee is charged on top (the record keeps the two apart)."""
    sums: dict[str, Decimal] = {}

    def add(asset: str, amount: Decimal) -> None:
        sums[asset] = sums.get(asset, Decimal(0)) + amount

    for trade in history.trades:
        sign = 1 if trade.side == "buy" else -1
        add(trade.base, sign * trade.amount)
        add(trade.quote, -sign * trade.cost)
        add(trade.fee_asset, -trade.fee)
    for deposit in history.deposits:
        add(deposit.asset, deposit.amount)
    for withdrawal in history.withdrawals:
        add(withdrawal.asset, -withdrawal.amount - withdrawal.fee)
    for convert in history.converts:
        add(convert.from_asset, -convert.from_amount)
        add(convert.to_asset, convert.to_amount)
    for reward in history.rewards:
        add(reward.asset, reward.amount)
    return sums


def generate_account(
    seed: int,
    now_ms: int,
    *,
    profile: AccountProfile | None = None,
    listed_markets: int = 0,
    ids: IdStyle | None = None,
    fees_in_quote: bool = False,
) -> ScriptedAccount:
    """Script an account deterministically from ``seed``, its history ending just before ``now_ms``.
    ``fees_in_quote``: every trade pays its fee in the quote (Kraken, Coinbase), not a buy in the base it receives;
    the balances are settled with it, so no asset goes below zero."""
    profile = profile or AccountProfile()
    ids = ids or IdStyle()
    script = _Script(seed, now_ms, profile, ids, fees_in_quote)
    markets = list_markets(listed_markets, ids)
    real = [m for m in markets if not m.base.startswith("TKN")]
    must = [m for m in real if (m.base, m.quote) in (("BTC", "USDT"), ("ETH", "USDT"))]
    others = [m for m in real if m not in must]
    traded = must + script.rng.sample(others, max(0, min(profile.traded_markets, len(real)) - len(must)))
    history = History(
        trades=tuple(script.trades(traded)),
        deposits=tuple(script.deposits(traded)),
        withdrawals=tuple(script.withdrawals(traded)),
        converts=tuple(script.converts()),
        transfers=tuple(script.transfers(traded)),
        rewards=tuple(script.rewards(traded)),
    )
    history, balances = script.settle(traded, history)
    return ScriptedAccount(
        seed=seed,
        now_ms=now_ms,
        markets=tuple(markets),
        traded_symbols=tuple(m.symbol for m in traded),
        **history._asdict(),
        balances=tuple(balances),
    )


def with_exact_costs(account: ScriptedAccount) -> ScriptedAccount:
    """The account as an exchange whose fills show only a price and an amount keeps it (OKX: `fillPx`, `fillSz`,
    no quote amount): the quote a fill moves is exactly their product, not the product cut to 8 decimals; OKX keeps
    more (its documented fill charges a fee of "-0.00000192834"). The balances move by the same product, so the
    history a reader adds up from the wire is what the balances say, to the last digit."""
    change: dict[str, Decimal] = {}
    trades = []
    for trade in account.trades:
        exact = trade.price * trade.amount
        sign = 1 if trade.side == "buy" else -1
        change[trade.quote] = change.get(trade.quote, Decimal(0)) - sign * (exact - trade.cost)
        trades.append(replace(trade, cost=exact))
    balances = tuple(replace(b, free=b.free + change.get(b.asset, Decimal(0))) for b in account.balances)
    return replace(account, trades=tuple(trades), balances=balances)


def credited_balances(account: ScriptedAccount, lifecycle: Lifecycle) -> tuple[BalanceRecord, ...]:
    """The balances the exchange shows now, while some deposits and withdrawals are not final (a test scripts them):
    a deposit not credited yet, or failed, is not in them; a withdrawal the exchange does not list yet, or that
    failed (cancelled, rejected: refunded), is not taken out of them; a pending withdrawal is (it is on its way)."""
    if not lifecycle.stages:
        return account.balances
    change: dict[str, Decimal] = {}
    for deposit in account.deposits:
        if lifecycle.stage(deposit.id) is not Stage.DONE:
            change[deposit.asset] = change.get(deposit.asset, Decimal(0)) - deposit.amount
    for withdrawal in account.withdrawals:
        if lifecycle.stage(withdrawal.id) in (Stage.UNLISTED, Stage.FAILED):
            refund = withdrawal.amount + withdrawal.fee
            change[withdrawal.asset] = change.get(withdrawal.asset, Decimal(0)) + refund
    held = {b.asset: b for b in account.balances}
    for asset, amount in change.items():
        before = held.get(asset, BalanceRecord(asset, Decimal(0), Decimal(0)))
        held[asset] = BalanceRecord(asset, before.free + amount, before.locked)
    return tuple(held[asset] for asset in sorted(held))
