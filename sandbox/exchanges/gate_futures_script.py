"""The futures history of a scripted Gate account (served by gate_futures.py; docs/exchange-apis/gate.md "Futures").

Over 75 days: 6,000 USDT and 0.08 BTC deposited to spot, 4,000 USDT moved into the USDT-settled account and 0.05 BTC
into the BTC-settled one, round trips in BTC_USDT, ETH_USDT and the inverse BTC_USD (each fill paying a taker fee,
each closing fill booking its profit or loss, funding at every 8-hour mark a position is open through), and 1,500
USDT moved back to spot on day 70. Days start at midnight UTC, so the funding marks are the same whenever it is
written. The delivery futures script (`script_delivery`) is written the same way, in the quarter's BTC_USDT contract.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sandbox.exchanges.base import DAY_MS, HOUR_MS, SECOND_MS
from sandbox.exchanges.records import BalanceRecord, DepositRecord, ScriptedAccount

SETTLES = ("usdt", "btc")
FUNDING_EVERY_MS = 8 * HOUR_MS  # Contract.funding_interval 28800 in the example
TAKER = Decimal("0.0005")
FUNDING_RATE = Decimal("0.0001")
PLACES = Decimal("0.00000001")


@dataclass(frozen=True)
class Contract:
    name: str
    settle: str
    quanto: Decimal  # base per contract; 0 for the inverse BTC_USD (1 USD a contract)
    base_price: Decimal
    expires_ms: int = 0  # a delivery contract's settlement time (`expire_time`); 0: perpetual, paying funding

    @property
    def inverse(self) -> bool:
        return self.quanto == 0


CONTRACTS = (
    Contract("BTC_USDT", "usdt", Decimal("0.0001"), Decimal(60000)),
    Contract("ETH_USDT", "usdt", Decimal("0.01"), Decimal(3000)),
    Contract("BTC_USD", "btc", Decimal(0), Decimal(60000)),
)
DEPOSITED = {"USDT": Decimal(6000), "BTC": Decimal("0.08")}
MOVED_IN = {"usdt": Decimal(4000), "btc": Decimal("0.05")}
MOVED_BACK_USDT = Decimal(1500)


@dataclass(frozen=True)
class FuturesFill:
    settle: str
    contract: str
    trade_id: int
    order_id: int
    time_ms: int
    size: int  # contracts, negative when selling
    close_size: int
    price: Decimal
    fee: Decimal


@dataclass(frozen=True)
class BookLine:
    settle: str
    time_ms: int
    change: Decimal
    type: str  # dnw, pnl, fee, fund
    contract: str = ""
    trade_id: str = ""
    text: str = ""


@dataclass(frozen=True)
class SpotMove:
    """A move between spot and a futures account as the spot account book shows it (`change` signed, + into spot)."""

    time_ms: int
    currency: str
    change: Decimal
    account: str = "futures"  # the spot book's type names the other account: futures_in, delivery_out, …


@dataclass(frozen=True)
class FuturesScript:
    fills: tuple[FuturesFill, ...]
    lines: tuple[BookLine, ...]
    deposits: tuple[DepositRecord, ...]
    spot_moves: tuple[SpotMove, ...]
    contracts: tuple[Contract, ...] = CONTRACTS

    def totals(self, settle: str) -> dict[str, Decimal]:
        """The account's `history`: the sum of its book lines per type."""
        sums: dict[str, Decimal] = {}
        for line in self.lines:
            if line.settle == settle:
                sums[line.type] = sums.get(line.type, Decimal(0)) + line.change
        return sums


