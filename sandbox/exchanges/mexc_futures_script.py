"""A scripted MEXC futures account: what its contract API (v1) lists and what its futures wallet holds.

Five months of USDT-margined perpetuals: 5,000 USDT deposited to spot 170 days ago, 3,000 USDT moved to the futures
account 165 days ago, ten round trips in BTC_USDT, ETH_USDT and SOL_USDT from 160 to 25 days ago (fills, fees,
closing profit or loss, funding while a position was held), 500 USDT moved back 4 days ago and a SOL_USDT long
opened 2 days ago and still open (its opening fee paid, its funding settled, its unrealized profit not in the
wallet). `fold_into_account` lists the deposit and the two transfers with the spot account's and moves its balances,
so the totals over both wallets stay what the history explains.

Contract sizes: BTC_USDT's 0.0001 is the docs' "Get the contract information" example; ETH_USDT's and SOL_USDT's are
the emulator's own. Funding settles at 00:00, 08:00 and 16:00 UTC; a row's `funding` is positive when received
(the docs' example: a long at rate -0.002 on a position value of 41.8899 received 0.0837798).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.records import EIGHT_PLACES, BalanceRecord, DepositRecord, ScriptedAccount, TransferRecord

FUNDING_EVERY_MS = 8 * HOUR_MS
TAKER_FEE = Decimal("0.0006")  # the contract detail example's takerFeeRate
DEPOSITED, MOVED_IN, MOVED_BACK = Decimal(5000), Decimal(3000), Decimal(500)
LEVERAGE = 10
# Sides of a fill: "1 open long, 2 close short, 3 open short, 4 close long".
OPEN_LONG, CLOSE_SHORT, OPEN_SHORT, CLOSE_LONG = 1, 2, 3, 4


@dataclass(frozen=True)
class Contract:
    symbol: str
    base: str
    size: Decimal  # contractSize: the base quantity of one contract
    price: Decimal  # around where it trades in the script


CONTRACTS = (
    Contract("BTC_USDT", "BTC", Decimal("0.0001"), Decimal(60000)),
    Contract("ETH_USDT", "ETH", Decimal("0.01"), Decimal(3000)),
    Contract("SOL_USDT", "SOL", Decimal(1), Decimal(150)),
)
BY_SYMBOL = {c.symbol: c for c in CONTRACTS}


@dataclass(frozen=True)
class Deal:
    """One fill (Get all transaction details of the user's order)."""

    id: int
    symbol: str
    side: int
    vol: int  # contracts
    price: Decimal
    fee: Decimal  # USDT, charged
    profit: Decimal  # closing profit or loss, USDT
    order_id: int
    position_id: int
    time: int

    @property
    def quantity(self) -> Decimal:
        return self.vol * BY_SYMBOL[self.symbol].size

    @property
    def buys(self) -> bool:
        return self.side in (OPEN_LONG, CLOSE_SHORT)


@dataclass(frozen=True)
class Funding:
    """One funding settlement of a held position (Get details of user's funding rate)."""

    id: int
    symbol: str
    position_id: int
    position_type: int  # 1 long, 2 short
    position_value: Decimal
    funding: Decimal  # positive: received
    rate: Decimal
    time: int


@dataclass(frozen=True)
class Position:
    """A position (history: closed; open: still held)."""

    id: int
    symbol: str
    position_type: int
    vol: int
    open_price: Decimal
    close_price: Decimal
    realised: Decimal  # closing profit less fees, as MEXC's `realised` (an open one: -its opening fee)
    hold_fee: Decimal  # the funding it received (+) or paid (-)
    opened: int
    updated: int
    closed: bool


@dataclass(frozen=True)
class MexcFuturesScript:
    deals: tuple[Deal, ...]  # oldest first
    funding: tuple[Funding, ...]  # oldest first
    positions: tuple[Position, ...]
    wallet: Mapping[str, Decimal]  # the futures wallet's balance per currency (no unrealized profit)
    unrealized: Decimal  # of the open position, USDT
    position_margin: Decimal  # held by the open position, USDT
    deposits: tuple[DepositRecord, ...]
    transfers: tuple[TransferRecord, ...]

    def deals_of(self, symbol: str) -> list[Deal]:
        return [d for d in self.deals if d.symbol == symbol]


def q8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT_PLACES)


