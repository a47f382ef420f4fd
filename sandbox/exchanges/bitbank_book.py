"""A scripted bitbank account and what bitbank's private REST API answers for it.

The account: years of spot trades on JPY pairs (one trade list for every pair), crypto and JPY deposits and
withdrawals, some still on their way, one refused. Fields, envelopes (``{"success": 1, "data": …}``), amounts as
strings, times in milliseconds, `count` maxima (trades 1000, deposits and withdrawals 100) and statuses are those of
bitbank's rest-api.md; each rule and its source is in docs/exchange-apis/bitbank.md, where the choices the
documentation leaves open (row order of the wallet lists, which time `since`/`end` filter on) are marked unsourced.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.protocol import Call

Json = dict[str, Any]

TRADES_COUNT_MAX = 1000  # "take limit (up to 1000)"
WALLET_COUNT_MAX = 100  # deposit and withdrawal history: "take limit (up to 100)"
# The count when none is sent is not documented: the emulator answers the maximum (unsourced).
# Pairs as pairs.md names them (JPY pairs; BTC-quoted pairs were ended on 2022-09-15, CHANGELOG).
PAIRS = ("btc_jpy", "xrp_jpy", "eth_jpy", "ltc_jpy", "mona_jpy", "bcc_jpy", "xlm_jpy", "doge_jpy")
TRADED = ("btc_jpy", "xrp_jpy", "eth_jpy", "mona_jpy")
PRICES = {
    "btc_jpy": Decimal(9_000_000),
    "xrp_jpy": Decimal(80),
    "eth_jpy": Decimal(400_000),
    "mona_jpy": Decimal(60),
}
AMOUNT_STEP = {"btc": Decimal("0.0001"), "eth": Decimal("0.0001"), "xrp": Decimal("0.0001"), "mona": Decimal("0.0001")}
TAKER_FEE = Decimal("0.0012")  # taker_fee_rate_quote in ccxt's sample of GET /spot/pairs
NETWORK = {"btc": "bitcoin", "eth": "ethereum", "xrp": "xrp", "mona": "monacoin"}
COIN_FEE = {"btc": Decimal("0.0006"), "eth": Decimal("0.005"), "xrp": Decimal("0.15"), "mona": Decimal("0.001")}
JPY_FEE = Decimal(550)  # withdrawal_fee "under" of JPY in GET /user/assets: a made-up figure of that shape
# The margin fields of GET /spot/pairs ("string | null" / "number | null"), made-up figures of that shape.
MARGIN_TERMS: Json = {
    "margin_open_maker_fee_rate_quote": "0",
    "margin_open_taker_fee_rate_quote": "0",
    "margin_close_maker_fee_rate_quote": "-0.0002",
    "margin_close_taker_fee_rate_quote": "0.0012",
    "margin_long_interest": "0.0004",
    "margin_short_interest": "0.0004",
    "margin_current_individual_ratio": "0",
    "margin_current_individual_until": 0,
    "margin_current_company_ratio": "0",
    "margin_current_company_until": 0,
    "margin_next_individual_ratio": "0",
    "margin_next_individual_until": 0,
    "margin_next_company_ratio": "0",
    "margin_next_company_until": 0,
}
STOP_FLAGS = (
    "stop_order",
    "stop_order_and_cancel",
    "stop_market_order",
    "stop_stop_order",
    "stop_stop_limit_order",
    "stop_margin_long_order",
    "stop_margin_short_order",
    "stop_buy_order",
    "stop_sell_order",
)
# Statuses: deposits FOUND, CONFIRMED, DONE; withdrawals CONFIRMING, EXAMINING, SENDING, DONE, REJECTED, CANCELED,
# CONFIRM_TIMEOUT.


@dataclass(frozen=True)
class Trade:
    trade_id: int
    ms: int
    pair: str
    order_id: int
    side: str
    amount: Decimal
    price: Decimal
    fee_quote: Decimal

    @property
    def base(self) -> str:
        return self.pair.split("_")[0]


@dataclass(frozen=True)
class Deposit:
    uuid: str
    ms: int  # found_at
    asset: str
    amount: Decimal
    status: str
    txid: str | None
    confirmed_ms: int | None


@dataclass(frozen=True)
class Withdrawal:
    uuid: str
    ms: int  # requested_at
    asset: str
    amount: Decimal
    fee: Decimal
    status: str
    txid: str | None


@dataclass
class BitbankAccount:
    now_ms: int
    trades: tuple[Trade, ...]
    deposits: tuple[Deposit, ...]
    withdrawals: tuple[Withdrawal, ...]
    assets: tuple[str, ...] = field(default=())

    def balances(self) -> dict[str, Decimal]:
        held: dict[str, Decimal] = {}

        def add(asset: str, amount: Decimal) -> None:
            held[asset] = held.get(asset, Decimal(0)) + amount

        for t in self.trades:
            sign = 1 if t.side == "buy" else -1
            add(t.base, sign * t.amount)
            add("jpy", -sign * t.amount * t.price - t.fee_quote)
        for d in self.deposits:
            if d.status in CREDITED:
                add(d.asset, d.amount)
        for w in self.withdrawals:
            if w.status == "DONE":
                add(w.asset, -w.amount - w.fee)
        return held


CREDITED = frozenset({"CONFIRMED", "DONE"})  # "confirmed (about to be added to your balance)"


def script_account(seed: int, now_ms: int, *, years: float = 3.0, trades: int = 300) -> BitbankAccount:
    """JPY comes in by bank first, crypto is bought and sold on JPY pairs, some crypto comes in from outside and some
    is sent out; the newest deposit and withdrawal are still on their way, one withdrawal was refused."""
    rng = random.Random(seed)  # noqa: S311 (a scripted account, not a secret)
    start = now_ms - int(years * 365 * DAY_MS)
    span = now_ms - 2 * DAY_MS - start
    ident = _Ids(rng)
    deposits = [
        Deposit(ident.uuid(), ms, "jpy", Decimal(rng.randint(10, 60) * 100_000), "DONE", None, ms + HOUR_MS)
        for ms in (start + i * span // 5 + HOUR_MS for i in range(5))
    ]
    for i, asset in enumerate(("btc", "eth", "xrp")):
        ms = start + (2 * i + 1) * span // 8
        amount = {"btc": Decimal("0.25"), "eth": Decimal("3"), "xrp": Decimal(2500)}[asset]
        deposits.append(Deposit(ident.uuid(), ms, asset, amount, "DONE", ident.tx(), ms + HOUR_MS))
    times = sorted(rng.sample(range(start + DAY_MS, now_ms - 3 * DAY_MS, 1_000), trades))
    # Two fills of one order in the same millisecond: a page boundary may fall between them.
    times[len(times) // 2 + 1] = times[len(times) // 2]
    rows: list[Trade] = []
    trade_id, order_id = 1_000_000, 20_000_000
    for ms in times:
        pair = rng.choice(TRADED)
        trade_id += rng.randint(1, 50)
        order_id += rng.randint(1, 50)
        rows.append(_trade(trade_id, order_id, ms, pair, rng))
    account = BitbankAccount(now_ms, tuple(rows), tuple(deposits), ())
    held = account.balances()
    for asset in sorted(held):  # opening deposits where the trades sold more than came in
        if asset != "jpy" and held[asset] < 0:
            ms = start + HOUR_MS // 2
            amount = (-held[asset] + Decimal(1)).quantize(Decimal("0.0001"), ROUND_DOWN)
            deposits.append(Deposit(ident.uuid(), ms, asset, amount, "DONE", ident.tx(), ms + HOUR_MS))
    held = BitbankAccount(now_ms, tuple(rows), tuple(deposits), ()).balances()
    withdrawals = []
    for i, asset in enumerate(("btc", "eth", "xrp")):
        ms = start + (2 * i + 2) * span // 7
        amount = (held[asset] / 6).quantize(Decimal("0.0001"), ROUND_DOWN)
        withdrawals.append(Withdrawal(ident.uuid(), ms, asset, amount, COIN_FEE[asset], "DONE", ident.tx()))
    for i in range(2):
        ms = start + (2 * i + 3) * span // 6
        withdrawals.append(
            Withdrawal(ident.uuid(), ms, "jpy", Decimal(rng.randint(1, 9) * 10_000), JPY_FEE, "DONE", None)
        )
    refused = start + span // 3
    withdrawals.append(Withdrawal(ident.uuid(), refused, "btc", Decimal("0.01"), COIN_FEE["btc"], "REJECTED", None))
    recent = now_ms - 6 * HOUR_MS
    deposits.append(Deposit(ident.uuid(), recent, "btc", Decimal("0.02"), "FOUND", ident.tx(), None))
    withdrawals.append(Withdrawal(ident.uuid(), recent + HOUR_MS, "jpy", Decimal(30_000), JPY_FEE, "EXAMINING", None))
    assets = tuple(sorted({"jpy", *(p.split("_")[0] for p in PAIRS)}))
    return BitbankAccount(now_ms, tuple(rows), tuple(deposits), tuple(withdrawals), assets)


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def tx(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"


def _trade(trade_id: int, order_id: int, ms: int, pair: str, rng: random.Random) -> Trade:
    base = pair.split("_")[0]
    price = (PRICES[pair] * Decimal(rng.randint(70, 130)) / 100).quantize(Decimal("0.001"), ROUND_DOWN)
    step = AMOUNT_STEP[base]
    amount = max(step, (Decimal(rng.randint(3_000, 90_000)) / price).quantize(step, ROUND_DOWN))
    fee = (amount * price * TAKER_FEE).quantize(Decimal("0.0001"), ROUND_DOWN)
    return Trade(trade_id, ms, pair, order_id, rng.choice(("buy", "buy", "sell")), amount, price, fee)


# -- the answers ------------------------------------------------------------------------------------------------


class BitbankError(Exception):
    """An error answer: ``{"success": 0, "data": {"code": …}}`` (rest-api.md, "General API Information")."""

    def __init__(self, code: int, http_status: int = 200) -> None:
        super().__init__(str(code))
        self.code = code
        self.http_status = http_status

    def body(self) -> Json:
        return {"success": 0, "data": {"code": self.code}}


def text(value: Decimal) -> str:
    return format(value.normalize() if value != value.to_integral() else value.quantize(Decimal(1)), "f")


def _int(params: Mapping[str, str], name: str, code: int) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not raw.lstrip("-").isdigit() or int(raw) < 0:
        raise BitbankError(code)
    return int(raw)


def _range(params: Mapping[str, str], limit: int) -> tuple[int, int | None, int | None]:
    count = _int(params, "count", 40006)
    if count is not None and not 1 <= count <= limit:
        raise BitbankError(40006)  # "Invalid count"
    return count or limit, _int(params, "since", 40022), _int(params, "end", 40007)


def _between(ms: int, since: int | None, end: int | None) -> bool:
    """`since` and `end` both include their own millisecond (unsourced: the docs say neither way)."""
    return (since is None or ms >= since) and (end is None or ms <= end)


class BitbankBook:
    """Serves one scripted account the way bitbank's private REST API does."""

    def __init__(self, account: BitbankAccount) -> None:
        self.account = account

    @staticmethod
    def pairs(call: Call) -> Json:
        rows = [
            {
                "name": pair,
                "base_asset": pair.split("_")[0],
                "quote_asset": "jpy",
                "maker_fee_rate_base": "0",
                "taker_fee_rate_base": "0",
                "maker_fee_rate_quote": "-0.0002",
                "taker_fee_rate_quote": text(TAKER_FEE),
                **MARGIN_TERMS,
                "unit_amount": "0.0001",
                "limit_max_amount": "1000",
                "market_max_amount": "10",
                "market_allowance_rate": "0.2",
                "price_digits": 3,
                "amount_digits": 4,
                "is_enabled": True,
                **{flag: False for flag in STOP_FLAGS},
            }
            for pair in PAIRS
        ]
        return {"pairs": rows}

    def assets(self, call: Call) -> Json:
        held = self.account.balances()
        rows = []
        for asset in self.account.assets:
            amount = text(held.get(asset, Decimal(0)))
            row: Json = {
                "asset": asset,
                "free_amount": amount,
                "amount_precision": 4,
                "onhand_amount": amount,
                "locked_amount": "0",
                "withdrawing_amount": "0",
                "stop_deposit": False,
                "stop_withdrawal": False,
                "collateral_ratio": "0",
            }
            if asset == "jpy":
                row["withdrawal_fee"] = {"under": "550", "over": "770", "threshold": "30000"}
            else:
                fee = text(COIN_FEE.get(asset, Decimal("0.001")))
                row["withdrawal_fee"] = {"min": fee, "max": fee}
                network = NETWORK.get(asset, asset)
                row["network_list"] = [
                    {
                        "asset": asset,
                        "network": network,
                        "stop_deposit": False,
                        "stop_withdrawal": False,
                        "withdrawal_fee": fee,
                    }
                ]
            rows.append(row)
        return {"assets": rows}

    def trade_history(self, call: Call) -> Json:
        pair = call.params.get("pair")
        if pair is not None and pair not in PAIRS:
            raise BitbankError(40017)  # not a listed pair (unsourced code: "40017 Invalid asset")
        if call.params.get("order_id") and pair is None:
            raise BitbankError(30009)  # "when specifying an order id, pair must also be specified"
        order = call.params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise BitbankError(10002)
        count, since, end = _range(call.params, TRADES_COUNT_MAX)
        chosen = [
            t
            for t in self.account.trades
            if (pair is None or t.pair == pair)
            and _between(t.ms, since, end)
            and (not call.params.get("order_id") or str(t.order_id) == call.params["order_id"])
        ]
        chosen.sort(key=lambda t: (t.ms, t.trade_id), reverse=order == "desc")
        return {"trades": [self._trade(t) for t in chosen[:count]]}

    @staticmethod
    def _trade(t: Trade) -> Json:
        fee = text(t.fee_quote)
        return {
            "trade_id": t.trade_id,
            "pair": t.pair,
            "order_id": t.order_id,
            "side": t.side,
            "type": "market",
            "amount": text(t.amount),
            "price": text(t.price),
            "maker_taker": "taker",
            "fee_amount_base": "0",
            "fee_amount_quote": fee,
            "fee_occurred_amount_quote": fee,
            "executed_at": t.ms,
        }

    def _asset(self, params: Mapping[str, str]) -> str:
        asset = params.get("asset")
        if not asset:
            raise BitbankError(30016)  # "Missing asset"
        if asset not in self.account.assets:
            raise BitbankError(40025)  # "Invalid asset"
        return asset

    def deposit_history(self, call: Call) -> Json:
        asset = self._asset(call.params)
        count, since, end = _range(call.params, WALLET_COUNT_MAX)
        rows = [d for d in self.account.deposits if d.asset == asset and _between(d.ms, since, end)]
        return {"deposits": [self._deposit(d) for d in _newest_first(rows)[:count]]}

    @staticmethod
    def _deposit(d: Deposit) -> Json:
        row: Json = {"uuid": d.uuid, "asset": d.asset}
        if d.asset != "jpy":
            row |= {"network": NETWORK[d.asset], "address": f"addr-{d.uuid[:8]}"}
        row |= {"amount": text(d.amount), "txid": d.txid, "status": d.status, "found_at": d.ms}
        if d.confirmed_ms is not None:
            row["confirmed_at"] = d.confirmed_ms
        return row

    def withdrawal_history(self, call: Call) -> Json:
        asset = self._asset(call.params)
        count, since, end = _range(call.params, WALLET_COUNT_MAX)
        rows = [w for w in self.account.withdrawals if w.asset == asset and _between(w.ms, since, end)]
        return {"withdrawals": [self._withdrawal(w) for w in _newest_first(rows)[:count]]}

    @staticmethod
    def _withdrawal(w: Withdrawal) -> Json:
        row: Json = {
            "uuid": w.uuid,
            "asset": w.asset,
            "account_uuid": f"{w.uuid[:24]}000000000000",
            "amount": text(w.amount),
            "fee": text(w.fee),
        }
        if w.asset == "jpy":
            row |= {
                "bank_name": "Example Bank",
                "branch_name": "Main",
                "account_type": "ordinary",
                "account_number": "1234567",
                "account_owner": "TALLY TARO",
            }
        else:
            row |= {"label": "my wallet", "address": f"addr-{w.uuid[:8]}", "network": NETWORK[w.asset], "txid": w.txid}
        return row | {"status": w.status, "requested_at": w.ms}


def _newest_first(rows: Sequence[Any]) -> list[Any]:
    """The wallet lists take no `order`: newest first as the trade list's default (unsourced, bitbank.md)."""
    return sorted(rows, key=lambda r: (r.ms, r.uuid), reverse=True)
