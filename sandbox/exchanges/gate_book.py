"""What Gate's API v4 answers for one scripted account: currency pairs, key details, trades, deposits, withdrawals.

Fields, envelopes, page sizes, windows and time units are those of Gate's API v4 reference (read through the
gateapi-python SDK's generated pages: SpotApi.md, WalletApi.md, Trade.md, DepositRecord.md, WithdrawalRecord.md);
each rule and its source is in docs/exchange-apis/gate.md. Fills are ranged by their order's finish time (the
reference: "Time range parameters are handled as order finish time"), and a test may script a fill's fee as paid
with GT or points (`GateBook.deductions`). Where the reference is silent (the order rows come in,
what a range longer than allowed returns, the key list's exact shape) the choice made here is marked there as
unsourced.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sandbox.exchanges.base import DAY_MS, SECOND_MS
from sandbox.exchanges.keys import ApiKey
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import (
    ConvertRecord,
    DepositRecord,
    IdStyle,
    Market,
    RewardRecord,
    ScriptedAccount,
    TradeRecord,
    WithdrawalRecord,
    plain,
)

Json = dict[str, Any]
R = TypeVar("R")

DAY_S = DAY_MS // SECOND_MS
# list_my_trades: "If you don't specify `from` and/or `to` parameters, only the last 7 days of data will be
# retured. The range of `from` and `to` is not alloed to exceed 30 days."
# list_deposits / list_withdrawals: "Record time range cannot exceed 30 days"; `from` "default to 7 days before".
DEFAULT_SPAN_S = 7 * DAY_S
MAX_SPAN_S = 30 * DAY_S
LIMIT_DEFAULT = 100  # every list: "[default to 100]"
TRADES_LIMIT_MAX = 1000  # not on the SDK page; ccxt's gate features give fetchMyTrades a limit of 1000
DEPOSITS_LIMIT_MAX = 500  # list_deposits: "The maximum number of entries returned in the list is limited to 500"
WITHDRAWALS_LIMIT_MAX = 500  # not documented for withdrawals; taken as the deposits' (unsourced)
FLASH_SWAP_LIMIT_MAX = 1000  # list_flash_swap_orders documents only the default of 100 (unsourced maximum)
FLASH_SWAP_SUCCESS = 1  # FlashSwapOrder.status: 1 success, 2 failure
INTEREST_LIMIT_MAX = 100  # list_uni_interest_records: "Default: 100, minimum: 1, maximum: 100"


@dataclass(frozen=True)
class FeeDeduction:
    """How one fill's fee was paid when not (only) in `fee_currency`: Trade.md's `gt_fee` ("GT used to deduct fee")
    and `point_fee` ("Points used to deduct fee"); `fee` is what was still taken in `fee_currency` (0 when GT or
    points paid it all, as in the live rows ccxt's issue #13159 and others show)."""

    gt_fee: Decimal = Decimal(0)
    point_fee: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)


