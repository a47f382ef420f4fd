"""What MEXC's spot API v3 answers for one scripted account: exchange info, account, trades, deposits, withdrawals.

Fields, envelopes, page sizes, windows and reach are those of MEXC's spot v3 documentation; each rule and its source
is in docs/exchange-apis/mexc.md. Where the documentation is silent (the order rows come in, the answer to a range
longer than allowed) the choice made here is marked there as unsourced.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import (
    BalanceRecord,
    ConvertRecord,
    DepositRecord,
    IdStyle,
    Market,
    ScriptedAccount,
    TradeRecord,
    TransferRecord,
    WithdrawalRecord,
    plain,
)
from sandbox.exchanges.scripted import ground_truth_balances

Json = dict[str, Any]
R = TypeVar("R")

# Account Trade List: "Only the transaction records in the past 1 month can be queried" (a month read as 30 days).
TRADES_REACH_MS = 30 * DAY_MS
TRADES_LIMIT_DEFAULT = TRADES_LIMIT_MAX = 100  # "Default 100; max 100"
# Deposit and Withdraw History: startTime defaults to 7 days ago, "can query 90 days data at most", limit 1000.
WALLET_DEFAULT_SPAN_MS = 7 * DAY_MS
WALLET_MAX_SPAN_MS = 90 * DAY_MS
WALLET_LIMIT_DEFAULT = WALLET_LIMIT_MAX = 1000
# Query User Universal Transfer History: "Only can quary the data for the last six months" (read as 180 days); the
# last seven days when no range is sent; `page` from 1, `size` default 10, max 100.
TRANSFERS_REACH_MS = 180 * DAY_MS
TRANSFERS_SIZE_DEFAULT, TRANSFERS_SIZE_MAX = 10, 100
# The scripted account's two wallets are MEXC's spot and futures accounts, the two this list knows.
ACCOUNT_TYPE = {"FUND": "SPOT", "UNIFIED": "FUTURES"}
# A scripted stage as MEXC's status codes: deposits 4 PENDING, 7 REJECTED, 5 SUCCESS; withdrawals 4 PROCESSING,
# 8 FAILED, 7 SUCCESS (1 SMALL … 12 COMPLETED and 1 APPLY … 10 MANUAL in docs/exchange-apis/mexc.md).
# DustLog: `page` from 1, `limit` default 1, max 1000; each conversion pays a fee in MX (2% in the docs' example).
DUST_LIMIT_DEFAULT, DUST_LIMIT_MAX = 1, 1000
DUST_FEE_RATE = Decimal("0.02")
DEPOSIT_STATUS = {Stage.PENDING: 4, Stage.FAILED: 7, Stage.DONE: 5}
WITHDRAWAL_STATUS = {Stage.PENDING: 4, Stage.FAILED: 8, Stage.DONE: 7}


class MexcError(Exception):
    """An error answer: ``{"code": …, "msg": …}`` with the HTTP status it comes with."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class MexcIds(IdStyle):
    """Trade, order and withdrawal ids are 32 hex digits on MEXC (``fad2af9e942049b6adbda1a271f990c6``)."""

    def trade_id(self, rng: random.Random, n: int) -> str:
        return f"{rng.getrandbits(64):016x}{n:016x}"

    def order_id(self, rng: random.Random, n: int) -> str:
        return f"{rng.getrandbits(64):016x}{n:016x}"

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        return f"{rng.getrandbits(64):016x}{n:016x}" if kind == "withdrawal" else str(n)


def param_error() -> MexcError:
    return MexcError(33333, "param is error")  # the error table's answer to a bad parameter


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise param_error() from None


def limit_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    limit = int_param(params, "limit")
    if limit is None:
        return default
    if not 1 <= limit <= maximum:
        raise param_error()
    return limit


def oldest_first(records: Sequence[R], when: Callable[[R], int], start: int, end: int, limit: int) -> list[R]:
    """The oldest `limit` records in [start, end], oldest first (as Binance's lists, which MEXC v3 copies)."""
    return [r for r in records if start <= when(r) <= end][:limit]


