"""Bitget API v3 for a unified trading account (UTA): fills, deposit, withdrawal and tax records, as uta/* documents.

``GET /api/v3/trade/fills`` (uta/trade/Get-Order-Fills): ``category`` optional (the scripted trades are SPOT),
``limit`` default and max 100, ``startTime``-``endTime`` at most 30 days apart, only the last 90 days served, newest
first, the next page by ``cursor`` (the answer's ``data.cursor``). ``GET /api/v3/account/deposit-records`` and
``withdrawal-records`` (uta/account/deposit/…, uta/account/withdrawal/…): both ends required (no maximum range
stated), ``limit`` default 20, max 100, ``cursor`` = the smallest ``orderId`` seen; ``data`` a list. Invalid values
get 400172, the v3 twin of 40017 ccxt recorded. ``GET /api/v3/tax/records`` (uta/tax/Get-Tax-Records), for a Tax
API key of a unified account: ``bizType`` required, ``marginType`` crossed (default) or isolated for MARGIN, both ends
at most 7 days apart, 366 days reach, ``limit`` default and max 500, ``cursor`` = the last ``id``; its lines are the
scripted tax ledger's, spelled in v3's tax types: spot trade legs (ORDER_DEALT_IN / ORDER_DEALT_FROZEN_OUT), margin and
futures lines; deposits, withdrawals and interest under OTHER (TRANSFER_IN / TRANSFER_OUT, as the v3 enum has no
deposit type; an assumption). A classic account's key is not served here (not emulated).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_book import CHAINS, WALLET_STATUS, BitgetBook
from sandbox.exchanges.bitget_protocol import Call, NotEmulated, int_param, missing
from sandbox.exchanges.bitget_uta_derivatives import UtaDerivatives, with_debt
from sandbox.exchanges.bitget_uta_liquidation import liquidation_of
from sandbox.exchanges.bitget_v3_params import invalid, optional_window, page_limit, required_window
from sandbox.exchanges.records import DepositRecord, TradeRecord, WithdrawalRecord, plain
from sandbox.exchanges.scripted import credited_balances

Json = dict[str, Any]
UTA_KEY = "uta"
UTA_TAX_KEY = "uta_tax"  # a Tax API key of a unified account
TAX_RANGE_MS = 7 * DAY_MS
TAX_REACH_MS = 366 * DAY_MS
BIZ_TYPES = ("SPOT", "MARGIN", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES", "OTHER")
# How the classic tax ledger's lines read in v3's tax types (uta/enum, "Tax type").
_FUTURE_TYPES = {"open_long": "OPEN_LONG", "close_long": "CLOSE_LONG", "open_short": "OPEN_SHORT",
                 "close_short": "CLOSE_SHORT"}  # fmt: skip
_MARGIN_TYPES = {"transfer_in": "TRANSFER_IN", "transfer_out": "TRANSFER_OUT", "deal_in": "ORDER_DEALT_IN",
                 "deal_out": "ORDER_DEALT_FROZEN_OUT", "borrow": "INS_LOAN_DISBURSE_USER_IN",
                 "repay": "REPAY_SOURCE_USER_OUT", "interest_repay": "INTEREST_SETTLEMENT_OUT"}  # fmt: skip
FILLS_RANGE_MS = 30 * DAY_MS
FILLS_REACH_MS = 90 * DAY_MS
CATEGORIES = ("SPOT", "MARGIN", "USDT-FUTURES", "COIN-FUTURES", "USDC-FUTURES")


class BitgetUtaBook:
    def __init__(self, book: BitgetBook) -> None:
        self.book = book

    @property
    def derivatives(self) -> UtaDerivatives:
        """The scripted futures and margin history (bitget_uta_derivatives), empty unless the emulator has one, with
        the liquidation a test added (bitget_uta_liquidation), the spot fills' records and the SPOT and OTHER records
        a test added (bitget_wallets)."""
        return UtaDerivatives(
            self.book.derivatives.script,
            liquidation_of(self.book),
            spot_trades=self.book.account.trades,
            added=self.book.wallets.kinds.uta_records,
        )

    def account_info(self, call: Call) -> Json:
        """``GET /api/v3/account/info`` as uta/account/Get-Account-Info documents it."""
        if call.key is None:
            raise RuntimeError("a private endpoint was served without a key")
        key = call.key
        p = key.permissions
        permissions = ["uta_mgt", "uta_trade"] if p.read or p.trade else []
        if p.withdraw:
            permissions.append("withdraw")
        return {
            "uid": self.book.uid,
            "inviterId": "",
            "parentId": "",
            "channelCode": "",
            "channel": "",
            "ips": ",".join(key.ip_whitelist),
            "permType": "read-and-write" if p.trade or p.transfer or p.withdraw else "read-only",
            "permissions": permissions,
            "regisTime": str(self.book.account.now_ms - 4 * 365 * DAY_MS),
        }

    def account_assets(self, call: Call) -> Json:
        """``GET /api/v3/account/assets`` (uta/account/Get-Account): the unified account, "only non-zero balances";
        the account-level USD figures are left empty (no prices are scripted)."""
        self._unified(call)
        held = credited_balances(self.book.account, self.book.lifecycle)
        assets = [
            {
                "coin": b.asset,
                "equity": plain(b.total),
                "usdValue": "",
                "balance": plain(b.total),
                "available": plain(b.free),
                "debt": "0",
                "locked": plain(b.locked),
            }
            for b in held
            if b.total > 0
        ]
        derivatives = self.derivatives
        change = derivatives.balance_change()
        for coin, amount in self.book.wallets.kinds.uta_change.items():  # main-sub moves a test added
            change[coin] = change.get(coin, Decimal(0)) + amount
        assets = with_debt(assets, change, derivatives.debt())
        totals = ("accountEquity", "usdtEquity", "btcEquity", "unrealisedPnl", "usdtUnrealisedPnl", "btcUnrealizedPnl")
        risk = ("effEquity", "mmr", "imr", "mgnRatio", "positionMgnRatio")
        return {**{name: "" for name in totals}, **{name: "0" for name in risk}, "assets": assets}

    def funding_assets(self, call: Call) -> list[Json]:
        """``GET /api/v3/account/funding-assets`` (uta/account/Get-Account-Funding-Assets): "only return the coins
        with assets"; the scripted account holds all it has in its unified account, so the list holds only what a
        test moved into the funding account (bitget_wallets.add_unified_main_sub)."""
        self._unified(call)
        held = self.book.wallets.kinds.uta_funding
        return [
            {"coin": coin, "available": plain(amount), "frozen": "0", "balance": plain(amount)}
            for coin, amount in sorted(held.items())
            if amount > 0
        ]

    @staticmethod
    def _unified(call: Call) -> None:
        if call.key is None or call.key.key_type != UTA_KEY:
            raise NotEmulated("v3 history of a classic account's key")

    def fills(self, call: Call) -> Json:
        self._unified(call)
        p = call.params
        category = p.get("category") or None
        if category is not None and category not in CATEGORIES:
            raise invalid()
        limit = page_limit(p, 100)
        start, end = optional_window(p, call.now_ms, FILLS_RANGE_MS, FILLS_REACH_MS)
        ceiling = int_param(p, "cursor")
        trades = self.book.account.trades if category in (None, "SPOT") else ()
        # (id, time, the row or the trade it is written from: a spot trade is written only when served)
        rows: list[tuple[int, int, Json | TradeRecord]] = [(int(t.id), t.timestamp, t) for t in trades]
        rows += self.derivatives.fills(category)
        chosen = sorted(
            (r for r in rows if start <= r[1] <= end and (ceiling is None or r[0] < ceiling)),
            key=lambda r: r[0],
            reverse=True,
        )[:limit]
        served = [self._fill(row) if isinstance(row, TradeRecord) else row for _, _, row in chosen]
        return {"list": served, "cursor": str(chosen[-1][0]) if chosen else ""}

    def financial_records(self, call: Call) -> Json:
        self._unified(call)
        return self.derivatives.financial_records(call)

    @staticmethod
    def _fill(t: TradeRecord) -> Json:
        return {
            "execId": t.id,
            "execLinkId": t.id,
            "orderId": t.order_id,
            "clientOid": "",
            "category": "SPOT",
            "symbol": t.symbol,
            "orderType": "limit" if t.is_maker else "market",
            "side": t.side,
            "execPrice": plain(t.price),
            "execQty": plain(t.amount),
            "execValue": plain(t.cost),
            "tradeScope": "maker" if t.is_maker else "taker",
            "tradeSide": "open",
            "feeDetail": [{"feeCoin": t.fee_asset, "fee": plain(t.fee)}],
            "createdTime": str(t.timestamp),
            "updatedTime": str(t.timestamp + 1),
            "execPnl": "0",
        }

    def _records(self, call: Call, records: Any) -> list[Any]:
        self._unified(call)
        p = call.params
        limit = page_limit(p, 20)
        start, end = required_window(p)
        coin, ceiling = (p.get("coin") or "").upper(), int_param(p, "cursor")
        chosen = [
            r
            for r in records
            if start <= r.timestamp <= end
            and (not coin or r.asset == coin)
            and (ceiling is None or int(r.id) < ceiling)
        ]
        return sorted(chosen, key=lambda r: int(r.id), reverse=True)[:limit]

    def deposit_records(self, call: Call) -> list[Json]:
        lifecycle = self.book.lifecycle
        listed = lifecycle.listed(self.book.account.deposits, lambda d: d.id)
        return [self._deposit(d, lifecycle.status(d.id, WALLET_STATUS)) for d in self._records(call, listed)]

    @staticmethod
    def _deposit(d: DepositRecord, status: str = "success") -> Json:
        return {
            "orderId": d.id,
            "recordId": d.tx_id,
            "coin": d.asset.lower(),  # lower case, as in the docs' example
            "type": "deposit",
            "dest": "on_chain",
            "size": plain(d.amount),
            "status": status,
            "fromAddress": "",
            "toAddress": d.address,
            "chain": CHAINS.get(d.network, d.network).lower(),
            "createdTime": str(d.timestamp),
            "updatedTime": str(d.timestamp + 60_000),
        }

    def withdrawal_records(self, call: Call) -> list[Json]:
        lifecycle = self.book.lifecycle
        listed = lifecycle.listed(self.book.account.withdrawals, lambda w: w.id)
        return [self._withdrawal(w, lifecycle.status(w.id, WALLET_STATUS)) for w in self._records(call, listed)]

    @staticmethod
    def _withdrawal(w: WithdrawalRecord, status: str = "success") -> Json:
        # `size` "Withdrawal quantity", `fee` "The unit of measurement is the withdrawal currency" (positive).
        return {
            "orderId": w.id,
            "clientOid": "",
            "recordId": w.tx_id,
            "coin": w.asset.lower(),
            "type": "withdraw",
            "dest": "on_chain",
            "size": plain(w.amount),
            "status": status,
            "fromAddress": "",
            "toAddress": w.address,
            "chain": CHAINS.get(w.network, w.network).lower(),
            "fee": plain(w.fee),
            "confirm": "64",
            "tag": "",
            "createdTime": str(w.timestamp),
            "updatedTime": str(w.timestamp + 300_000),
        }

    # -- tax ------------------------------------------------------------------------------------------------

    def tax_records(self, call: Call) -> list[Json]:
        if call.key is None or call.key.key_type != UTA_TAX_KEY:
            raise NotEmulated("v3 tax records of a classic account's key")
        p = call.params
        biz = p.get("bizType", "")
        if biz == "":
            raise missing("bizType")
        margin_type = p.get("marginType") or "crossed"
        if biz not in BIZ_TYPES or margin_type not in ("crossed", "isolated"):
            raise invalid()
        limit = page_limit(p, 500, most=500)
        start, end = required_window(p, TAX_RANGE_MS)
        start = max(start, call.now_ms - TAX_REACH_MS)
        coin, ceiling = p.get("coin"), int_param(p, "cursor")
        rows = [r for r in self._tax_lines(biz, margin_type) if start <= int(r["ts"]) <= end]
        rows = [r for r in rows if (not coin or r["coin"] == coin) and (ceiling is None or int(r["id"]) < ceiling)]
        return sorted(rows, key=lambda r: int(r["id"]), reverse=True)[:limit]

    def _tax_lines(self, biz: str, margin_type: str) -> list[Json]:
        tax = self.book.tax
        if biz == "SPOT":
            return [
                _tax_line(r.id, r.coin, "ORDER_DEALT_IN" if r.amount >= 0 else "ORDER_DEALT_FROZEN_OUT",
                          plain(r.amount), r.fee, plain(r.balance), r.ts)
                for r in tax.spot if r.tax_type in ("Buy", "Sell")
            ]  # fmt: skip
        if biz == "OTHER":
            return [
                _tax_line(r.id, r.coin, "TRANSFER_IN" if r.amount >= 0 else "TRANSFER_OUT", plain(r.amount), r.fee,
                          plain(r.balance), r.ts)
                for r in tax.spot if r.tax_type not in ("Buy", "Sell")
            ]  # fmt: skip
        if biz == "MARGIN":
            return [
                _tax_line(m.id, m.coin, _MARGIN_TYPES[m.tax_type], plain(m.amount), m.fee, plain(m.total), m.ts)
                for m in tax.margin if m.margin_type == margin_type
            ]  # fmt: skip
        return [
            _tax_line(f.id, f.margin_coin, _FUTURE_TYPES[f.tax_type], plain(f.amount), f.fee, "0", f.ts)
            for f in tax.future if f.product_type == biz
        ]  # fmt: skip


def _tax_line(ident: str, coin: str, tax_type: str, amount: str, fee: Any, balance: str, ts: int) -> Json:
    return {
        "id": ident,
        "coin": coin,
        "type": tax_type,
        "amount": "0" if amount in ("0", "-0") else amount,
        "fee": "0" if not fee else plain(-fee),
        "balance": balance,
        "ts": str(ts),
    }
