"""KuCoin's read endpoints over a scripted account: parameters, paging and the JSON KuCoin sends.

Rules from KuCoin's docs, each with its page in docs/exchange-apis/kucoin.md:
- ``GET /api/v1/hf/fills`` (spot fills of high-frequency accounts): ``symbol`` required, ``limit`` at most 100
  (default 100), newest first; ``lastId`` returns the fills with a smaller ``id``, ``startAt``/``endAt`` filter on
  ``createdAt`` (ms); the answer is ``{"items": [...], "lastId": <id of the last item>}``.
- ``GET /api/v1/deposits`` and ``GET /api/v1/withdrawals``: ``currentPage`` (default 1) and ``pageSize`` (10 to
  500, default 50), newest first, ``startAt``/``endAt`` on ``createdAt``, ``status`` and ``currency`` filters; the
  answer is ``{"currentPage", "pageSize", "totalNum", "totalPage", "items"}``. Deposits carry no id of their own.
- Parameter errors are ``400100``. Amounts are JSON strings, times integers in ms.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import (
    DepositRecord,
    IdStyle,
    Market,
    ScriptedAccount,
    TradeRecord,
    WithdrawalRecord,
    fixed8,
    plain,
)

Json = dict[str, Any]
R = TypeVar("R")

FILLS_MAX_LIMIT = 100  # /api/v1/hf/fills: "limit … Default100, maximum 100"
PAGE_SIZE_MIN, PAGE_SIZE_MAX, PAGE_SIZE_DEFAULT = 10, 500, 50  # deposits, withdrawals: "Minimum is 10, maximum is 500"
# KuCoin's chain ids (Get Deposit Address (V3) lists eth, bech32, btc, kcc, trx, bsc, arbitrum, ton, optimism).
CHAIN_IDS = {"BTC": "btc", "ETH": "eth", "SOL": "sol", "TRX": "trx", "XRP": "xrp", "BSC": "bsc"}
# Deposit statuses PROCESSING, SUCCESS, FAILURE; withdrawal statuses REVIEW, PROCESSING, WALLET_PROCESSING, SUCCESS,
# FAILURE (Get Deposit History, Get Withdrawal History).
DEPOSIT_STATUS = {Stage.PENDING: "PROCESSING", Stage.DONE: "SUCCESS", Stage.FAILED: "FAILURE"}
WITHDRAWAL_STATUS = {Stage.PENDING: "WALLET_PROCESSING", Stage.DONE: "SUCCESS", Stage.FAILED: "FAILURE"}
# Get Account Ledgers - Spot/Margin: bizType filters TRANSFER (between the user's own accounts) and KUCOIN_BONUS; the
# scripted account's transfers and rewards are served as those. Its account types: MAIN, TRADE, MARGIN, CONTRACT.
LEDGER_ACCOUNT = {"FUND": "MAIN", "UNIFIED": "TRADE"}
MAX_LEDGER_CURRENCIES = 10  # "You can specify a max. of 10 currencies in one go"


@dataclass(frozen=True)
class LedgerRow:
    """One row of the spot ledger, derived from a scripted transfer (two legs) or reward."""

    id: str
    currency: str
    amount: Decimal
    account_type: str
    biz_type: str
    direction: str
    created_at: int


class KucoinError(Exception):
    """An error answer ``{"code": code, "msg": msg}`` with an HTTP status."""

    def __init__(self, code: str, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status


def invalid(name: str) -> KucoinError:
    return KucoinError("400100", f"Parameter Error: {name}")


class KucoinIds(IdStyle):
    """Markets ``BTC-USDT``; order and withdrawal ids 24 hex digits (as ``6306cf6e27ecbe0001e1e03a``)."""

    def market_symbol(self, base: str, quote: str) -> str:
        return f"{base}-{quote}"

    def order_id(self, rng: random.Random, n: int) -> str:
        return f"{0x6306CF6E27ECBE0001E1E03A + n:024x}"

    def record_id(self, rng: random.Random, kind: str, n: int) -> str:
        if kind == "withdrawal":
            return f"{0x5C2DC64E03AA675AA263F1AC + n:024x}"
        return str(n)


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name, "")
    if raw == "":
        return None
    if not raw.isdigit():
        raise invalid(name)
    return int(raw)


def in_range(ms: int, params: Mapping[str, str], *, end_inclusive: bool = True) -> bool:
    """Whether `ms` is inside `startAt`..`endAt`. Whether `endAt` itself is in is unsourced (the pages say "End
    time(ms)"), so the emulator can read it either way (`KucoinBook.end_inclusive`)."""
    start, end = int_param(params, "startAt"), int_param(params, "endAt")
    if end is not None and (ms > end or (ms == end and not end_inclusive)):
        return False
    return start is None or ms >= start


@dataclass(frozen=True)
class Paged:
    """One page of a ``currentPage``/``pageSize`` list, newest first."""

    rows: list[Any]
    current: int
    size: int
    total: int

    def envelope(self, render: Callable[[Any], Json]) -> Json:
        pages = (self.total + self.size - 1) // self.size
        return {
            "currentPage": self.current,
            "pageSize": self.size,
            "totalNum": self.total,
            "totalPage": pages,
            "items": [render(r) for r in self.rows],
        }


def page_of(
    records: Sequence[R], when: Callable[[R], int], params: Mapping[str, str], *, end_inclusive: bool = True
) -> Paged:
    current = int_param(params, "currentPage") or 1
    size = int_param(params, "pageSize")
    size = PAGE_SIZE_DEFAULT if size is None else size
    if not PAGE_SIZE_MIN <= size <= PAGE_SIZE_MAX:
        raise invalid("pageSize")
    chosen = sorted(
        (r for r in records if in_range(when(r), params, end_inclusive=end_inclusive)), key=when, reverse=True
    )
    start = (current - 1) * size
    return Paged(chosen[start : start + size], current, size, len(chosen))


class KucoinBook:
    """Serves one scripted account the way KuCoin's spot REST API does."""

    def __init__(self, account: ScriptedAccount, *, end_inclusive: bool = True, hf_since_ms: int | None = None) -> None:
        self.account = account
        # When the account was upgraded to high-frequency trading: earlier fills are classic ones, listed by
        # GET /api/v1/fills (kucoin_classic.py) and not by /api/v1/hf/fills. None: an account that began on HF.
        self.hf_since_ms = hf_since_ms
        # How `endAt` is read: the docs do not say (docs/exchange-apis/kucoin.md, "Windows and reach").
        self.end_inclusive = end_inclusive
        self.lifecycle = Lifecycle()
        self.uid = str(200_000_000 + account.seed % 10**8)
        # Fill ids ascend with time across the account, as the `id` lastId pages on.
        ordered = sorted(account.trades, key=lambda t: (t.timestamp, t.id))
        self.fill_ids: dict[TradeRecord, int] = {t: 2_678_765_568 + n * 7 for n, t in enumerate(ordered)}
        self.ledger: tuple[LedgerRow, ...] = self._ledger_rows()

    def _ledger_rows(self) -> tuple[LedgerRow, ...]:
        rows: list[LedgerRow] = []
        for n, t in enumerate(self.account.transfers):
            for leg, (account, direction) in enumerate(((t.from_account, "out"), (t.to_account, "in"))):
                ident = str(265_329_987_780_896 + 4 * n + leg)
                account_type = LEDGER_ACCOUNT.get(account, account)
                rows.append(LedgerRow(ident, t.asset, t.amount, account_type, "TRANSFER", direction, t.timestamp))
        for n, r in enumerate(self.account.rewards):
            ident = str(265_329_987_780_896 + 4 * len(self.account.transfers) + 2 * n)
            rows.append(LedgerRow(ident, r.asset, r.amount, "MAIN", "KUCOIN_BONUS", "in", r.timestamp))
        return tuple(rows)

    # -- public ---------------------------------------------------------------------------------------------

    def server_time(self, call: Call) -> int:
        return call.now_ms

    def symbols(self, call: Call) -> list[Json]:
        market = call.params.get("market")
        if market:
            raise NotEmulated("symbols filtered by market are not emulated")
        return [self._symbol(m) for m in self.account.markets]

    @staticmethod
    def _symbol(m: Market) -> Json:
        # The fields of "Get Symbols List"'s response example for GET /api/v2/symbols (KuCoin's legacy docs,
        # tests/conformance/documented/kucoin/symbols.docs.json), which ccxt's fetch_markets quotes too.
        return {
            "symbol": m.symbol,
            "name": m.symbol,
            "baseCurrency": m.base,
            "quoteCurrency": m.quote,
            "feeCurrency": m.quote,
            "market": "USDS" if m.quote in ("USDT", "USDC") else m.quote,
            "baseMinSize": "0.00001",
            "quoteMinSize": "0.01",
            "baseMaxSize": "10000000000",
            "quoteMaxSize": "99999999",
            "baseIncrement": "0.00000001",
            "quoteIncrement": "0.00000001",
            "priceIncrement": "0.00000001",
            "priceLimitRate": "0.1",
            "minFunds": "0.1",
            "isMarginEnabled": False,
            "enableTrading": True,
        }

    # -- account --------------------------------------------------------------------------------------------

    def api_key_info(self, call: Call) -> Json:
        key = call.key
        if key is None:
            raise RuntimeError("a private endpoint was served without a key")
        p = key.permissions
        # Permission names as Get Apikey Info spells them ("Transfer" moves funds out, withdrawals included).
        names = ["General", *(["Spot"] if p.trade else []), *(["Transfer"] if p.withdraw else [])]
        return {
            "remark": key.label,
            "apiKey": key.api_key,
            "apiVersion": 3,  # keys issued now are version 3 and sign as version 2 (docs/exchange-apis/kucoin.md)
            "permission": ",".join(names),
            "ipWhitelist": ",".join(key.ip_whitelist),
            "createdAt": key.created_at,
            "uid": int(self.uid),
            "isMaster": True,
        }

    def account_type(self, call: Call) -> bool:
        """Get Account Type - Spot: true for a high-frequency (HF) account; the scripted account trades on HF."""
        return True

    def accounts(self, call: Call) -> list[Json]:
        currency, kind = call.params.get("currency"), call.params.get("type")
        if kind not in (None, "", "trade"):
            return []
        return [
            {
                "id": f"{0x5BD6E9286D99522A52E458DE + n:024x}",
                "currency": b.asset,
                "type": "trade",
                "balance": fixed8(b.total),
                "available": fixed8(b.free),
                "holds": fixed8(b.locked),
            }
            for n, b in enumerate(self.account.balances)
            if b.total > 0 and (not currency or b.asset == currency)
        ]

    # -- trades ---------------------------------------------------------------------------------------------

    def hf_fills(self, call: Call) -> Json:
        p = call.params
        symbol = p.get("symbol", "")
        if not symbol:
            raise invalid("symbol")
        limit = int_param(p, "limit")
        limit = FILLS_MAX_LIMIT if limit is None else limit
        if not 1 <= limit <= FILLS_MAX_LIMIT:
            raise invalid("limit")
        last_id, side, order_id = int_param(p, "lastId"), p.get("side"), p.get("orderId")
        chosen = [
            t
            for t in self.account.trades_for(symbol)
            if self.on_hf(t)
            and in_range(t.timestamp, p, end_inclusive=self.end_inclusive)
            and (last_id is None or self.fill_ids[t] < last_id)
            and (not side or t.side == side)
            and (not order_id or t.order_id == order_id)
        ]
        chosen.sort(key=lambda t: self.fill_ids[t], reverse=True)
        page = chosen[:limit]
        return {"items": [self.fill_row(t) for t in page], "lastId": self.fill_ids[page[-1]] if page else 0}

    def on_hf(self, t: TradeRecord) -> bool:
        return self.hf_since_ms is None or t.timestamp >= self.hf_since_ms

    def fill_row(self, t: TradeRecord) -> Json:
        return {
            "id": self.fill_ids[t],
            "symbol": t.symbol,
            "tradeId": int(t.id),
            "orderId": t.order_id,
            "counterOrderId": f"{int(t.order_id, 16) ^ 0xFFFF:024x}",
            "side": t.side,
            "liquidity": "maker" if t.is_maker else "taker",
            "forceTaker": False,
            "price": plain(t.price),
            "size": plain(t.amount),
            "funds": plain(t.cost),
            "fee": plain(t.fee),
            "feeRate": "0.001",
            "feeCurrency": t.fee_asset,
            "stop": "",
            "tradeType": "TRADE",
            "type": "limit",
            "createdAt": t.timestamp,
        }

    # -- funding --------------------------------------------------------------------------------------------

    def deposits(self, call: Call) -> Json:
        p = call.params
        currency, status = p.get("currency"), p.get("status")
        listed = [
            d
            for d in self.lifecycle.listed(self.account.deposits, lambda d: d.id)
            if (not currency or d.asset == currency)
            and (not status or self.lifecycle.status(d.id, DEPOSIT_STATUS) == status)
        ]
        return page_of(listed, lambda d: d.timestamp, p, end_inclusive=self.end_inclusive).envelope(self._deposit)

    def _deposit(self, d: DepositRecord) -> Json:
        return {
            "currency": d.asset,
            "chain": CHAIN_IDS.get(d.network, d.network.lower()),
            "status": self.lifecycle.status(d.id, DEPOSIT_STATUS),
            "address": d.address,
            "memo": "",
            "isInner": False,
            "amount": fixed8(d.amount),
            "fee": "0.00000000",
            "walletTxId": d.tx_id,
            "createdAt": d.timestamp,
            "updatedAt": d.timestamp,
            "remark": "Deposit",
            "arrears": False,
        }

    def withdrawals(self, call: Call) -> Json:
        p = call.params
        currency, status = p.get("currency"), p.get("status")
        listed = [
            w
            for w in self.lifecycle.listed(self.account.withdrawals, lambda w: w.id)
            if (not currency or w.asset == currency)
            and (not status or self.lifecycle.status(w.id, WITHDRAWAL_STATUS) == status)
        ]
        return page_of(listed, lambda w: w.timestamp, p, end_inclusive=self.end_inclusive).envelope(self._withdrawal)

    def _withdrawal(self, w: WithdrawalRecord) -> Json:
        return {
            "id": w.id,
            "currency": w.asset,
            "chain": CHAIN_IDS.get(w.network, w.network.lower()),
            "status": self.lifecycle.status(w.id, WITHDRAWAL_STATUS),
            "address": w.address,
            "memo": "",
            "isInner": False,
            "amount": fixed8(w.amount),
            "fee": fixed8(w.fee),
            "walletTxId": w.tx_id,
            "createdAt": w.timestamp,
            "updatedAt": w.timestamp,
            "remark": "",
        }

    # -- ledger ---------------------------------------------------------------------------------------------

    def ledgers(self, call: Call) -> Json:
        """Get Account Ledgers - Spot/Margin, as far as the scripted account has it: transfers and bonuses."""
        p = call.params
        biz_type = p.get("bizType", "")
        if biz_type not in ("TRANSFER", "KUCOIN_BONUS"):
            raise NotEmulated(f"ledger rows of bizType {biz_type or '(any)'} are not emulated")
        currencies = [c for c in p.get("currency", "").split(",") if c]
        if len(currencies) > MAX_LEDGER_CURRENCIES:
            raise invalid("currency")
        direction = p.get("direction")
        if direction not in (None, "", "in", "out"):
            raise invalid("direction")
        chosen = [
            r
            for r in self.ledger
            if r.biz_type == biz_type
            and (not currencies or r.currency in currencies)
            and (not direction or r.direction == direction)
        ]
        return page_of(chosen, lambda r: r.created_at, p, end_inclusive=self.end_inclusive).envelope(self._ledger_row)

    @staticmethod
    def _ledger_row(r: LedgerRow) -> Json:
        return {
            "id": r.id,
            "currency": r.currency,
            "amount": plain(r.amount),
            "fee": "0",
            "balance": "0",  # "Deprecated field, no actual use of the value field"
            "accountType": r.account_type,
            "bizType": r.biz_type,
            "direction": r.direction,
            "createdAt": r.created_at,
            "context": "",
        }
