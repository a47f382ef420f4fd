"""A scripted bitFlyer Lightning account and what bitFlyer's HTTP API answers for it.

The account: several years of spot executions on JPY and BTC markets, crypto deposits and sends (coinins/coinouts)
and JPY bank deposits and withdrawals, some still PENDING. Fields, number types, the newest-first lists paged by
`count`/`before`/`after` and the statuses are those of bitFlyer's HTTP API documentation; each rule and its source
is in docs/exchange-apis/bitflyer.md (where the documentation is silent the choice made here is marked there).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.protocol import Call

Json = dict[str, Any]
R = TypeVar("R", bound="Row")

# Pagination: "count: Specifies the number of results. If this is omitted, the value will be 100." No maximum is
# documented: the emulator serves what is asked, and the fetcher asks the default.
COUNT_DEFAULT = 100
# The Japanese market list ("Market List", GET /v1/getmarkets): the spot pairs and the Crypto CFD (market_type "FX";
# "market_type: Spot or FX"). The U.S. and Europe lists (GET /v1/getmarkets/usa, /eu) as the docs' "Regions" name them.
SPOT = ("BTC_JPY", "XRP_JPY", "ETH_JPY", "XLM_JPY", "MONA_JPY", "ETH_BTC", "BCH_BTC")
OTHER_MARKETS: tuple[Json, ...] = ({"product_code": "FX_BTC_JPY", "market_type": "FX"},)
USA_MARKETS: tuple[Json, ...] = (
    {"product_code": "BTC_USD", "market_type": "Spot"},
    {"product_code": "BTC_JPY", "market_type": "Spot"},
    {"product_code": "ETH_BTC", "market_type": "Spot"},
)
EU_MARKETS: tuple[Json, ...] = (
    {"product_code": "BTC_EUR", "market_type": "Spot"},
    {"product_code": "BTC_JPY", "market_type": "Spot"},
    {"product_code": "ETH_BTC", "market_type": "Spot"},
)
# Reference prices (quote per base) the script trades around.
PRICES = {
    "BTC_JPY": Decimal(9_000_000),
    "XRP_JPY": Decimal(80),
    "ETH_JPY": Decimal(400_000),
    "XLM_JPY": Decimal(15),
    "MONA_JPY": Decimal(60),
    "ETH_BTC": Decimal("0.045"),
    "BCH_BTC": Decimal("0.006"),
}
SIZE_STEP = {"BTC": Decimal("0.00000001"), "ETH": Decimal("0.0000001"), "BCH": Decimal("0.0000001")}
FEE_RATE = Decimal("0.0015")  # bitFlyer Lightning's top spot fee tier, charged in the crypto traded
COIN_FEES = {"BTC": Decimal("0.0004"), "ETH": Decimal("0.005"), "XRP": Decimal(0), "XLM": Decimal(0)}
WITHDRAWAL_FEE_JPY = Decimal(550)


@dataclass(frozen=True)
class Row:
    id: int
    ms: int  # the event time; the API shows it as "YYYY-MM-DDTHH:MM:SS.fff" in UTC


@dataclass(frozen=True)
class Execution(Row):
    product_code: str
    side: str  # "BUY" / "SELL"
    price: Decimal
    size: Decimal
    commission: Decimal  # in the base currency
    order_id: str

    @property
    def base(self) -> str:
        return self.product_code.split("_")[0]

    @property
    def quote(self) -> str:
        return self.product_code.split("_")[1]


@dataclass(frozen=True)
class CoinMove(Row):
    """A crypto deposit (coinin) or send (coinout); `fee` and `additional_fee` only on sends."""

    order_id: str
    currency: str
    amount: Decimal
    address: str
    tx_hash: str
    status: str  # "PENDING" / "COMPLETED"
    fee: Decimal = Decimal(0)
    additional_fee: Decimal = Decimal(0)


@dataclass(frozen=True)
class CashMove(Row):
    """A JPY bank deposit or withdrawal."""

    order_id: str
    amount: Decimal
    status: str


@dataclass(frozen=True)
class BitflyerAccount:
    now_ms: int
    executions: tuple[Execution, ...]
    coin_ins: tuple[CoinMove, ...]
    coin_outs: tuple[CoinMove, ...]
    deposits: tuple[CashMove, ...]
    withdrawals: tuple[CashMove, ...]

    def balances(self) -> dict[str, Decimal]:
        """What every completed record adds up to (the JPY withdrawal fee is charged apart: not in the rows)."""
        held: dict[str, Decimal] = {}

        def add(asset: str, amount: Decimal) -> None:
            held[asset] = held.get(asset, Decimal(0)) + amount

        for e in self.executions:
            sign = 1 if e.side == "BUY" else -1
            add(e.base, sign * e.size - e.commission)
            add(e.quote, -sign * e.price * e.size)
        for c in self.coin_ins:
            if c.status == "COMPLETED":
                add(c.currency, c.amount)
        for c in self.coin_outs:
            if c.status == "COMPLETED":
                add(c.currency, -c.amount - c.fee - c.additional_fee)
        for d in self.deposits:
            if d.status == "COMPLETED":
                add("JPY", d.amount)
        for w in self.withdrawals:
            if w.status == "COMPLETED":
                add("JPY", -w.amount - WITHDRAWAL_FEE_JPY)
        return held


def stamp(ms: int) -> str:
    """bitFlyer's event time: ISO 8601 in UTC without a zone, milliseconds (the examples' "2015-07-07T09:57:40.397")."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]


