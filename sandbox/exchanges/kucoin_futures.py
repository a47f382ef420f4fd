"""KuCoin's classic futures account, emulated: the futures ledger and fills of a scripted account
that traded USDT-margined and inverse perpetuals (docs/exchange-apis/kucoin.md, "Futures", names every page).

- ``GET /api/v1/transaction-history`` (the futures ledger): `startAt`/`endAt` ms, `type`, `offset`, `forward`
  (default true), `maxCount` (default 50), `currency`; answer ``{"dataList": [...], "hasMore": …}``, rows `time`,
  `type` (RealisedPNL, Deposit, Withdrawal, TransferIn, TransferOut), `amount`, `fee`, `accountEquity`, `status`,
  `remark` (the contract, or the transfer's words), `offset`, `currency`; amounts are JSON numbers, as in the
  docs' example. A RealisedPNL line is booked per contract at the end of each funding period (04:00, 12:00 and
  20:00 UTC: the example's line is stamped 12:00) in which its position changed or paid funding; it holds the
  period's closing profit or loss less its fees and funding (the ledger's types are exhaustive, so the wallet's
  every change is one of its lines: this composition is the emulator's reading, not a documented rule).
  Listed newest first, `offset` turning the page to the lines below it: "The query results are sorted in descending
  order by createdAt and id … Please specify the minimum offset number of the current page into the offset field
  to turn the page" (docs-new "Get Account Ledgers - Futures"). With a position open, the first page starts with
  its current period's line, status Pending ("If there are open positions, the status of the first page returned
  will be Pending"), offset -1 as in the 2022 docs' example; it leaves the account's equity alone (unsourced).
  `forward` is among the request's parameters but no current page says what it changes: the order is the same.
- ``GET /api/v1/account-overview?currency=`` (the balance read): `accountEquity`, `unrealisedPNL`, `marginBalance`,
  `positionMargin`, `orderMargin`, `frozenFunds`, `availableBalance`, `currency` (default XBT); no position stays
  open at the end of the script, so equity, margin balance and available balance are the ledger's sum.
- ``GET /api/v1/fills`` (futures): `symbol`, `tradeTypes`, `startAt`/`endAt`, `currentPage`, `pageSize` (default
  50, at most 1000), newest first ("Fills are returned sorted by descending fill time", 2022); rows as the docs'
  example. docs-new "Get Trade History": kept "for up to three months"; "each individual query is limited to a time
  range of 7 × 24 hours … If the specified time range exceeds this limit, the system will default to retrieving
  data within the maximum allowable 7 × 24-hour window" (served: the week from `startAt`, which end is kept is
  unsourced); only `startAt`: to `startAt` + 24 h; only `endAt`: from `endAt` − 24 h; neither: the last 24 h (the
  2022 page's "start from the last day by default"). Both hosts have this path and the URL override sends
  both to this one port: kucoin.py hands it here when the request names `tradeTypes`, a parameter only the futures
  page has.

The spot ledger (bizType TRANSFER) shows each move's trading-account leg (`spot_legs`); the spot balances leave
out what moved, funded by deposits of the same amounts (`funded`). The script, over 60 days: 3,000 USDT and
0.05 XBT moved in from the trading account, round trips in XBTUSDTM,
ETHUSDTM and the inverse XBTUSDM held 20 hours each, and 1,000 USDT moved back on day 55.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS, SECOND_MS
from sandbox.exchanges.kucoin_book import LedgerRow, int_param, invalid
from sandbox.exchanges.protocol import Call, NotEmulated
from sandbox.exchanges.records import BalanceRecord, DepositRecord, ScriptedAccount

Json = dict[str, Any]
PERIOD_MS = 8 * HOUR_MS
PERIOD_OFFSET_MS = 4 * HOUR_MS  # periods end at 04:00, 12:00 and 20:00 UTC
TAKER = Decimal("0.0006")  # the example's feeRate "0.00060"
FUNDING_RATE = Decimal("0.0001")
PLACES = Decimal("0.00000001")
LEDGER_MAX = 200  # maxCount: "The default size is 50"; no maximum documented (unsourced)
FILLS_MAX, FILLS_DEFAULT = 1000, 50  # pageSize "The default pageSize is 50; the maximum cannot exceed 1000"
FILLS_RANGE_MS, FILLS_DEFAULT_RANGE_MS = 7 * DAY_MS, DAY_MS  # "7 × 24 hours" a query; one bound only: 24 hours
FILLS_RETENTION_MS = 90 * DAY_MS  # "retained in the system for up to three months"
PENDING_OFFSET = -1  # the 2022 docs' example of a Pending line


@dataclass(frozen=True)
class Contract:
    symbol: str
    settle: str
    multiplier: Decimal  # base per lot; 0 for the inverse XBTUSDM (a lot is 1 USD)
    price: Decimal


CONTRACTS = (
    Contract("XBTUSDTM", "USDT", Decimal("0.001"), Decimal(60000)),
    Contract("ETHUSDTM", "USDT", Decimal("0.01"), Decimal(3000)),
    Contract("XBTUSDM", "XBT", Decimal(0), Decimal(60000)),
)


@dataclass(frozen=True)
class Fill:
    contract: Contract
    trade_id: int
    order_id: int
    time_ms: int
    side: str
    size: int
    price: Decimal
    value: Decimal
    fee: Decimal


@dataclass(frozen=True)
class Line:
    time_ms: int
    type: str
    amount: Decimal
    currency: str
    remark: str
    offset: int = 0


def q8(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def period_end(ms: int) -> int:
    """The end of the funding period `ms` falls in: the next 04/12/20:00 mark at or after it."""
    return -(-(ms - PERIOD_OFFSET_MS) // PERIOD_MS) * PERIOD_MS + PERIOD_OFFSET_MS


def value_of(contract: Contract, size: int, price: Decimal) -> Decimal:
    """A fill's `value` in the settle currency: lots × multiplier × price, or (inverse) lots ÷ price XBT."""
    if contract.multiplier == 0:
        return q8(Decimal(size) / price)
    return Decimal(size) * contract.multiplier * price


