"""Kraken's spot REST endpoints over a scripted account: the JSON Kraken sends, its ledger and its paging.

Rules from Kraken's API docs, each with its page in docs/exchange-apis/kraken.md. ``TradesHistory`` and ``Ledgers``
return 50 records at a time, newest first, keyed by their ids (trade txid, ledger id), with ``count`` (how many
match); ``start`` (exclusive) and ``end`` (inclusive) take unix seconds or an id, ``ofs`` is the offset. A trade's
``fee`` is in the quote currency. The ledger holds every balance change: two ``trade`` entries per trade (sharing
the trade's txid as ``refid``), ``deposit``, ``withdrawal`` (amount negative, fee apart), ``transfer``, ``staking``
rewards, and the ``spend``/``receive`` pair of a "Buy Crypto" convert. Amounts are exact strings. A withdrawal a test
scripts as FAILED (``book.lifecycle``) is undone by a second ``withdrawal`` line a minute later with amount and fee
of the opposite signs, as in the live ledger of BittyTax issue #287; the balances have it back (its refid, the
withdrawal's, is unsourced). Kraken's ledger has no pending state: other stages are not emulated.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.exchanges.keys import ApiKey
from sandbox.exchanges.kraken_protocol import (
    LEDGER_TYPE_FILTERS,
    TRADE_TYPE_FILTERS,
    Call,
    KrakenError,
    altname,
    asset_id,
    flag,
    invalid_arguments,
    kraken_id,
    newest_first_page,
    seconds,
)
from sandbox.exchanges.lifecycle import Lifecycle, Stage
from sandbox.exchanges.records import EIGHT_PLACES, Market, ScriptedAccount, TradeRecord, fixed8, plain
from sandbox.exchanges.scripted import credited_balances, down8

Json = dict[str, Any]
# Kraken writes `postxid` on every spot trade; this is the value of its documented example.
NO_POSITION = "TKH2SE-M7IF5-CFI7LT"
# How long after a failed withdrawal its reversal is written (the live ledger of BittyTax issue #287: one minute).
REVERSAL_AFTER_MS = 60_000
# Fee schedules of the documented AssetPairs example (volume in USD, percent).
TAKER_FEES = [[0, 0.26], [50000, 0.24], [100000, 0.22], [250000, 0.2], [500000, 0.18], [1000000, 0.16]]
MAKER_FEES = [[0, 0.16], [50000, 0.14], [100000, 0.12], [250000, 0.1], [500000, 0.08], [1000000, 0.06]]
# What each right of a key is called in GetApiKeyInfo's `permissions` (the names its docs page lists).
READ_PERMISSIONS = ("query-funds", "query-open-trades", "query-closed-trades", "query-ledger")
TRADE_PERMISSIONS = ("modify-trades", "close-trades")


@dataclass(frozen=True)
class LedgerEntry:
    """One line of Kraken's ledger, derived from a scripted record."""

    ledger_id: str
    refid: str
    time: int  # ms
    type: str
    subtype: str
    asset: str  # Kraken's asset id (XXBT, ZEUR, SOL)
    amount: Decimal  # signed
    fee: Decimal
    balance: Decimal


def trade_fee(t: TradeRecord) -> Decimal:
    """A trade's fee as Kraken reports it, in the quote currency ("Total fee (quote currency)")."""
    return t.fee if t.fee_asset == t.quote else down8(t.fee * t.price)


