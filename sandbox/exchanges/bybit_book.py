"""Bybit v5's market, user, account and execution endpoints over a scripted account (the asset endpoints are in
``bybit_assets``), and the wire rules they share. Every rule is in docs/exchange-apis/bybit.md with its page.

Execution list (docs/v5/order/execution.mdx): limit [1, 100] (default 50), 7-day windows (none given: the last 7
days; only one end given: 7 days from it), "2 years" back; newest first; the next page is asked for with
``cursor=<nextPageCursor>``. Rows have the documented example's fields (spot has no ``createType``); rows before
2024-01-08 carry ``feeCurrency`` "" (the field came that day, docs/changelog/v5.mdx; the docs' own 2022 example has
""). A classic (non-unified) account's spot rows have the shape ccxt recorded ("private trades classic spot"):
``execType`` "", no ``feeCurrency``, empty order fields. Spot instruments come in one page. Parameter errors are
retCode 10001 (docs/v5/error.mdx).
"""

from __future__ import annotations

import base64
import binascii
import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from sandbox.exchanges.base import DAY_MS, ApiKey
from sandbox.exchanges.lifecycle import Lifecycle
from sandbox.exchanges.protocol import Call as Call
from sandbox.exchanges.protocol import NotEmulated as NotEmulated
from sandbox.exchanges.records import (
    EIGHT_PLACES,
    IdStyle,
    Market,
    ScriptedAccount,
    TradeRecord,
    plain,
)
from sandbox.exchanges.scripted import credited_balances

if TYPE_CHECKING:
    from sandbox.exchanges.bybit_derivatives_script import DerivativesScript

Json = dict[str, Any]
R = TypeVar("R")

EXECUTION_WINDOW_MS = 7 * DAY_MS
EXECUTION_LOOKBACK_MS = 730 * DAY_MS
ASSET_WINDOW_MS = 30 * DAY_MS
TRANSFER_WINDOW_MS = 7 * DAY_MS
FEE_CURRENCY_FROM_MS = 1_704_672_000_000  # 2024-01-08 00:00 UTC: feeCurrency added to the execution list


class BybitError(Exception):
    """An error answer: ``{"retCode": code, "retMsg": msg}``, HTTP 200 like Bybit's own."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


class BybitIds(IdStyle):
    """Execution and transfer ids are UUIDs, order ids 19 digits, deposit and withdrawal ids numbers."""

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(1_500_000_000_000_000_000 + n)

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        if kind == "transfer":
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return str(n)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise BybitError(10001, f"params error: {name} invalid")
    return int(raw)


def limit_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    value = int_param(params, "limit")
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise BybitError(10001, f"params error: limit must be in [1, {maximum}]")
    return value


def window(params: Mapping[str, str], now_ms: int, span_ms: int) -> tuple[int, int]:
    """Bybit's rule: none given, the last span; one given, one span from it; both, at most one span."""
    days = span_ms // DAY_MS
    start, end = int_param(params, "startTime"), int_param(params, "endTime")
    if start is None:
        end = now_ms if end is None else end
        return end - span_ms, end
    if end is None:
        return start, start + span_ms
    if start > end:
        raise BybitError(10001, "params error: startTime must be less than or equal to endTime")
    if end - start > span_ms:
        raise BybitError(10001, f"params error: the time range between startTime and endTime exceeds {days} days")
    return start, end


def cursor_page(
    records: Sequence[R], params: Mapping[str, str], limit: int, sort_key: Callable[[R], tuple[int, str]]
) -> tuple[list[R], str]:
    """Newest first; a cursor names the last record served, so new records never shift later pages."""
    ordered = sorted(records, key=sort_key, reverse=True)
    cursor = params.get("cursor", "")
    if cursor:
        after = _decode_cursor(cursor)
        ordered = [r for r in ordered if sort_key(r) < after]
    chosen = ordered[:limit]
    more = len(ordered) > limit
    return chosen, (_encode_cursor(sort_key(chosen[-1])) if more else "")


def _encode_cursor(key: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}:{key[1]}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, ident = text.partition(":")
        return int(when), ident
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BybitError(10001, "params error: cursor invalid") from None


