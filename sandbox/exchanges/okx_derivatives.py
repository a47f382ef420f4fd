"""OKX v5's trading-account derivatives and margin, served from a fixed script: fills of a perpetual swap, an expiry
future, an option and a margin market (GET /api/v5/trade/fills-history and /fills with instType SWAP, FUTURES,
OPTION, MARGIN), the trading account's bills of them (GET /api/v5/account/bills-archive: trades, funding fees,
interest) and the instruments' contract sizes (GET /api/v5/public/instruments). Savings and sub-account transfers
are okx_savings.py's. Rules and pages: docs/exchange-apis/okx.md.

The script is small and written out by hand, so a test can write its ground truth by hand too: SCRIPT below, every
amount exact. `OkxEmulator(derivatives=True)` serves it; without it these lists are empty, as for an account that
never traded derivatives. bills-archive reaches three months back, so every event lies within the last 45 days;
`history=True` adds OLD_FILLS and OLD_BILLS, further back, for bills-history-archive (okx_archive.py).
`OkxDerivatives.trade_off_the_book()` and `trade_isolated()` add what their scripts hold (okx_off_book.py,
okx_isolated.py); the contracts and what a scripted fill and bill are: okx_contracts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.okx_account import NO_ISOLATED, IsolatedMargin
from sandbox.exchanges.okx_contracts import CONTRACTS, Bill, Contract, Fill
from sandbox.exchanges.okx_isolated import (
    ISOLATED_BILLS,
    ISOLATED_FILLS,
    ISOLATED_UPL,
    OLD_ISOLATED_BILLS,
    OLD_ISOLATED_FILLS,
)
from sandbox.exchanges.okx_long_ago import LONG_AGO_FILLS
from sandbox.exchanges.okx_off_book import OFF_BOOK_BILLS, OFF_BOOK_FILLS, OLD_OFF_BOOK_FILLS
from sandbox.exchanges.okx_protocol import INST_TYPES, Call, Json, int_param, invalid, missing, newest_first, signed
from sandbox.exchanges.records import Market, ScriptedAccount, plain

# Get_Bills_Details_Last_3_Months.md: "This endpoint can retrieve data from the last 3 months."
BILLS_ARCHIVE_LOOKBACK_MS = 90 * DAY_MS
_SNOWFLAKE_EPOCH_MS = 1_288_834_974_657


SCRIPT_FILLS = (
    Fill(40, "swap", "buy", "10", "60000", "-3", "settle"),  # open long 0.1 BTC: 6000 USDT notional
    Fill(30, "swap", "sell", "10", "62000", "-3.1", "settle", pnl="200"),  # close: +200 USDT
    Fill(38, "inverse", "buy", "10", "40000", "-0.0000125", "settle"),  # 1000 USD = 0.025 BTC
    Fill(33, "inverse", "sell", "10", "50000", "-0.00001", "settle", pnl="0.005"),  # 0.02 BTC: +0.005 BTC
    Fill(20, "future", "sell", "5", "3000", "-0.3", "settle"),  # open short 0.5 ETH
    Fill(10, "future", "buy", "5", "2900", "-0.29", "settle", pnl="50"),  # close: +50 USDT
    Fill(15, "option", "sell", "2", "0.05", "-0.00001", "settle", premium="0.001"),  # premium 0.02 x 0.05 BTC
    Fill(12, "MARGIN", "buy", "1", "{price}", "-0.001", "base"),
    Fill(11, "MARGIN", "sell", "0.999", "{price2}", "-{fee2}", "quote"),
)
SCRIPT_BILLS = (
    Bill(35, "8", "173", "USDT", "-1.2", "swap"),
    Bill(34, "8", "174", "USDT", "0.4", "swap"),
    Bill(25, "7", "9", "USDT", "-0.05"),
)
# Older than bills-archive's three months (`history=True`): only bills-history-archive's quarterly files hold these
# bills (okx_archive.py); the fills are within fills-history's year. At 120 to 260 days back they fall in two or
# three past quarters whatever the day of the year.
OLD_FILLS = (
    Fill(260, "swap", "buy", "5", "50000", "-1.25", "settle"),  # open long 0.05 BTC
    Fill(200, "swap", "sell", "5", "55000", "-1.375", "settle", pnl="250"),  # close: +250 USDT
    Fill(125, "MARGIN", "buy", "0.5", "{price}", "-0.0005", "base"),
)
OLD_BILLS = (
    Bill(230, "8", "173", "USDT", "-0.75", "swap"),
    Bill(120, "7", "9", "USDT", "-0.12"),
)


@dataclass(frozen=True)
class Row:
    ts: int
    bill_id: str
    inst_type: str
    fill: Json | None  # the fill-history row, if a fill stands behind the bill
    bill: Json


class OkxDerivatives:
    """The script laid out in time for one account: fills, bills and what they did to each coin's balance."""

    def __init__(self, account: ScriptedAccount, *, enabled: bool, history: bool = False) -> None:
        self.now_ms = account.now_ms
        self.expiry = _yymmdd(account.now_ms + 30 * DAY_MS)
        self.margin_market = _margin_market(account.markets)
        self.history = enabled and history
        self.enabled = enabled
        self.off_book: tuple[Fill, ...] = ()
        self.off_book_bills: tuple[Bill, ...] = ()
        self.isolated: tuple[Fill, ...] = ()
        self.isolated_bills: tuple[Bill, ...] = ()
        self.long_ago: tuple[Fill, ...] = ()
        self.rows: tuple[Row, ...] = self._lay_out() if enabled else ()

    def trade_off_the_book(self) -> None:
        """Adds OFF_BOOK_FILLS and OFF_BOOK_BILLS (and OLD_OFF_BOOK_FILLS with `history`) to the script; called
        before a sync, as it lays the script out again (every billId moves)."""
        self.off_book = OFF_BOOK_FILLS + (OLD_OFF_BOOK_FILLS if self.history else ())
        self.off_book_bills = OFF_BOOK_BILLS
        self.rows = self._lay_out() if self.enabled else ()

    def trade_isolated(self) -> None:
        """Adds ISOLATED_FILLS and ISOLATED_BILLS (and OLD_ISOLATED_* with `history`) to the script: one isolated
        swap position opened, charged and paid funding and closed, one still open. Called before a sync, as it lays
        the script out again (every billId moves)."""
        self.isolated = ISOLATED_FILLS + (OLD_ISOLATED_FILLS if self.history else ())
        self.isolated_bills = ISOLATED_BILLS + (OLD_ISOLATED_BILLS if self.history else ())
        self.rows = self._lay_out() if self.enabled else ()

    def trade_long_ago(self) -> None:
        """Adds LONG_AGO_FILLS (okx_long_ago.py): a swap position closed over a year ago, whose fills fills-history
        no longer lists; with `history`, its bills are in the quarterly files. Called before a sync."""
        self.long_ago = LONG_AGO_FILLS if self.history else ()
        self.rows = self._lay_out() if self.enabled else ()

    def inst_id(self, key: str) -> str:
        if key == "MARGIN":
            return self.margin_market.symbol
        return CONTRACTS[key].inst_id.format(expiry=self.expiry)

    # -- what the balance read shows ------------------------------------------------------------------------

    def balance_changes(self) -> dict[str, Decimal]:
        """Every coin's change from the script: each bill's `balChg` (a margin fill is two coins, two changes)."""
        change: dict[str, Decimal] = {}
        for row in self.rows:
            for ccy, amount in _changes(row):
                change[ccy] = change.get(ccy, Decimal(0)) + amount
        return change

    def isolated_margin(self) -> dict[str, IsolatedMargin]:
        """The position level of each coin with an open isolated position: the margin its bills moved into it
        (their `posBalChg`, with the funding settled into it) and its scripted unrealized profit. A closed position's
        bills move its margin back, so they sum to zero."""
        held: dict[str, IsolatedMargin] = {}
        for key in self._open_isolated():
            ccy = CONTRACTS[key].settle
            inst_id = self.inst_id(key)
            margin = sum(
                (Decimal(r.bill["posBalChg"]) for r in self.rows if r.bill["instId"] == inst_id and _isolated(r)),
                Decimal(0),
            )
            before = held.get(ccy, NO_ISOLATED)
            upl = Decimal(ISOLATED_UPL.get(key, "0"))
            held[ccy] = IsolatedMargin(before.margin + margin, before.upl + upl)
        return held

    def _open_isolated(self) -> list[str]:
        """CONTRACTS keys whose isolated fills leave contracts held."""
        size: dict[str, Decimal] = {}
        for f in self.isolated:
            sign = 1 if f.side == "buy" else -1
            size[f.contract] = size.get(f.contract, Decimal(0)) + sign * Decimal(f.size)
        return [key for key, held in size.items() if held != 0]

    # -- the endpoints ---------------------------------------------------------------------------------------

    def instruments(self, call: Call) -> list[Json]:
        """Live SWAP, FUTURES or OPTION instruments; OPTION needs `uly` or `instFamily` (Get instruments: "If
        instType is OPTION, either uly or instFamily is required")."""
        p = call.params
        inst_type, inst_id = p.get("instType", ""), p.get("instId")
        family = p.get("instFamily") or p.get("uly")
        if inst_type == "OPTION" and not family:
            raise missing("instFamily")
        return [
            _instrument(c, self.inst_id(key), self.now_ms)
            for key, c in CONTRACTS.items()
            if c.inst_type == inst_type and inst_id in (None, self.inst_id(key)) and family in (None, c.uly)
        ]

    def fills(self, call: Call, inst_type: str, oldest: int) -> list[Json]:
        p = call.params
        begin, end = int_param(p, "begin"), int_param(p, "end")
        chosen = [
            r
            for r in self.rows
            if r.fill is not None
            and r.inst_type == inst_type
            and r.ts >= oldest
            and (begin is None or r.ts >= begin)
            and (end is None or r.ts <= end)
            and (not p.get("instId") or r.fill["instId"] == p["instId"])
        ]
        return [r.fill for r in newest_first(chosen, lambda r: int(r.bill_id), p) if r.fill is not None]

    def bills_archive(self, call: Call) -> list[Json]:
        p = call.params
        inst_type = p.get("instType")
        if inst_type and inst_type not in INST_TYPES:
            raise invalid("instType")
        begin, end = int_param(p, "begin"), int_param(p, "end")
        oldest = call.now_ms - BILLS_ARCHIVE_LOOKBACK_MS
        chosen = [
            r
            for r in self.rows
            if r.ts >= oldest
            and (not inst_type or r.inst_type == inst_type)
            and (not p.get("type") or r.bill["type"] == p["type"])
            and (not p.get("ccy") or r.bill["ccy"] == p["ccy"])
            and (begin is None or r.ts >= begin)
            and (end is None or r.ts <= end)
        ]
        return [r.bill for r in newest_first(chosen, lambda r: int(r.bill_id), p)]

    # -- the script in time ----------------------------------------------------------------------------------

    def _lay_out(self) -> tuple[Row, ...]:
        rows = []
        fills = SCRIPT_FILLS + (OLD_FILLS if self.history else ()) + self.off_book + self.isolated + self.long_ago
        bills = SCRIPT_BILLS + (OLD_BILLS if self.history else ()) + self.off_book_bills + self.isolated_bills
        events: list[tuple[int, Fill | Bill]] = [(f.days_ago, f) for f in fills]
        events += [(b.days_ago, b) for b in bills]
        for n, (days_ago, event) in enumerate(sorted(events, key=lambda e: -e[0])):
            ts = self.now_ms - days_ago * DAY_MS + 7_919 * (n + 1)
            bill_id = str(((ts - _SNOWFLAKE_EPOCH_MS) << 22) + n)
            rows.append(
                self.fill_row(event, ts, bill_id) if isinstance(event, Fill) else self.bill_row(event, ts, bill_id)
            )
        # `posBal`: the position-level balance after each bill of an isolated position, oldest first.
        position: dict[str, Decimal] = {}
        for row in rows:
            if _isolated(row):
                inst_id = row.bill["instId"]
                position[inst_id] = position.get(inst_id, Decimal(0)) + Decimal(row.bill["posBalChg"])
                row.bill["posBal"] = plain(position[inst_id])
        return tuple(rows)

    def fill_row(self, f: Fill, ts: int, bill_id: str) -> Row:
        m = self.margin_market
        price2 = (m.price * Decimal("1.02")).quantize(Decimal("0.00000001"))
        fee2 = (Decimal(f.size) * price2 / 1000).quantize(Decimal("0.00000001"))
        values = {"price": plain(m.price), "price2": plain(price2), "fee2": plain(fee2)}
        price, fee = f.price.format(**values), f.fee.format(**values)
        inst_id = self.inst_id(f.contract)
        if f.contract == "MARGIN":
            inst_type, ccy = "MARGIN", m.base if f.fee_ccy == "base" else m.quote
        else:
            inst_type, ccy = CONTRACTS[f.contract].inst_type, CONTRACTS[f.contract].settle
        trade_id = str(900_000_000 + int(bill_id) % 100_000_000)
        # Liquidation (5) and ADL (9) fills: "tradeId ... will be assigned a negative value"; execType "Not
        # applicable to system orders such as ADL and liquidation" (Transaction details (last 3 months)).
        system = f.bill_type in ("5", "9")
        trade_id = f"-{trade_id}" if system else trade_id
        exec_type = "" if system else "T"
        block = f.bill_type == "14"  # "ordId: Order ID, always "" for block trading"
        order_id = "" if block else str(700_000_000_000_000_000 + int(bill_id) % 10**15)
        sub_type = f.sub_type or ("1" if f.side == "buy" else "2")
        change = Decimal(f.pnl) + Decimal(f.premium) + Decimal(fee) - Decimal(f.position_change)
        fill = {
            "instType": inst_type,
            "instId": inst_id,
            "tradeId": trade_id,
            "ordId": order_id,
            "clOrdId": "",
            "billId": bill_id,
            "subType": sub_type,
            "tag": "",
            "fillPx": price,
            "fillSz": f.size,
            "fillIdxPx": "",
            "fillPnl": f.pnl,
            "fillPxVol": "",
            "fillPxUsd": "",
            "fillMarkVol": "",
            "fillFwdPx": "",
            "fillMarkPx": "" if inst_type == "MARGIN" else price,
            "side": f.side,
            "posSide": "net",
            "execType": exec_type,
            "feeCcy": ccy,
            "fee": fee,
            "ts": str(ts),
            "fillTime": str(ts - 1),
            "feeRate": "-0.0005",
        }
        bill = _bill(bill_id, ts, inst_type, inst_id, f.bill_type, sub_type, ccy, change)
        bill.update({"fee": fee, "pnl": f.pnl, "px": price, "sz": f.size, "ordId": order_id, "tradeId": trade_id})
        bill.update({"execType": exec_type, "fillTime": str(ts - 1), "mgnMode": "isolated" if f.isolated else "cross"})
        bill["posBalChg"] = signed(Decimal(f.position_change))
        return Row(ts, bill_id, inst_type, fill, bill)

    def bill_row(self, b: Bill, ts: int, bill_id: str) -> Row:
        inst_type = CONTRACTS[b.inst].inst_type if b.inst else "MARGIN"
        inst_id = self.inst_id(b.inst) if b.inst else ""
        bill = _bill(bill_id, ts, inst_type if b.inst else "", inst_id, b.type, b.sub_type, b.ccy, Decimal(b.change))
        bill["mgnMode"] = "isolated" if b.isolated else "cross"
        bill["posBalChg"] = signed(Decimal(b.position_change))
        if b.type == "8":
            # "Funding Fee expense (subType = 173): You may refer to "pnl" for the fee payment": the whole fee, at
            # either level (the live isolated bill: pnl = posBalChg, balChg 0).
            bill["pnl"] = signed(Decimal(b.change) + Decimal(b.position_change))
        elif b.type == "13":
            bill.update({"fee": b.fee, "pnl": signed(Decimal(b.change) - Decimal(b.fee)), "execType": "T"})
        else:
            bill["interest"] = plain(-Decimal(b.change))
        return Row(ts, bill_id, inst_type, None, bill)