@dataclass(frozen=True)
class FuturesScript:
    fills: tuple[Fill, ...]
    lines: tuple[Line, ...]
    pending: tuple[Line, ...] = ()  # an open position's current period, not final (listed first, status Pending)

    def equity(self, currency: str) -> Decimal:
        """What the futures account holds in `currency`: the sum of its ledger's lines (no position stays open)."""
        return sum((line.amount for line in self.lines if line.currency == currency), Decimal(0))

    def moved_out_of_spot(self) -> dict[str, Decimal]:
        """Per spot currency (XBT is BTC there), what the transfers took out of the trading account, net."""
        moved: dict[str, Decimal] = {}
        for line in self.lines:
            if line.type in ("TransferIn", "TransferOut"):
                code = "BTC" if line.currency == "XBT" else line.currency
                moved[code] = moved.get(code, Decimal(0)) + line.amount
        return moved


def script_futures(seed: int, now_ms: int) -> FuturesScript:
    start = (now_ms - 60 * DAY_MS) // DAY_MS * DAY_MS
    fills: list[Fill] = []
    moves: list[Line] = [
        Line(start + HOUR_MS, "TransferIn", Decimal(3000), "USDT", "Transferred from Trading Account"),
        Line(start + HOUR_MS + SECOND_MS, "TransferIn", Decimal("0.05"), "XBT", "Transferred from Trading Account"),
        Line(start + 55 * DAY_MS, "TransferOut", Decimal(-1000), "USDT", "Transferred to Trading Account"),
    ]
    # Per (contract, period end): closing profit or loss less fees and funding.
    booked: dict[tuple[str, int], Decimal] = {}
    ids = {"trade": 1_784_000_000_000 + seed * 1000, "order": 236_000_000_000_000_000 + seed * 1000}

    def book(contract: Contract, ms: int, amount: Decimal) -> None:
        key = (contract.symbol, period_end(ms))
        booked[key] = booked.get(key, Decimal(0)) + amount

    def fill(contract: Contract, ms: int, side: str, size: int, price: Decimal) -> None:
        ids["trade"] += 11
        ids["order"] += 17
        value = value_of(contract, size, price)
        fee = q8(value * TAKER)
        fills.append(Fill(contract, ids["trade"], ids["order"], ms, side, size, price, value, fee))
        book(contract, ms, -fee)

    def round_trip(contract: Contract, opened: int, long: bool, size: int, move: Decimal) -> None:
        entry, exit_price = contract.price, contract.price + move
        fill(contract, opened, "buy" if long else "sell", size, entry)
        mark = period_end(opened + 1)
        closed = opened + 20 * HOUR_MS
        while mark < closed:  # funding at each mark inside the holding: a long pays, a short receives
            paid = q8(value_of(contract, size, entry) * FUNDING_RATE)
            book(contract, mark, -paid if long else paid)
            mark += PERIOD_MS
        fill(contract, closed, "sell" if long else "buy", size, exit_price)
        if contract.multiplier == 0:
            pnl = q8(Decimal(size) * (1 / entry - 1 / exit_price))
        else:
            pnl = Decimal(size) * contract.multiplier * (exit_price - entry)
        book(contract, closed, pnl if long else -pnl)

    xbt, eth, inverse = CONTRACTS
    for n in range(6):
        round_trip(xbt, start + (1 + 8 * n) * DAY_MS + 2 * HOUR_MS + 13 * SECOND_MS, n % 2 == 0, 20 + 5 * n,
                   Decimal(300 - 150 * (n % 3)))  # fmt: skip
    for n in range(4):
        round_trip(eth, start + (3 + 12 * n) * DAY_MS + 6 * HOUR_MS + 29 * SECOND_MS, n % 2 == 1, 40 + 10 * n,
                   Decimal(25 - 20 * n))  # fmt: skip
    for n in range(2):
        round_trip(inverse, start + (6 + 20 * n) * DAY_MS + 15 * HOUR_MS + 7 * SECOND_MS, True, 600 + 200 * n,
                   Decimal(1200 - 1800 * n))  # fmt: skip
    by_symbol = {c.symbol: c for c in CONTRACTS}
    pnl_lines = [
        Line(end, "RealisedPNL", amount, by_symbol[symbol].settle, symbol) for (symbol, end), amount in booked.items()
    ]
    ordered = sorted((*moves, *pnl_lines), key=lambda line: (line.time_ms, line.remark))
    lines = tuple(
        Line(line.time_ms, line.type, line.amount, line.currency, line.remark, 51_300_000 + seed * 1000 + n)
        for n, line in enumerate(ordered, start=1)
    )
    return FuturesScript(tuple(sorted(fills, key=lambda f: (f.time_ms, f.trade_id))), lines)


