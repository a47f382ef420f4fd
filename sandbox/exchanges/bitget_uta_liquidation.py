"""A unified trading account that was liquidated and paid fees in two coins: what `bitget_uta_derivatives` adds to
the scripted derivatives account (bitget_derivatives_script) once a test calls ``liquidate(emulator.book)``.

Every row is in the shape the v3 pages give (uta/trade/Get-Order-Fills: `feeDetail` a list of {feeCoin, fee}, one
entry per coin; uta/account/Get-Financial-Records with uta/enum's types). Amounts are fixed, for a reader to check by
hand; times are days before the account's clock, after every event of the script (its last is 19 days old):

- 18 days ago, a spot buy of 20 BGB at 1.25 (25 USDT), its fee paid 0.012 in BGB and 0.005 in USDT.
- 16 days ago, a USDT-M long of 0.05 BTC opened at 62,000 (3,100 USDT), its fee 1.24 USDT and 0.5 BGB: the position's
  OPEN_LONG record carries the USDT part, an ORDER_PLF_FEE_OUT ("handling fee deduction") record the BGB part (as
  uta/tax/Get-Tax-Records' example lists a BGB deduction: its own line, amount negative, fee 0).
- 14 days ago, that long liquidated at 58,000 (a fill of `tradeSide` burst_close_long, fee 1.74 USDT, `execPnl` -200):
  BURST_CLOSE_LONG -200 with the fill's fee, LIQ_FEE -14.5 (0.5% of the 2,900 closed), LIQ_FUND_OUT -3.2 (what was
  left of the margin, to the insurance fund).
- 12 days ago, the isolated ETHUSDT loan's 100 USDT (the script's, still open) repaid by liquidation: the 0.0999 ETH
  bought with it exchanged (LIQ_CONVERT_OUT ETH, LIQ_CONVERT_IN 271.728 USDT at 2,720), LIQ_REPAYMENT -100 (the
  principal: the debt is gone), LIQ_FEE -1.35864 (0.5% of what was exchanged).

The SPOT category's financial records are not emulated (bitget_uta_derivatives), so the spot fill's balance change is
added to the account apart (`spot_change`). A financial record's `amount` and `fee` are both balance changes, as the
rest of the emulator reads them (docs/exchange-apis/bitget.md, "Readings where the docs are silent").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from weakref import WeakKeyDictionary

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_book import BitgetBook

Json = dict[str, Any]
D = Decimal
USDT_M, MARGIN, SPOT = "USDT-FUTURES", "MARGIN", "SPOT"
FIRST_ID = 1_120_000_000_000_000_000  # 19 digits, as Bitget's, above every id the script gives


@dataclass
class UtaLiquidation:
    """The rows added: fills per category, financial records per category, and the changes no served record shows."""

    fills: list[tuple[str, int, int, Json]] = field(default_factory=list)  # (category, id, time, row)
    records: dict[str, list[Json]] = field(default_factory=dict)
    spot_change: dict[str, Decimal] = field(default_factory=dict)
    repaid: dict[str, Decimal] = field(default_factory=dict)  # principal paid back by LIQ_REPAYMENT

    def fills_of(self, category: str | None) -> list[tuple[int, int, Json]]:
        return [(ident, ts, dict(row)) for kind, ident, ts, row in self.fills if category in (None, kind)]

    def records_of(self, category: str) -> list[Json]:
        return [dict(row) for row in self.records.get(category, [])]


_SCRIPTED: WeakKeyDictionary[BitgetBook, UtaLiquidation] = WeakKeyDictionary()


def liquidation_of(book: BitgetBook) -> UtaLiquidation | None:
    return _SCRIPTED.get(book)


def liquidate(book: BitgetBook) -> UtaLiquidation:
    """Adds the liquidation and the two-coin fees to the book's unified account (needs its derivatives script: the
    liquidation repays the script's isolated ETHUSDT loan)."""
    loans = [x for x in book.derivatives.script.loans if x.symbol == "ETHUSDT" and x.coin == "USDT"]
    if [x.amount for x in loans] != [D(100)]:
        raise ValueError("the liquidation repays the derivatives script's 100 USDT ETHUSDT loan: derivatives=True")
    now, scripted = book.account.now_ms, UtaLiquidation()
    counter = iter(range(FIRST_ID + 1, FIRST_ID + 1_000))

    def at(days: int, later_ms: int = 0) -> int:
        return now - days * DAY_MS + later_ms

    def fill(category: str, symbol: str, side: str, trade_side: str, price: str, qty: str, fees: list[tuple[str, str]],
             pnl: str, ts: int) -> None:  # fmt: skip
        ident = next(counter)
        row = {
            "execId": str(ident),
            "execLinkId": str(ident),
            "orderId": str(ident + 5_000),
            "clientOid": "",
            "category": category,
            "symbol": symbol,
            "orderType": "market",
            "side": side,
            "execPrice": price,
            "execQty": qty,
            "execValue": format(D(price) * D(qty), "f"),
            "tradeScope": "taker",
            "tradeSide": trade_side,
            "feeDetail": [{"feeCoin": coin, "fee": fee} for coin, fee in fees],
            "createdTime": str(ts),
            "updatedTime": str(ts + 1),
            "execPnl": pnl,
        }
        scripted.fills.append((category, ident, ts, row))

    def record(category: str, symbol: str, coin: str, kind: str, amount: str, ts: int, fee: str = "0") -> None:
        row = {"category": category, "id": str(next(counter)), "symbol": symbol, "coin": coin, "type": kind,
               "amount": amount, "fee": fee, "ts": str(ts)}  # fmt: skip
        scripted.records.setdefault(category, []).append(row)

    bought = at(18)
    fill(SPOT, "BGBUSDT", "buy", "open", "1.25", "20", [("BGB", "0.012"), ("USDT", "0.005")], "0", bought)
    scripted.spot_change = {"BGB": D("20") - D("0.012"), "USDT": -D("25") - D("0.005")}

    opened = at(16)
    fill(USDT_M, "BTCUSDT", "buy", "open", "62000", "0.05", [("USDT", "1.24"), ("BGB", "0.5")], "0", opened)
    record(USDT_M, "BTCUSDT", "USDT", "OPEN_LONG", "0", opened + 1, fee="-1.24")
    record(USDT_M, "BTCUSDT", "BGB", "ORDER_PLF_FEE_OUT", "-0.5", opened + 1)

    burst = at(14)
    fill(USDT_M, "BTCUSDT", "sell", "burst_close_long", "58000", "0.05", [("USDT", "1.74")], "-200", burst)
    record(USDT_M, "BTCUSDT", "USDT", "BURST_CLOSE_LONG", "-200", burst + 1, fee="-1.74")
    record(USDT_M, "BTCUSDT", "USDT", "LIQ_FEE", "-14.5", burst + 2)
    record(USDT_M, "BTCUSDT", "USDT", "LIQ_FUND_OUT", "-3.2", burst + 3)

    debt = at(12)
    record(MARGIN, "ETHUSDT", "ETH", "LIQ_CONVERT_OUT", "-0.0999", debt)
    record(MARGIN, "ETHUSDT", "USDT", "LIQ_CONVERT_IN", "271.728", debt)
    record(MARGIN, "ETHUSDT", "USDT", "LIQ_REPAYMENT", "-100", debt + 1)
    record(MARGIN, "ETHUSDT", "USDT", "LIQ_FEE", "-1.35864", debt + 2)
    scripted.repaid = {"USDT": D("100")}

    _SCRIPTED[book] = scripted
    return scripted
