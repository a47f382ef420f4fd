"""A scripted GMO Coin account and what GMO Coin's REST API answers for it.

The account: spot fills on JPY (spot symbols are the coin's own name, "BTC"; "BTC_JPY" is leverage, which the
account does not trade), crypto and JPY deposits and withdrawals, all EXECUTED (the only status documented). Its
fills span several days although `latestExecutions` returns "the last day" only: the older ones are out of the
API's reach, as for a real account. Fields, envelopes, `count` (default and maximum 100), `page`, the 30-minute
range of the wallet lists and the error codes are the documented ones: docs/exchange-apis/gmocoin.md names each
source and the choices left open (row order, which rows fall inside a range's bounds).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.protocol import Call

Json = dict[str, Any]

COUNT_MAX = 100  # latestExecutions: "If a count is not specified, it will run assuming 100 (maximum value)"
REACH_MS = DAY_MS  # latestExecutions: "This returns the last day of executed order information"
RANGE_MAX_MS = 30 * 60_000  # wallet lists: "The maximum difference between fromTimestamp and toTimestamp is 30 minutes"
SPOT = ("BTC", "ETH", "XRP")
LEVERAGE = ("BTC_JPY", "ETH_JPY")  # listed by GET /v1/symbols, not traded by the account
PRICES = {"BTC": Decimal(9_000_000), "ETH": Decimal(400_000), "XRP": Decimal(80)}
STEP = {"BTC": Decimal("0.0001"), "ETH": Decimal("0.0001"), "XRP": Decimal("1")}
TAKER_FEE, MAKER_FEE = Decimal("0.0005"), Decimal("-0.0001")  # the symbols example's BTC row
COIN_FEE = {"BTC": Decimal("0"), "ETH": Decimal("0"), "XRP": Decimal("0")}  # GMO Coin charges no crypto sending fee


@dataclass(frozen=True)
class Fill:
    execution_id: int
    order_id: int
    ms: int
    symbol: str
    side: str  # BUY / SELL
    size: Decimal
    price: Decimal
    fee: Decimal  # JPY; positive taker, negative maker


@dataclass(frozen=True)
class Transfer:
    """A deposit or a withdrawal, crypto (with address and txHash) or JPY."""

    ms: int
    symbol: str
    amount: Decimal
    fee: Decimal
    tx_hash: str = ""
    address: str = ""


@dataclass
class GmoCoinAccount:
    fills: list[Fill] = field(default_factory=list)
    deposits: list[Transfer] = field(default_factory=list)
    withdrawals: list[Transfer] = field(default_factory=list)

    def balances(self) -> dict[str, Decimal]:
        held: dict[str, Decimal] = {"JPY": Decimal(0), **{s: Decimal(0) for s in SPOT}}
        for d in self.deposits:
            held[d.symbol] += d.amount
        for w in self.withdrawals:
            held[w.symbol] -= w.amount + w.fee
        for f in self.fills:
            sign = 1 if f.side == "BUY" else -1
            held[f.symbol] += sign * f.size
            held["JPY"] -= sign * f.size * f.price + f.fee
        return held


def script_account(seed: int, now_ms: int, *, days: float = 3.0, fills: int = 40) -> GmoCoinAccount:
    """`days` (more than two) of history ending an hour before `now_ms`: JPY and BTC in first, coins bought and
    sold, BTC and JPY sent out, XRP and more JPY in later."""
    rng = random.Random(seed)  # noqa: S311 (a scripted account, not a secret)
    start = now_ms - int(days * DAY_MS)
    account = GmoCoinAccount()
    account.deposits.append(Transfer(start + HOUR_MS, "JPY", Decimal(5_000_000), Decimal(0)))
    account.deposits.append(Transfer(start + 2 * HOUR_MS, "BTC", Decimal("0.05"), Decimal(0), _hex(rng), _hex(rng)))
    # Half the fills older than the API's one-day reach, half inside it, none within hours of its edge: which fills
    # a sync can see does not hang on the second it runs.
    older = (start + 3 * HOUR_MS, now_ms - 26 * HOUR_MS)
    recent = (now_ms - 20 * HOUR_MS, now_ms - HOUR_MS)
    times = sorted(rng.randrange(*(older if number % 2 else recent)) for number in range(fills))
    for number, ms in enumerate(times):
        symbol = SPOT[number % len(SPOT)]
        side = "BUY" if number % 4 != 3 else "SELL"
        size = (Decimal(rng.randint(1, 40)) * STEP[symbol] * (10 if symbol == "XRP" else 1)).quantize(STEP[symbol])
        price = (PRICES[symbol] * Decimal(rng.randint(95, 105)) / 100).quantize(Decimal(1))
        rate = MAKER_FEE if number % 5 == 0 else TAKER_FEE
        fee = (size * price * rate).quantize(Decimal(1), rounding=ROUND_DOWN)
        account.fills.append(Fill(700_000_000 + number, 9_000_000 + number, ms, symbol, side, size, price, fee))
    mid = start + int(days * DAY_MS / 2)
    account.withdrawals.append(Transfer(mid, "BTC", Decimal("0.01"), COIN_FEE["BTC"], _hex(rng), _hex(rng)))
    account.deposits.append(Transfer(mid + 7 * 60_000, "XRP", Decimal(250), Decimal(0), _hex(rng), _hex(rng)))
    account.withdrawals.append(Transfer(now_ms - 3 * HOUR_MS, "JPY", Decimal(100_000), Decimal(0)))
    account.deposits.append(Transfer(now_ms - 2 * HOUR_MS, "JPY", Decimal(20_000), Decimal(0)))
    return account


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


class GmoCoinError(Exception):
    """A documented failure: `{"status": 5, "messages": [{"message_code": …, "message_string": …}]}`."""

    def __init__(self, code: str, message: str, http_status: int = 200) -> None:
        super().__init__(code)
        self.code, self.message, self.http_status = code, message, http_status


def text(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def iso(ms: int) -> str:
    """`2019-03-19T02:15:06.086Z`, as every documented timestamp."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_iso(value: str) -> int:
    """`YYYY-MM-DDTHH:MM:SS.SSSZ` (the documented request format) as milliseconds; ERR-5106 otherwise."""
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        raise GmoCoinError("ERR-5106", "Invalid request parameter.") from None
    return int(moment.timestamp() * 1000)


