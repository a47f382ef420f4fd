"""A Bitget unified trading account's futures and margin history, as API v3 lists it.

``GET /api/v3/trade/fills`` with ``category`` USDT-FUTURES, COIN-FUTURES, USDC-FUTURES or MARGIN
(uta/trade/Get-Order-Fills): the scripted futures and margin fills, ``execPnl`` the closed position's profit and
``feeDetail`` the fee charged (positive, as in the page's example). ``GET /api/v3/account/financial-records``
(uta/account/Get-Financial-Records): ``category`` required (SPOT, MARGIN, the three futures, OTHER), ``coin`` and
``type`` optional, ``startTime``-``endTime`` at most 30 days apart, "Query financial records within the last 90
days", ``limit`` default and max 100, the next page by ``cursor`` (``data.cursor``); rows ``category``, ``id``,
``symbol``, ``coin``, ``type`` (uta/enum, "type (financial records)"), ``amount``, ``fee``, ``balance``, ``ts``.

The script (bitget_derivatives_script) seen as one unified account: everything is held in that account, so the
script's transfers between wallets did not happen, and the v2-only bills (coupons, copy trading, multi-assets
exchanges) have no v3 type and are left out. Readings where the pages are silent (docs/exchange-apis/bitget.md):
``amount`` is the signed balance change with ``fee`` apart and signed (the example's ``"-0.00000531"``), so a fill's
legs carry its fee and a position's close carries its profit; interest is deducted when charged
(INTEREST_SETTLEMENT_OUT), so a REPAYMENT pays the principal only; ``balance`` in ``/api/v3/account/assets`` holds
borrowed coins and ``debt`` the principal still owed. SPOT records are the spot fills' two legs (ORDER_DEALT_IN with
the fee, ORDER_DEALT_FROZEN_OUT) and what a test added (bitget_wallets: a small-asset conversion); OTHER records only
what a test added: uta/enum's financial types name no deposit, withdrawal or convert, so the scripted account's are
not served as records (nor the liquidation script's spot fill, whose balance change it adds apart). A test may add
a liquidation and fees paid in two coins
(bitget_uta_liquidation): their fills and records are served with the script's, and counted in the balances.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_derivatives_script import PRODUCT_TYPES, DerivativesScript, FuturesFill, MarginFill
from sandbox.exchanges.bitget_protocol import Call, int_param, missing
from sandbox.exchanges.bitget_uta_liquidation import UtaLiquidation
from sandbox.exchanges.bitget_v3_params import invalid, optional_window, page_limit
from sandbox.exchanges.records import TradeRecord, plain

Json = dict[str, Any]
RANGE_MS = 30 * DAY_MS
REACH_MS = 90 * DAY_MS
MARGIN = "MARGIN"
SPOT, OTHER = "SPOT", "OTHER"
RECORD_CATEGORIES = (SPOT, MARGIN, *PRODUCT_TYPES, OTHER)
# The script's bill types as uta/enum's financial record types (funding by its sign, below).
POSITION_TYPES = {"open_long": "OPEN_LONG", "close_long": "CLOSE_LONG", "open_short": "OPEN_SHORT",
                  "close_short": "CLOSE_SHORT"}  # fmt: skip
FUNDING_BILL = "contract_settle_fee"


def _line(category: str, ident: int | str, symbol: str, coin: str, kind: str, amount: Decimal, fee: Decimal,
          ts: int) -> Json:  # fmt: skip
    return {"category": category, "id": str(ident), "symbol": symbol, "coin": coin, "type": kind,
            "amount": plain(amount), "fee": plain(fee), "ts": str(ts)}  # fmt: skip


class UtaDerivatives:
    """The futures and margin fills and financial records of a unified account, from the derivatives script."""

    def __init__(
        self,
        script: DerivativesScript,
        liquidation: UtaLiquidation | None = None,
        *,
        spot_trades: Sequence[TradeRecord] = (),
        added: Mapping[str, list[Json]] | None = None,
    ) -> None:
        self.script = script
        self.liquidation = liquidation or UtaLiquidation()
        self.spot_trades = spot_trades
        self.added = added or {}  # SPOT and OTHER records a test added, per category

    # -- fills ------------------------------------------------------------------------------------------------

    def fills(self, category: str | None) -> list[tuple[int, int, Json]]:
        """(id, time, row) of the futures and margin fills of `category` (every one when None), and the spot fills a
        test added (bitget_uta_liquidation)."""
        rows = [(int(f.id), f.timestamp, _futures_fill(f)) for f in self.script.fills if category in (None, f.product)]
        if category in (None, MARGIN):
            rows += [(int(f.id), f.timestamp, _margin_fill(f)) for f in self.script.margin_fills]
        return rows + self.liquidation.fills_of(category)

    # -- financial records ------------------------------------------------------------------------------------

    def financial_records(self, call: Call) -> Json:
        p = call.params
        category = p.get("category") or ""
        if not category:
            raise missing("category")
        if category not in RECORD_CATEGORIES:
            raise invalid()
        limit = page_limit(p, 100)
        start, end = optional_window(p, call.now_ms, RANGE_MS, REACH_MS)
        coin, kind, ceiling = p.get("coin"), p.get("type"), int_param(p, "cursor")
        chosen = [
            row
            for row in self.lines(category)
            if start <= int(row["ts"]) <= end
            and (not coin or row["coin"] == coin)
            and (not kind or row["type"] == kind)
            and (ceiling is None or int(row["id"]) < ceiling)
        ]
        chosen = sorted(chosen, key=lambda row: int(row["id"]), reverse=True)[:limit]
        return {"list": chosen, "cursor": chosen[-1]["id"] if chosen else ""}

    def lines(self, category: str) -> list[Json]:
        """Every record of `category`, oldest first, each with the coin's balance after it."""
        if category in (SPOT, OTHER):
            rows = self._spot_lines() if category == SPOT else []
        else:
            rows = self._margin_lines() if category == MARGIN else self._futures_lines(category)
        rows += self.liquidation.records_of(category)
        rows += [dict(row) for row in self.added.get(category, [])]
        rows.sort(key=lambda row: (int(row["ts"]), int(row["id"])))
        held: dict[str, Decimal] = {}
        for row in rows:
            held[row["coin"]] = held.get(row["coin"], Decimal(0)) + Decimal(row["amount"]) + Decimal(row["fee"])
            row["balance"] = plain(held[row["coin"]])
        return rows

    def _futures_lines(self, product: str) -> list[Json]:
        rows = []
        for bill in (b for b in self.script.bills if b.product == product):
            if bill.business_type == FUNDING_BILL:
                direction = "IN" if bill.amount >= 0 else "OUT"
                kind = f"CONTRACT_MAIN_SETTLE_FEE_USER_{direction}"
            elif bill.business_type in POSITION_TYPES:
                kind = POSITION_TYPES[bill.business_type]
            else:  # transfers (none in a unified account) and v2-only types
                continue
            rows.append(_line(product, bill.id, bill.symbol, bill.coin, kind, bill.amount, bill.fee, bill.timestamp))
        return rows

    def _spot_lines(self) -> list[Json]:
        """Two legs per spot fill, the fee on the coin received, as the margin fills' (the page's example)."""
        rows, zero = [], Decimal(0)
        for t in self.spot_trades:
            got, gave = (t.base, t.quote) if t.side == "buy" else (t.quote, t.base)
            got_amount, gave_amount = (t.amount, t.cost) if t.side == "buy" else (t.cost, t.amount)
            fee_in, fee_out = (-t.fee, zero) if t.fee_asset == got else (zero, -t.fee)
            ident = int(t.id) * 10
            rows.append(_line(SPOT, ident + 1, t.symbol, got, "ORDER_DEALT_IN", got_amount, fee_in, t.timestamp))
            rows.append(
                _line(SPOT, ident + 2, t.symbol, gave, "ORDER_DEALT_FROZEN_OUT", -gave_amount, fee_out, t.timestamp)
            )
        return rows

    def _margin_lines(self) -> list[Json]:
        s, zero = self.script, Decimal(0)
        rows = [_line(MARGIN, x.id, x.symbol, x.coin, "BORROW", x.amount, zero, x.timestamp) for x in s.loans]
        rows += [_line(MARGIN, x.id, x.symbol, x.coin, "INTEREST_SETTLEMENT_OUT", -x.amount, zero, x.timestamp)
                 for x in s.interest]  # fmt: skip
        rows += [_line(MARGIN, x.id, x.symbol, x.coin, "REPAYMENT", -x.principal, zero, x.timestamp)
                 for x in s.repayments]  # fmt: skip
        for f in s.margin_fills:
            # Two legs per fill, the fee on the coin received (the page's example: ORDER_DEALT_IN with its fee).
            got, gave = (f.base, f.quote) if f.side == "buy" else (f.quote, f.base)
            got_amount, gave_amount = (f.size, f.amount) if f.side == "buy" else (f.amount, f.size)
            fee_in, fee_out = (-f.fee, zero) if f.fee_coin == got else (zero, -f.fee)
            ident = int(f.id) * 10
            rows.append(_line(MARGIN, ident + 1, f.symbol, got, "ORDER_DEALT_IN", got_amount, fee_in, f.timestamp))
            rows.append(
                _line(MARGIN, ident + 2, f.symbol, gave, "ORDER_DEALT_FROZEN_OUT", -gave_amount, fee_out, f.timestamp)
            )
        return rows

    # -- the unified account's balances -----------------------------------------------------------------------

    def balance_change(self) -> dict[str, Decimal]:
        """What the script changes in the unified account beyond the spot balances it grew: its transfers out of
        spot come back (one account), and every futures and margin record adds its amount and fee."""
        change: dict[str, Decimal] = {}

        def add(coin: str, amount: Decimal) -> None:
            change[coin] = change.get(coin, Decimal(0)) + amount

        for t in self.script.transfers:
            add(t.coin, t.amount if t.from_type == "spot" else -t.amount if t.to_type == "spot" else Decimal(0))
        for category in (MARGIN, *PRODUCT_TYPES):
            for row in self.lines(category):
                add(row["coin"], Decimal(row["amount"]) + Decimal(row["fee"]))
        for coin, amount in self.liquidation.spot_change.items():  # its SPOT records are not served
            add(coin, amount)
        for rows in self.added.values():  # the spot fills' legs are in the spot balances already
            for row in rows:
                add(row["coin"], Decimal(row["amount"]) + Decimal(row["fee"]))
        return change

    def debt(self) -> dict[str, Decimal]:
        """The principal still owed per coin."""
        owed: dict[str, Decimal] = {}
        for loan in self.script.loans:
            owed[loan.coin] = owed.get(loan.coin, Decimal(0)) + loan.amount
        for paid in self.script.repayments:
            owed[paid.coin] = owed.get(paid.coin, Decimal(0)) - paid.principal
        for coin, principal in self.liquidation.repaid.items():
            owed[coin] = owed.get(coin, Decimal(0)) - principal
        return {coin: amount for coin, amount in owed.items() if amount}