def with_dust_conversions(account: ScriptedAccount, seed: int) -> tuple[ScriptedAccount, dict[str, Decimal]]:
    """MEXC converts only into MX (DustLog): the account's scripted converts are dropped and become small balances
    turned into MX at the same times, each a fiftieth of what the account holds of a coin, so no balance goes below
    zero. The balances are what the remaining records add up to: a coin a dropped convert had bought and the account
    spent later gets an opening deposit, listed a day before the first record, as the generator does. Returns the
    account and each conversion's fee (MX, already deducted from what was received)."""
    rng = random.Random(seed * 7_919 + 17)  # noqa: S311 (a scripted account, not a secret)
    held = ground_truth_balances(replace(account, converts=()))
    times = [t.timestamp for t in account.trades] + [d.timestamp for d in account.deposits]
    first = min(times, default=account.now_ms)
    opening = []
    for n, (asset, total) in enumerate(sorted(held.items())):
        if total < 0:
            ident = f"{rng.getrandbits(64):016x}"
            opening.append(
                DepositRecord(ident, f"{rng.getrandbits(256):064x}", asset, "ETH", -total, ident, first - DAY_MS + n)
            )
            held[asset] = Decimal(0)
    dust: list[ConvertRecord] = []
    fees: dict[str, Decimal] = {}
    for scripted in account.converts:
        coins = sorted(a for a, total in held.items() if total > 0 and a != "MX")
        if not coins:
            break
        coin = rng.choice(coins)
        amount = (held[coin] / 50).quantize(Decimal("0.00000001"), rounding="ROUND_DOWN")
        if amount <= 0:
            continue
        gross = (amount * Decimal(rng.randint(1, 10_000)) / 1000).quantize(Decimal("0.00000001"), rounding="ROUND_DOWN")
        fee = (gross * DUST_FEE_RATE).quantize(Decimal("0.00000001"), rounding="ROUND_DOWN")
        ident = f"{rng.getrandbits(128):032x}"
        dust.append(ConvertRecord(ident, "", coin, amount, "MX", gross - fee, scripted.ratio, scripted.timestamp))
        fees[ident] = fee
        held[coin] -= amount
        held["MX"] = held.get("MX", Decimal(0)) + gross - fee
    balances = tuple(BalanceRecord(asset, total, Decimal(0)) for asset, total in sorted(held.items()))
    deposits = tuple(sorted((*opening, *account.deposits), key=lambda d: d.timestamp))
    return replace(account, converts=tuple(dust), deposits=deposits, balances=balances), fees