class KrakenBook:
    """Serves one scripted account the way Kraken's spot REST API does."""

    def __init__(self, account: ScriptedAccount) -> None:
        self.account = account
        # Kraken numbers trades per pair (`trade_id`, an integer), ascending with time.
        counters: dict[str, int] = {}
        self.trade_numbers: dict[str, int] = {}
        for t in account.trades:
            counters[t.symbol] = counters.get(t.symbol, 39_000_000) + 1 + len(self.trade_numbers) % 7
            self.trade_numbers[t.id] = counters[t.symbol]
        self.lifecycle = Lifecycle()  # withdrawals a test scripts as failed
        self._built: tuple[frozenset[str], tuple[LedgerEntry, ...]] | None = None

    # -- the ledger -----------------------------------------------------------------------------------------

    def failed_withdrawals(self) -> frozenset[str]:
        return frozenset(w.id for w in self.account.withdrawals if self.lifecycle.stage(w.id) is Stage.FAILED)

    @property
    def ledger(self) -> tuple[LedgerEntry, ...]:
        failed = self.failed_withdrawals()
        if self._built is None or self._built[0] != failed:
            self._built = (failed, self._build_ledger(failed))
        return self._built[1]

    def _build_ledger(self, failed: frozenset[str]) -> tuple[LedgerEntry, ...]:
        a = self.account
        moves: list[tuple[int, str, str, str, str, Decimal, Decimal]] = []  # time, refid, type, subtype, asset, ±, fee
        for t in a.trades:
            sign = 1 if t.side == "buy" else -1
            moves.append((t.timestamp, t.id, "trade", "", t.base, sign * t.amount, Decimal(0)))
            moves.append((t.timestamp, t.id, "trade", "", t.quote, -sign * t.cost, trade_fee(t)))
        moves += [(d.timestamp, d.id, "deposit", "", d.asset, d.amount, Decimal(0)) for d in a.deposits]
        moves += [(w.timestamp, w.id, "withdrawal", "", w.asset, -w.amount, w.fee) for w in a.withdrawals]
        for x in a.transfers:
            out = x.from_account == "FUND"
            subtype = "spottofutures" if out else "spotfromfutures"
            moves.append((x.timestamp, x.id, "transfer", subtype, x.asset, -x.amount if out else x.amount, Decimal(0)))
        moves += [(r.timestamp, r.id, "staking", "", r.asset, r.amount, Decimal(0)) for r in a.rewards]
        for c in a.converts:
            moves.append((c.timestamp, c.id, "spend", "", c.from_asset, -c.from_amount, Decimal(0)))
            moves.append((c.timestamp, c.id, "receive", "", c.to_asset, c.to_amount, Decimal(0)))
        moves.sort(key=lambda m: m[0])
        # Ledger ids, fixed before any reversal is written: scripting a failure later renames no line.
        idents = [kraken_id("L", f"{m[2]}:{m[1]}:{m[4]}:{n}") for n, m in enumerate(moves)]
        for w in a.withdrawals:
            if w.id in failed:
                when = min(w.timestamp + REVERSAL_AFTER_MS, a.now_ms)
                moves.append((when, w.id, "withdrawal", "", w.asset, w.amount, -w.fee))
                idents.append(kraken_id("L", f"reversal:{w.id}"))
        order = sorted(range(len(moves)), key=lambda i: moves[i][0])
        # Open each asset with what keeps its balance from ever going negative.
        running: dict[str, Decimal] = {}
        lowest: dict[str, Decimal] = {}
        for _, _, _, _, asset, change, fee in (moves[i] for i in order):
            running[asset] = running.get(asset, Decimal(0)) + change - fee
            lowest[asset] = min(lowest.get(asset, Decimal(0)), running[asset])
        balance = {asset: -low for asset, low in lowest.items()}
        entries = []
        for i in order:
            when, refid, kind, subtype, asset, change, fee = moves[i]
            balance[asset] += change - fee
            entries.append(
                LedgerEntry(idents[i], refid, when, kind, subtype, asset_id(asset), change, fee, balance[asset])
            )
        return tuple(entries)

    # -- public ---------------------------------------------------------------------------------------------

    def assets(self, call: Call) -> Json:
        codes = sorted({m.base for m in self.account.markets} | {m.quote for m in self.account.markets})
        wanted = set(filter(None, call.params.get("asset", "").split(",")))
        result = {}
        for code in codes:
            ident = asset_id(code)
            if wanted and ident not in wanted and altname(ident) not in wanted:
                continue
            result[ident] = {
                "aclass": "currency",
                "altname": altname(ident),
                "decimals": 10,
                "display_decimals": 5,
                "collateral_value": 1,
                "status": "enabled",
            }
        if wanted and not result:
            raise KrakenError("EQuery:Unknown asset")
        return result

    def asset_pairs(self, call: Call) -> Json:
        wanted = set(filter(None, call.params.get("pair", "").split(",")))
        markets = [m for m in self.account.markets if not wanted or m.symbol in wanted or self._altname(m) in wanted]
        if wanted and not markets:
            raise KrakenError("EQuery:Unknown asset pair")
        return {m.symbol: self._pair(m) for m in markets}

    @staticmethod
    def _altname(m: Market) -> str:
        return altname(asset_id(m.base)) + altname(asset_id(m.quote))

    def _pair(self, m: Market) -> Json:
        base, quote = asset_id(m.base), asset_id(m.quote)
        return {
            "altname": self._altname(m),
            "wsname": f"{altname(base)}/{altname(quote)}",
            "aclass_base": "currency",
            "base": base,
            "aclass_quote": "currency",
            "quote": quote,
            "lot": "unit",
            "cost_decimals": 8,
            "pair_decimals": 8,
            "lot_decimals": 8,
            "lot_multiplier": 1,
            "leverage_buy": [],
            "leverage_sell": [],
            "fees": TAKER_FEES,
            "fees_maker": MAKER_FEES,
            "fee_volume_currency": "ZUSD",
            "margin_call": 80,
            "margin_stop": 40,
            "ordermin": "0.0001",
            "costmin": "0.5",
            "tick_size": plain(EIGHT_PLACES),
            "status": "online",
            "long_position_limit": 0,
            "short_position_limit": 0,
        }

    # -- account --------------------------------------------------------------------------------------------

    def api_key_info(self, call: Call) -> Json:
        """Get API Key Info in the shape of its docs page (camelCase names, `nonceWindow` an integer, `ipAllowlist`
        empty when the key is bound to no address); Kraken.Net's recorded answer spells them snake_case instead
        (docs/exchange-apis/kraken.md), which the key check reads too."""
        key = _key(call)
        p = key.permissions
        names = [*READ_PERMISSIONS] if p.read else []
        names += [*TRADE_PERMISSIONS] if p.trade else []
        names += ["withdraw-funds"] if p.withdraw else []
        names += ["add-funds"] if p.transfer else []
        created = str(key.created_at // 1000)
        return {
            "apiKeyName": key.label,
            "apiKey": key.api_key,
            "nonce": str(call.params.get("nonce", "0")),
            "nonceWindow": 0,
            "permissions": names,
            "iban": "AA88 N84G WOAK NMOI",
            "validUntil": str(key.expires_at // 1000) if key.expires_at is not None else "0",
            "queryFrom": "0",
            "queryTo": "0",
            "createdTime": created,
            "modifiedTime": created,
            "ipAllowlist": list(key.ip_whitelist),
            "lastUsed": str(call.now_ms // 1000),
        }

    def balance(self, call: Call) -> Json:
        failed = Lifecycle({ident: Stage.FAILED for ident in self.failed_withdrawals()})
        return {asset_id(b.asset): fixed8(b.total) for b in credited_balances(self.account, failed) if b.total > 0}

    # -- history --------------------------------------------------------------------------------------------

    def trades_history(self, call: Call) -> Json:
        p = call.params
        if p.get("type", "all") not in TRADE_TYPE_FILTERS:
            raise invalid_arguments("type")
        flag(p, "trades")
        page, count = newest_first_page(self.account.trades, lambda t: t.timestamp, lambda t: t.id, p)
        result: Json = {"trades": {t.id: self._trade(t) for t in page}}
        if not flag(p, "without_count"):
            result["count"] = count
        return result

    def _trade(self, t: TradeRecord) -> Json:
        return {
            "ordertxid": t.order_id,
            "postxid": NO_POSITION,
            "pair": t.symbol,
            "time": float(seconds(t.timestamp)),
            "type": t.side,
            "ordertype": "limit" if t.is_maker else "market",
            "price": fixed8(t.price),
            "cost": fixed8(t.cost),
            "fee": fixed8(trade_fee(t)),
            "vol": fixed8(t.amount),
            "margin": "0.00000000",
            "misc": "",
            "trade_id": self.trade_numbers[t.id],
            "maker": t.is_maker,
        }

    def ledgers(self, call: Call) -> Json:
        p = call.params
        wanted_type = p.get("type", "all")
        if wanted_type not in LEDGER_TYPE_FILTERS:
            raise invalid_arguments("type")
        assets = set(filter(None, p.get("asset", "all").split(","))) - {"all"}
        if p.get("aclass", "currency") != "currency":
            raise invalid_arguments("aclass")
        chosen = [
            e
            for e in self.ledger
            if (wanted_type == "all" or e.type == wanted_type) and (not assets or e.asset in assets)
        ]
        page, count = newest_first_page(chosen, lambda e: e.time, lambda e: e.ledger_id, p)
        result: Json = {"ledger": {e.ledger_id: _entry(e) for e in page}}
        if not flag(p, "without_count"):
            result["count"] = count
        return result


def _entry(e: LedgerEntry) -> Json:
    return {
        "refid": e.refid,
        "time": float(seconds(e.time)),
        "type": e.type,
        "subtype": e.subtype,
        "aclass": "currency",
        "asset": e.asset,
        "amount": fixed8(e.amount),
        "fee": fixed8(e.fee),
        "balance": fixed8(e.balance),
    }


def _key(call: Call) -> ApiKey:
    if call.key is None:
        raise RuntimeError("a private endpoint was served without a key")
    return call.key