def _isolated(row: Row) -> bool:
    return bool(row.bill.get("mgnMode") == "isolated")


def _changes(row: Row) -> list[tuple[str, Decimal]]:
    """A margin fill moves its base and its quote (the bill shows one coin); every other row its bill's coin."""
    if row.inst_type != "MARGIN" or row.fill is None:
        return [(row.bill["ccy"], Decimal(row.bill["balChg"]))]
    f = row.fill
    base, quote = f["instId"].split("-")
    size, price, fee = Decimal(f["fillSz"]), Decimal(f["fillPx"]), Decimal(f["fee"])
    sign = 1 if f["side"] == "buy" else -1
    return [(base, sign * size), (quote, -sign * size * price), (f["feeCcy"], fee)]


def _bill(bill_id: str, ts: int, inst_type: str, inst_id: str, kind: str, sub: str, ccy: str, change: Decimal) -> Json:
    """A bills-archive row in the documented example's fields; `bal` is left as the change (the script does not
    follow the trading account's whole balance; no reader takes it)."""
    return {
        "bal": signed(change),
        "balChg": signed(change),
        "billId": bill_id,
        "ccy": ccy,
        "clOrdId": "",
        "execType": "",
        "fee": "0",
        "fillFwdPx": "",
        "fillIdxPx": "",
        "fillMarkPx": "",
        "fillMarkVol": "",
        "fillPxUsd": "",
        "fillPxVol": "",
        "fillTime": "",
        "from": "",
        "instId": inst_id,
        "instType": inst_type,
        "interest": "0",
        "mgnMode": "",
        "notes": "",
        "ordId": "",
        "pnl": "0",
        "posBal": "0",
        "posBalChg": "0",
        "px": "",
        "subType": sub,
        "sz": "0",
        "tag": "",
        "to": "",
        "tradeId": "",
        "ts": str(ts),
        "type": kind,
    }