class _Writer:
    def __init__(self, seed: int, now_ms: int) -> None:
        self.rng = random.Random(f"mexc-futures-{seed}")  # noqa: S311 - a reproducible script, not security
        self.now = now_ms
        self.deals: list[Deal] = []
        self.funding: list[Funding] = []
        self.positions: list[Position] = []
        self.ids = {"deal": 299_444_000, "order": 102_015_012_431_820_000, "position": 1_394_000, "funding": 7_416_000}

    def next_id(self, kind: str) -> int:
        self.ids[kind] += self.rng.randrange(1, 97)
        return self.ids[kind]

    def deal(
        self, contract: Contract, side: int, vol: int, price: Decimal, profit: Decimal, position: int, when: int
    ) -> Decimal:
        fee = q8(vol * contract.size * price * TAKER_FEE)
        order = self.next_id("order")
        self.deals.append(
            Deal(self.next_id("deal"), contract.symbol, side, vol, price, fee, profit, order, position, when)
        )
        return fee

    def settle_funding(
        self, contract: Contract, position: int, long: bool, vol: int, price: Decimal, start: int, end: int
    ) -> Decimal:
        """The funding rows of a position held over [start, end): one per settlement time inside it."""
        total = Decimal(0)
        when = (start // FUNDING_EVERY_MS + 1) * FUNDING_EVERY_MS
        while when < end:
            rate = Decimal(self.rng.randint(-300, 300)) / 10**6
            value = (vol * contract.size * price).quantize(Decimal("0.0001"))
            # Longs pay a positive rate and receive a negative one; shorts the other way round.
            amount = q8(-rate * value if long else rate * value)
            self.funding.append(
                Funding(self.next_id("funding"), contract.symbol, position, 1 if long else 2, value, amount, rate, when)
            )
            total += amount
            when += FUNDING_EVERY_MS
        return total

    def round_trip(self, contract: Contract, start: int) -> None:
        rng = self.rng
        long = rng.random() < 0.5
        vol = rng.randint(20, 400) if contract.size < 1 else rng.randint(2, 40)
        opened = (contract.price * Decimal(rng.randint(950, 1050)) / 1000).quantize(Decimal("0.1"))
        closed = (opened * Decimal(rng.randint(970, 1030)) / 1000).quantize(Decimal("0.1"))
        end = start + rng.randrange(HOUR_MS, 30 * HOUR_MS)
        position = self.next_id("position")
        move = (closed - opened) * vol * contract.size
        profit = move if long else -move
        fees = self.deal(contract, OPEN_LONG if long else OPEN_SHORT, vol, opened, Decimal(0), position, start)
        funding = self.settle_funding(contract, position, long, vol, opened, start, end)
        fees += self.deal(contract, CLOSE_LONG if long else CLOSE_SHORT, vol, closed, profit, position, end)
        self.positions.append(
            Position(
                position,
                contract.symbol,
                1 if long else 2,
                vol,
                opened,
                closed,
                profit - fees,
                funding,
                start,
                end,
                True,
            )
        )


def script_futures(seed: int, now_ms: int, days: int = 160) -> MexcFuturesScript:
    """The round trips start `days` ago, evenly spread up to ten days ago (MEXC: 160 days, over two of its fill
    list's 90-day windows; HTX's lists reach back 90 days, so its account trades inside them)."""
    w = _Writer(seed, now_ms)
    for n in range(10):
        contract = CONTRACTS[(0, 1, 0, 2, 1)[n % 5]]
        w.round_trip(contract, now_ms - days * DAY_MS + n * (days - 10) * DAY_MS // 10 + w.rng.randrange(HOUR_MS))
    # A SOL_USDT long opened two days ago and still held.
    sol = BY_SYMBOL["SOL_USDT"]
    opened_at, vol, price = now_ms - 2 * DAY_MS - 3 * HOUR_MS, 12, Decimal("148.3")
    position = w.next_id("position")
    fee = w.deal(sol, OPEN_LONG, vol, price, Decimal(0), position, opened_at)
    held_funding = w.settle_funding(sol, position, True, vol, price, opened_at, now_ms - HOUR_MS)
    w.positions.append(
        Position(
            position, sol.symbol, 1, vol, price, Decimal(0), -fee, held_funding, opened_at, now_ms - HOUR_MS, False
        )
    )
    unrealized = (Decimal("151.1") - price) * vol * sol.size
    usdt = MOVED_IN - MOVED_BACK
    usdt += sum((d.profit - d.fee for d in w.deals), Decimal(0)) + sum((f.funding for f in w.funding), Decimal(0))
    deposit = DepositRecord(
        "mexc-futures-dep",
        f"{seed + 1:064x}",
        "USDT",
        "TRX",
        DEPOSITED,
        "TMexcFuturesDeposit",
        now_ms - (days + 10) * DAY_MS,
    )
    transfers = (
        TransferRecord("mexc-futures-in", "USDT", MOVED_IN, "FUND", "UNIFIED", now_ms - (days + 5) * DAY_MS),
        TransferRecord("mexc-futures-back", "USDT", MOVED_BACK, "UNIFIED", "FUND", now_ms - 4 * DAY_MS),
    )
    return MexcFuturesScript(
        deals=tuple(sorted(w.deals, key=lambda d: (d.time, d.id))),
        funding=tuple(sorted(w.funding, key=lambda f: (f.time, f.id))),
        positions=tuple(w.positions),
        wallet={"USDT": usdt},
        unrealized=unrealized,
        position_margin=q8(vol * sol.size * price / LEVERAGE),
        deposits=(deposit,),
        transfers=transfers,
    )


def fold_into_account(account: ScriptedAccount, script: MexcFuturesScript) -> ScriptedAccount:
    """The account with the script's deposit and transfers listed, and its balances (the totals over the spot and
    futures accounts) moved by what the futures history added: the deposit, closing profit, fees and funding."""
    held = {b.asset: b for b in account.balances}
    change = DEPOSITED + script.wallet["USDT"] - MOVED_IN + MOVED_BACK
    before = held.get("USDT", BalanceRecord("USDT", Decimal(0), Decimal(0)))
    held["USDT"] = BalanceRecord("USDT", before.free + change, before.locked)
    return replace(
        account,
        deposits=tuple(sorted((*account.deposits, *script.deposits), key=lambda d: d.timestamp)),
        transfers=tuple(sorted((*account.transfers, *script.transfers), key=lambda t: t.timestamp)),
        balances=tuple(held[a] for a in sorted(held)),
    )
