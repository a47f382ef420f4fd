"""Coinbase's read endpoints over a scripted account, in the JSON Coinbase sends (docs/exchange-apis/coinbase.md).

Advanced Trade (v3): ``/api/v3/brokerage/orders/historical/fills`` lists every fill of every product newest first,
``limit`` per page and an opaque ``cursor`` (empty on the last page), ``start_sequence_timestamp`` /
``end_sequence_timestamp`` (RFC 3339) filtering on when the fill was posted (``sequence_timestamp``), which is not
its ``trade_time``: the documented fill was posted 60 s before its trade time, and a fill may be posted long after it
(``add_fill``); the commission is in the quote currency.
Coinbase App (v2): ``/v2/accounts`` and ``/v2/accounts/{id}/transactions`` are object lists newest first, ``limit``
25 by default and at most 100, ``starting_after`` / ``ending_before`` an object id, ``order=asc`` reverses; the
``pagination`` object carries ``next_uri`` (null on the last page). Every transaction of an account is there: the
Advanced Trade fills again (``advanced_trade_fill``, one row in the base and one in the quote account), receives,
sends (debited amount and fee; ``network.transaction_amount`` is what arrived), converts (``trade``, one leg in each
account), transfers, staking rewards, simple buys and sells made in the app and fiat deposits. Times are RFC 3339
in whole seconds on v2.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from sandbox.exchanges.coinbase_money import AppTrade, commission, held_balances
from sandbox.exchanges.coinbase_protocol import CoinbaseError
from sandbox.exchanges.protocol import Call
from sandbox.exchanges.records import EIGHT_PLACES, ScriptedAccount, TradeRecord, plain
from sandbox.exchanges.scripted import USD_PRICE

Json = dict[str, Any]
V2_DEFAULT_LIMIT = 25
V2_MAX_LIMIT = 100
FILLS_DEFAULT_LIMIT = 100  # not documented
SEQUENCE_LEAD_MS = 60_000  # the documented fill: trade_time 09:59:59Z, sequence_timestamp 09:58:59Z
FIAT = frozenset({"USD", "EUR", "GBP"})
PLACEHOLDERS = frozenset({"XTZ"})  # listed, never held (no scripted record uses XTZ): no transactions
ASSET_NAMES = {"BTC": "Bitcoin", "ETH": "Ethereum", "USDT": "Tether", "USDC": "USDC", "EUR": "Euro"}


def rfc3339_ms(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def rfc3339_s(ms: int) -> str:
    return datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str, name: str) -> int:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise CoinbaseError(400, "INVALID_ARGUMENT", f"invalid {name}") from error
    if moment.tzinfo is None:
        raise CoinbaseError(400, "INVALID_ARGUMENT", f"invalid {name}")
    return int(moment.timestamp() * 1000)


def _money(amount: Decimal, currency: str) -> Json:
    return {"amount": plain(amount), "currency": currency}


def _native(amount: Decimal, currency: str) -> Json:
    usd = (amount * USD_PRICE.get(currency, Decimal(1))).quantize(Decimal("0.01"))
    return {"amount": plain(usd) if usd != 0 else "0.00", "currency": "USD"}


@dataclass(frozen=True)
class Fill:
    """An Advanced Trade fill as listed: the trade, when Coinbase posted it (what the list filters and sorts on) and
    its `trade_type` (FILL, or an adjusted fill: REVERSAL, CORRECTION, SYNTHETIC)."""

    trade: TradeRecord
    sequence_ms: int
    trade_type: str = "FILL"
    entry_id: str = ""


@dataclass(frozen=True)
class Row:
    """One v2 transaction in one account: its JSON and the millisecond it sorts by."""

    account_id: str
    ms: int
    body: Json


class CoinbaseBook:
    """The scripted account as Coinbase lists it."""

    def __init__(self, account: ScriptedAccount, *, portfolio_id: str) -> None:
        self.account = account
        self.portfolio_id = portfolio_id
        rng = random.Random(account.seed * 7919 + 17)  # noqa: S311 - reproducible ids, not security
        self._rng = rng
        self.user_id = self._uuid()
        assets = {m.base for m in account.markets if m.symbol in account.traded_symbols}
        assets |= {account.market(s).quote for s in account.traded_symbols}
        assets |= {d.asset for d in account.deposits} | {w.asset for w in account.withdrawals}
        assets |= {c.from_asset for c in account.converts} | {c.to_asset for c in account.converts}
        assets |= {t.asset for t in account.transfers} | {r.asset for r in account.rewards}
        assets |= {"USD", *PLACEHOLDERS}  # an account every user has, and one never used: still listed, still asked
        self.account_ids = {asset: self._uuid() for asset in sorted(assets)}
        self.app_trades = self._app_trades(sorted({account.market(s).base for s in account.traded_symbols}))
        self.fiat_deposits = tuple(
            (Decimal(self._rng.randint(5_000, 500_000)) / 100, self._moment())
            for _ in range(max(1, len(account.deposits) // 4))
        )
        rows = [*self._fill_rows(), *self._wallet_rows(), *self._app_rows()]
        self.transactions: dict[str, list[Row]] = {acct: [] for acct in self.account_ids.values()}
        for row in sorted(rows, key=lambda r: (r.ms, r.body["id"]), reverse=True):
            self.transactions[row.account_id].append(row)
        self.fills = [Fill(t, t.timestamp - SEQUENCE_LEAD_MS, "FILL", _entry_id(t)) for t in account.trades]
        self.balances = held_balances(account, self.app_trades, self.fiat_deposits)
        self.fills.sort(key=lambda f: (f.sequence_ms, f.entry_id), reverse=True)

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    # -- v2 rows -------------------------------------------------------------------------------------------------

    def _row(self, asset: str, ms: int, kind: str, amount: Decimal, title: str, **extra: Any) -> Row:
        account_id, ident = self.account_ids[asset], self._uuid()
        stamp = rfc3339_s(ms)
        body: Json = {
            "id": ident,
            "type": kind,
            "status": "completed",
            "amount": _money(amount, asset),
            "native_amount": _native(amount, asset),
            "description": None,
            "created_at": stamp,
            "updated_at": stamp,
            "resource": "transaction",
            "resource_path": f"/v2/accounts/{account_id}/transactions/{ident}",
            **extra,
            "details": {"title": title, "subtitle": f"{asset} Wallet"},
        }
        return Row(account_id, ms - ms % 1000, body)

    def _fill_rows(self) -> list[Row]:
        rows = []
        for t in self.account.trades:
            sign = Decimal(1) if t.side == "buy" else Decimal(-1)
            ref = {
                "advanced_trade_fill": {"fill_price": plain(t.price), "product_id": t.symbol, "order_id": t.order_id}
            }
            rows.append(self._row(t.base, t.timestamp, "advanced_trade_fill", sign * t.amount, "Filled", **ref))
            rows.append(self._row(t.quote, t.timestamp, "advanced_trade_fill", -sign * t.cost, "Filled", **ref))
        return rows

    def _wallet_rows(self) -> list[Row]:
        a, rows = self.account, []
        for d in a.deposits:
            seen: Json = {"status": "confirmed", "name": d.network.lower()}
            rows.append(self._row(d.asset, d.timestamp, "receive", d.amount, "Received", network=seen))
        for w in a.withdrawals:
            network: Json = {
                "status": "confirmed",
                "name": w.network.lower(),
                "transaction_fee": _money(w.fee, w.asset),
                "transaction_amount": _money(w.amount, w.asset),
            }
            rows.append(self._row(w.asset, w.timestamp, "send", -(w.amount + w.fee), "Sent", network=network))
        for c in a.converts:
            trade = {"id": c.id, "resource": "trade", "resource_path": f"/v2/trades/{c.id}"}
            rows.append(self._row(c.from_asset, c.timestamp, "trade", -c.from_amount, "Converted", trade=trade))
            rows.append(self._row(c.to_asset, c.timestamp, "trade", c.to_amount, "Converted", trade=trade))
        for t in a.transfers:
            other = self._uuid()
            to = {"id": other, "resource": "account", "resource_path": f"/v2/accounts/{other}"}
            moved = self._row(t.asset, t.timestamp, "transfer", -t.amount, "Transferred", to=to)
            moved.body["description"] = ""  # as the documented transfer row has it
            rows.append(moved)
        for r in a.rewards:
            rows.append(self._row(r.asset, r.timestamp, "staking_reward", r.amount, "Staking reward"))
        return rows

    def add_transaction(self, asset: str, ms: int, kind: str, amount: Decimal, status: str) -> str:
        """A transaction appearing now (a receive still confirming, say); its id, for `set_status`."""
        row = self._row(asset, ms, kind, amount, kind.replace("_", " ").capitalize())
        row.body["status"] = status
        listed = self.transactions[row.account_id]
        listed.append(row)
        listed.sort(key=lambda r: (r.ms, r.body["id"]), reverse=True)
        return str(row.body["id"])

    def set_status(self, ident: str, status: str) -> None:
        for listed in self.transactions.values():
            for row in listed:
                if row.body["id"] == ident:
                    row.body["status"] = status
                    return
        raise KeyError(ident)

    def _moment(self) -> int:
        """A whole second within the account's last year."""
        start = self.account.now_ms - 365 * 86_400_000
        return self._rng.randrange(start, self.account.now_ms - 3_600_000) // 1000 * 1000

    def _app_trades(self, bases: Sequence[str]) -> tuple[AppTrade, ...]:
        """Simple buys and sells; a sell only of what the account holds (else it is a buy), so no balance goes
        below zero."""
        held = {b.asset: b.total for b in self.account.balances}
        trades = []
        for _ in range(max(2, len(self.account.deposits) // 3)):
            asset = self._rng.choice(list(bases) or ["BTC"])
            usd = Decimal(self._rng.randint(1_000, 200_000)) / 100
            amount = (usd / USD_PRICE.get(asset, Decimal(1))).quantize(EIGHT_PLACES, rounding="ROUND_DOWN")
            side = self._rng.choice(("buy", "sell"))
            if side == "sell" and held.get(asset, Decimal(0)) < amount:
                side = "buy"
            held[asset] = held.get(asset, Decimal(0)) + (amount if side == "buy" else -amount)
            trades.append(AppTrade(asset, side, amount, usd, self._moment()))
        return tuple(trades)

    def _app_rows(self) -> list[Row]:
        """Simple buys and sells (the crypto account's row; the documented example shows no fee on it) and fiat
        deposits into the USD account."""
        rows = []
        for t in self.app_trades:
            sign = Decimal(1) if t.side == "buy" else Decimal(-1)
            row = self._row(t.asset, t.ms, t.side, sign * t.amount, "Bought" if t.side == "buy" else "Sold")
            row.body["native_amount"] = {"amount": plain(sign * t.usd), "currency": "USD"}
            rows.append(row)
        for amount, ms in self.fiat_deposits:
            rows.append(self._row("USD", ms, "fiat_deposit", amount, "Deposited funds"))
        return rows

    def add_fill(self, trade: TradeRecord, sequence_ms: int, trade_type: str = "FILL") -> str:
        """A fill posted at `sequence_ms` (late, say, or an adjusted fill repeating `trade.id`); its entry id."""
        entry_id = _entry_id(trade) if trade_type == "FILL" else self._uuid()
        self.fills.append(Fill(trade, sequence_ms, trade_type, entry_id))
        self.fills.sort(key=lambda f: (f.sequence_ms, f.entry_id), reverse=True)
        return entry_id

    # -- v3 -------------------------------------------------------------------------------------------------

    def key_permissions(self, call: Call) -> Json:
        permissions = call.key.permissions if call.key is not None else None
        return {
            "can_view": bool(permissions and permissions.read),
            "can_trade": bool(permissions and permissions.trade),
            "can_transfer": bool(permissions and permissions.transfer),
            "portfolio_uuid": self.portfolio_id,
            "portfolio_type": "DEFAULT",
        }

    def products(self, call: Call) -> Json:
        if call.params.get("product_type", "SPOT") != "SPOT":
            return {"products": [], "num_products": 0}  # the scripted account holds spot history only
        products = [_product(m.symbol, m.base, m.quote, m.price) for m in self.account.markets]
        return {"products": products, "num_products": len(products)}

    def historical_fills(self, call: Call) -> Json:
        params = call.params
        start = params.get("start_sequence_timestamp")
        end = params.get("end_sequence_timestamp")
        start_ms = parse_rfc3339(start, "start_sequence_timestamp") if start else None
        end_ms = parse_rfc3339(end, "end_sequence_timestamp") if end else None
        limit = _int(params.get("limit"), FILLS_DEFAULT_LIMIT, "limit")
        offset = _int(params.get("cursor") or None, 0, "cursor")
        chosen = [
            f
            for f in self.fills
            if (start_ms is None or f.sequence_ms >= start_ms) and (end_ms is None or f.sequence_ms <= end_ms)
        ]
        page = chosen[offset : offset + limit]
        more = offset + limit < len(chosen)
        return {"fills": [self._fill(f) for f in page], "cursor": str(offset + limit) if more else ""}

    def _fill(self, fill: Fill) -> Json:
        t = fill.trade
        return {
            "entry_id": fill.entry_id,
            "trade_id": t.id,
            "order_id": t.order_id,
            "trade_time": rfc3339_ms(t.timestamp),
            "trade_type": fill.trade_type,
            "price": plain(t.price),
            "size": plain(t.amount),
            "commission": plain(commission(t)),
            "product_id": t.symbol,
            "sequence_timestamp": rfc3339_ms(fill.sequence_ms),
            "liquidity_indicator": "MAKER" if t.is_maker else "TAKER",
            "size_in_quote": False,
            "user_id": self.user_id,
            "side": t.side.upper(),
            "retail_portfolio_id": self.portfolio_id,
        }

    # -- v2 -------------------------------------------------------------------------------------------------

    def accounts(self, call: Call, path: str) -> Json:
        rows = [self._account(asset, ident) for asset, ident in self.account_ids.items()]
        rows.sort(key=lambda body: str(body["id"]), reverse=True)
        page = v2_page(rows, call.params, path)
        # The accounts list names its cursors twice more (ccxt's recorded answer; ccxt pages with next_starting_after).
        listed = page["data"]
        more = page["pagination"]["next_uri"] is not None
        page["pagination"]["previous_ending_before"] = None
        page["pagination"]["next_starting_after"] = str(listed[-1]["id"]) if more and listed else None
        return page

    def _account(self, asset: str, ident: str) -> Json:
        """An account as ccxt's recorded answer shows one; a currency the user never held is listed all the same,
        with its code as id and no times (the recorded XLM row)."""
        placeholder = asset in PLACEHOLDERS
        fiat = asset in FIAT
        return {
            "id": asset if placeholder else ident,
            "name": f"{asset} Wallet",
            "primary": asset == "BTC",
            "type": "fiat" if fiat else "wallet",
            "currency": {
                "code": asset,
                "name": ASSET_NAMES.get(asset, asset),
                "color": "#000000",
                "sort_index": 100,
                "exponent": 2 if fiat else 8,
                "type": "fiat" if fiat else "crypto",
                "address_regex": "" if fiat else "^0x[0-9a-fA-F]{40}$",
                "asset_id": ident,
                "destination_tag_name": "",
                "destination_tag_regex": "",
            },
            "balance": {"amount": plain(self.balances.get(asset, Decimal(0))), "currency": asset},
            "created_at": None if placeholder else rfc3339_s(self.account.now_ms - 4 * 365 * 86_400_000),
            "updated_at": None if placeholder else rfc3339_s(self.account.now_ms),
            "resource": "account",
            "resource_path": f"/v2/accounts/{asset if placeholder else ident}",
            "allow_deposits": True,
            "allow_withdrawals": True,
        }

    def account_transactions(self, call: Call, account_id: str, path: str) -> Json:
        account_id = self.account_ids.get(account_id, account_id) if account_id in PLACEHOLDERS else account_id
        if account_id not in self.transactions:
            raise CoinbaseError(404, "not_found", "Not found")
        return v2_page([row.body for row in self.transactions[account_id]], call.params, path)


def _entry_id(trade: TradeRecord) -> str:
    return f"{trade.id}-{trade.order_id[:8]}"


def _int(raw: str | None, default: int, name: str) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < (1 if name == "limit" else 0):
        raise CoinbaseError(400, "INVALID_ARGUMENT", f"invalid {name}")
    return int(raw)


def v2_page(objects: Sequence[Json], params: Mapping[str, str], path: str) -> Json:
    """Coinbase App pagination: newest first unless ``order=asc``; ``starting_after``/``ending_before`` an id."""
    limit = _int(params.get("limit"), V2_DEFAULT_LIMIT, "limit")
    if limit > V2_MAX_LIMIT:
        raise CoinbaseError(400, "invalid_request", "limit must be at most 100")
    order = params.get("order", "desc")
    if order not in ("asc", "desc"):
        raise CoinbaseError(400, "invalid_request", "order must be asc or desc")
    listed = list(objects) if order == "desc" else list(reversed(objects))
    ids = [str(body["id"]) for body in listed]
    after, before = params.get("starting_after"), params.get("ending_before")
    if after:
        if after not in ids:
            raise CoinbaseError(400, "invalid_request", "starting_after is not in this list")
        page_from = ids.index(after) + 1
        page = listed[page_from : page_from + limit]
    elif before:
        if before not in ids:
            raise CoinbaseError(400, "invalid_request", "ending_before is not in this list")
        end = ids.index(before)
        page = listed[max(0, end - limit) : end]
    else:
        page = listed[:limit]
    more = bool(page) and ids.index(str(page[-1]["id"])) + 1 < len(ids)
    last = str(page[-1]["id"]) if page else None
    next_uri = f"{path}?{urlencode({'limit': limit, 'order': order, 'starting_after': last})}" if more else None
    pagination = {
        "ending_before": before,
        "starting_after": after,
        "limit": limit,
        "order": order,
        "previous_uri": None,
        "next_uri": next_uri,
    }
    return {"pagination": pagination, "data": list(page)}


def _product(product_id: str, base: str, quote: str, price: Decimal) -> Json:
    return {
        "product_id": product_id,
        "price": plain(price),
        "price_percentage_change_24h": "0",
        "volume_24h": "0",
        "volume_percentage_change_24h": "0",
        "base_increment": "0.00000001",
        "quote_increment": "0.00000001",
        "quote_min_size": "1",
        "quote_max_size": "10000000",
        "base_min_size": "0.00000001",
        "base_max_size": "1000000",
        "base_name": ASSET_NAMES.get(base, base),
        "quote_name": ASSET_NAMES.get(quote, quote),
        "watched": False,
        "is_disabled": False,
        "new": False,
        "status": "online",
        "cancel_only": False,
        "limit_only": False,
        "post_only": False,
        "trading_disabled": False,
        "auction_mode": False,
        "product_type": "SPOT",
        "quote_currency_id": quote,
        "base_currency_id": base,
        "mid_market_price": "",
        "alias": "",
        "alias_to": [],
        "base_display_symbol": base,
        "quote_display_symbol": quote,
        "view_only": False,
        "price_increment": "0.00000001",
        "display_name": product_id,
        "product_venue": "CBE",
        "approximate_quote_24h_volume": "0",
    }
