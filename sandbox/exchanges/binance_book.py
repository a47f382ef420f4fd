"""Binance's read endpoints over a scripted account: parameters, windows, paging and the JSON Binance sends.

Rules from Binance's API docs: ``myTrades`` needs a symbol, returns trades with id >= ``fromId`` ascending
(limit 500, max 1000) and a start/end window may not exceed 24 h; deposit and withdrawal history default to the
last 90 days, windows may not exceed 90 days, limit 1000 with ``offset``; convert history needs both ends and at
most 30 days; asset dividends at most 180 days, limit 20, max 500.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sandbox.exchanges.base import DAY_MS, HOUR_MS, ApiKey
from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.records import (
    EIGHT_PLACES,
    ConvertRecord,
    DepositRecord,
    Market,
    RewardRecord,
    ScriptedAccount,
    TradeRecord,
    WithdrawalRecord,
    fixed8,
    plain,
)
from sandbox.exchanges.scripted import credited_balances

Json = dict[str, Any]
R = TypeVar("R")

TRADES_WINDOW_MS = 24 * HOUR_MS
TRANSFERS_WINDOW_MS = 90 * DAY_MS
CONVERT_WINDOW_MS = 30 * DAY_MS
DIVIDEND_WINDOW_MS = 180 * DAY_MS


class BinanceError(Exception):
    """An error answer: ``{"code": code, "msg": msg}`` with an HTTP status."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


@dataclass(frozen=True)
class Call:
    """One request as an endpoint sees it, after authentication."""

    params: Mapping[str, str]
    key: ApiKey | None
    now_ms: int