def _futures_fill(f: FuturesFill) -> Json:
    return {
        "execId": f.id,
        "execLinkId": f.id,
        "orderId": f.order_id,
        "clientOid": "",
        "category": f.product,
        "symbol": f.symbol,
        "orderType": "market",
        "side": f.side,
        "execPrice": plain(f.price),
        "execQty": plain(f.size),
        "execValue": plain(f.notional),
        "tradeScope": "taker",
        "tradeSide": f.trade_side,
        "feeDetail": [{"feeCoin": f.margin_coin, "fee": plain(f.fee)}],
        "createdTime": str(f.timestamp),
        "updatedTime": str(f.timestamp + 1),
        "execPnl": plain(f.profit),
    }


def _margin_fill(f: MarginFill) -> Json:
    return {
        "execId": f.id,
        "execLinkId": f.id,
        "orderId": str(int(f.id) + 5_000),
        "clientOid": "",
        "category": MARGIN,
        "symbol": f.symbol,
        "orderType": "limit",
        "side": f.side,
        "execPrice": plain(f.price),
        "execQty": plain(f.size),
        "execValue": plain(f.amount),
        "tradeScope": "maker",
        "tradeSide": "open",
        "feeDetail": [{"feeCoin": f.fee_coin, "fee": plain(f.fee)}],
        "createdTime": str(f.timestamp),
        "updatedTime": str(f.timestamp + 1),
        "execPnl": "0",
    }


def with_debt(assets: list[Json], change: Mapping[str, Decimal], debt: Mapping[str, Decimal]) -> list[Json]:
    """The unified account's asset rows with the script's change added and its debt shown."""
    by_coin = {row["coin"]: dict(row) for row in assets}
    for coin in sorted({*change, *debt}):
        row = by_coin.setdefault(coin, {"coin": coin, "equity": "0", "usdValue": "", "balance": "0",
                                        "available": "0", "debt": "0", "locked": "0"})  # fmt: skip
        balance = Decimal(row["balance"]) + change.get(coin, Decimal(0))
        row.update(balance=plain(balance), equity=plain(balance), debt=plain(debt.get(coin, Decimal(0))))
        row["available"] = plain(balance - Decimal(row["locked"]))
    return [row for row in by_coin.values() if Decimal(row["balance"]) != 0 or Decimal(row["debt"]) != 0]
