"""Ground-truth records of a scripted account, as typed values tests compare with what the API returned.

Amounts are exact ``Decimal`` values (up to 8 decimals, up to 19 significant digits), timestamps UTC milliseconds,
ids strings spelled the way the exchange spells them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from sandbox.exchanges.base import DAY_MS

EIGHT_PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class Market:
    symbol: str  # the exchange's id, e.g. "BTCUSDT"
    base: str
    quote: str
    price: Decimal  # reference price in quote units


@dataclass(frozen=True)
class TradeRecord:
    id: str
    order_id: str
    symbol: str
    base: str
    quote: str
    side: Literal["buy", "sell"]
    price: Decimal
    amount: Decimal
    cost: Decimal
    fee: Decimal
    fee_asset: str
    is_maker: bool
    timestamp: int


@dataclass(frozen=True)
class DepositRecord:
    id: str
    tx_id: str
    asset: str
    network: str
    amount: Decimal
    address: str
    timestamp: int


@dataclass(frozen=True)
class WithdrawalRecord:
    id: str
    tx_id: str
    asset: str
    network: str
    amount: Decimal
    fee: Decimal
    address: str
    timestamp: int  # whole seconds: some exchanges report these times as "YYYY-MM-DD HH:MM:SS"


@dataclass(frozen=True)
class ConvertRecord:
    id: str
    quote_id: str
    from_asset: str
    from_amount: Decimal
    to_asset: str
    to_amount: Decimal
    ratio: Decimal
    timestamp: int


@dataclass(frozen=True)
class TransferRecord:
    id: str
    asset: str
    amount: Decimal
    from_account: str
    to_account: str
    timestamp: int


@dataclass(frozen=True)
class RewardRecord:
    id: str
    tran_id: str
    asset: str
    amount: Decimal
    description: str
    timestamp: int


@dataclass(frozen=True)
class BalanceRecord:
    asset: str
    free: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.free + self.locked


@dataclass(frozen=True)
class AccountProfile:
    """How much history to script; the defaults make a busy but quick account."""

    years: float = 3.0
    traded_markets: int = 24
    trades: int = 1800
    deposits: int = 60
    withdrawals: int = 40
    converts: int = 30
    transfers: int = 30
    rewards: int = 60
    # Ages (ms before now) near which nothing happens, e.g. a lookback limit, so results never depend on
    # the seconds between generating the account and querying it.
    quiet_ages_ms: tuple[int, ...] = ()
    quiet_margin_ms: int = 2 * DAY_MS


@dataclass(frozen=True)
class ScriptedAccount:
    """The ground truth an emulator serves. Records are sorted by time, oldest first."""

    seed: int
    now_ms: int
    markets: tuple[Market, ...]  # every market the exchange lists
    traded_symbols: tuple[str, ...]
    trades: tuple[TradeRecord, ...]
    deposits: tuple[DepositRecord, ...]
    withdrawals: tuple[WithdrawalRecord, ...]
    converts: tuple[ConvertRecord, ...]
    transfers: tuple[TransferRecord, ...]
    rewards: tuple[RewardRecord, ...]
    balances: tuple[BalanceRecord, ...]
    _by_symbol: dict[str, tuple[TradeRecord, ...]] = field(init=False, repr=False, compare=False)
    _markets: dict[str, Market] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        grouped: dict[str, list[TradeRecord]] = {}
        for trade in self.trades:
            grouped.setdefault(trade.symbol, []).append(trade)
        object.__setattr__(self, "_by_symbol", {symbol: tuple(items) for symbol, items in grouped.items()})
        object.__setattr__(self, "_markets", {market.symbol: market for market in self.markets})

    def trades_for(self, symbol: str) -> tuple[TradeRecord, ...]:
        return self._by_symbol.get(symbol, ())

    @property
    def held_assets(self) -> frozenset[str]:
        return frozenset(b.asset for b in self.balances if b.total > 0)

    @property
    def abandoned_symbols(self) -> tuple[str, ...]:
        """Traded markets whose base asset the user no longer holds."""
        held = self.held_assets
        return tuple(s for s in self.traded_symbols if self.market(s).base not in held)

    def market(self, symbol: str) -> Market:
        return self._markets[symbol]


class IdStyle:
    """How an exchange spells its ids; the default is ascending numbers. ``n`` ascends with time."""

    def market_symbol(self, base: str, quote: str) -> str:
        """The exchange's id of a spot market: ``BTCUSDT`` by default, ``BTC-USDT`` on OKX."""
        return base + quote

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(n)

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(n)

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        return str(n)

    def tx_id(self, rng: random.Random) -> str:
        return f"{rng.getrandbits(256):064x}"


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: ``Decimal("1E+3")`` -> ``"1000"``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fixed8(value: Decimal) -> str:
    return format(value.quantize(EIGHT_PLACES), "f")