def missing(name: str) -> BinanceError:
    return BinanceError(-1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def mandatory(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if value == "":
        raise missing(name)
    return value


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.lstrip("-").isdigit():
        raise BinanceError(-1100, f"Illegal characters found in parameter '{name}'; legal range is '^[0-9]{{1,20}}$'.")
    return int(raw)


def mandatory_int(params: Mapping[str, str], name: str) -> int:
    value = int_param(params, name)
    if value is None:
        raise missing(name)
    return value


def signed_key(call: Call) -> ApiKey:
    if call.key is None:
        raise RuntimeError("a signed endpoint was served without a key")
    return call.key


def limit_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    value = int_param(params, "limit")
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise BinanceError(-1130, "Data sent for parameter 'limit' is not valid.")
    return value


def check_span(start: int, end: int, maximum_ms: int) -> None:
    """At most `maximum_ms` between the ends."""
    if end - start > maximum_ms:
        raise BinanceError(-1127, f"More than {maximum_ms // HOUR_MS} hours between startTime and endTime.")


def page(records: Sequence[R], offset: int, limit: int) -> list[R]:
    return list(records[offset : offset + limit])


# Binance's documented statuses (Deposit_History.md, Withdraw_History_supporting_network_USER_DATA.md): a deposit is
# 0 pending, 1 success, 2 rejected; a withdrawal 4 processing, 6 completed, 3 rejected.
DEPOSIT_STATUS = {Stage.PENDING: 0, Stage.DONE: 1, Stage.FAILED: 2}
WITHDRAWAL_STATUS = {Stage.PENDING: 4, Stage.DONE: 6, Stage.FAILED: 3}


def utc_text(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


class BinanceBook:
    """Serves one scripted account the way Binance's REST API does."""

    def __init__(self, account: ScriptedAccount, rate_limits: list[Json]) -> None:
        self.account = account
        self.rate_limits = rate_limits
        self.symbols = {market.symbol: market for market in account.markets}
        self.lifecycle = Lifecycle()  # deposits and withdrawals a test scripts as not final yet

    # -- public ---------------------------------------------------------------------------------------------

    def ping(self, call: Call) -> Json:
        return {}

    def time(self, call: Call) -> Json:
        return {"serverTime": call.now_ms}

    def exchange_info(self, call: Call) -> Json:
        symbol = call.params.get("symbol")
        if symbol is not None and symbol not in self.symbols:
            raise BinanceError(-1121, "Invalid symbol.")
        markets = [self.symbols[symbol]] if symbol else list(self.symbols.values())
        return {
            "timezone": "UTC",
            "serverTime": call.now_ms,
            "rateLimits": self.rate_limits,
            "exchangeFilters": [],
            "symbols": [self._symbol_info(market) for market in markets],
        }

    @staticmethod
    def _symbol_info(market: Market) -> Json:
        tick = fixed8(max(EIGHT_PLACES, market.price.scaleb(-5).quantize(EIGHT_PLACES)))
        return {
            "symbol": market.symbol,
            "status": "TRADING",
            "baseAsset": market.base,
            "baseAssetPrecision": 8,
            "quoteAsset": market.quote,
            "quotePrecision": 8,
            "quoteAssetPrecision": 8,
            "baseCommissionPrecision": 8,
            "quoteCommissionPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": True,
            "ocoAllowed": True,
            "otoAllowed": True,
            "quoteOrderQtyMarketAllowed": True,
            "allowTrailingStop": True,
            "cancelReplaceAllowed": True,
            "isSpotTradingAllowed": True,
            # Every emulated market is open to margin (the documented example says true): the margin script trades
            # BTCUSDT and ETHUSDT, and a quote scan probes the margin markets of a quote (ccxt's `margin`).
            "isMarginTradingAllowed": True,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "1000000.00000000", "tickSize": tick},
                {
                    "filterType": "LOT_SIZE",
                    "minQty": "0.00000001",
                    "maxQty": "90000000000.00000000",
                    "stepSize": "0.00000001",
                },
                {
                    "filterType": "NOTIONAL",
                    "minNotional": "5.00000000",
                    "applyMinToMarket": True,
                    "maxNotional": "9000000.00000000",
                    "applyMaxToMarket": False,
                    "avgPriceMins": 5,
                },
            ],
            "permissions": [],
            "permissionSets": [["SPOT"]],
            "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
            "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
        }

    # -- account --------------------------------------------------------------------------------------------

    def account_info(self, call: Call) -> Json:
        balances = [
            {"asset": b.asset, "free": fixed8(b.free), "locked": fixed8(b.locked)}
            for b in credited_balances(self.account, self.lifecycle)
            if b.total > 0 or call.params.get("omitZeroBalances") != "true"
        ]
        return {
            "makerCommission": 10,
            "takerCommission": 10,
            "buyerCommission": 0,
            "sellerCommission": 0,
            "commissionRates": {
                "maker": "0.00100000",
                "taker": "0.00100000",
                "buyer": "0.00000000",
                "seller": "0.00000000",
            },
            "canTrade": True,
            "canWithdraw": True,
            "canDeposit": True,
            "brokered": False,
            "requireSelfTradePrevention": False,
            "preventSor": False,
            "updateTime": self.account.now_ms,
            "accountType": "SPOT",
            "balances": balances,
            "permissions": ["SPOT"],
            "uid": 354937868,
        }

    def api_restrictions(self, call: Call) -> Json:
        key = signed_key(call)
        p = key.permissions
        body: Json = {
            "ipRestrict": key.ip_restricted,
            "createTime": key.created_at,
            "enableReading": p.read,
            "enableWithdrawals": p.withdraw,
            "enableInternalTransfer": p.transfer,
            "enableMargin": False,
            "enableFutures": False,
            "permitsUniversalTransfer": p.transfer,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enableSpotAndMarginTrading": p.trade,
            "enablePortfolioMarginTrading": False,
        }
        if p.trade and not key.ip_restricted:
            # Binance lets trading rights of an unrestricted key lapse; it reports when.
            body["tradingAuthorityExpirationTime"] = key.created_at + 90 * DAY_MS
        return body

    # -- history --------------------------------------------------------------------------------------------

    def my_trades(self, call: Call) -> list[Json]:
        params = call.params
        symbol = mandatory(params, "symbol")
        if symbol not in self.symbols:
            raise BinanceError(-1121, "Invalid symbol.")
        limit = limit_param(params, 500, 1000)
        from_id, order_id = int_param(params, "fromId"), int_param(params, "orderId")
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        if from_id is not None and (start is not None or end is not None):
            raise BinanceError(-1128, "Combination of optional parameters invalid.")
        if start is not None and end is not None:
            check_span(start, end, TRADES_WINDOW_MS)
        elif start is not None:
            end = start + TRADES_WINDOW_MS
        elif end is not None:
            start = end - TRADES_WINDOW_MS
        trades: Sequence[TradeRecord] = self.account.trades_for(symbol)
        if order_id is not None:
            trades = [t for t in trades if int(t.order_id) == order_id]
        if from_id is not None:
            chosen = [t for t in trades if int(t.id) >= from_id][:limit]
        elif start is not None and end is not None:
            chosen = [t for t in trades if start <= t.timestamp <= end][:limit]
        else:
            chosen = list(trades[-limit:])  # the most recent ones, still oldest first
        return [self._trade(t) for t in chosen]

    @staticmethod
    def _trade(t: TradeRecord) -> Json:
        return {
            "symbol": t.symbol,
            "id": int(t.id),
            "orderId": int(t.order_id),
            "orderListId": -1,
            "price": fixed8(t.price),
            "qty": fixed8(t.amount),
            "quoteQty": fixed8(t.cost),
            "commission": fixed8(t.fee),
            "commissionAsset": t.fee_asset,
            "time": t.timestamp,
            "isBuyer": t.side == "buy",
            "isMaker": t.is_maker,
            "isBestMatch": True,
        }

    def _transfer_window(self, call: Call) -> tuple[int, int]:
        # Documented defaults: startTime 90 days before now, endTime now; the span must stay within 90 days.
        sent_start = int_param(call.params, "startTime")
        sent_end = int_param(call.params, "endTime")
        start = call.now_ms - TRANSFERS_WINDOW_MS if sent_start is None else sent_start
        end = call.now_ms if sent_end is None else sent_end
        # The docs say "within 0-90 days" and, with both ends sent, "less than 90 days" (Deposit_History.md,
        # Withdraw_History_supporting_network_USER_DATA.md); the live API answers a span of exactly 90 days
        # (7,776,000,000 ms, what ccxt sends) with 200 and rows: a request log in ccxt issue #23567. One more ms
        # is refused with -1127.
        check_span(start, end, TRANSFERS_WINDOW_MS)
        return start, end

    def _filtered(
        self, records: Sequence[R], call: Call, when: Callable[[R], int], asset: Callable[[R], str]
    ) -> list[R]:
        start, end = self._transfer_window(call)
        coin = call.params.get("coin")
        chosen = [r for r in records if start <= when(r) <= end and (not coin or asset(r) == coin)]
        chosen.sort(key=when, reverse=True)  # newest first, as Binance lists them
        offset = int_param(call.params, "offset") or 0
        return page(chosen, offset, limit_param(call.params, 1000, 1000))

    def deposits(self, call: Call) -> list[Json]:
        listed = self.lifecycle.listed(self.account.deposits, lambda d: d.id)
        chosen = self._filtered(listed, call, lambda d: d.timestamp, lambda d: d.asset)
        return [self._deposit(d, self.lifecycle.status(d.id, DEPOSIT_STATUS)) for d in chosen]

    @staticmethod
    def _deposit(d: DepositRecord, status: int = 1) -> Json:
        return {
            "id": d.id,
            "amount": plain(d.amount),
            "coin": d.asset,
            "network": d.network,
            "status": status,
            "address": d.address,
            "addressTag": "",
            "txId": d.tx_id,
            "insertTime": d.timestamp,
            "completeTime": d.timestamp + 120_000,
            "transferType": 0,
            "confirmTimes": "12/12",
            "unlockConfirm": 0,
            "walletType": 0,
        }

    def withdrawals(self, call: Call) -> list[Json]:
        listed = self.lifecycle.listed(self.account.withdrawals, lambda w: w.id)
        chosen = self._filtered(listed, call, lambda w: w.timestamp, lambda w: w.asset)
        return [self._withdrawal(w, self.lifecycle.status(w.id, WITHDRAWAL_STATUS)) for w in chosen]

    @staticmethod
    def _withdrawal(w: WithdrawalRecord, status: int = 6) -> Json:
        return {
            "id": w.id,
            "amount": plain(w.amount),
            "transactionFee": plain(w.fee),
            "coin": w.asset,
            "status": status,
            "address": w.address,
            "txId": w.tx_id,
            "applyTime": utc_text(w.timestamp),
            "network": w.network,
            "transferType": 0,
            "info": "",
            "confirmNo": 12,
            "walletType": 0,
            "txKey": "",
            "completeTime": utc_text(w.timestamp + 300_000),
        }

    def convert_trade_flow(self, call: Call) -> Json:
        start = mandatory_int(call.params, "startTime")
        end = mandatory_int(call.params, "endTime")
        check_span(start, end, CONVERT_WINDOW_MS)
        limit = limit_param(call.params, 100, 1000)
        chosen = sorted(
            (c for c in self.account.converts if start <= c.timestamp <= end), key=lambda c: c.timestamp, reverse=True
        )
        return {
            "list": [self._convert(c) for c in chosen[:limit]],
            "startTime": start,
            "endTime": end,
            "limit": limit,
            "moreData": len(chosen) > limit,
        }

    @staticmethod
    def _convert(c: ConvertRecord) -> Json:
        inverse = (1 / c.ratio).quantize(EIGHT_PLACES) if c.ratio else c.ratio
        return {
            "quoteId": c.quote_id,
            "orderId": int(c.id),
            "orderStatus": "SUCCESS",
            "fromAsset": c.from_asset,
            "fromAmount": plain(c.from_amount),
            "toAsset": c.to_asset,
            "toAmount": plain(c.to_amount),
            "ratio": plain(c.ratio),
            "inverseRatio": plain(inverse),
            "createTime": c.timestamp,
        }

    def funding_assets(self, call: Call) -> list[Json]:
        """POST /sapi/v1/asset/get-funding-asset: the funding wallet (asset, free, locked, freeze, withdrawing,
        btcValuation). The scripted account keeps all it holds in spot, so its funding wallet is empty."""
        return []

    def asset_dividends(self, call: Call) -> Json:
        start, end = self._dividend_window(call)
        limit = limit_param(call.params, 20, 500)
        asset = call.params.get("asset")
        chosen = sorted(
            (r for r in self.account.rewards if start <= r.timestamp <= end and (not asset or r.asset == asset)),
            key=lambda r: r.timestamp,
            reverse=True,
        )
        return {"rows": [self._reward(r) for r in chosen[:limit]], "total": len(chosen)}

    @staticmethod
    def _dividend_window(call: Call) -> tuple[int, int]:
        start, end = int_param(call.params, "startTime"), int_param(call.params, "endTime")
        if start is not None and end is not None:
            check_span(start, end, DIVIDEND_WINDOW_MS)
            return start, end
        if start is not None:
            return start, min(start + DIVIDEND_WINDOW_MS, call.now_ms)
        end = call.now_ms if end is None else end
        return end - DIVIDEND_WINDOW_MS, end

    @staticmethod
    def _reward(r: RewardRecord) -> Json:
        return {
            "id": int(r.id),
            "amount": fixed8(r.amount),
            "asset": r.asset,
            "divTime": r.timestamp,
            "enInfo": r.description,
            "tranId": int(r.tran_id),
            "direction": 1,  # "1 for Asset credited (inflow), -1 for Asset debited (outflow)": these are credits
        }