def order_ref(prefix: str, ms: int, rng: random.Random) -> str:
    """The documented id shape: "JOR20150707-060559-021935" (prefix, UTC date and time, six digits)."""
    return f"{prefix}{datetime.fromtimestamp(ms / 1000, UTC):%Y%m%d-%H%M%S}-{rng.randint(0, 999_999):06d}"


def script_account(seed: int, now_ms: int, *, years: float = 3.0, executions: int = 240) -> BitflyerAccount:
    """A deterministic account whose history spans `years` before `now_ms`: JPY first comes in by bank, crypto is
    bought and sold on the JPY and BTC markets, some crypto is sent out and some comes in from outside."""
    rng = random.Random(seed)  # noqa: S311 (a scripted account, not a secret)
    start = now_ms - int(years * 365 * DAY_MS)
    span = now_ms - DAY_MS - start
    deposits = [
        CashMove(200 + i, start + i * span // 6 + HOUR_MS, "", Decimal(rng.randint(5, 60) * 100_000), "COMPLETED")
        for i in range(6)
    ]
    deposits = [_with_ref(d, "MDP", rng) for d in deposits]
    coin_ins = []
    for i, currency in enumerate(("BTC", "ETH", "XRP", "BTC")):
        ms = start + (2 * i + 1) * span // 9
        amount = {"BTC": Decimal("0.35"), "ETH": Decimal("2.5"), "XRP": Decimal(1500)}[currency]
        coin_ins.append(
            CoinMove(100 + i, ms, order_ref("CDP", ms, rng), currency, amount, _address(rng), _tx(rng), "COMPLETED")
        )
    trades: list[Execution] = []
    times = sorted(rng.sample(range(start + DAY_MS, now_ms - 2 * DAY_MS, 1_000), executions))
    next_id = 37_000
    for ms in times:
        product = rng.choice(SPOT[:5] * 3 + SPOT[5:])
        next_id += rng.randint(1, 40)
        trades.append(_execution(next_id, ms, product, rng))
    account = BitflyerAccount(now_ms, tuple(trades), tuple(coin_ins), (), tuple(deposits), ())
    held = account.balances()
    # Opening crypto deposits where the trades sold more than came in, so no balance goes below zero.
    first_id = 90
    for currency in sorted(held):
        if currency != "JPY" and held[currency] < 0:
            ms = start + HOUR_MS // 2 + first_id
            amount = (-held[currency] + Decimal(1)).quantize(Decimal("0.00000001"), ROUND_DOWN)
            coin_ins.append(
                CoinMove(
                    first_id, ms, order_ref("CDP", ms, rng), currency, amount, _address(rng), _tx(rng), "COMPLETED"
                )
            )
            first_id -= 1
    coin_ins.sort(key=lambda c: c.id)
    account = BitflyerAccount(now_ms, tuple(trades), tuple(coin_ins), (), tuple(deposits), ())
    held = account.balances()
    coin_outs, withdrawals = [], []
    for i, currency in enumerate(("BTC", "ETH", "XRP")):
        ms = start + (2 * i + 2) * span // 7
        fee = COIN_FEES[currency]
        amount = (held[currency] / 5).quantize(Decimal("0.00001"), ROUND_DOWN)
        coin_outs.append(
            CoinMove(
                500 + i,
                ms,
                order_ref("CWD", ms, rng),
                currency,
                amount,
                _address(rng),
                _tx(rng),
                "COMPLETED",
                fee,
                Decimal(0),
            )
        )
    for i in range(3):
        ms = start + (2 * i + 3) * span // 8
        withdrawals.append(
            CashMove(700 + i, ms, order_ref("MWD", ms, rng), Decimal(rng.randint(1, 9) * 10_000), "COMPLETED")
        )
    # The latest of each kind is still on its way: listed as PENDING.
    recent = now_ms - 6 * HOUR_MS
    coin_ins.append(
        CoinMove(
            coin_ins[-1].id + 50,
            recent,
            order_ref("CDP", recent, rng),
            "BTC",
            Decimal("0.01"),
            _address(rng),
            _tx(rng),
            "PENDING",
        )
    )
    withdrawals.append(
        CashMove(800, recent + HOUR_MS, order_ref("MWD", recent + HOUR_MS, rng), Decimal(20_000), "PENDING")
    )
    return BitflyerAccount(
        now_ms, tuple(trades), tuple(coin_ins), tuple(coin_outs), tuple(deposits), tuple(withdrawals)
    )


def _with_ref(move: CashMove, prefix: str, rng: random.Random) -> CashMove:
    return CashMove(move.id, move.ms, order_ref(prefix, move.ms, rng), move.amount, move.status)


def _execution(ident: int, ms: int, product: str, rng: random.Random) -> Execution:
    base, quote = product.split("_")
    price = (PRICES[product] * Decimal(rng.randint(70, 130)) / 100).quantize(
        Decimal(1) if quote == "JPY" else Decimal("0.00001"), ROUND_DOWN
    )
    step = SIZE_STEP.get(base, Decimal("0.000001"))
    budget = Decimal(rng.randint(2_000, 80_000)) if quote == "JPY" else Decimal(rng.randint(1, 40)) / 10_000
    size = max(step, (budget / price).quantize(step, ROUND_DOWN))
    side = rng.choice(("BUY", "BUY", "SELL"))
    commission = (size * FEE_RATE).quantize(step, ROUND_DOWN)
    return Execution(ident, ms, product, side, price, size, commission, order_ref("JOR", ms, rng))


def _address(rng: random.Random) -> str:
    return "1" + "".join(rng.choice("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz") for _ in range(33))


def _tx(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


# -- the answers ------------------------------------------------------------------------------------------------


class BitflyerError(Exception):
    """An error answer: ``{"status": <negative code>, "error_message": …, "data": null}`` with its HTTP status."""

    def __init__(self, code: int, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status

    def body(self) -> Json:
        return {"status": self.code, "error_message": self.message, "data": None}


def _int(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise BitflyerError(-100, "Invalid parameter") from None


def page(rows: Sequence[R], params: Mapping[str, str]) -> list[R]:
    """Pagination as documented: newest first, `count` rows with id below `before` and above `after`."""
    count = _int(params, "count") or COUNT_DEFAULT
    if count < 1:
        raise BitflyerError(-100, "Invalid parameter")
    before, after = _int(params, "before"), _int(params, "after")
    chosen = [r for r in rows if (before is None or r.id < before) and (after is None or r.id > after)]
    return sorted(chosen, key=lambda r: -r.id)[:count]


def num(value: Decimal) -> Decimal:
    """Amounts are JSON numbers on bitFlyer (the examples' "amount": 0.00002); `raw_json` writes every digit."""
    return value.normalize() if value != value.to_integral() else value.quantize(Decimal(1))


def raw_json(value: object) -> str:
    """Compact JSON with each Decimal written as a JSON number of exactly its digits."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{raw_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(raw_json(v) for v in value) + "]"
    return json.dumps(value)


class BitflyerBook:
    """Serves one scripted account the way bitFlyer's HTTP API does."""

    def __init__(self, account: BitflyerAccount) -> None:
        self.account = account

    @staticmethod
    def markets(call: Call) -> list[Json]:
        return [{"product_code": code, "market_type": "Spot"} for code in SPOT] + list(OTHER_MARKETS)

    @staticmethod
    def markets_usa(call: Call) -> list[Json]:
        return list(USA_MARKETS)

    @staticmethod
    def markets_eu(call: Call) -> list[Json]:
        return list(EU_MARKETS)

    def balance(self, call: Call) -> list[Json]:
        return [
            {"currency_code": asset, "amount": num(total), "available": num(total)}
            for asset, total in sorted(self.account.balances().items())
        ]

    def executions(self, call: Call) -> list[Json]:
        product = call.params.get("product_code") or "BTC_JPY"  # "If omitted, the value is set to "BTC_JPY"."
        known = {m["product_code"] for m in self.markets(call)}
        if product not in known:
            raise BitflyerError(-100, "Invalid product")  # the code is not documented (bitflyer.md)
        rows = [e for e in self.account.executions if e.product_code == product]
        return [
            {
                "id": e.id,
                "side": e.side,
                "price": num(e.price),
                "size": num(e.size),
                "exec_date": stamp(e.ms),
                "child_order_id": e.order_id,
                "commission": num(e.commission),
                "child_order_acceptance_id": e.order_id.replace("JOR", "JRF", 1),
            }
            for e in page(rows, call.params)
        ]

    def coin_ins(self, call: Call) -> list[Json]:
        return [self._coin(c, sent=False) for c in page(self.account.coin_ins, call.params)]

    def coin_outs(self, call: Call) -> list[Json]:
        return [self._coin(c, sent=True) for c in page(self.account.coin_outs, call.params)]

    @staticmethod
    def _coin(c: CoinMove, *, sent: bool) -> Json:
        row: Json = {
            "id": c.id,
            "order_id": c.order_id,
            "currency_code": c.currency,
            "amount": num(c.amount),
            "address": c.address,
            "tx_hash": c.tx_hash,
        }
        if sent:
            row |= {"fee": num(c.fee), "additional_fee": num(c.additional_fee)}
        return row | {"status": c.status, "event_date": stamp(c.ms)}

    def deposits(self, call: Call) -> list[Json]:
        return [self._cash(d) for d in page(self.account.deposits, call.params)]

    def withdrawals(self, call: Call) -> list[Json]:
        message_id = call.params.get("message_id")
        rows = page(self.account.withdrawals, call.params)
        if message_id:
            rows = [w for w in rows if w.order_id == message_id]
        return [self._cash(w) for w in rows]

    @staticmethod
    def _cash(c: CashMove) -> Json:
        return {
            "id": c.id,
            "order_id": c.order_id,
            "currency_code": "JPY",
            "amount": num(c.amount),
            "status": c.status,
            "event_date": stamp(c.ms),
        }
