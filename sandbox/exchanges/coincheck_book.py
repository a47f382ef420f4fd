"""A scripted Coincheck account and what Coincheck's exchange API answers for it.

The account: years of trades on JPY pairs (taker fees, and maker rebates as negative fees, as in the docs' example),
BTC deposits and sends, and JPY withdrawals to a bank, some still pending. Fields, the string amounts, the
`{"success": true, …}` envelopes and the pagination parameters are those of Coincheck's exchange API document; each
rule and its source is in docs/exchange-apis/coincheck.md, with the choices made where the document is silent.
"""

from __future__ import annotations

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

# "Pagination": limit, order ("desc" or "asc"), starting_after, ending_before. No default or maximum limit is
# documented; 25 is the limit the Withdraw history example answers with (used as the default here, unsourced).
LIMIT_DEFAULT = 25
PAIRS = ("btc_jpy", "eth_jpy", "xrp_jpy", "etc_jpy", "mona_jpy", "sol_jpy")  # from the document's pair list
PRICES = {
    "btc_jpy": Decimal(9_000_000),
    "eth_jpy": Decimal(400_000),
    "xrp_jpy": Decimal(80),
    "etc_jpy": Decimal(3_000),
    "mona_jpy": Decimal(60),
    "sol_jpy": Decimal(20_000),
}
TAKER_RATE, MAKER_RATE = Decimal("0.001"), Decimal("-0.001")  # the example's taker fee and maker rebate (0.1%)
BTC_SEND_FEE = Decimal("0.0005")
JPY_WITHDRAWAL_FEE = Decimal(407)


@dataclass(frozen=True)
class Row:
    id: int
    ms: int


@dataclass(frozen=True)
class Trade(Row):
    order_id: int
    pair: str
    side: str  # "buy" / "sell"
    rate: Decimal
    amount: Decimal
    fee: Decimal  # in JPY; negative: a maker rebate
    liquidity: str  # "T" / "M"

    @property
    def base(self) -> str:
        return self.pair.split("_")[0]

    def funds(self) -> tuple[Decimal, Decimal]:
        """What the trade added to (or took from) the base and the JPY balance, the fee included (the example: a buy of
        0.1 BTC at 40900 with fee 6.135 is -4096.135 JPY; a sell at the same rate with fee -4.09 is +4094.09)."""
        gross = self.amount * self.rate
        if self.side == "buy":
            return self.amount, -(gross + self.fee)
        return -self.amount, gross - self.fee


@dataclass(frozen=True)
class Move(Row):
    amount: Decimal
    fee: Decimal = Decimal(0)
    status: str = ""  # deposits: "received"/"confirmed"; JPY withdrawals: pending, processing, finished, canceled
    address: str = ""


@dataclass(frozen=True)
class CoincheckAccount:
    now_ms: int
    trades: tuple[Trade, ...]
    btc_deposits: tuple[Move, ...]
    btc_sends: tuple[Move, ...]
    jpy_withdrawals: tuple[Move, ...]
    jpy_opening: Decimal  # JPY deposited by bank: Coincheck's API lists no JPY deposits

    def balances(self) -> dict[str, Decimal]:
        held: dict[str, Decimal] = {"jpy": self.jpy_opening}

        def add(asset: str, amount: Decimal) -> None:
            held[asset] = held.get(asset, Decimal(0)) + amount

        for t in self.trades:
            base, jpy = t.funds()
            add(t.base, base)
            add("jpy", jpy)
        for d in self.btc_deposits:
            add("btc", d.amount)
        for s in self.btc_sends:
            add("btc", -s.amount - s.fee)
        for w in self.jpy_withdrawals:
            if w.status != "canceled":
                add("jpy", -w.amount - w.fee)
        return held


