"""What MEXC's contract API (v1) answers for one scripted futures account (mexc_futures_script.py), and how it checks
a request's signature. Every rule and its source: docs/exchange-apis/mexc.md, "Futures (contract API v1)".

- Envelope ``{"success": true, "code": 0, "data": …}``; an error ``{"success": false, "code": n, "message": …}``.
  Amounts are JSON numbers (every example of the page), written here with their exact digits.
- Signed with headers ``ApiKey``, ``Request-Time`` (ms, within 10 s, or ``Recv-Window`` seconds up to 60: else 513)
  and ``Signature``, the hex HMAC-SHA256 of accessKey + Request-Time + the GET parameters sorted by name, URL-encoded
  and joined by ``&`` (602 when it differs). Unknown key 401, expired 402, IP not on the key's list 406, a key
  without read permission 701 (account endpoints) or 703 (position and order endpoints).
- Each endpoint: 20 requests per 2 seconds (code 510 beyond).
- ``GET /api/v1/private/order/list/order_deals``: ``symbol`` required (600; unknown: 1001), ``start_time`` default
  7 days back, ``end_time`` default now, span at most 90 days (6003), ``page_num`` from 1, ``page_size`` default 20,
  at most 100; rows newest first.
- ``GET /api/v1/private/position/funding_records`` and ``position/list/history_positions``: no time range, paged by
  ``page_num``/``page_size`` (20, at most 100), newest first (funding: as the docs' example's rows; the
  closed positions: unsourced, and `positions_newest_first=False` lists them oldest first); funding's data carries
  the page counts.
- ``GET /api/v1/private/position/open_positions`` and ``account/assets``: one list.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from sandbox.exchanges.base import DAY_MS, SECOND_MS, ApiKey, KeyAccess, KeyRegistry
from sandbox.exchanges.mexc_futures_script import (
    BY_SYMBOL,
    CONTRACTS,
    TAKER_FEE,
    Deal,
    Funding,
    MexcFuturesScript,
    Position,
)
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.raw_numbers import number

Json = dict[str, Any]
DEALS_DEFAULT_SPAN_MS = 7 * DAY_MS  # "the default is to push forward 7 days"
DEALS_MAX_SPAN_MS = 90 * DAY_MS  # "the maximum span is 90 days"
PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX = 20, 100
REQUEST_TIME_DEFAULT_MS, RECV_WINDOW_MAX_S = 10 * SECOND_MS, 60
CURRENCIES = ("USDT", "BTC", "ETH")  # the rows Get all informations of user's asset lists for this account


class ContractError(Exception):
    """A contract API refusal: ``{"success": false, "code": …, "message": …}``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> Json:
        return {"success": False, "code": self.code, "message": self.message}


def param_error() -> ContractError:
    return ContractError(600, "Parameter error")


def _int(params: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(str(raw))
    except ValueError:
        raise param_error() from None


def _page(params: Mapping[str, str]) -> tuple[int, int]:
    page, size = _int(params, "page_num", 1) or 1, _int(params, "page_size", PAGE_SIZE_DEFAULT) or 0
    if page < 1 or not 1 <= size <= PAGE_SIZE_MAX:
        raise param_error()
    return page, size


def signing_target(api_key: str, request_time: str, params: list[tuple[str, str]]) -> str:
    """accessKey + Request-Time + the parameters sorted by name, each value URL-encoded, joined by ``&``."""
    joined = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params))
    return api_key + request_time + joined