class GmoCoinBook:
    """The documented answers over one account."""

    def __init__(self, account: GmoCoinAccount) -> None:
        self.account = account

    @staticmethod
    def symbols(call: Call) -> list[Json]:
        fees = {"takerFee": text(TAKER_FEE), "makerFee": text(MAKER_FEE), "tickSize": "1", "maxOrderSize": "5"}
        rows = [{"symbol": s, "minOrderSize": text(STEP[s]), "sizeStep": text(STEP[s]), **fees} for s in SPOT]
        return rows + [{"symbol": s, "minOrderSize": "0.01", "sizeStep": "0.01", **fees} for s in LEVERAGE]

    def assets(self, call: Call) -> list[Json]:
        # Rows for every symbol the account has held; whether zero rows are listed is not documented (unsourced).
        return [
            {"amount": text(v), "available": text(v), "conversionRate": text(PRICES.get(s, Decimal(1))), "symbol": s}
            for s, v in self.account.balances().items()
        ]

    def latest_executions(self, call: Call) -> Json:
        params = call.params
        symbol = params.get("symbol")
        if not symbol:
            raise GmoCoinError("ERR-5106", "Invalid request parameter.")
        page, count = _positive(params, "page", 1), _positive(params, "count", COUNT_MAX)
        if count > COUNT_MAX:
            raise GmoCoinError("ERR-5106", "Invalid request parameter.")  # which code is not documented (unsourced)
        recent = [f for f in self.account.fills if f.symbol == symbol and call.now_ms - f.ms <= REACH_MS]
        recent.sort(key=lambda f: (f.ms, f.execution_id), reverse=True)  # newest first (unsourced)
        rows = recent[(page - 1) * count : page * count]
        return {"pagination": {"currentPage": page, "count": count}, "list": [_fill(f) for f in rows]}

    def deposits(self, call: Call) -> list[Json]:
        return self._wallet(call, self.account.deposits, crypto=True)

    def withdrawals(self, call: Call) -> list[Json]:
        return self._wallet(call, self.account.withdrawals, crypto=True)

    def fiat_deposits(self, call: Call) -> list[Json]:
        return self._wallet(call, self.account.deposits, crypto=False)

    def fiat_withdrawals(self, call: Call) -> list[Json]:
        return self._wallet(call, self.account.withdrawals, crypto=False)

    @staticmethod
    def _wallet(call: Call, rows: list[Transfer], *, crypto: bool) -> list[Json]:
        params = call.params
        symbol = params.get("symbol") if crypto else "JPY"
        start_text = params.get("fromTimestamp")
        if not symbol or not start_text:
            raise GmoCoinError("ERR-5106", "Invalid request parameter.")
        start = parse_iso(start_text)
        end = parse_iso(params["toTimestamp"]) if params.get("toTimestamp") else start + RANGE_MAX_MS
        if end - start > RANGE_MAX_MS:
            raise GmoCoinError(
                "ERR-846", "The difference between fromTimestamp and toTimestamp is greater than the maximum."
            )
        if end < start:
            raise GmoCoinError("ERR-5106", "Invalid request parameter.")
        # Both bounds inclusive (unsourced: the docs name the range, not its edges).
        chosen = [r for r in rows if r.symbol == symbol and start <= r.ms <= end]
        return [_transfer(r, crypto=crypto) for r in sorted(chosen, key=lambda r: r.ms)]


def _positive(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise GmoCoinError("ERR-5106", "Invalid request parameter.")
    return int(raw)


def _fill(f: Fill) -> Json:
    return {
        "executionId": f.execution_id,
        "orderId": f.order_id,
        "symbol": f.symbol,
        "side": f.side,
        "settleType": "OPEN",
        "size": text(f.size),
        "price": text(f.price),
        "lossGain": "0",
        "fee": text(f.fee),
        "timestamp": iso(f.ms),
    }


def _transfer(r: Transfer, *, crypto: bool) -> Json:
    row: Json = {"amount": text(r.amount), "fee": text(r.fee), "status": "EXECUTED", "symbol": r.symbol}
    row["timestamp"] = iso(r.ms)
    if crypto:
        row.update(address=r.address, txHash=r.tx_hash)
    return row