def _instrument(c: Contract, inst_id: str, now_ms: int) -> Json:
    expiry = "" if c.inst_type == "SWAP" else str(now_ms + 30 * DAY_MS)
    parts = inst_id.split("-")
    return {
        "instType": c.inst_type,
        "instId": inst_id,
        "uly": c.uly,
        "instFamily": c.uly,
        "baseCcy": "",
        "quoteCcy": "",
        "settleCcy": c.settle,
        "ctVal": c.ct_val,
        "ctMult": "1",
        "ctValCcy": c.ct_val_ccy,
        "ctType": "" if c.inst_type == "OPTION" else ("inverse" if c.ct_val_ccy == "USD" else "linear"),
        "optType": parts[4] if c.inst_type == "OPTION" else "",
        "stk": parts[3] if c.inst_type == "OPTION" else "",
        "listTime": str(now_ms - 400 * DAY_MS),
        "expTime": expiry,
        "lever": "" if c.inst_type == "OPTION" else "100",
        "tickSz": "0.1",
        "lotSz": "1",
        "minSz": "1",
        "state": "live",
    }


def _margin_market(markets: tuple[Market, ...]) -> Market:
    """The margin fills trade the account's first USDT market (any listed market would do)."""
    return next((m for m in markets if m.quote == "USDT"), markets[0])


def _yymmdd(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%y%m%d")