def authenticate(
    keys: KeyRegistry, headers: Mapping[str, str], params: list[tuple[str, str]], ip: str, now: int, path: str
) -> ApiKey:
    """The key of a signed contract request, or the ContractError MEXC answers with."""
    api_key, stamp = headers.get("ApiKey", ""), headers.get("Request-Time", "")
    key = keys.lookup(api_key) if api_key else None
    if key is None:
        raise ContractError(401, "Unauthorized")
    access = keys.access(key, ip=ip, now_ms=now)
    if access is KeyAccess.EXPIRED:
        raise ContractError(402, "Api_key expired")
    window_text = headers.get("Recv-Window", "")
    window = int(window_text) * SECOND_MS if window_text.isdigit() else REQUEST_TIME_DEFAULT_MS
    if not stamp.isdigit() or abs(now - int(stamp)) > min(window, RECV_WINDOW_MAX_S * SECOND_MS):
        raise ContractError(513, "Invalid request(for open api serves time more or less than 10s)")
    expected = hmac.new(key.secret.encode(), signing_target(api_key, stamp, params).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), headers.get("Signature", "")):
        raise ContractError(602, "Verify failed")
    if access is KeyAccess.IP_NOT_ALLOWED:
        raise ContractError(406, "Accessed IP is not in the whitelist")
    if not key.permissions.read:
        account = path.startswith("/api/v1/private/account/")
        raise (
            ContractError(701, "Account read permission is required")
            if account
            else ContractError(703, "Trade information read permission is required")
        )
    return key


class MexcFuturesBook:
    """Serves a MexcFuturesScript as MEXC's contract API does; `script` None: an account that never traded futures
    (its asset rows all zero, no positions, no fills, no funding)."""

    def __init__(self, script: MexcFuturesScript | None, *, positions_newest_first: bool = True) -> None:
        self.script = script
        # MEXC does not state the closed positions' order: tests list them the other way too, to show that the
        # fetcher's discovery does not depend on it.
        self.positions_newest_first = positions_newest_first

    def routes(self) -> dict[str, Callable[[Call], Json]]:
        return {
            "/api/v1/private/account/assets": self.assets,
            "/api/v1/private/position/list/history_positions": self.history_positions,
            "/api/v1/private/position/open_positions": self.open_positions,
            "/api/v1/private/position/funding_records": self.funding_records,
            "/api/v1/private/order/list/order_deals": self.order_deals,
        }

    # -- public ---------------------------------------------------------------------------------------------

    @staticmethod
    def contract_detail(call: Call) -> Json:
        """The perpetual contracts the scripted account trades, with the example's fields (a public list)."""
        return {"success": True, "code": 0, "data": [_contract(c.symbol, c.base, c.size) for c in CONTRACTS]}

    # -- account --------------------------------------------------------------------------------------------

    def assets(self, call: Call) -> Json:
        script = self.script
        rows = []
        for currency in CURRENCIES:
            wallet = script.wallet.get(currency, Decimal(0)) if script else Decimal(0)
            margin = script.position_margin if script and currency == "USDT" else Decimal(0)
            unrealized = script.unrealized if script and currency == "USDT" else Decimal(0)
            rows.append(
                {
                    "currency": currency,
                    "positionMargin": number(margin),
                    "availableBalance": number(wallet - margin),
                    "cashBalance": number(wallet - margin),
                    "frozenBalance": number(0),
                    "equity": number(wallet + unrealized),
                    "unrealized": number(unrealized),
                    "bonus": number(0),
                }
            )
        return _ok(rows)

    def history_positions(self, call: Call) -> Json:
        page, size = _page(call.params)
        symbol, kind = call.params.get("symbol"), _int(call.params, "type")
        closed = [
            p
            for p in (self.script.positions if self.script else ())
            if p.closed and (not symbol or p.symbol == symbol) and (kind is None or p.position_type == kind)
        ]
        ordered = sorted(closed, key=lambda p: (p.updated, p.id), reverse=self.positions_newest_first)
        return _ok([_position(p) for p in ordered[(page - 1) * size : page * size]])

    def open_positions(self, call: Call) -> Json:
        symbol = call.params.get("symbol")
        held = [p for p in (self.script.positions if self.script else ()) if not p.closed]
        return _ok([_position(p) for p in held if not symbol or p.symbol == symbol])

    def funding_records(self, call: Call) -> Json:
        page, size = _page(call.params)
        symbol, position = call.params.get("symbol"), _int(call.params, "position_id")
        rows = [
            f
            for f in (self.script.funding if self.script else ())
            if (not symbol or f.symbol == symbol) and (position is None or f.position_id == position)
        ]
        newest = sorted(rows, key=lambda f: (f.time, f.id), reverse=True)
        return _ok(
            {
                "pageSize": size,
                "totalCount": len(newest),
                "totalPage": (len(newest) + size - 1) // size,
                "currentPage": page,
                "resultList": [_funding(f) for f in newest[(page - 1) * size : page * size]],
            }
        )

    def order_deals(self, call: Call) -> Json:
        params = call.params
        symbol = params.get("symbol", "")
        if not symbol:
            raise param_error()
        if symbol not in BY_SYMBOL:
            raise ContractError(1001, "Contract does not exist")
        page, size = _page(params)
        end = _int(params, "end_time", call.now_ms) or call.now_ms
        start = _int(params, "start_time", end - DEALS_DEFAULT_SPAN_MS)
        if start is None or start > end or end - start > DEALS_MAX_SPAN_MS:
            raise ContractError(6003, "Time range error")
        deals = self.script.deals_of(symbol) if self.script else []
        chosen = sorted((d for d in deals if start <= d.time <= end), key=lambda d: (d.time, d.id), reverse=True)
        return _ok([_deal(d) for d in chosen[(page - 1) * size : page * size]])