def order_finish_s(trades: Sequence[TradeRecord]) -> dict[str, int]:
    """Each order's finish time in seconds: the time of its last fill (an order still open: of its latest fill so
    far, unsourced). list_my_trades: "Time range parameters are handled as order finish time"."""
    finish: dict[str, int] = {}
    for t in trades:
        finish[t.order_id] = max(finish.get(t.order_id, 0), t.timestamp // SECOND_MS)
    return finish


class GateError(Exception):
    """An error answer: ``{"label": …, "message": …}`` with the HTTP status it comes with."""

    def __init__(self, label: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.label = label
        self.message = message
        self.status = status


class GateIds(IdStyle):
    """Pairs are ``BTC_USDT``; withdrawal ids start with ``w`` ("such as: w1879219868"); the rest are numbers."""

    def market_symbol(self, base: str, quote: str) -> str:
        return f"{base}_{quote}"

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(5_000_000_000 + n)

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(120_000_000_000 + n)

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        return f"w{1_800_000_000 + n}" if kind == "withdrawal" else str(900_000_000 + n)


def param_error(message: str) -> GateError:
    return GateError("INVALID_PARAM_VALUE", message)


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise param_error(f"invalid {name}") from None


def limit_param(params: Mapping[str, str], maximum: int) -> int:
    limit = int_param(params, "limit")
    if limit is None:
        return LIMIT_DEFAULT
    if not 1 <= limit <= maximum:
        raise param_error(f"limit must be between 1 and {maximum}")
    return limit


def time_range(params: Mapping[str, str], now_s: int) -> tuple[int, int]:
    """[from, to] in seconds: defaults of 7 days back and now, at most 30 days apart (both ends inclusive)."""
    start, end = int_param(params, "from"), int_param(params, "to")
    end = now_s if end is None else end
    start = end - DEFAULT_SPAN_S if start is None else start
    if start > end:
        raise param_error("from must not be after to")
    if end - start > MAX_SPAN_S:
        raise param_error("time range cannot exceed 30 days")
    return start, end


def newest_first(records: Sequence[R], when_s: Callable[[R], int], start: int, end: int) -> list[R]:
    """The records whose second lies in [start, end], newest first (the order is not documented)."""
    return sorted((r for r in records if start <= when_s(r) <= end), key=when_s, reverse=True)


class GateBook:
    """Serves one scripted account the way Gate's API v4 does."""

    def __init__(
        self,
        account: ScriptedAccount,
        user_id: int,
        keys: Callable[[], Sequence[ApiKey]],
        denied: Callable[[ApiKey], frozenset[str]] = lambda key: frozenset(),
    ) -> None:
        self.account = account
        self.user_id = user_id
        self.keys = keys
        self.denied = denied  # the permission groups disabled on a key: left out of its `perms`
        self.deductions: dict[str, FeeDeduction] = {}  # trade id -> its fee paid with GT or points

    # -- public ---------------------------------------------------------------------------------------------

    def currency_pairs(self, call: Call) -> list[Json]:
        return [self._pair(m) for m in self.account.markets]

    @staticmethod
    def _pair(m: Market) -> Json:
        # The fields of CurrencyPair.md and the "Query all supported currency pairs" example; every scripted pair is
        # tradable and none is being delisted.
        return {
            "id": m.symbol,
            "base": m.base,
            "base_name": m.base,
            "quote": m.quote,
            "quote_name": m.quote,
            "fee": "0.2",
            "min_base_amount": "0.0001",
            "min_quote_amount": "1",
            "max_base_amount": "10000000",
            "max_quote_amount": "5000000",
            "amount_precision": 8,
            "precision": 8,
            "trade_status": "tradable",
            "sell_start": 0,
            "buy_start": 0,
            "delisting_time": 0,
            "type": "normal",
            "trade_url": f"https://www.gate.io/trade/{m.symbol}",
            "st_tag": False,
        }

    @staticmethod
    def margin_currency_pairs(call: Call) -> list[Json]:
        """Margin is not emulated: ccxt's load_markets reads this list alongside the spot one, and finds it empty."""
        return []

    # -- account --------------------------------------------------------------------------------------------

    def account_detail(self, call: Call) -> Json:
        """GET /account/detail (AccountDetail.md): the key's IP whitelist and mode (1: classic account)."""
        key = _key(call)
        return {
            "user_id": self.user_id,
            "ip_whitelist": list(key.ip_whitelist),
            "currency_pairs": [],
            "key": {"mode": 1},
            "tier": 0,
        }

    def main_keys(self, call: Call) -> list[Json]:
        """GET /account/main_keys ("Query All Main Account Key Information"): every key of the account, each `key`
        shown as its first 12 characters and ``*****`` as in the documented example, `perms` as {name, read_only}."""
        _key(call)
        return [self._key_info(key) for key in self.keys()]

    def _key_info(self, key: ApiKey) -> Json:
        perms = key.permissions
        created_s = key.created_at // SECOND_MS
        return {
            "state": 1,
            "mode": 1,
            "name": key.label,
            "user_id": self.user_id,
            "perms": [
                p
                for p in (
                    {"name": "spot", "read_only": not perms.trade},
                    {"name": "futures", "read_only": not perms.trade},
                    {"name": "wallet", "read_only": not (perms.withdraw or perms.transfer)},
                    {"name": "account", "read_only": True},
                )
                if p["name"] not in self.denied(key)
            ],
            "ip_whitelist": list(key.ip_whitelist),
            "currency_pairs": [],
            "key": key.api_key[:12] + "*****",
            "created_at": created_s,
            "update_at": created_s,
            "last_access": created_s,
        }

    # -- history --------------------------------------------------------------------------------------------

    def my_trades(self, call: Call) -> list[Json]:
        params = call.params
        pair = params.get("currency_pair") or ""
        if pair and pair not in {m.symbol for m in self.account.markets}:
            raise param_error(f"invalid currency_pair {pair}")
        if params.get("order_id"):
            raise NotEmulated("my_trades by order_id is not emulated")
        if params.get("account") not in (None, "", "spot"):
            raise NotEmulated("my_trades of another account is not emulated")
        limit = limit_param(params, TRADES_LIMIT_MAX)
        page = int_param(params, "page") or 1
        if page < 1:
            raise param_error("page must be at least 1")
        start, end = time_range(params, call.now_ms // SECOND_MS)
        trades = self.account.trades_for(pair) if pair else self.account.trades
        finish = order_finish_s(self.account.trades)
        rows = newest_first(trades, lambda t: finish[t.order_id], start, end)
        return [self._trade(t) for t in rows[(page - 1) * limit : page * limit]]

    def _trade(self, t: TradeRecord) -> Json:
        paid = self.deductions.get(t.id)
        fee, gt_fee, point_fee = (paid.fee, paid.gt_fee, paid.point_fee) if paid else (t.fee, Decimal(0), Decimal(0))
        return {
            "id": t.id,
            "create_time": str(t.timestamp // SECOND_MS),
            "create_time_ms": f"{t.timestamp}.000",
            "currency_pair": t.symbol,
            "side": t.side,
            "role": "maker" if t.is_maker else "taker",
            "amount": plain(t.amount),
            "price": plain(t.price),
            "order_id": t.order_id,
            "fee": plain(fee),
            "fee_currency": t.fee_asset,
            "point_fee": plain(point_fee),
            "gt_fee": plain(gt_fee),
            "sequence_id": t.id[-6:],
            "text": "web",
        }

    def _wallet(self, call: Call, records: Sequence[R], when_s: Callable[[R], int], maximum: int) -> list[R]:
        params = call.params
        limit = limit_param(params, maximum)
        offset = int_param(params, "offset") or 0
        if offset < 0:
            raise param_error("offset must not be negative")
        start, end = time_range(params, call.now_ms // SECOND_MS)
        currency = params.get("currency")
        chosen = [r for r in records if not currency or getattr(r, "asset", None) == currency]
        return newest_first(chosen, when_s, start, end)[offset : offset + limit]

    def converts(self, call: Call) -> list[Json]:
        rows = flash_swap_orders(call, self.account.converts)
        for row in rows:
            row["user_id"] = self.user_id
        return rows

    def interest_records(self, call: Call) -> list[Json]:
        """GET /earn/uni/interest_records (Simple Earn dividends): `from`/`to` seconds with no documented span (`to`
        defaults to now, `from` to the start of the data), `page` from 1, `limit` at most 100; newest first."""
        params = call.params
        limit = limit_param(params, INTEREST_LIMIT_MAX)
        page = int_param(params, "page") or 1
        if page < 1:
            raise param_error("page must be at least 1")
        start, end = int_param(params, "from") or 0, int_param(params, "to") or call.now_ms // SECOND_MS
        currency = params.get("currency")
        chosen = [r for r in self.account.rewards if not currency or r.asset == currency]
        rows = newest_first(chosen, lambda r: r.timestamp // SECOND_MS, start, end)
        return [self._interest(r) for r in rows[(page - 1) * limit : page * limit]]

    @staticmethod
    def _interest(r: RewardRecord) -> Json:
        return {
            "status": 1,
            "currency": r.asset,
            "actual_rate": "0.0005",
            "interest": plain(r.amount),
            "interest_status": "interest_dividend",
            "create_time": r.timestamp,
        }

    def deposits(self, call: Call) -> list[Json]:
        rows = self._wallet(call, self.account.deposits, lambda d: d.timestamp // SECOND_MS, DEPOSITS_LIMIT_MAX)
        return [self._deposit(d) for d in rows]

    @staticmethod
    def _deposit(d: DepositRecord) -> Json:
        return {
            "id": d.id,
            "txid": d.tx_id,
            "withdraw_order_id": "",
            "timestamp": str(d.timestamp // SECOND_MS),
            "amount": plain(d.amount),
            "currency": d.asset,
            "address": d.address,
            "memo": "",
            "status": "DONE",
            "chain": d.network,
        }

    def withdrawals(self, call: Call) -> list[Json]:
        if call.params.get("withdraw_id") or call.params.get("withdraw_order_id"):
            raise NotEmulated("withdrawals by id are not emulated")
        rows = self._wallet(call, self.account.withdrawals, lambda w: w.timestamp // SECOND_MS, WITHDRAWALS_LIMIT_MAX)
        return [self._withdrawal(w) for w in rows]

    @staticmethod
    def _withdrawal(w: WithdrawalRecord) -> Json:
        return {
            "id": w.id,
            "txid": w.tx_id,
            "block_number": str(19_000_000 + int(w.id[1:]) % 1_000_000),
            "withdraw_order_id": "",
            "timestamp": str(w.timestamp // SECOND_MS),
            "amount": plain(w.amount),
            "fee": plain(w.fee),
            "currency": w.asset,
            "address": w.address,
            "memo": "",
            "status": "DONE",
            "chain": w.network,
        }


def flash_swap_orders(call: Call, converts: Sequence[ConvertRecord]) -> list[Json]:
    """GET /flash_swap/orders: no time range; `reverse` true (default) lists by id descending, false ascending;
    `page` from 1, `limit` default 100; `status`, `sell_currency`, `buy_currency` filter."""
    params = call.params
    limit = limit_param(params, FLASH_SWAP_LIMIT_MAX)
    page = int_param(params, "page") or 1
    if page < 1:
        raise param_error("page must be at least 1")
    status = int_param(params, "status")
    sell, buy = params.get("sell_currency"), params.get("buy_currency")
    chosen = [
        c
        for c in converts
        if status in (None, FLASH_SWAP_SUCCESS) and sell in (None, c.from_asset) and buy in (None, c.to_asset)
    ]
    chosen.sort(key=lambda c: int(c.id), reverse=params.get("reverse", "true") != "false")
    return [
        {
            "id": int(c.id),
            "create_time": c.timestamp,
            "update_time": c.timestamp,
            "user_id": 0,
            "sell_currency": c.from_asset,
            "sell_amount": plain(c.from_amount),
            "buy_currency": c.to_asset,
            "buy_amount": plain(c.to_amount),
            "price": plain(c.ratio),
            "status": FLASH_SWAP_SUCCESS,
        }
        for c in chosen[(page - 1) * limit : page * limit]
    ]


def _key(call: Call) -> ApiKey:
    if call.key is None:
        raise NotEmulated("a signed endpoint was called without a key")
    return call.key