def q8(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def notional(contract: Contract, size: int, price: Decimal) -> Decimal:
    """The value of `size` contracts in the settle currency: base × price (linear), USD ÷ price (inverse)."""
    if contract.inverse:
        return q8(Decimal(abs(size)) / price)
    return Decimal(abs(size)) * contract.quanto * price


class _Writer:
    def __init__(self, seed: int, now_ms: int) -> None:
        # Whole days, so each holding spans the same 8-hour funding marks whenever the script is written.
        self.start = (now_ms - 75 * DAY_MS) // DAY_MS * DAY_MS
        self.seed = seed
        self.fills: list[FuturesFill] = []
        self.lines: list[BookLine] = []
        self.trade_id = 300_000_000 + seed * 1000
        self.order_id = 58_000_000_000 + seed * 1000

    def fill(self, contract: Contract, when: int, size: int, close_size: int, price: Decimal) -> FuturesFill:
        self.trade_id += 7
        self.order_id += 13
        fee = q8(notional(contract, size, price) * TAKER)
        made = FuturesFill(
            contract.settle, contract.name, self.trade_id, self.order_id, when, size, close_size, price, fee
        )
        self.fills.append(made)
        self.lines.append(
            BookLine(
                contract.settle,
                when,
                -fee,
                "fee",
                contract.name,
                str(made.trade_id),
                f"{contract.name}:{made.order_id}",
            )
        )
        return made

    def round_trip(self, contract: Contract, opened: int, size: int, move: Decimal) -> None:
        """Open `size` contracts (negative: short) at the contract's price, close 20 hours later at price + move."""
        held_ms = 20 * HOUR_MS
        entry, exit_price = contract.base_price, contract.base_price + move
        self.fill(contract, opened, size, 0, entry)
        # Funding at each 8-hour mark inside the holding: a long pays, a short receives (rate positive). Delivery
        # contracts pay none (they converge on their settlement price instead).
        mark = (opened // FUNDING_EVERY_MS + 1) * FUNDING_EVERY_MS
        while mark < opened + held_ms and not contract.expires_ms:
            paid = q8(notional(contract, size, entry) * FUNDING_RATE)
            self.lines.append(
                BookLine(
                    contract.settle,
                    mark,
                    -paid if size > 0 else paid,
                    "fund",
                    contract.name,
                    "",
                    f"{contract.name}:funding",
                )
            )
            mark += FUNDING_EVERY_MS
        closing = self.fill(contract, opened + held_ms, -size, size, exit_price)
        if contract.inverse:
            pnl = q8(Decimal(size) * (1 / entry - 1 / exit_price))
        else:
            pnl = Decimal(size) * contract.quanto * (exit_price - entry)
        self.lines.append(
            BookLine(
                contract.settle,
                closing.time_ms,
                pnl,
                "pnl",
                contract.name,
                str(closing.trade_id),
                f"{contract.name}:{closing.order_id}",
            )
        )

    def move(self, settle: str, when: int, amount: Decimal, account: str = "futures") -> SpotMove:
        """`amount` into the futures account (negative: back to spot), as the futures book's `dnw` line."""
        self.lines.append(BookLine(settle, when, amount, "dnw", "", "", "transfer"))
        return SpotMove(when, settle.upper(), -amount, account)


def script_futures(seed: int, now_ms: int) -> FuturesScript:
    """The account's futures history: hand-countable (docs: the module's docstring)."""
    w = _Writer(seed, now_ms)
    day = w.start
    deposits = tuple(
        DepositRecord(
            str(870_000_000 + seed * 10 + n), f"{seed:02d}{n:062x}", asset, asset, amount, "gate-deposit", day - HOUR_MS
        )
        for n, (asset, amount) in enumerate(DEPOSITED.items())
    )
    moves = [w.move(settle, day + SECOND_MS * (n + 1), amount) for n, (settle, amount) in enumerate(MOVED_IN.items())]
    btc, eth, inverse = CONTRACTS
    for n in range(8):  # BTC_USDT: every 8 days, alternately long and short, won or lost by 150 to 600 USDT
        sign = 1 if n % 2 == 0 else -1
        w.round_trip(
            btc,
            day + (1 + 8 * n) * DAY_MS + 3 * HOUR_MS + 17 * SECOND_MS,
            sign * (100 + 25 * n),
            Decimal(150 + 50 * (n % 4)) * (1 if n % 3 else -1),
        )
    for n in range(6):  # ETH_USDT: every 11 days
        sign = -1 if n % 2 == 0 else 1
        w.round_trip(
            eth, day + (2 + 11 * n) * DAY_MS + 9 * HOUR_MS + 41 * SECOND_MS, sign * (30 + 5 * n), Decimal(40 - 15 * n)
        )
    for n in range(3):  # BTC_USD (inverse, BTC-settled): 500 to 700 USD a trip
        w.round_trip(
            inverse, day + (5 + 20 * n) * DAY_MS + 14 * HOUR_MS + 5 * SECOND_MS, 500 + 100 * n, Decimal(900 - 700 * n)
        )
    moves.append(w.move("usdt", day + 70 * DAY_MS, -MOVED_BACK_USDT))
    fills = tuple(sorted(w.fills, key=lambda f: (f.time_ms, f.trade_id)))
    lines = tuple(sorted(w.lines, key=lambda line: line.time_ms))
    return FuturesScript(fills, lines, deposits, tuple(moves))


def with_futures(account: ScriptedAccount, script: FuturesScript) -> ScriptedAccount:
    """The account with the script's deposits listed, its holdings grown by them (what spot and futures hold
    together: the scripted balances are the account's whole holdings)."""
    held = {b.asset: b for b in account.balances}
    for d in script.deposits:
        before = held.get(d.asset, BalanceRecord(d.asset, Decimal(0), Decimal(0)))
        held[d.asset] = BalanceRecord(d.asset, before.free + d.amount, before.locked)
    listed = tuple(sorted((*account.deposits, *script.deposits), key=lambda d: d.timestamp))
    return replace(account, deposits=listed, balances=tuple(held[a] for a in sorted(held)))


DELIVERY_DEPOSIT = Decimal(2500)
DELIVERY_MOVED_IN, DELIVERY_MOVED_BACK = Decimal(2000), Decimal(800)


def delivery_contract(start_ms: int) -> Contract:
    """The quarter's BTC_USDT delivery contract, settling 72 days after the script starts (at 08:00 UTC, Gate's
    settlement hour: unsourced), named `BTC_USDT_<yyyymmdd>` as the pages' examples name them."""
    expires = start_ms + 72 * DAY_MS + 8 * HOUR_MS
    day = datetime.fromtimestamp(expires / 1000, tz=UTC).strftime("%Y%m%d")
    return Contract(f"BTC_USDT_{day}", "usdt", Decimal("0.0001"), Decimal(61000), expires)


def script_delivery(seed: int, now_ms: int) -> FuturesScript:
    """The account's USDT-settled delivery futures: 2,500 USDT deposited, 2,000 moved into the delivery account on
    day 1, five round trips in the quarter's BTC_USDT contract (every 12 days, alternately long and short), 800 USDT
    moved back to spot on day 66, before the contract settles."""
    w = _Writer(seed + 500, now_ms)
    day = w.start
    contract = delivery_contract(day)
    deposits = (
        DepositRecord(
            str(871_000_000 + seed), f"{seed:02d}d{0:061x}", "USDT", "USDT", DELIVERY_DEPOSIT, "gate-deposit", day
        ),
    )
    moves = [w.move("usdt", day + DAY_MS, DELIVERY_MOVED_IN, "delivery")]
    for n in range(5):
        sign = 1 if n % 2 == 0 else -1
        w.round_trip(
            contract,
            day + (3 + 12 * n) * DAY_MS + 5 * HOUR_MS + 29 * SECOND_MS,
            sign * (60 + 20 * n),
            Decimal(200 - 90 * n),
        )
    moves.append(w.move("usdt", day + 66 * DAY_MS, -DELIVERY_MOVED_BACK, "delivery"))
    fills = tuple(sorted(w.fills, key=lambda f: (f.time_ms, f.trade_id)))
    lines = tuple(sorted(w.lines, key=lambda line: line.time_ms))
    return FuturesScript(fills, lines, deposits, tuple(moves), (contract,))