class KucoinFutures:
    """Serves the futures endpoints of one scripted account (`script` None: nothing ever moved into futures)."""

    def __init__(self, script: FuturesScript | None) -> None:
        self.script = script or FuturesScript((), ())

    def ledger(self, call: Call) -> Json:
        p = call.params
        size = int_param(p, "maxCount")
        size = 50 if size is None else size
        if not 1 <= size <= LEDGER_MAX:
            raise invalid("maxCount")
        start, end = int_param(p, "startAt"), int_param(p, "endAt")
        currency, kind, after = p.get("currency") or "XBT", p.get("type"), int_param(p, "offset")
        rows = [
            line
            for line in self.script.lines
            if line.currency == currency
            and kind in (None, "", line.type)
            and (start is None or line.time_ms >= start)
            and (end is None or line.time_ms <= end)
        ]
        newest_first = sorted(rows, key=lambda line: (line.time_ms, line.offset), reverse=True)
        below = [r for r in newest_first if after is None or r.offset < after]
        equity: dict[int, Decimal] = {}
        running = Decimal(0)
        for line in self.script.lines:
            if line.currency == currency:
                running += line.amount
                equity[line.offset] = running
        listed = [_line(r, equity[r.offset]) for r in below]
        if after is None:  # the first page: the open position's current period first
            open_now = [r for r in self.script.pending if r.currency == currency and kind in (None, "", r.type)]
            listed = [_line(r, running, status="Pending") for r in open_now] + listed
        return {"dataList": listed[:size], "hasMore": len(listed) > size}

    def fills(self, call: Call) -> Json:
        p = call.params
        current = int_param(p, "currentPage") or 1
        size = int_param(p, "pageSize")
        size = FILLS_DEFAULT if size is None else size
        if not 1 <= size <= FILLS_MAX or current < 1:
            raise invalid("pageSize")
        if p.get("orderId"):
            raise NotEmulated("futures fills by order are not emulated")
        start, end = fills_range(int_param(p, "startAt"), int_param(p, "endAt"), call.now_ms)
        symbol, kinds = p.get("symbol"), set((p.get("tradeTypes") or "trade").split(","))
        chosen = [
            f
            for f in sorted(self.script.fills, key=lambda f: (f.time_ms, f.trade_id), reverse=True)
            if symbol in (None, "", f.contract.symbol) and "trade" in kinds and start <= f.time_ms <= end
        ]
        pages = (len(chosen) + size - 1) // size
        return {
            "currentPage": current,
            "pageSize": size,
            "totalNum": len(chosen),
            "totalPage": pages,
            "items": [_fill(f) for f in chosen[(current - 1) * size : current * size]],
        }

    def overview(self, call: Call) -> Json:
        currency = call.params.get("currency") or "XBT"
        equity = float(self.script.equity(currency))
        zero = 0.0
        return {
            "accountEquity": equity,
            "unrealisedPNL": zero,
            "marginBalance": equity,
            "positionMargin": zero,
            "orderMargin": zero,
            "frozenFunds": zero,
            "availableBalance": equity,
            "currency": currency,
        }


