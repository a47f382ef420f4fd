"""Gate perpetual futures, emulated: the USDT- and BTC-settled futures accounts of a scripted account that traded
them, as Gate's API v4 answers (docs/exchange-apis/gate.md, "Futures", names every page these rules come from).

- ``GET /futures/{settle}/contracts`` (public): each contract's `name`, `type` (direct or inverse) and
  `quanto_multiplier` (the base quantity of one contract; "0" for the BTC-settled BTC_USD, one contract there being
  1 USD as ccxt's `parse_contract_market` says), `limit`/`offset`.
- ``GET /futures/{settle}/accounts``: `total` ("the balance after the user's accumulated deposit, withdraw, profit
  and loss … excluding unrealized profit and loss. total = SUM(history_dnw, history_pnl, history_fee, history_refr,
  history_fund)") and `history`, those sums. A user who never moved money into that settle's account gets
  ``{"label": "USER_NOT_FOUND", "detail": "please transfer funds first to create futures account"}`` (recorded in
  ccxt issue #13249), as do the two lists below.
- ``GET /futures/{settle}/account_book``: `from`/`to` Unix seconds (no span limit documented), `limit`, `offset`
  from 0, `type` (dnw, pnl, fee, refr, fund, point_dnw, point_fee, point_refr, bonus_offset); rows `time` (seconds
  with a fraction), `change`, `balance`, `type`, `text`, `contract`, `trade_id`, `id`.
- ``GET /futures/{settle}/my_trades_timerange``: `contract`, `from`/`to`, `limit`, `offset`, `role`; rows
  `trade_id`, `create_time` (seconds with a fraction), `contract`, `order_id`, `size` (contracts, negative when
  selling), `close_size`, `price`, `role`, `text`, `fee`, `point_fee`.
- ``GET /spot/accounts``: the spot balances (`currency`, `available`, `locked`, `update_id`).

The script, over 75 days: 6,000 USDT and 0.08 BTC deposited to spot, 4,000 USDT moved into the USDT account and
0.05 BTC into the BTC one, round trips in BTC_USDT, ETH_USDT and BTC_USD (each fill paying a taker fee, each
closing fill booking its profit or loss, funding at every 8-hour mark a position is open through), and 1,500 USDT
moved back to spot on day 70. The spot book shows each move as `futures_out` (leaving spot) or `futures_in`. Limits
of 1000 a page and newest-first order are unsourced (the pages state neither).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS, SECOND_MS
from sandbox.exchanges.gate_book import GateError, int_param, param_error
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.records import BalanceRecord, DepositRecord, ScriptedAccount, plain

Json = dict[str, Any]
SETTLES = ("usdt", "btc")
LIST_LIMIT_MAX = 1000  # not on the pages (unsourced); ccxt's fetchMyTrades says "default 100, max 1000"
LIST_LIMIT_DEFAULT = 100
FUNDING_EVERY_MS = 8 * HOUR_MS  # Contract.funding_interval 28800 in the example
TAKER = Decimal("0.0005")
FUNDING_RATE = Decimal("0.0001")
PLACES = Decimal("0.00000001")
NO_ACCOUNT = GateError("USER_NOT_FOUND", "please transfer funds first to create futures account", 400)


@dataclass(frozen=True)
class Contract:
    name: str
    settle: str
    quanto: Decimal  # base per contract; 0 for the inverse BTC_USD (1 USD a contract)
    base_price: Decimal

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


@dataclass(frozen=True)
class FuturesScript:
    fills: tuple[FuturesFill, ...]
    lines: tuple[BookLine, ...]
    deposits: tuple[DepositRecord, ...]
    spot_moves: tuple[SpotMove, ...]

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
        # Funding at each 8-hour mark inside the holding: a long pays, a short receives (rate positive).
        mark = (opened // FUNDING_EVERY_MS + 1) * FUNDING_EVERY_MS
        while mark < opened + held_ms:
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

    def move(self, settle: str, when: int, amount: Decimal) -> SpotMove:
        """`amount` into the futures account (negative: back to spot), as the futures book's `dnw` line."""
        self.lines.append(BookLine(settle, when, amount, "dnw", "", "", "transfer"))
        return SpotMove(when, settle.upper(), -amount)


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