def _ok(data: object) -> Json:
    return {"success": True, "code": 0, "data": data}


def _contract(symbol: str, base: str, size: Decimal) -> Json:
    return {
        "symbol": symbol,
        "displayName": f"{symbol}永续",
        "displayNameEn": f"{symbol} SWAP",
        "positionOpenType": 3,
        "baseCoin": base,
        "quoteCoin": "USDT",
        "settleCoin": "USDT",
        "contractSize": number(size),
        "minLeverage": 1,
        "maxLeverage": 125,
        "priceScale": 1,
        "volScale": 0,
        "amountScale": 4,
        "priceUnit": number(Decimal("0.1")),
        "volUnit": 1,
        "minVol": 1,
        "maxVol": 5000000,
        "bidLimitPriceRate": number(Decimal("0.03")),
        "askLimitPriceRate": number(Decimal("0.03")),
        "takerFeeRate": number(TAKER_FEE),
        "makerFeeRate": number(Decimal("0.0002")),
        "maintenanceMarginRate": number(Decimal("0.004")),
        "initialMarginRate": number(Decimal("0.008")),
        "riskBaseVol": 150000,
        "riskIncrVol": 150000,
        "riskIncrMmr": number(Decimal("0.004")),
        "riskIncrImr": number(Decimal("0.004")),
        "riskLevelLimit": 5,
        "priceCoefficientVariation": number(Decimal("0.05")),
        "indexOrigin": ["Binance", "GATEIO", "HUOBI", "MXC"],
        "state": 0,
        "isNew": False,
        "isHot": True,
        "isHidden": False,
    }


def _position(p: Position) -> Json:
    return {
        "positionId": p.id,
        "symbol": p.symbol,
        "positionType": p.position_type,
        "openType": 2,
        "state": 3 if p.closed else 1,
        "holdVol": number(0 if p.closed else p.vol),
        "frozenVol": number(0),
        "closeVol": number(p.vol if p.closed else 0),
        "holdAvgPrice": number(p.open_price),
        "openAvgPrice": number(p.open_price),
        "closeAvgPrice": number(p.close_price),
        "liquidatePrice": number(0),
        "oim": number(0),
        "im": number(0),
        "holdFee": number(p.hold_fee),
        "realised": number(p.realised),
        "adlLevel": 1,
        "leverage": 10,
        "createTime": p.opened,
        "updateTime": p.updated,
        "autoAddIm": False,
    }


def _funding(f: Funding) -> Json:
    return {
        "id": f.id,
        "symbol": f.symbol,
        "positionId": f.position_id,
        "positionType": f.position_type,
        "positionValue": number(f.position_value),
        "funding": number(f.funding),
        "rate": number(f.rate),
        "settleTime": f.time,
    }


def _deal(d: Deal) -> Json:
    return {
        "id": d.id,
        "symbol": d.symbol,
        "side": d.side,
        "vol": number(d.vol),
        "price": number(d.price),
        "feeCurrency": "USDT",
        "fee": number(d.fee),
        "timestamp": d.time,
        "profit": number(d.profit),
        "isTaker": True,
        "category": 1,
        "orderId": d.order_id,
        "opponentOrderId": d.order_id + 7,
    }
