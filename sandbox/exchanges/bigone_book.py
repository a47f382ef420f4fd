"""What BigONE's API v3 answers for one scripted account: asset pairs, spot balances, the user's trades of one asset
pair, deposits and withdrawals.

Fields, envelopes and page sizes are those of BigONE's pages (docs/exchange-apis/bigone.md names each). Every list is
newest first (descending ids, as in the pages' examples) and paged by an opaque ``page_token`` ("request page after
this page token"), shaped as the deposit page's example token: base64 of ``{"offset": n, "kind": …}``. No list
takes a time range, so there is no window and no reach to enforce.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sandbox.exchanges.protocol import Call
from sandbox.exchanges.records import (
    DepositRecord,
    IdStyle,
    Market,
    ScriptedAccount,
    TradeRecord,
    WithdrawalRecord,
    plain,
)

Json = dict[str, Any]

# Trades of user: "default 20, max 200" (ccxt's bigone.fetch_my_trades; BigONE's page was not found, see bigone.md).
TRADES_LIMIT_DEFAULT, TRADES_LIMIT_MAX = 20, 200
# Deposits and withdrawals: "defalut 50"; the maximum is not stated: 200 here, as trades (unsourced).
WALLET_LIMIT_DEFAULT, WALLET_LIMIT_MAX = 50, 200


class BigoneError(Exception):
    """An error answer ``{"code": …, "message": …}`` with its HTTP status (BigONE's "Error Codes" page)."""

    def __init__(self, code: int, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def parameter_error() -> BigoneError:
    return BigoneError(10007, "Parameter error", 400)


class BigoneIds(IdStyle):
    """Asset pair names are ``BASE-QUOTE`` (``XIN-USDT`` in the examples); trade ids ascend with time."""

    def market_symbol(self, base: str, quote: str) -> str:
        return f"{base}-{quote}"

    def trade_id(self, rng: random.Random, n: int) -> str:
        return str(10_854_000 + n * 3 + rng.randrange(3))  # the size of the ids in ccxt's recorded example

    def order_id(self, rng: random.Random, n: int) -> str:
        return str(58_284_000 + n)


def iso_ms(ms: int) -> str:
    """``2018-02-14T11:23:54.000Z``: the deposit example's form, kept to the millisecond."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def iso_seconds(ms: int) -> str:
    """``2019-04-16T12:00:01Z``: the trade example's form, whole seconds."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def limit_param(params: Mapping[str, str], default: int, maximum: int) -> int:
    raw = params.get("limit")
    if raw in (None, ""):
        return default
    try:
        limit = int(str(raw))
    except ValueError:
        raise parameter_error() from None
    if not 1 <= limit <= maximum:
        raise parameter_error()
    return limit


def encode_token(offset: int, kind: str) -> str:
    return base64.b64encode(json.dumps({"offset": offset, "kind": kind}, separators=(",", ":")).encode()).decode()


def decode_token(token: str, kind: str) -> int:
    try:
        value = json.loads(base64.b64decode(token, validate=True))
        offset = int(value["offset"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise parameter_error() from None
    if value.get("kind") != kind or offset < 0:
        raise parameter_error()
    return offset


def page(
    rows: Sequence[Json], params: Mapping[str, str], kind: str, default: int, maximum: int, cap: int | None = None
) -> Json:
    """One page of a newest-first list; the token is given while rows follow (the last page has none: unsourced).
    `cap`: fewer rows than asked, with the token still given (a test of a short page that is not the last)."""
    limit = limit_param(params, default, maximum)
    if cap is not None:
        limit = min(limit, cap)
    token = params.get("page_token")
    start = decode_token(token, kind) if token else 0
    chunk = list(rows[start : start + limit])
    body: Json = {"code": 0, "data": chunk}
    if start + limit < len(rows):
        body["page_token"] = encode_token(start + limit, kind)
    return body


class BigoneBook:
    """Serves one scripted account the way BigONE's API v3 does."""

    def __init__(self, account: ScriptedAccount, seed: int) -> None:
        self.account = account
        rng = random.Random(seed)  # noqa: S311 - scripted ids, not secrets
        self.pair_ids = {m.symbol: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for m in account.markets}
        self.asset_ids: dict[str, str] = {}
        for m in account.markets:
            for asset in (m.base, m.quote):
                self.asset_ids.setdefault(asset, str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        # Deposit and withdrawal ids ascend with time; each list is served by descending id.
        self.deposit_ids = {d.id: 1000 + n for n, d in enumerate(sorted(account.deposits, key=lambda r: r.timestamp))}
        self.withdrawal_ids = {
            w.id: 2000 + n for n, w in enumerate(sorted(account.withdrawals, key=lambda r: r.timestamp))
        }
        # For tests of later syncs: records after this time are not listed yet (they "have not happened"), and
        # deposits with these ids are listed as PENDING.
        self.hidden_after_ms: int | None = None
        self.pending_deposits: set[int] = set()
        # Deposits with these ids are listed as WITHHOLD (held back; one may never settle), and every list answers
        # at most `page_cap` rows a page, its page_token still given while rows follow.
        self.withheld_deposits: set[int] = set()
        self.page_cap: int | None = None

    def _listed(self, timestamp: int) -> bool:
        return self.hidden_after_ms is None or timestamp <= self.hidden_after_ms

    # -- public -------------------------------------------------------------------------------------------------

    def asset_pairs(self, call: Call) -> Json:
        return {"code": 0, "data": [self._pair(m) for m in self.account.markets]}

    def _pair(self, m: Market) -> Json:
        # The fields of the asset pair example (ccxt's bigone.fetch_markets quotes it).
        return {
            "id": self.pair_ids[m.symbol],
            "name": m.symbol,
            "quote_scale": 8,
            "quote_asset": {"id": self.asset_ids[m.quote], "symbol": m.quote, "name": m.quote},
            "base_asset": {"id": self.asset_ids[m.base], "symbol": m.base, "name": m.base},
            "base_scale": 8,
            "min_quote_value": "0.0001",
            "max_quote_value": "1000000",
        }

    @staticmethod
    def contract_symbols(call: Call) -> list[Json]:
        """ccxt's load_markets always reads the contract list too; the scripted account trades no contracts."""
        return []

    # -- private ------------------------------------------------------------------------------------------------

    def accounts(self, call: Call) -> Json:
        rows = [
            {"asset_symbol": b.asset, "balance": plain(b.free + b.locked), "locked_balance": plain(b.locked)}
            for b in self.account.balances
        ]
        return {"code": 0, "data": rows}

    def trades(self, call: Call) -> Json:
        name = call.params.get("asset_pair_name")
        if not name:
            raise parameter_error()
        if name not in self.pair_ids:
            raise BigoneError(10013, "Resource not found", 404)
        listed = [t for t in self.account.trades_for(name) if self._listed(t.timestamp)]
        pool = sorted(listed, key=lambda t: int(t.id), reverse=True)
        rows = [self._trade(t) for t in pool]
        return page(rows, call.params, "TRADE", TRADES_LIMIT_DEFAULT, TRADES_LIMIT_MAX, self.page_cap)

    @staticmethod
    def _trade(t: TradeRecord) -> Json:
        # The user's fee is maker_fee when their order rested, taker_fee when it took; the other is the other
        # party's (null where that party is not the user). Both are in the asset each side received.
        own = "BID" if t.side == "buy" else "ASK"
        taker_side = ("ASK" if own == "BID" else "BID") if t.is_maker else own
        return {
            "id": int(t.id),
            "asset_pair_name": t.symbol,
            "price": plain(t.price),
            "amount": plain(t.amount),
            "taker_side": taker_side,
            "maker_order_id": int(t.order_id) if t.is_maker else None,
            "taker_order_id": None if t.is_maker else int(t.order_id),
            "maker_fee": plain(t.fee) if t.is_maker else None,
            "taker_fee": None if t.is_maker else plain(t.fee),
            "side": own,
            "inserted_at": iso_seconds(t.timestamp),
        }

    def deposits(self, call: Call) -> Json:
        symbol = call.params.get("asset_symbol")
        pool = [d for d in self.account.deposits if (not symbol or d.asset == symbol) and self._listed(d.timestamp)]
        pool.sort(key=lambda d: self.deposit_ids[d.id], reverse=True)
        rows = [self._deposit(d) for d in pool]
        return page(rows, call.params, "DEPOSIT", WALLET_LIMIT_DEFAULT, WALLET_LIMIT_MAX, self.page_cap)

    def _deposit(self, d: DepositRecord) -> Json:
        return {
            "id": self.deposit_ids[d.id],
            "amount": plain(d.amount),
            "confirms": 100,
            "txid": d.tx_id,
            "is_internal": False,
            "inserted_at": iso_ms(d.timestamp),
            "updated_at": iso_ms(d.timestamp + 600_000),
            "kind": "default",
            "memo": "",
            "state": self._deposit_state(self.deposit_ids[d.id]),
            "asset_symbol": d.asset,
            "target_account": "SPOT",
        }

    def _deposit_state(self, ident: int) -> str:
        if ident in self.withheld_deposits:
            return "WITHHOLD"
        return "PENDING" if ident in self.pending_deposits else "COMPLETED"

    def withdrawals(self, call: Call) -> Json:
        symbol = call.params.get("asset_symbol")
        pool = [w for w in self.account.withdrawals if (not symbol or w.asset == symbol) and self._listed(w.timestamp)]
        pool.sort(key=lambda w: self.withdrawal_ids[w.id], reverse=True)
        rows = [self._withdrawal(w) for w in pool]
        return page(rows, call.params, "WITHDRAWAL", WALLET_LIMIT_DEFAULT, WALLET_LIMIT_MAX, self.page_cap)

    def _withdrawal(self, w: WithdrawalRecord) -> Json:
        return {
            "id": self.withdrawal_ids[w.id],
            "customer_id": "1082679",
            "asset_symbol": w.asset,
            "amount": plain(w.amount),
            "fee": plain(w.fee),
            "state": "COMPLETED",
            "note": "",
            "txid": w.tx_id,
            "completed_at": iso_ms(w.timestamp + 1_800_000),
            "inserted_at": iso_ms(w.timestamp),
            "is_internal": False,
            "kind": "on_chain",
            "memo": "",
            "target_address": w.address,
        }