def _time(ms: int) -> float:
    """Gate's futures times: Unix seconds with a fraction, a JSON number (`1682294400.123456` in the example)."""
    return float(Decimal(ms) / 1000)


class GateFutures:
    """Serves the futures endpoints of one scripted account; `script` None: the account never opened futures."""

    def __init__(self, script: FuturesScript | None) -> None:
        self.script = script

    def contracts(self, settle: str, call: Call) -> list[Json]:
        limit, offset = _paging(call.params)
        listed = [c for c in CONTRACTS if c.settle == settle]
        return [_contract(c) for c in listed[offset : offset + limit]]

    def accounts(self, settle: str, call: Call) -> Json:
        history = self._script(settle).totals(settle)
        total = sum(history.values(), Decimal(0))
        zero = "0"
        return {
            "user": 1666,
            "currency": settle.upper(),
            "total": plain(total),
            "unrealised_pnl": zero,
            "position_margin": zero,
            "order_margin": zero,
            "available": plain(total),
            "point": zero,
            "bonus": zero,
            "in_dual_mode": False,
            "enable_evolved_classic": False,
            # The new classic margin mode's cross figures: no position is open, so nothing is held as margin.
            "cross_initial_margin": zero,
            "cross_maintenance_margin": zero,
            "cross_order_margin": zero,
            "cross_unrealised_pnl": zero,
            "cross_available": plain(total),
            "cross_margin_balance": plain(total),
            "cross_mmr": zero,
            "cross_imr": zero,
            "isolated_position_margin": zero,
            "enable_tiered_mm": True,
            "history": {
                name: plain(history.get(name, Decimal(0)))
                for name in ("dnw", "pnl", "fee", "refr", "fund", "point_dnw", "point_fee", "point_refr")
            }
            | {"bonus_dnw": zero, "bonus_offset": zero},
        }

    def account_book(self, settle: str, call: Call) -> list[Json]:
        script = self._script(settle)
        limit, offset = _paging(call.params)
        start, end = _range(call)
        kind, contract = call.params.get("type"), call.params.get("contract")
        balance: dict[str, Decimal] = {}
        rows: list[Json] = []
        for n, line in enumerate(script.lines):
            if line.settle != settle:
                continue
            balance[settle] = balance.get(settle, Decimal(0)) + line.change
            if not start <= line.time_ms // SECOND_MS <= end or kind not in (None, "", line.type):
                continue
            if contract not in (None, "", line.contract):
                continue
            rows.append(
                {
                    "time": _time(line.time_ms),
                    "change": plain(line.change),
                    "balance": plain(balance[settle]),
                    "text": line.text,
                    "type": line.type,
                    "contract": line.contract,
                    "trade_id": line.trade_id,
                    "id": str(410_000_000 + n),
                }
            )
        rows.reverse()
        return rows[offset : offset + limit]

    def my_trades(self, settle: str, call: Call) -> list[Json]:
        script = self._script(settle)
        limit, offset = _paging(call.params)
        start, end = _range(call)
        contract, role = call.params.get("contract"), call.params.get("role")
        rows = [
            {
                "trade_id": str(f.trade_id),
                "create_time": _time(f.time_ms),
                "contract": f.contract,
                "order_id": str(f.order_id),
                "size": f.size,
                "close_size": f.close_size,
                "price": plain(f.price),
                "role": "taker",
                "text": "web",
                "fee": plain(f.fee),
                "point_fee": "0",
            }
            for f in script.fills
            if f.settle == settle
            and start <= f.time_ms // SECOND_MS <= end
            and contract in (None, "", f.contract)
            and role in (None, "", "taker")
        ]
        rows.reverse()
        return rows[offset : offset + limit]

    def _script(self, settle: str) -> FuturesScript:
        if self.script is None:
            raise NO_ACCOUNT
        return self.script


