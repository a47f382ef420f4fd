"""Bitget's Tax API lists (``/api/v2/tax/*``) over a scripted account, as documented in common/tax/*.

Each list needs ``startTime`` and ``endTime`` at most 30 days apart (a longer range is answered 00001, the answer
ccxt recorded), ``limit`` at most 500 (default 500), pages newest first with ``idLessThan=<id>`` and reaches two
years back (help pages). The margin list answers one ``marginType`` per request (``crossed`` by default, or
``isolated``) and the futures list one ``productType`` (``USDT-FUTURES`` by default, ``COIN-FUTURES``,
``USDC-FUTURES``). Rows carry the documented fields only: spot ``amount``/``fee``/``balance``/``bizOrderId``,
margin ``amount``/``fee``/``total``/``symbol``, futures ``symbol``/``marginCoin``/``amount``/``fee``, P2P the
quantity in ``balance`` (the Dec-2025 edition; see docs/exchange-apis/bitget.md).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.records import ScriptedAccount, plain

Json = dict[str, Any]
R = TypeVar("R")

TAX_WINDOW_MS = 30 * DAY_MS
TAX_LOOKBACK_MS = 730 * DAY_MS
_SNOWFLAKE_EPOCH_MS = 1_420_070_400_000
MARGIN_TYPES = ("crossed", "isolated")
PRODUCT_TYPES = {"USDT-FUTURES": "USDT", "COIN-FUTURES": "BTC", "USDC-FUTURES": "USDC"}
_FUTURE_TYPES = ("open_long", "close_long", "open_short", "close_short")
_MARGIN_TAX_TYPES = ("transfer_in", "borrow", "deal_in", "deal_out", "repay", "interest_repay", "transfer_out")


class TaxError(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


@dataclass(frozen=True)
class TaxRecord:
    """One line of the spot tax ledger (/api/v2/tax/spot-record), derived from a scripted record."""

    id: str
    coin: str
    tax_type: str  # spotTaxType: "Buy", "Sell", "Deposit", "Withdrawal", "Interest"
    amount: Decimal  # signed: what came in or went out, fee apart
    fee: Decimal  # what the movement cost, as a positive number (sent negative, as Bitget does)
    balance: Decimal
    ts: int
    biz_order_id: str


@dataclass(frozen=True)
class P2PRecord:
    id: str
    coin: str
    tax_type: str  # p2pTaxType: transfer_in / transfer_out (moves of the P2P/funding account)
    quantity: Decimal
    ts: int


@dataclass(frozen=True)
class MarginRecord:
    id: str
    margin_type: str  # crossed / isolated
    coin: str
    symbol: str
    tax_type: str
    amount: Decimal
    fee: Decimal
    total: Decimal
    ts: int


@dataclass(frozen=True)
class FutureRecord:
    id: str
    product_type: str
    symbol: str
    margin_coin: str
    tax_type: str
    amount: Decimal
    fee: Decimal
    ts: int


def snowflake(ts: int, sequence: int) -> str:
    return str(((ts - _SNOWFLAKE_EPOCH_MS) << 22) + sequence % (1 << 22))


def _int(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise TaxError("40017", "Parameter verification failed")
    return int(raw)


def tax_window(params: Mapping[str, str]) -> tuple[int, int]:
    start, end = _int(params, "startTime"), _int(params, "endTime")
    if start is None:
        raise TaxError("40019", "Parameter startTime cannot be empty")
    if end is None:
        raise TaxError("40019", "Parameter endTime cannot be empty")
    if start > end:
        raise TaxError("00001", "startTime must be less than endTime")
    if end - start > TAX_WINDOW_MS:
        raise TaxError("00001", "startTime and endTime interval cannot be greater than 30 days")
    return start, end


def _limit(params: Mapping[str, str]) -> int:
    value = _int(params, "limit")
    if value is None:
        return 500
    if not 1 <= value <= 500:
        raise TaxError("40017", "Parameter verification failed")
    return value


def _page(records: Sequence[R], ts: Callable[[R], int], ident: Callable[[R], str], params: Mapping[str, str],
          now_ms: int) -> list[R]:  # fmt: skip
    limit = _limit(params)
    start, end = tax_window(params)
    start = max(start, now_ms - TAX_LOOKBACK_MS)
    ceiling = _int(params, "idLessThan")
    chosen = [r for r in records if start <= ts(r) <= end and (ceiling is None or int(ident(r)) < ceiling)]
    return sorted(chosen, key=lambda r: int(ident(r)), reverse=True)[:limit]


def _negative(value: Decimal) -> str:
    return "0" if value == 0 else plain(-value)


class BitgetTaxBook:
    """The four tax lists of one scripted account; the record tuples are the ground truth tests read."""

    def __init__(self, account: ScriptedAccount) -> None:
        self.account = account
        self.spot = self._spot_ledger()
        self.p2p = self._p2p()
        rng = random.Random(account.seed * 7919 + 13)  # noqa: S311 - made-up history, not a secret
        self.margin = self._margin(rng)
        self.future = self._future(rng)

    def _spot_ledger(self) -> tuple[TaxRecord, ...]:
        """Every spot-account movement: both legs of each trade, deposits, withdrawals and interest."""
        a = self.account
        moves: list[tuple[int, str, str, Decimal, Decimal, str]] = []
        for t in a.trades:
            tax_type = "Buy" if t.side == "buy" else "Sell"
            sign = 1 if t.side == "buy" else -1
            base_fee = t.fee if t.fee_asset == t.base else Decimal(0)
            quote_fee = t.fee if t.fee_asset == t.quote else Decimal(0)
            moves.append((t.timestamp, t.base, tax_type, sign * t.amount, base_fee, t.order_id))
            moves.append((t.timestamp, t.quote, tax_type, -sign * t.cost, quote_fee, t.order_id))
        moves += [(d.timestamp, d.asset, "Deposit", d.amount, Decimal(0), d.id) for d in a.deposits]
        moves += [(w.timestamp, w.asset, "Withdrawal", -w.amount, w.fee, w.id) for w in a.withdrawals]
        moves += [(r.timestamp, r.asset, "Interest", r.amount, Decimal(0), r.tran_id) for r in a.rewards]
        moves.sort(key=lambda move: move[0])
        running: dict[str, Decimal] = {}
        lowest: dict[str, Decimal] = {}
        for _, coin, _, amount, fee, _ in moves:
            running[coin] = running.get(coin, Decimal(0)) + amount - fee
            lowest[coin] = min(lowest.get(coin, Decimal(0)), running[coin])
        balance = {coin: -low for coin, low in lowest.items()}
        records = []
        for n, (ts, coin, tax_type, amount, fee, biz) in enumerate(moves):
            balance[coin] += amount - fee
            records.append(TaxRecord(snowflake(ts, n), coin, tax_type, amount, fee, balance[coin], ts, biz))
        return tuple(records)

    def _p2p(self) -> tuple[P2PRecord, ...]:
        """The P2P (funding) account's side of each scripted transfer between funding and trading accounts."""
        records = []
        for n, t in enumerate(self.account.transfers):
            tax_type = "transfer_in" if t.to_account == "FUND" else "transfer_out"
            records.append(P2PRecord(snowflake(t.timestamp, 1_000_000 + n), t.asset, tax_type, t.amount, t.timestamp))
        return tuple(records)

    def _margin(self, rng: random.Random) -> tuple[MarginRecord, ...]:
        now, records = self.account.now_ms, []
        for n in range(24):
            ts = now - rng.randrange(DAY_MS, 700 * DAY_MS)
            margin_type = MARGIN_TYPES[n % 2]
            tax_type = _MARGIN_TAX_TYPES[n % len(_MARGIN_TAX_TYPES)]
            amount = Decimal(rng.randrange(1, 500_000)) / 100
            fee = Decimal(rng.randrange(0, 300)) / 10_000 if tax_type.startswith("deal") else Decimal(0)
            records.append(
                MarginRecord(
                    snowflake(ts, 2_000_000 + n), margin_type, "USDT", "BTCUSDT", tax_type, amount, fee, amount, ts
                )
            )
        return tuple(sorted(records, key=lambda r: r.ts))

    def _future(self, rng: random.Random) -> tuple[FutureRecord, ...]:
        now, records = self.account.now_ms, []
        for n in range(30):
            product = tuple(PRODUCT_TYPES)[n % 3]
            coin = PRODUCT_TYPES[product]
            ts = now - rng.randrange(DAY_MS, 700 * DAY_MS)
            symbol = "BTCUSD" if product == "COIN-FUTURES" else f"BTC{coin}"
            amount = Decimal(rng.randrange(-50_000, 50_000)) / 100_000
            fee = Decimal(rng.randrange(1, 5_000)) / 100_000
            records.append(
                FutureRecord(snowflake(ts, 3_000_000 + n), product, symbol, coin, _FUTURE_TYPES[n % 4], amount, fee, ts)
            )
        return tuple(sorted(records, key=lambda r: r.ts))

    # -- handlers -------------------------------------------------------------------------------------------

    def spot_records(self, params: Mapping[str, str], now_ms: int) -> list[Json]:
        coin = params.get("coin")
        rows = [r for r in self.spot if not coin or r.coin == coin]
        return [
            {
                "id": r.id,
                "coin": r.coin,
                "spotTaxType": r.tax_type,
                "amount": "0" if r.amount == 0 else plain(r.amount),
                "fee": _negative(r.fee),
                "balance": plain(r.balance),
                "bizOrderId": r.biz_order_id,
                "ts": str(r.ts),
            }
            for r in _page(rows, lambda r: r.ts, lambda r: r.id, params, now_ms)
        ]

    def p2p_records(self, params: Mapping[str, str], now_ms: int) -> list[Json]:
        coin = params.get("coin")
        rows = [r for r in self.p2p if not coin or r.coin == coin]
        return [
            {"id": r.id, "coin": r.coin, "p2pTaxType": r.tax_type, "balance": plain(r.quantity), "ts": str(r.ts)}
            for r in _page(rows, lambda r: r.ts, lambda r: r.id, params, now_ms)
        ]

    def margin_records(self, params: Mapping[str, str], now_ms: int) -> list[Json]:
        margin_type = params.get("marginType") or "crossed"
        if margin_type not in MARGIN_TYPES:
            raise TaxError("40017", "Parameter verification failed")
        coin = params.get("coin")
        rows = [r for r in self.margin if r.margin_type == margin_type and (not coin or r.coin == coin)]
        return [
            {
                "id": r.id,
                "coin": r.coin,
                "marginTaxType": r.tax_type,
                "amount": plain(r.amount),
                "fee": _negative(r.fee),
                "total": plain(r.total),
                "symbol": r.symbol,
                "ts": str(r.ts),
            }
            for r in _page(rows, lambda r: r.ts, lambda r: r.id, params, now_ms)
        ]

    def future_records(self, params: Mapping[str, str], now_ms: int) -> list[Json]:
        product = params.get("productType") or "USDT-FUTURES"
        if product not in PRODUCT_TYPES:
            raise TaxError("40017", "Parameter verification failed")
        coin = params.get("marginCoin")
        rows = [r for r in self.future if r.product_type == product and (not coin or r.margin_coin == coin)]
        return [
            {
                "id": r.id,
                "symbol": r.symbol,
                "marginCoin": r.margin_coin,
                "futureTaxType": r.tax_type,
                "amount": plain(r.amount),
                "fee": _negative(r.fee),
                "ts": str(r.ts),
            }
            for r in _page(rows, lambda r: r.ts, lambda r: r.id, params, now_ms)
        ]