def fills_range(start: int | None, end: int | None, now_ms: int) -> tuple[int, int]:
    """The range the futures fills list answers for: at most a week, never before the three months kept."""
    if start is not None and end is not None:
        low, high = start, min(end, start + FILLS_RANGE_MS)
    elif start is not None:
        low, high = start, start + FILLS_DEFAULT_RANGE_MS
    else:
        high = end if end is not None else now_ms
        low = high - FILLS_DEFAULT_RANGE_MS
    return max(low, now_ms - FILLS_RETENTION_MS), high


def _line(line: Line, equity: Decimal, status: str = "Completed") -> Json:
    # The docs' example writes amounts as JSON numbers; a float of at most 15 significant digits reads back as
    # the same decimal text.
    return {
        "time": line.time_ms,
        "type": line.type,
        "amount": float(line.amount),
        "fee": 0.0,
        "accountEquity": float(equity),
        "status": status,
        "remark": line.remark,
        "offset": PENDING_OFFSET if status == "Pending" else line.offset,
        "currency": line.currency,
    }


def _fill(f: Fill) -> Json:
    settle = f.contract.settle
    return {
        "symbol": f.contract.symbol,
        "tradeId": str(f.trade_id),
        "orderId": str(f.order_id),
        "side": f.side,
        "liquidity": "taker",
        "forceTaker": False,
        "price": format(f.price, "f"),
        "size": f.size,
        "value": format(f.value, "f"),
        "openFeePay": format(f.fee, "f"),
        "closeFeePay": "0",
        "stop": "",
        "feeRate": "0.00060",
        "fixFee": "0",
        "feeCurrency": settle,
        "marginMode": "CROSS",
        "settleCurrency": settle,
        "fee": format(f.fee, "f"),
        "orderType": "market",
        "displayType": "market",
        "tradeType": "trade",
        "subTradeType": None,
        "tradeTime": f.time_ms * 1_000_000,
        "createdAt": f.time_ms,
    }


def funded(account: ScriptedAccount, script: FuturesScript) -> ScriptedAccount:
    """The account with a deposit of each amount moved into futures (an hour before the move), its spot balances
    grown by those deposits and less what the moves took, net."""
    moved_in = [line for line in script.lines if line.type == "TransferIn"]
    deposits = tuple(
        DepositRecord(
            f"{0x6700000000000000000000AA + n:024x}",
            f"{n:064x}",
            "BTC" if line.currency == "XBT" else line.currency,
            "ERC20",
            line.amount,
            "0x" + "5" * 40,
            line.time_ms - HOUR_MS,
        )
        for n, line in enumerate(moved_in)
    )
    held = {b.asset: b for b in account.balances}
    change = {d.asset: d.amount for d in deposits}
    for asset, amount in script.moved_out_of_spot().items():
        change[asset] = change.get(asset, Decimal(0)) - amount
    for asset, amount in change.items():
        before = held.get(asset, BalanceRecord(asset, Decimal(0), Decimal(0)))
        held[asset] = BalanceRecord(asset, before.free + amount, before.locked)
    listed = tuple(sorted((*account.deposits, *deposits), key=lambda d: d.timestamp))
    return replace(account, deposits=listed, balances=tuple(held[a] for a in sorted(held)))


def spot_legs(script: FuturesScript) -> tuple[LedgerRow, ...]:
    """The spot ledger's side of each move into or out of futures (bizType TRANSFER): the trading account's leg; the
    futures leg is the futures ledger's TransferIn/TransferOut (the spot ledger's account types have no futures)."""
    return tuple(
        LedgerRow(
            str(265_400_000_000_000 + n),
            "BTC" if line.currency == "XBT" else line.currency,
            abs(line.amount),
            "TRADE",
            "TRANSFER",
            "out" if line.type == "TransferIn" else "in",
            line.time_ms,
        )
        for n, line in enumerate(script.lines)
        if line.type in ("TransferIn", "TransferOut")
    )