def spot_balances(
    account: ScriptedAccount, script: FuturesScript | None, adjustments: Mapping[str, Decimal]
) -> list[Json]:
    """GET /spot/accounts: the account's holdings less what was moved into its futures accounts (their profit, loss,
    fees and funding happen there), moved by `adjustments`
    (what a test scripted beside the account: sub-account moves, fees paid in GT). Scripted moves to the other Gate
    accounts (margin, delivery, …) are shown here: the emulator keeps no balance of those accounts (unsourced)."""
    held = {b.asset: b.total for b in account.balances}
    for asset, change in adjustments.items():
        held[asset] = held.get(asset, Decimal(0)) + change
    for move in spot_moves_of(script):
        held[move.currency] = held.get(move.currency, Decimal(0)) + move.change
    return [
        {"currency": asset, "available": plain(total), "locked": "0", "update_id": 98}
        for asset, total in sorted(held.items())
        if total != 0
    ]


def _contract(c: Contract) -> Json:
    """A contract as the "Query all futures contracts" example shows one; market figures (prices, open interest,
    users, sizes traded) are fixed values here, the fields that say what the contract is are the script's."""
    price = plain(c.base_price)
    return {
        "name": c.name,
        "type": "inverse" if c.inverse else "direct",
        "quanto_multiplier": plain(c.quanto),
        "ref_discount_rate": "0",
        "order_price_deviate": "0.5",
        "maintenance_rate": "0.005",
        "mark_type": "index",
        "last_price": price,
        "mark_price": price,
        "index_price": price,
        "funding_rate_indicative": plain(FUNDING_RATE),
        "mark_price_round": "0.01",
        "funding_offset": 0,
        "in_delisting": False,
        "risk_limit_base": "1000000",
        "interest_rate": "0.0003",
        "order_price_round": "0.1",
        "order_size_min": 1,
        "ref_rebate_rate": "0.2",
        "funding_interval": FUNDING_EVERY_MS // SECOND_MS,
        "risk_limit_step": "1000000",
        "leverage_min": "1",
        "leverage_max": "100",
        "risk_limit_max": "8000000",
        "maker_fee_rate": "-0.00025",
        "taker_fee_rate": plain(TAKER),
        "funding_rate": plain(FUNDING_RATE),
        "order_size_max": 1000000,
        "funding_next_apply": 1610035200,
        "short_users": 977,
        "config_change_time": 1609899548,
        "trade_size": 28530850594,
        "position_size": 5223816,
        "long_users": 455,
        "funding_impact_value": "60000",
        "orders_limit": 50,
        "trade_id": 10851092,
        "orderbook_id": 2129638396,
        "enable_bonus": True,
        "enable_credit": True,
        "create_time": 1669688556,
        "funding_cap_ratio": "0.75",
        "status": "trading",
        "launch_time": 1609899548,
        "delisting_time": 0,
        "delisted_time": 0,
    }


def _paging(params: Mapping[str, str]) -> tuple[int, int]:
    limit = int_param(params, "limit")
    limit = LIST_LIMIT_DEFAULT if limit is None else limit
    if not 1 <= limit <= LIST_LIMIT_MAX:
        raise param_error(f"limit must be between 1 and {LIST_LIMIT_MAX}")
    offset = int_param(params, "offset") or 0
    if offset < 0:
        raise param_error("offset must not be negative")
    return limit, offset


def _range(call: Call) -> tuple[int, int]:
    """[from, to] in seconds: `to` defaults to now; `from` to the start of the data (no span limit documented)."""
    start, end = int_param(call.params, "from"), int_param(call.params, "to")
    end = call.now_ms // SECOND_MS if end is None else end
    start = 0 if start is None else start
    if start > end:
        raise param_error("from must not be after to")
    return start, end


def spot_moves_of(script: FuturesScript | None) -> Sequence[SpotMove]:
    return script.spot_moves if script is not None else ()