def _permissions(key: ApiKey) -> Json:
    """The permission groups of the documented answer (docs/v5/user/apikey-info.mdx), filled for this key."""
    p = key.permissions
    if not p.read:
        scopes: Json = {}
    else:
        wallet = ["AccountTransfer", "SubMemberTransfer"] + (["Withdraw"] if p.withdraw else [])
        scopes = {
            "ContractTrade": ["Order", "Position"],
            "Spot": ["SpotTrade"],
            "Wallet": wallet,
            "Derivatives": ["DerivativesTrade"],
            "Exchange": ["ExchangeHistory"],
            **({"Earn": ["Earn"]} if p.earn else {}),
        }
    groups = (
        "ContractTrade",
        "Spot",
        "Wallet",
        "Options",
        "Derivatives",
        "CopyTrading",
        "BlockTrade",
        "Exchange",
        "NFT",
        "Affiliate",
        "Earn",
        "FiatP2P",
        "FiatConvertBroker",
        "FiatGlobalPay",
        "FiatBitPay",
        "BitCard",
        "ByXPost",
    )
    return {name: scopes.get(name, []) for name in groups}


class BybitBook:
    """Serves one scripted account the way Bybit's v5 REST API does."""

    def __init__(self, account: ScriptedAccount, *, classic: bool = False) -> None:
        self.account = account
        self.lifecycle = Lifecycle()  # shared with the asset book: what it scripts, the balances show
        self.classic = classic
        self.derivatives: DerivativesScript | None = None  # set by the emulator: fees, profit, funding, loans
        self.earn_change: dict[str, Decimal] = {}  # set by the emulator: stakes out of, redemptions and yield into
        self._key_ids: dict[str, int] = {}

    def market_time(self, call: Call) -> Json:
        return {"timeSecond": str(call.now_ms // 1000), "timeNano": str(call.now_ms * 1_000_000)}

    def instruments_info(self, call: Call) -> Json:
        category = call.params.get("category", "")
        if category != "spot":
            if category in ("linear", "inverse", "option"):
                raise NotEmulated(f"category={category} instruments are not emulated")
            raise BybitError(10001, "params error: category invalid")
        symbol = call.params.get("symbol")
        markets = [m for m in self.account.markets if symbol in (None, m.symbol)]
        # Spot comes in one page and its answer has no nextPageCursor (market/instrument.mdx, spot example).
        return {"category": "spot", "list": [self._instrument(i, m) for i, m in enumerate(markets, start=1)]}

    @staticmethod
    def _instrument(number: int, m: Market) -> Json:
        return {
            "symbolId": number,
            "symbol": m.symbol,
            "baseCoin": m.base,
            "quoteCoin": m.quote,
            "innovation": "0",
            "status": "Trading",
            "marginTrading": "none",
            "stTag": "0",
            "lotSizeFilter": {
                "basePrecision": "0.000001",
                "quotePrecision": "0.00000001",
                "minOrderQty": "0.000001",
                "maxOrderQty": "100000000000",
                "minOrderAmt": "1",
                "maxOrderAmt": "2000000",
                "maxLimitOrderQty": "100000000000",
                "maxMarketOrderQty": "50000000000",
                "postOnlyMaxLimitOrderSize": "60000",
            },
            "priceFilter": {"tickSize": plain(max(m.price.scaleb(-5).quantize(EIGHT_PLACES), EIGHT_PLACES))},
            "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
            "symbolType": "",
        }

    def query_api(self, call: Call) -> Json:
        key = call.key
        if key is None:
            raise RuntimeError("a private endpoint was served without a key")
        p = key.permissions
        key_id = self._key_ids.setdefault(key.api_key, 1_000_000 + len(self._key_ids))
        # A key that never expires (IP-bound): the docs' example answers deadlineDay -2 and the epoch.
        days_left = -2 if key.expires_at is None else max(0, (key.expires_at - call.now_ms) // DAY_MS)
        return {
            "id": str(key_id),
            "note": key.label,
            "apiKey": key.api_key,
            "readOnly": 0 if p.trade or p.withdraw else 1,
            "secret": "",
            "permissions": _permissions(key),
            "ips": list(key.ip_whitelist) or ["*"],
            "type": 1,
            "deadlineDay": days_left,
            "expiredAt": iso(0 if key.expires_at is None else key.expires_at),
            "createdAt": iso(key.created_at),
            "unified": 0,
            "uta": 0 if self.classic else 1,
            "userID": 24617703,
            "inviterID": 0,
            "vipLevel": "No VIP",
            "mktMakerLevel": "0",
            "affiliateID": 0,
            "rsaPublicKey": "",
            "isMaster": True,
            "parentUid": "0",
            "kycLevel": "LEVEL_DEFAULT",
            "kycRegion": "",
            "userIDInt64": "0",
            "inviterIDInt64": "0",
            "affiliateIDInt64": "0",
        }

    def account_info(self, call: Call) -> Json:
        return {
            # enum.mdx#unifiedmarginstatus: 1 classic account, 5 unified trading account 2.0.
            "unifiedMarginStatus": 1 if self.classic else 5,
            "marginMode": "REGULAR_MARGIN",
            "isMasterTrader": False,
            "spotHedgingStatus": "OFF",
            "updatedTime": str(self.account.now_ms),
            "dcpStatus": "OFF",
            "timeWindow": 10,
            "smpGroup": 0,
        }

    def wallet_balance(self, call: Call) -> Json:
        """wallet-balance.mdx: accountType "UTA2.0: UNIFIED; UTA1.0: UNIFIED, CONTRACT; Classic account: CONTRACT,
        SPOT". A unified wallet's walletBalance includes what was borrowed on spot margin (`spotBorrow`: "old
        walletBalance = new walletBalance - spotBorrow"); a classic account's totals are "" ("In non-unified mode,
        the field will be returned as an empty string")."""
        account_type = call.params.get("accountType", "")
        allowed = ("SPOT", "CONTRACT") if self.classic else ("UNIFIED",)
        if account_type not in allowed:
            raise BybitError(10001, f"accountType only support {', '.join(allowed)}.")
        wanted = set(filter(None, call.params.get("coin", "").split(",")))
        held, borrowed = self.wallet_totals(account_type)
        locked = self._locked(account_type)
        coins = [
            self._coin(asset, total, borrowed.get(asset, Decimal(0)), locked.get(asset, Decimal(0)))
            for asset, total in sorted(held.items())
            if total != 0 and (not wanted or asset in wanted)
        ]
        empty = "" if self.classic else "0"
        return {
            "list": [
                {
                    "accountType": account_type,
                    "accountIMRate": empty,
                    "accountMMRate": empty,
                    "accountLTV": empty,
                    "totalEquity": "",
                    "totalWalletBalance": "",
                    "totalMarginBalance": "",
                    "totalAvailableBalance": "",
                    "totalPerpUPL": empty,
                    "totalInitialMargin": empty,
                    "totalMaintenanceMargin": empty,
                    "coin": coins,
                }
            ]
        }

    def wallet_totals(self, account_type: str) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
        """(walletBalance per coin, spotBorrow per coin) of one wallet: the spot history's and Earn's, plus what the
        derivatives and interest changed, (unified) the loans; classic: derivatives money moved SPOT to CONTRACT."""
        spot = {b.asset: b.total for b in credited_balances(self.account, self.lifecycle)}
        for coin, amount in self.earn_change.items():  # Earn's stakes, redemptions and yield (bybit_earn.py)
            spot[coin] = spot.get(coin, Decimal(0)) + amount
        script = self.derivatives
        if script is None:
            return spot, {}
        change, moved = script.change(), script.moved_to_contract()
        if account_type == "CONTRACT":
            coins = set(change) | set(moved)
            return {c: moved.get(c, Decimal(0)) + change.get(c, Decimal(0)) for c in coins}, {}
        if account_type == "SPOT":
            return {c: spot.get(c, Decimal(0)) - moved.get(c, Decimal(0)) for c in set(spot) | set(moved)}, {}
        borrow = dict(script.spot_borrow)
        coins = set(spot) | set(change) | set(borrow)
        total = {c: spot.get(c, Decimal(0)) + change.get(c, Decimal(0)) + borrow.get(c, Decimal(0)) for c in coins}
        return total, borrow

    def _locked(self, account_type: str) -> dict[str, Decimal]:
        if account_type == "CONTRACT":
            return {}
        return {b.asset: b.locked for b in credited_balances(self.account, self.lifecycle)}

    @staticmethod
    def _coin(asset: str, total: Decimal, borrowed: Decimal, locked: Decimal) -> Json:
        return {
            "coin": asset,
            "equity": plain(total),
            "walletBalance": plain(total),
            "locked": plain(locked),
            # Both in the docs' example and in live answers (2024, 2025: availableToBorrow "" on UNIFIED).
            "availableToWithdraw": plain(total - locked - borrowed),
            "availableToBorrow": "",
            "usdValue": "",
            "unrealisedPnl": "0",
            "cumRealisedPnl": "0",
            "borrowAmount": plain(borrowed),
            "accruedInterest": "0",
            "totalOrderIM": plain(locked),
            "totalPositionIM": "0",
            "totalPositionMM": "0",
            "bonus": "0",
            "collateralSwitch": True,
            "marginCollateral": True,
            "spotHedgingQty": "0",
            "spotBorrow": plain(borrowed),
        }

    def executions(self, call: Call) -> Json:
        params = call.params
        category = params.get("category", "")
        if category not in ("spot", "linear", "inverse", "option"):
            raise BybitError(10001, "params error: category invalid")
        limit = limit_param(params, 50, 100)
        start, end = window(params, call.now_ms, EXECUTION_WINDOW_MS)
        if start < call.now_ms - EXECUTION_LOOKBACK_MS:
            raise BybitError(10001, "params error: startTime can not be earlier than 730 days ago")
        trades: Sequence[TradeRecord] = self.account.trades if category == "spot" else ()
        symbol, base, order_id = params.get("symbol"), params.get("baseCoin"), params.get("orderId")
        chosen = [
            t
            for t in trades
            if start <= t.timestamp <= end
            and (not order_id or t.order_id == order_id)
            and (not symbol or t.symbol == symbol)
            and (not base or t.base == base)
        ]
        items, cursor = cursor_page(chosen, params, limit, lambda t: (t.timestamp, t.id))
        row = self._classic_execution if self.classic else self._execution
        return {"category": category, "list": [row(t) for t in items], "nextPageCursor": cursor}

    @staticmethod
    def _classic_execution(t: TradeRecord) -> Json:
        """A classic account's spot row, in the shape ccxt 4.5.90 recorded ("private trades classic spot")."""
        return {
            "symbol": t.symbol,
            "orderId": t.order_id,
            "orderLinkId": "",
            "side": "Buy" if t.side == "buy" else "Sell",
            "orderPrice": "",
            "orderQty": "",
            "leavesQty": "",
            "orderType": "Limit" if t.is_maker else "Market",
            "stopOrderType": "",
            "execFee": plain(t.fee),
            "execId": t.id,
            "execPrice": plain(t.price),
            "execQty": plain(t.amount),
            "execType": "",
            "execValue": "",
            "execTime": str(t.timestamp),
            "isMaker": t.is_maker,
            "feeRate": "",
            "tradeIv": "",
            "markIv": "",
            "markPrice": "",
            "indexPrice": "",
            "underlyingPrice": "",
            "blockTradeId": "",
        }

    @staticmethod
    def _execution(t: TradeRecord) -> Json:
        return {
            "symbol": t.symbol,
            "orderId": t.order_id,
            "orderLinkId": "",
            "side": "Buy" if t.side == "buy" else "Sell",
            "orderPrice": plain(t.price),
            "orderQty": plain(t.amount),
            "leavesQty": "0",
            "orderType": "Limit" if t.is_maker else "Market",
            "stopOrderType": "",
            "execFee": plain(t.fee),
            "execId": t.id,
            "execPrice": plain(t.price),
            "execQty": plain(t.amount),
            "execType": "Trade",
            "execValue": plain(t.cost),
            "execTime": str(t.timestamp),
            "feeCurrency": t.fee_asset if t.timestamp >= FEE_CURRENCY_FROM_MS else "",
            "isMaker": t.is_maker,
            "feeRate": "0.001",
            "tradeIv": "",
            "markIv": "",
            "markPrice": "",
            "indexPrice": "",
            "underlyingPrice": "",
            "blockTradeId": "",
            "closedSize": "",
            "seq": 0,
            "extraFees": "",
        }