class MexcBook:
    """Serves one scripted account the way MEXC's spot API v3 does."""

    def __init__(
        self,
        account: ScriptedAccount,
        dust_fees: Mapping[str, Decimal] | None = None,
        futures_wallet: Mapping[str, Decimal] | None = None,
    ) -> None:
        self.account = account
        self.dust_fees = dict(dust_fees or {})
        # What the futures account holds of the account's totals: the spot account reports the rest.
        self.futures_wallet = dict(futures_wallet or {})
        self.lifecycle = Lifecycle()

    # -- public ---------------------------------------------------------------------------------------------

    def time(self, call: Call) -> Json:
        return {"serverTime": call.now_ms}

    def exchange_info(self, call: Call) -> Json:
        if call.params.get("symbol") or call.params.get("symbols"):
            raise NotEmulated("exchangeInfo for chosen symbols is not emulated")
        return {
            "timezone": "CST",
            "serverTime": call.now_ms,
            "rateLimits": [],
            "exchangeFilters": [],
            "symbols": [self._symbol(m) for m in self.account.markets],
        }

    @staticmethod
    def _symbol(m: Market) -> Json:
        # The fields of the Exchange Information example; status "1" is online (changelog 2024-08-16).
        return {
            "symbol": m.symbol,
            "status": "1",
            "baseAsset": m.base,
            "baseAssetPrecision": 8,
            "quoteAsset": m.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "MARKET", "LIMIT_MAKER"],
            "quoteOrderQtyMarketAllowed": True,
            "isSpotTradingAllowed": True,
            "isMarginTradingAllowed": False,
            "quoteAmountPrecision": "1",
            "baseSizePrecision": "0",
            "permissions": ["SPOT"],
            "filters": [],
            "maxQuoteAmount": "2000000",
            "makerCommission": "0",
            "takerCommission": "0.0005",
            "quoteAmountPrecisionMarket": "1",
            "maxQuoteAmountMarket": "100000",
            "tradeSideType": "1",
        }

    # -- account --------------------------------------------------------------------------------------------

    def account_info(self, call: Call) -> Json:
        key = call.key
        if key is None:
            raise NotEmulated("the account is a signed endpoint")
        return {
            "canTrade": key.permissions.trade,
            "canWithdraw": key.permissions.withdraw,
            "canDeposit": True,
            "updateTime": None,
            "accountType": "SPOT",
            "balances": [
                {
                    "asset": b.asset,
                    "free": plain(b.free - self.futures_wallet.get(b.asset, 0)),
                    "locked": plain(b.locked),
                }
                for b in self.account.balances
                if b.total - self.futures_wallet.get(b.asset, 0) > 0
            ],
            "permissions": ["SPOT"],
        }

    def my_trades(self, call: Call) -> list[Json]:
        params = call.params
        symbol = params.get("symbol", "")
        if not symbol:
            raise MexcError(44444, "param cannot be null")
        if symbol not in {m.symbol for m in self.account.markets}:
            raise MexcError(10007, "bad symbol")
        if params.get("orderId"):
            raise NotEmulated("myTrades by orderId is not emulated")
        limit = limit_param(params, TRADES_LIMIT_DEFAULT, TRADES_LIMIT_MAX)
        reach = call.now_ms - TRADES_REACH_MS
        start = max(int_param(params, "startTime") or reach, reach)
        end = int_param(params, "endTime") or call.now_ms
        rows = oldest_first(self.account.trades_for(symbol), lambda t: t.timestamp, start, end, limit)
        return [self._trade(t) for t in rows]

    @staticmethod
    def _trade(t: TradeRecord) -> Json:
        return {
            "symbol": t.symbol,
            "id": t.id,
            "orderId": t.order_id,
            "orderListId": -1,
            "price": plain(t.price),
            "qty": plain(t.amount),
            "quoteQty": plain(t.cost),
            "commission": plain(t.fee),
            "commissionAsset": t.fee_asset,
            "time": t.timestamp,
            "isBuyer": t.side == "buy",
            "isMaker": t.is_maker,
            "isBestMatch": True,
            "isSelfTrade": False,
            "clientOrderId": None,
        }

    # -- wallet ---------------------------------------------------------------------------------------------

    @staticmethod
    def _wallet_range(call: Call) -> tuple[int, int, int]:
        params = call.params
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        end = call.now_ms if end is None else end
        start = end - WALLET_DEFAULT_SPAN_MS if start is None else start
        if start > end or end - start > WALLET_MAX_SPAN_MS:
            raise param_error()
        return start, end, limit_param(params, WALLET_LIMIT_DEFAULT, WALLET_LIMIT_MAX)

    def deposits(self, call: Call) -> list[Json]:
        start, end, limit = self._wallet_range(call)
        coin = call.params.get("coin")
        listed = self.lifecycle.listed(self.account.deposits, lambda d: d.id)
        chosen = [d for d in listed if (not coin or d.asset == coin) and self._status_is(call, d.id, DEPOSIT_STATUS)]
        return [self._deposit(d) for d in oldest_first(chosen, lambda d: d.timestamp, start, end, limit)]

    def _status_is(self, call: Call, record_id: str, statuses: dict[Stage, int]) -> bool:
        wanted = int_param(call.params, "status")
        return wanted is None or self.lifecycle.status(record_id, statuses) == wanted

    def _deposit(self, d: DepositRecord) -> Json:
        return {
            "amount": plain(d.amount),
            "coin": d.asset,
            "network": d.network,
            "status": self.lifecycle.status(d.id, DEPOSIT_STATUS),
            "address": d.address,
            "txId": d.tx_id,
            "insertTime": d.timestamp,
            "unlockConfirm": "12",
            "confirmTimes": "64",
            "memo": "",  # no memo on these networks: an empty string, as the withdrawal example's empty remark
        }

    def withdrawals(self, call: Call) -> list[Json]:
        start, end, limit = self._wallet_range(call)
        coin = call.params.get("coin")
        listed = self.lifecycle.listed(self.account.withdrawals, lambda w: w.id)
        chosen = [w for w in listed if (not coin or w.asset == coin) and self._status_is(call, w.id, WITHDRAWAL_STATUS)]
        return [self._withdrawal(w) for w in oldest_first(chosen, lambda w: w.timestamp, start, end, limit)]

    def _withdrawal(self, w: WithdrawalRecord) -> Json:
        return {
            "id": w.id,
            "txId": w.tx_id,
            "coin": w.asset,
            "network": w.network,
            "address": w.address,
            "amount": plain(w.amount),
            "transferType": 0,
            "status": self.lifecycle.status(w.id, WITHDRAWAL_STATUS),
            "transactionFee": plain(w.fee),
            "confirmNo": None,
            "applyTime": w.timestamp,
            "remark": "",
            "memo": "",
            "transHash": w.tx_id,
            "updateTime": w.timestamp + 60_000,
            "coinId": hashlib.sha256(w.asset.encode()).hexdigest()[:32],
            "vcoinId": hashlib.sha256(w.network.encode()).hexdigest()[:32],
        }

    # -- transfers between the user's own accounts ----------------------------------------------------------

    def transfers(self, call: Call) -> Json:
        params = call.params
        source, target = params.get("fromAccountType", ""), params.get("toAccountType", "")
        if not source or not target:
            raise MexcError(44444, "param cannot be null")
        if {source, target} - set(ACCOUNT_TYPE.values()) or source == target:
            raise param_error()
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        if start is None and end is None:
            start, end = call.now_ms - WALLET_DEFAULT_SPAN_MS, call.now_ms
        start = max(start or 0, call.now_ms - TRANSFERS_REACH_MS)
        end = call.now_ms if end is None else end
        page = int_param(params, "page") or 1
        size = int_param(params, "size") or TRANSFERS_SIZE_DEFAULT
        if page < 1 or not 1 <= size <= TRANSFERS_SIZE_MAX:
            raise param_error()
        chosen = [
            t
            for t in self.account.transfers
            if ACCOUNT_TYPE[t.from_account] == source
            and ACCOUNT_TYPE[t.to_account] == target
            and start <= t.timestamp <= end
        ]
        rows = chosen[(page - 1) * size : page * size]
        # The object ccxt's fetch_transfers shows from the live API; the docs print it inside a list (mexc.md).
        return {"rows": [self._transfer(t) for t in rows], "total": len(chosen)}

    @staticmethod
    def _transfer(t: TransferRecord) -> Json:
        return {
            "tranId": hashlib.sha256(f"transfer:{t.id}".encode()).hexdigest()[:32],
            "clientTranId": None,
            "asset": t.asset,
            "amount": plain(t.amount),
            "fromAccountType": ACCOUNT_TYPE[t.from_account],
            "toAccountType": ACCOUNT_TYPE[t.to_account],
            # The docs' example names the accounts again as fromSymbol/toSymbol; its table and ccxt's sample: symbol.
            "fromSymbol": ACCOUNT_TYPE[t.from_account],
            "toSymbol": ACCOUNT_TYPE[t.to_account],
            "symbol": None,
            "status": "SUCCESS",
            "timestamp": t.timestamp,
        }

    # -- small balances converted to MX ---------------------------------------------------------------------

    def dust_log(self, call: Call) -> Json:
        params = call.params
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        page = int_param(params, "page") or 1
        limit = limit_param(params, DUST_LIMIT_DEFAULT, DUST_LIMIT_MAX)
        if page < 1:
            raise param_error()
        chosen = [
            c
            for c in self.account.converts
            if (start is None or c.timestamp >= start) and (end is None or c.timestamp <= end)
        ]
        rows = chosen[(page - 1) * limit : page * limit]
        return {
            "data": [self._dust(c) for c in rows],
            "totalRecords": len(chosen),
            "page": page,
            "totalPageNum": (len(chosen) + limit - 1) // limit,
        }

    def _dust(self, c: ConvertRecord) -> Json:
        # One coin per conversion here; the docs' example shows a conversion of several coins at once.
        fee = self.dust_fees.get(c.id, Decimal(0))
        return {
            "totalConvert": plain(c.to_amount),
            "totalFee": plain(fee),
            "convertTime": c.timestamp,
            "convertDetails": [
                {
                    "id": c.id,
                    "convert": plain(c.to_amount),
                    "fee": plain(fee),
                    "amount": plain(c.from_amount),
                    "time": c.timestamp,
                    "asset": c.from_asset,
                }
            ],
        }