def stamp(ms: int) -> str:
    """Coincheck's times: "2015-11-18T07:02:21.000Z"."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def script_account(seed: int, now_ms: int, *, years: float = 3.0, trades: int = 150) -> CoincheckAccount:
    rng = random.Random(seed)  # noqa: S311 (a scripted account, not a secret)
    start = now_ms - int(years * 365 * DAY_MS)
    span = now_ms - 2 * DAY_MS - start
    # Whole seconds: the documented times end in ".000Z".
    times = sorted(rng.sample(range((start + DAY_MS) // 1000, (now_ms - 2 * DAY_MS) // 1000), trades))
    rows: list[Trade] = []
    next_id, order_id = 38, 49
    for second in times:
        pair = rng.choice(PAIRS[:3] * 2 + PAIRS[3:])
        next_id += rng.randint(1, 30)
        order_id += rng.randint(1, 30)
        rows.append(_trade(next_id, second * 1000, order_id, pair, rng))
    deposits = [
        Move(1 + i, _second(start + (2 * i + 1) * span // 7), Decimal(rng.randint(5, 40)) / 100, status="received")
        for i in range(3)
    ]
    deposits[-1] = Move(deposits[-1].id, deposits[-1].ms, deposits[-1].amount, status="confirmed")
    sends = [
        Move(1 + i, _second(start + (2 * i + 2) * span // 7), Decimal(rng.randint(1, 5)) / 100, BTC_SEND_FEE)
        for i in range(2)
    ]
    account = CoincheckAccount(now_ms, tuple(rows), tuple(deposits), tuple(sends), (), Decimal(0))
    held = account.balances()
    # Sold more than held: opening BTC deposits cover it; JPY came in by bank (no API list), so the opening JPY is
    # what the trades and withdrawals need.
    shortfall = {a: -v for a, v in held.items() if a not in ("jpy", "btc") and v < 0}
    rows = [t for t in rows if t.base not in shortfall or t.side == "buy"]
    account = CoincheckAccount(now_ms, tuple(rows), tuple(deposits), tuple(sends), (), Decimal(0))
    held = account.balances()
    if held.get("btc", Decimal(0)) < 0:
        extra = Move(0, _second(start + HOUR_MS), -held["btc"] + Decimal("0.1"), status="received")
        deposits.insert(0, extra)
    withdrawals = [
        Move(
            398 + i,
            _second(start + (2 * i + 3) * span // 8),
            Decimal(rng.randint(1, 9) * 10_000),
            JPY_WITHDRAWAL_FEE,
            "finished",
        )
        for i in range(3)
    ]
    withdrawals[1] = Move(withdrawals[1].id, withdrawals[1].ms, withdrawals[1].amount, withdrawals[1].fee, "canceled")
    recent = _second(now_ms - 6 * HOUR_MS)
    withdrawals.append(Move(410, recent, Decimal(20_000), JPY_WITHDRAWAL_FEE, "pending"))
    account = CoincheckAccount(now_ms, tuple(rows), tuple(deposits), tuple(sends), tuple(withdrawals), Decimal(0))
    opening = max(Decimal(0), -account.balances()["jpy"]) + Decimal(100_000)
    return CoincheckAccount(now_ms, tuple(rows), tuple(deposits), tuple(sends), tuple(withdrawals), opening)


def _second(ms: int) -> int:
    return ms - ms % 1000


def _trade(ident: int, ms: int, order_id: int, pair: str, rng: random.Random) -> Trade:
    rate = (PRICES[pair] * Decimal(rng.randint(70, 130)) / 100).quantize(Decimal("0.1"), ROUND_DOWN)
    budget = Decimal(rng.randint(3_000, 90_000))
    amount = max(Decimal("0.0001"), (budget / rate).quantize(Decimal("0.0001"), ROUND_DOWN))
    side = rng.choice(("buy", "buy", "sell"))
    liquidity = rng.choice(("T", "T", "M"))
    fee_rate = TAKER_RATE if liquidity == "T" else MAKER_RATE
    fee = (amount * rate * fee_rate).quantize(Decimal("0.001"), ROUND_DOWN)
    return Trade(ident, ms, order_id, pair, side, rate, amount, fee, liquidity)


# -- the answers ------------------------------------------------------------------------------------------------


class CoincheckError(Exception):
    """An error answer: ``{"success": false, "error": "…"}`` with its HTTP status."""

    def __init__(self, error: str, http_status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.http_status = http_status


def text(value: Decimal) -> str:
    """Amounts are strings with at least one decimal ("0.1", "40900.0", "-4096.135")."""
    plain = format(value.normalize(), "f")
    return plain if "." in plain else plain + ".0"


def paginate(rows: Sequence[R], params: Mapping[str, str]) -> tuple[Json, list[R]]:
    """The documented parameters, read as their names say (unsourced where the document is silent, bitflyer.md-style
    notes in coincheck.md): `order` sorts by id; `starting_after` keeps the rows after that id in that order,
    `ending_before` those before it; then the first `limit`."""
    order = params.get("order") or "desc"
    if order not in ("desc", "asc"):
        raise CoincheckError("invalid order")
    try:
        limit = int(params.get("limit") or LIMIT_DEFAULT)
        after = int(params["starting_after"]) if params.get("starting_after") else None
        before = int(params["ending_before"]) if params.get("ending_before") else None
    except ValueError:
        raise CoincheckError("invalid parameter") from None
    ascending = order == "asc"
    chosen = sorted(rows, key=lambda r: r.id, reverse=not ascending)
    if after is not None:
        chosen = [r for r in chosen if (r.id > after if ascending else r.id < after)]
    if before is not None:
        chosen = [r for r in chosen if (r.id < before if ascending else r.id > before)]
    pagination = {"limit": limit, "order": order, "starting_after": after, "ending_before": before}
    return pagination, chosen[:limit]


class CoincheckBook:
    def __init__(self, account: CoincheckAccount) -> None:
        self.account = account

    def balance(self, call: Call) -> Json:
        body: Json = {"success": True}
        for asset, total in sorted(self.account.balances().items()):
            body[asset] = text(total)
            for suffix in ("reserved", "lending", "lend_in_use", "lent", "debt", "tsumitate"):
                body[f"{asset}_{suffix}"] = "0.0"
        return body

    def transactions(self, call: Call) -> Json:
        pagination, rows = paginate(self.account.trades, call.params)
        return {"success": True, "pagination": pagination, "data": [self._trade(t) for t in rows]}

    @staticmethod
    def _trade(t: Trade) -> Json:
        base, jpy = t.funds()
        return {
            "id": t.id,
            "order_id": t.order_id,
            "created_at": stamp(t.ms),
            "funds": {t.base: text(base), "jpy": text(jpy)},
            "pair": t.pair,
            "rate": text(t.rate),
            "fee_currency": "JPY",
            "fee": text(t.fee),
            "liquidity": t.liquidity,
            "side": t.side,
        }

    def deposits(self, call: Call) -> Json:
        currency = _btc_only(call)
        rows = sorted(self.account.btc_deposits, key=lambda d: -d.id)
        return {
            "success": True,
            "deposits": [
                {
                    "id": d.id,
                    "amount": text(d.amount),
                    "currency": currency,
                    "address": "13PhzoK8me3u5nHzzFD85qT9RqEWR9M4Ty",
                    "status": d.status,
                    "confirmed_at": stamp(d.ms + 7 * 60_000),
                    "created_at": stamp(d.ms),
                }
                for d in rows
            ],
        }

    def sends(self, call: Call) -> Json:
        currency = _btc_only(call)
        rows = sorted(self.account.btc_sends, key=lambda s: -s.id)
        return {
            "success": True,
            "sends": [
                {
                    "id": s.id,
                    "amount": text(s.amount),
                    "currency": currency,
                    "fee": text(s.fee),
                    "address": "118ekvRwx6uc4241jkuQt5eYvLiuWdMW2",
                    "created_at": stamp(s.ms),
                }
                for s in rows
            ],
        }

    def withdrawals(self, call: Call) -> Json:
        pagination, rows = paginate(self.account.jpy_withdrawals, call.params)
        return {
            "success": True,
            "pagination": pagination,
            "data": [
                {
                    "id": w.id,
                    "status": w.status,
                    "amount": text(w.amount),
                    "currency": "JPY",
                    "created_at": stamp(w.ms),
                    "bank_account_id": 243,
                    "fee": text(w.fee),
                    "is_fast": False,
                }
                for w in rows
            ],
        }


def _btc_only(call: Call) -> str:
    """ "currency: Currency (Only BTC)" / "(BTC now)": the two crypto lists answer for BTC alone."""
    currency = call.params.get("currency", "")
    if currency.upper() != "BTC":
        raise CoincheckError("invalid currency")  # the answer to another currency is not documented
    return "BTC"
