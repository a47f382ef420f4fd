"""Bitget v2's read endpoints over a scripted account: parameters, windows, ``idLessThan`` paging and Bitget's JSON.

Rules from Bitget's v2 docs: spot fills need a ``symbol``, ``limit`` at most 100 (default 100), a
``startTime``-``endTime`` range of at most 90 days, newest first, the next page asked for with
``idLessThan=<last tradeId>``; deposit and withdrawal records need both ends (at most 90 days apart), ``limit``
at most 100 (default 20) and page with ``idLessThan=<orderId>``; convert records likewise (page with ``endId``);
transfer records need ``coin`` and ``fromType``. Tax records (spot, futures, margin, P2P) need both ends at most
30 days apart, ``limit`` at most 500 (default 500) and page with ``idLessThan=<id>``. History reaches back
two years (Bitget's help pages; the fills lookback is configurable, see ``BitgetLimits``). Missing parameters
get 40019, out-of-range values 40017, time-range violations of the spot endpoints 43111 and of the tax ones
00001, all with HTTP 400.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sandbox.exchanges.base import DAY_MS, ApiKey
from sandbox.exchanges.records import (
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

Json = dict[str, Any]
R = TypeVar("R")

SPOT_WINDOW_MS = 90 * DAY_MS
TAX_WINDOW_MS = 30 * DAY_MS
LOOKBACK_MS = 730 * DAY_MS
CHAINS = {"BTC": "BTC", "ETH": "ERC20", "SOL": "SOL", "TRX": "TRC20", "XRP": "XRP", "BSC": "BEP20"}
# Scripted transfers move between a funding and a trading account; on Bitget those are "p2p" and "spot".
ACCOUNT_TYPES = {"FUND": "p2p", "UNIFIED": "spot"}
TRANSFER_TYPES = ("spot", "p2p", "coin_futures", "usdt_futures", "usdc_futures", "crossed_margin", "isolated_margin")
_SNOWFLAKE_EPOCH_MS = 1_420_070_400_000


class BitgetError(Exception):
    """An error answer ``{"code": code, "msg": msg, "requestTime": …, "data": null}`` with an HTTP status."""

    def __init__(self, code: str, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


class NotEmulated(Exception):
    """The request is valid on Bitget but outside what this emulator serves."""


@dataclass(frozen=True)
class Call:
    """One request as an endpoint sees it, after authentication."""

    params: Mapping[str, str]
    key: ApiKey | None
    now_ms: int
    fills_lookback_ms: int = LOOKBACK_MS


class BitgetIds(IdStyle):
    """Trade, order and record ids are 19-digit numbers ascending with time."""

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(1_100_000_000_000_000_000 + n)

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(1_000_000_000_000_000_000 + n)

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        return str(1_050_000_000_000_000_000 + n)


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


def snowflake(ts: int, sequence: int) -> str:
    return str(((ts - _SNOWFLAKE_EPOCH_MS) << 22) + sequence % (1 << 22))


def missing(name: str) -> BitgetError:
    return BitgetError("40019", f"Parameter {name} cannot be empty")


def invalid() -> BitgetError:
    return BitgetError("40017", "Parameter verification failed")


def time_range_illegal() -> BitgetError:
    return BitgetError("43111", "param error time range illegal")


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise invalid()
    return int(raw)


def required_int(params: Mapping[str, str], name: str) -> int:
    value = int_param(params, name)
    if value is None:
        raise missing(name)
    return value


def limit_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    value = int_param(params, "limit")
    if value is None:
        return default
    if not 1 <= value <= maximum:
        raise invalid()
    return value


def spot_window(params: Mapping[str, str], now_ms: int, lookback_ms: int, *, required: bool) -> tuple[int, int]:
    """A spot-service time range: at most 90 days, not before the lookback; absent ends are filled in."""
    given_start, given_end = int_param(params, "startTime"), int_param(params, "endTime")
    if required and given_start is None:
        raise missing("startTime")
    if required and given_end is None:
        raise missing("endTime")
    if given_end is not None:
        end = given_end
    else:
        end = now_ms if given_start is None else min(now_ms, given_start + SPOT_WINDOW_MS)
    start = end - SPOT_WINDOW_MS if given_start is None else given_start
    if start > end or end - start > SPOT_WINDOW_MS or start < now_ms - lookback_ms:
        raise time_range_illegal()
    return start, end


def tax_window(params: Mapping[str, str]) -> tuple[int, int]:
    start, end = required_int(params, "startTime"), required_int(params, "endTime")
    if start > end:
        raise BitgetError("00001", "startTime must be less than endTime")
    if end - start > TAX_WINDOW_MS:
        raise BitgetError("00001", "startTime and endTime interval cannot be greater than 30 days")
    return start, end


def below(records: Sequence[R], ident: Callable[[R], int], params: Mapping[str, str], limit: int) -> list[R]:
    """Bitget paging: newest (highest id) first, ``idLessThan`` asks for the page after the last id seen."""
    ceiling = int_param(params, "idLessThan")
    chosen = sorted((r for r in records if ceiling is None or ident(r) < ceiling), key=ident, reverse=True)
    return chosen[:limit]


def negative(value: Decimal) -> str:
    return "0" if value == 0 else plain(-value)


def _require_key(call: Call) -> ApiKey:
    if call.key is None:
        raise RuntimeError("a private endpoint was served without a key")
    return call.key


class BitgetBook:
    """Serves one scripted account the way Bitget's v2 REST API does."""

    def __init__(self, account: ScriptedAccount) -> None:
        self.account = account
        self.uid = str(6_000_000_000 + account.seed % 10**9)
        self.symbols = {m.symbol: m for m in account.markets}
        self.tax_records: tuple[TaxRecord, ...] = self._tax_ledger()

    # -- ledger ---------------------------------------------------------------------------------------------

    def _tax_ledger(self) -> tuple[TaxRecord, ...]:
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

    # -- public ---------------------------------------------------------------------------------------------

    def server_time(self, call: Call) -> Json:
        return {"serverTime": str(call.now_ms)}

    def symbols_list(self, call: Call) -> list[Json]:
        symbol = call.params.get("symbol")
        return [self._symbol(m) for m in self.account.markets if symbol in (None, m.symbol)]

    @staticmethod
    def _symbol(m: Market) -> Json:
        exponent = m.price.normalize().as_tuple().exponent
        price_places = max(0, -exponent if isinstance(exponent, int) else 0) + 2
        return {
            "symbol": m.symbol,
            "baseCoin": m.base,
            "quoteCoin": m.quote,
            "minTradeAmount": "0",
            "maxTradeAmount": "900000000000000000000",
            "takerFeeRate": "0.001",
            "makerFeeRate": "0.001",
            "pricePrecision": str(min(price_places, 8)),
            "quantityPrecision": "8",
            "quotePrecision": "8",
            "status": "online",
            "minTradeUSDT": "1",
            "buyLimitPriceRatio": "0.05",
            "sellLimitPriceRatio": "0.05",
            "areaSymbol": "no",
            "orderQuantity": "200",
            "openTime": "1532454360000",
            "offTime": "",
        }

    def margin_currencies(self, call: Call) -> list[Json]:
        """The pairs with margin trading: the real-looking USDT pairs."""
        return [
            {
                "symbol": m.symbol,
                "baseCoin": m.base,
                "quoteCoin": m.quote,
                "maxCrossedLeverage": "3",
                "maxIsolatedLeverage": "10",
                "warningRiskRatio": "0.8",
                "liquidationRiskRatio": "1",
                "minTradeAmount": "0",
                "maxTradeAmount": "5000000",
                "takerFeeRate": "0.001",
                "makerFeeRate": "0.001",
                "priceScale": "4",
                "quantityScale": "6",
                "minTradeUSDT": "5",
                "isBorrowable": True,
                "userMinBorrow": "0.00000001",
                "status": "1",
                "isIsolatedBaseBorrowable": True,
                "isIsolatedQuoteBorrowable": True,
                "isCrossBorrowable": True,
            }
            for m in self.account.markets
            if m.quote == "USDT" and not m.base.startswith("TKN")
        ]

    # -- account --------------------------------------------------------------------------------------------

    def account_info(self, call: Call) -> Json:
        key = _require_key(call)
        return {
            "userId": self.uid,
            "inviterId": "",
            "ips": ",".join(key.ip_whitelist),
            "authorities": authorities(key),
            "parentId": int(self.uid),
            "traderType": "not_trader",
            "channelCode": "",
            "channel": "",
            "regisTime": str(self.account.now_ms - 4 * 365 * DAY_MS),
        }

    def assets(self, call: Call) -> list[Json]:
        coin = call.params.get("coin")
        show_all = call.params.get("assetType") == "all"
        return [
            {
                "coin": b.asset,
                "available": plain(b.free),
                "frozen": plain(b.locked),
                "locked": "0",
                "limitAvailable": "0",
                "uTime": str(call.now_ms),
            }
            for b in self.account.balances
            if (show_all or b.total > 0) and (not coin or b.asset == coin)
        ]

    # -- trades ---------------------------------------------------------------------------------------------

    def fills(self, call: Call) -> list[Json]:
        params = call.params
        symbol = params.get("symbol", "")
        if symbol == "":
            raise missing("symbol")
        limit = limit_param(params, 100, 100)
        start, end = spot_window(params, call.now_ms, call.fills_lookback_ms, required=False)
        order_id = params.get("orderId")
        chosen = [
            t
            for t in self.account.trades_for(symbol)
            if start <= t.timestamp <= end and (not order_id or t.order_id == order_id)
        ]
        return [self._fill(t) for t in below(chosen, lambda t: int(t.id), params, limit)]

    def _fill(self, t: TradeRecord) -> Json:
        return {
            "userId": self.uid,
            "symbol": t.symbol,
            "orderId": t.order_id,
            "tradeId": t.id,
            "orderType": "limit" if t.is_maker else "market",
            "side": t.side,
            "priceAvg": plain(t.price),
            "size": plain(t.amount),
            "amount": plain(t.cost),
            "feeDetail": {
                "deduction": "no",
                "feeCoin": t.fee_asset,
                "totalDeductionFee": "",
                "totalFee": negative(t.fee),
            },
            "tradeScope": "maker" if t.is_maker else "taker",
            "cTime": str(t.timestamp),
            "uTime": str(t.timestamp + 1),
        }

    # -- wallet ---------------------------------------------------------------------------------------------

    def deposit_records(self, call: Call) -> list[Json]:
        p = call.params
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=True)
        coin, order_id = p.get("coin"), p.get("orderId")
        chosen = [
            d
            for d in self.account.deposits
            if start <= d.timestamp <= end and (not coin or d.asset == coin) and (not order_id or d.id == order_id)
        ]
        return [self._deposit(d) for d in below(chosen, lambda d: int(d.id), p, limit)]

    @staticmethod
    def _deposit(d: DepositRecord) -> Json:
        return {
            "orderId": d.id,
            "tradeId": d.tx_id,
            "coin": d.asset,
            "type": "deposit",
            "size": plain(d.amount),
            "status": "success",
            "toAddress": d.address,
            "dest": "on_chain",
            "chain": CHAINS.get(d.network, d.network),
            "fromAddress": "",
            "cTime": str(d.timestamp),
            "uTime": str(d.timestamp + 60_000),
        }

    def withdrawal_records(self, call: Call) -> list[Json]:
        p = call.params
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=True)
        coin, order_id = p.get("coin"), p.get("orderId")
        chosen = [
            w
            for w in self.account.withdrawals
            if start <= w.timestamp <= end and (not coin or w.asset == coin) and (not order_id or w.id == order_id)
        ]
        return [self._withdrawal(w) for w in below(chosen, lambda w: int(w.id), p, limit)]

    @staticmethod
    def _withdrawal(w: WithdrawalRecord) -> Json:
        # ``size`` is what left the account, fee included; ccxt subtracts |fee| to get the amount sent.
        return {
            "orderId": w.id,
            "tradeId": w.tx_id,
            "clientOid": "",
            "coin": w.asset,
            "type": "withdraw",
            "dest": "on_chain",
            "size": plain(w.amount + w.fee),
            "fee": negative(w.fee),
            "status": "success",
            "toAddress": w.address,
            "fromAddress": "",
            "confirm": "64",
            "chain": CHAINS.get(w.network, w.network),
            "tag": "",
            "cTime": str(w.timestamp),
            "uTime": str(w.timestamp + 300_000),
        }

    def convert_records(self, call: Call) -> Json:
        p = call.params
        limit = limit_param(p, 20, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=True)
        chosen = [c for c in self.account.converts if start <= c.timestamp <= end]
        page = below(chosen, lambda c: int(c.id), p, limit)
        return {"dataList": [self._convert(c) for c in page], "endId": page[-1].id if page else ""}

    @staticmethod
    def _convert(c: ConvertRecord) -> Json:
        return {
            "id": c.id,
            "ts": str(c.timestamp),
            "fromCoin": c.from_asset,
            "fromCoinSize": plain(c.from_amount),
            "cnvtPrice": plain(c.ratio),
            "toCoin": c.to_asset,
            "toCoinSize": plain(c.to_amount),
            "fee": "0",
            "feeCoin": c.to_asset,
        }

    def transfer_records(self, call: Call) -> list[Json]:
        p = call.params
        coin, from_type = p.get("coin", ""), p.get("fromType", "")
        if coin == "":
            raise missing("coin")
        if from_type == "":
            raise missing("fromType")
        if from_type not in TRANSFER_TYPES:
            raise invalid()
        limit = limit_param(p, 100, 100)
        start, end = spot_window(p, call.now_ms, LOOKBACK_MS, required=False)
        chosen = [
            t
            for t in self.account.transfers
            if start <= t.timestamp <= end and t.asset == coin and ACCOUNT_TYPES[t.from_account] == from_type
        ]
        return [self._transfer(t) for t in below(chosen, lambda t: int(t.id), p, limit)]

    @staticmethod
    def _transfer(t: TransferRecord) -> Json:
        return {
            "coin": t.asset,
            "status": "Successful",
            "toType": ACCOUNT_TYPES[t.to_account],
            "toSymbol": "",
            "fromType": ACCOUNT_TYPES[t.from_account],
            "fromSymbol": "",
            "size": plain(t.amount),
            "ts": str(t.timestamp),
            "clientOid": "",
            "transferId": t.id,
        }

    # -- tax ------------------------------------------------------------------------------------------------

    def tax_spot_records(self, call: Call) -> list[Json]:
        p = call.params
        limit = limit_param(p, 500, 500)
        start, end = tax_window(p)
        start = max(start, call.now_ms - LOOKBACK_MS)
        coin = p.get("coin")
        chosen = [r for r in self.tax_records if start <= r.ts <= end and (not coin or r.coin == coin)]
        return [
            {
                "id": r.id,
                "coin": r.coin,
                "spotTaxType": r.tax_type,
                "amount": "0" if r.amount == 0 else plain(r.amount),
                "fee": negative(r.fee),
                "balance": plain(r.balance),
                "bizOrderId": r.biz_order_id,
                "ts": str(r.ts),
            }
            for r in below(chosen, lambda r: int(r.id), p, limit)
        ]

    def tax_empty_records(self, call: Call) -> list[Json]:
        """Futures, margin and P2P tax records: the scripted account has none, but the rules still apply."""
        limit_param(call.params, 500, 500)
        tax_window(call.params)
        int_param(call.params, "idLessThan")
        return []


# Bitget's permission codes: "…or" read only, "…ow" read and write.
_READ_SCOPES = ("coor", "cpor", "stor", "smor", "ttor", "wtor", "p2pr")
_TRADE_SCOPES = ("coow", "cpow", "stow", "smow", "ttow")
SPOT_READ = frozenset({"stor", "stow"})
TAX_READ = frozenset({"taxr", "taxw"})


def authorities(key: ApiKey) -> list[str]:
    """The ``authorities`` Bitget lists for a key: a Tax API key can read the tax records and nothing else."""
    if key.key_type == "tax":
        return ["taxr"]
    p = key.permissions
    scopes: list[str] = list(_READ_SCOPES) if p.read else []
    if p.trade:
        scopes += _TRADE_SCOPES
    if p.transfer:
        scopes.append("wtow")
    if p.withdraw:
        scopes.append("wwow")
    return scopes
