"""One scripted coin-margined perpetual swap account of HTX (BTC-USD), served as HTX's coin-margined swap API answers.
Rules and sources: docs/exchange-apis/htx.md, "Isolated margin and coin-margined futures".

- ``POST /swap-api/v3/swap_matchresults_exact`` (fills) and ``…/v3/swap_financial_record_exact`` (the account's money
  lines): ``contract`` required (and ``trade_type`` for fills), the same 48-hour windows over 90 days and ``from_id``
  paging as the USDT-margined lists. A fill's ``trade_turnover`` is in USD (contracts × face value), its
  ``trade_fee`` and ``offset_profitloss`` in the coin; a money line's ``symbol`` is its asset.
- ``POST /swap-api/v1/swap_account_info``: one row per contract account.

The trader deposits 0.5 BTC, moves 0.2 BTC from spot into the swap account (type 14; the spot ledger lists it), and
makes two round trips of BTC-USD at prices where every coin amount is exact: a long of 10 contracts from 40,000 to
50,000 USD and a short of 20 from 62,500 to 50,000, with a funding payment while each is held.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.raw_numbers import number
from sandbox.exchanges.records import BalanceRecord, DepositRecord, ScriptedAccount, TransferRecord

CONTRACT = "BTC-USD"
FACE_USD = Decimal(100)  # a BTC-USD contract's face value (interpretation: ccxt's market list, contractSize 100)
FEE_RATE = Decimal("0.0005")  # the script's taker fee, of the coin amount
MOVED_IN, DEPOSITED = Decimal("0.2"), Decimal("0.5")
# Transaction types: 3 close long, 4 close short, 5 fees for open positions-taker, 7 fees for close positions-taker,
# 14 transfer from spot exchange to contract exchange, 30 funding fee-income, 31 funding fee-expenditure.
CLOSE_LONG, CLOSE_SHORT, OPEN_FEE, CLOSE_FEE, FROM_SPOT, FUNDING_IN, FUNDING_OUT = 3, 4, 5, 7, 14, 30, 31


@dataclass(frozen=True)
class CoinFill:
    query_id: int
    match_id: int
    order_id: int
    time: int
    buys: bool
    opening: bool
    vol: int
    price: Decimal
    fee: Decimal  # BTC charged
    profit: Decimal  # BTC, closing fills only

    @property
    def turnover(self) -> Decimal:
        return self.vol * FACE_USD

    @property
    def coins(self) -> Decimal:
        return self.turnover / self.price


@dataclass(frozen=True)
class CoinLine:
    query_id: int
    id: int
    type: int
    amount: Decimal
    time: int


@dataclass(frozen=True)
class CoinSwapScript:
    fills: tuple[CoinFill, ...]
    lines: tuple[CoinLine, ...]
    deposit: DepositRecord
    transfer: TransferRecord

    @property
    def wallet(self) -> Decimal:
        """The swap account's BTC: every money line, the move in included."""
        return sum((line.amount for line in self.lines), Decimal(0))


def script_coin_swap(seed: int, now_ms: int) -> CoinSwapScript:
    moved_at = now_ms - 70 * DAY_MS
    trips = ((True, 10, Decimal(40000), Decimal(50000)), (False, 20, Decimal(62500), Decimal(50000)))
    fills: list[CoinFill] = []
    raw: list[tuple[int, int, Decimal]] = [(moved_at, FROM_SPOT, MOVED_IN)]
    for n, (long, vol, opened, closed) in enumerate(trips):
        start = now_ms - (60 - 20 * n) * DAY_MS + seed % 7 * HOUR_MS
        end = start + 30 * HOUR_MS
        size = vol * FACE_USD
        # An inverse contract's profit in the coin: the USD face over each price, long gains when the price rises.
        profit = size / opened - size / closed if long else size / closed - size / opened
        for when, price, opening in ((start, opened, True), (end, closed, False)):
            fee = size / price * FEE_RATE
            buys = long == opening
            ident = 3_000 + 10 * len(fills)
            fills.append(
                CoinFill(ident + 7, 49_637_561_000 + ident, 770_434_885_714_452_000 + ident, when, buys, opening, vol,
                         price, fee, Decimal(0) if opening else profit)
            )  # fmt: skip
            raw.append((when, OPEN_FEE if opening else CLOSE_FEE, -fee))
            if not opening:
                raw.append((when, CLOSE_LONG if long else CLOSE_SHORT, profit))
        funding = Decimal("-0.0000125") if long else Decimal("0.000008")  # one settlement while held
        raw.append((start + 8 * HOUR_MS, FUNDING_IN if funding > 0 else FUNDING_OUT, funding))
    raw.sort(key=lambda r: r[0])
    lines = tuple(CoinLine(111_000 + 3 * n, 927_489_000 + n, k, a, t) for n, (t, k, a) in enumerate(raw))
    deposit = DepositRecord(
        "htx-coin-dep", f"{seed + 7:064x}", "BTC", "BTC", DEPOSITED, "bc1qhtxcoinswap", now_ms - 75 * DAY_MS
    )
    transfer = TransferRecord(str(9_200_000 + seed), "BTC", MOVED_IN, "UNIFIED", "FUND", moved_at)
    return CoinSwapScript(tuple(fills), lines, deposit, transfer)


def fill_row(f: CoinFill) -> dict[str, object]:
    """A fill in the documented shape of the coin-margined fill list."""
    return {
        "query_id": f.query_id,
        "match_id": f.match_id,
        "order_id": f.order_id,
        "symbol": "BTC",
        "contract_code": CONTRACT,
        "direction": "buy" if f.buys else "sell",
        "offset": "open" if f.opening else "close",
        "trade_volume": f.vol,
        "trade_price": number(f.price),
        "trade_turnover": number(f.turnover),
        "trade_fee": number(-f.fee),
        "offset_profitloss": number(f.profit),
        "create_date": f.time,
        "role": "Taker",
        "order_source": "api",
        "order_id_str": str(f.order_id),
        "id": f"{f.match_id}-{f.order_id}-1",
        "fee_asset": "BTC",
        "real_profit": number(f.profit),
    }


def line_row(line: CoinLine) -> dict[str, object]:
    return {
        "query_id": line.query_id,
        "id": line.id,
        "symbol": "BTC",
        "type": line.type,
        "amount": number(line.amount),
        "ts": line.time,
        "contract_code": CONTRACT,
    }


def fold_coin_swap(account: ScriptedAccount, script: CoinSwapScript) -> ScriptedAccount:
    """The account with the deposit and the move listed, and its BTC (spot and swap account together) moved by what
    the swap history added: the deposit, closing profit, fees and funding."""
    held = {b.asset: b for b in account.balances}
    before = held.get("BTC", BalanceRecord("BTC", Decimal(0), Decimal(0)))
    held["BTC"] = BalanceRecord("BTC", before.free + DEPOSITED + script.wallet - MOVED_IN, before.locked)
    return replace(
        account,
        deposits=tuple(sorted((*account.deposits, script.deposit), key=lambda d: d.timestamp)),
        transfers=tuple(sorted((*account.transfers, script.transfer), key=lambda t: t.timestamp)),
        balances=tuple(held[a] for a in sorted(held)),
    )
