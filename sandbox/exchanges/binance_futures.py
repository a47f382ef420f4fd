"""Binance futures, emulated: USDⓈ-M (``/fapi``) and COIN-M (``/dapi``) fills, income history and wallet balances of a
scripted account that traded both (docs/exchange-apis/binance.md names every page these rules come from).

- ``GET /fapi/v1/userTrades`` (weight 5) and ``GET /dapi/v1/userTrades`` (weight 20 with a symbol): a symbol is
  needed (``-1102``); ``fromId`` returns trades with id >= it, ascending, and may not come with a start or end
  (``-1128``); without either the last 7 days; a start/end span over 7 days is refused (``-1127``); limit 500 (fapi)
  or 50 (dapi) by default, at most 1000. USDⓈ-M answers only the past 6 months.
- ``GET /fapi/v1/income`` (weight 30) and ``GET /dapi/v1/income`` (weight 20): every kind of line unless
  ``incomeType`` is sent, ascending from ``startTime``, ``page`` + ``limit`` (100, at most 1000); without times the
  last 7 days (fapi) or 200 days (dapi); fapi keeps the last three months; a dapi span over 200 days is refused.
- ``GET /fapi/v2/balance`` (weight 5) and ``GET /dapi/v1/balance`` (weight 1): the wallet per asset: ``balance`` is
  the wallet balance (no unrealized profit and loss).

The script: 20,000 USDT and 0.5 BTC deposited to spot, 5,000 USDT moved to USDⓈ-M and 0.2 BTC to COIN-M, round trips
in BTCUSDT, ETHUSDT and BTCUSD_PERP with their commissions and realized profit and loss, funding payments,
1,000 USDT moved back to spot, 12.5 USDT from Binance's internal account and 100 USDT swapped for 99.95 USDC.
`with_futures` folds the deposits and the spot side of the transfers into the spot account, so the balances Binance
shows stay what the history explains.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.binance_book import BinanceError, Call, check_span, int_param, limit_param, mandatory
from sandbox.exchanges.records import EIGHT_PLACES, BalanceRecord, DepositRecord, ScriptedAccount, plain

Json = dict[str, Any]
USDM, COINM = "usdm", "coinm"
FUTURES_TRADES_WINDOW_MS = 7 * DAY_MS
USDM_TRADES_REACH_MS = 180 * DAY_MS  # "Only support querying trade in the past 6 months"
USDM_INCOME_REACH_MS = 90 * DAY_MS  # "Income history only contains data for the last three months"
COINM_INCOME_WINDOW_MS = 200 * DAY_MS
CONTRACT_USD = Decimal(100)  # BTCUSD_PERP: one contract is 100 USD
USDM_TAKER, COINM_TAKER = Decimal("0.0004"), Decimal("0.0005")
USDM_IN, USDM_BACK, COINM_IN = Decimal(5000), Decimal(1000), Decimal("0.2")
INTERNAL_IN, SWAPPED_OUT, SWAPPED_IN = Decimal("12.5"), Decimal(100), Decimal("99.95")
DEPOSITED = {"USDT": Decimal(20000), "BTC": Decimal("0.5")}


@dataclass(frozen=True)
class FuturesFill:
    product: str
    symbol: str
    id: int
    order_id: int
    side: str  # BUY or SELL
    price: Decimal
    qty: Decimal  # USDⓈ-M: base quantity; COIN-M: contracts
    notional: Decimal  # USDⓈ-M: quoteQty in USDT; COIN-M: baseQty in BTC
    commission: Decimal
    asset: str  # the settle (margin) asset, also the commission's
    realized_pnl: Decimal
    time: int


@dataclass(frozen=True)
class IncomeLine:
    product: str
    symbol: str
    income_type: str
    income: Decimal
    asset: str
    time: int
    tran_id: int
    trade_id: str = ""


@dataclass(frozen=True)
class FuturesScript:
    fills: tuple[FuturesFill, ...]
    income: tuple[IncomeLine, ...]
    wallets: Mapping[str, Mapping[str, Decimal]]  # product -> asset -> wallet balance
    deposits: tuple[DepositRecord, ...]
    spot_change: Mapping[str, Decimal] = field(default_factory=dict)

    def fills_of(self, product: str, symbol: str) -> list[FuturesFill]:
        return [f for f in self.fills if f.product == product and f.symbol == symbol]


def q8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT_PLACES)


class _Writer:
    def __init__(self, seed: int, now_ms: int) -> None:
        self.rng = random.Random(f"binance-futures-{seed}")  # noqa: S311 - reproducible scripts, not security
        self.now = now_ms
        self.fills: list[FuturesFill] = []
        self.income: list[IncomeLine] = []
        self.tran = 9_689_000_000 + self.rng.randrange(100_000)
        self.ids = {"BTCUSDT": 698_000, "ETHUSDT": 412_000, "BTCUSD_PERP": 6_100}

    def line(
        self, product: str, symbol: str, kind: str, amount: Decimal, asset: str, when: int, trade: str = ""
    ) -> None:
        self.tran += self.rng.randrange(1, 50)
        self.income.append(IncomeLine(product, symbol, kind, amount, asset, when, self.tran, trade))

    def fill(self, product: str, symbol: str, side: str, price: Decimal, qty: Decimal, pnl: Decimal, when: int) -> None:
        self.ids[symbol] += self.rng.randrange(1, 9)
        ident = self.ids[symbol]
        if product == USDM:
            notional, asset = price * qty, "USDT"
            commission = q8(notional * USDM_TAKER)
        else:
            notional, asset = q8(qty * CONTRACT_USD / price), "BTC"
            commission = q8(notional * COINM_TAKER)
        self.fills.append(
            FuturesFill(product, symbol, ident, ident * 37, side, price, qty, notional, commission, asset, pnl, when)
        )
        self.line(product, symbol, "COMMISSION", -commission, asset, when, str(ident))
        if pnl:
            self.line(product, symbol, "REALIZED_PNL", pnl, asset, when, str(ident))

    def round_trip(self, product: str, symbol: str, base_price: Decimal, qty: Decimal, start: int) -> None:
        rng = self.rng
        opened = (base_price * Decimal(rng.randint(970, 1030)) / 1000).quantize(Decimal("0.1"))
        closed = (opened * Decimal(rng.randint(975, 1025)) / 1000).quantize(Decimal("0.1"))
        long = rng.random() < 0.5
        # USDⓈ-M books the price move times the quantity; COIN-M the contracts' USD value in BTC at each price.
        inverse = q8(qty * CONTRACT_USD * (1 / opened - 1 / closed))
        move = (closed - opened) * qty if product == USDM else inverse
        pnl = move if long else -move
        self.fill(product, symbol, "BUY" if long else "SELL", opened, qty, Decimal(0), start)
        self.fill(
            product, symbol, "SELL" if long else "BUY", closed, qty, pnl, start + rng.randrange(HOUR_MS, 30 * HOUR_MS)
        )


def script_futures(seed: int, now_ms: int) -> FuturesScript:
    """Fifty days of futures: moved in 54 days ago, trading from 50 to 5 days ago, 1,000 USDT moved back 3 days ago."""
    w = _Writer(seed, now_ms)
    moved_in = now_ms - 54 * DAY_MS
    w.line(USDM, "", "TRANSFER", USDM_IN, "USDT", moved_in)
    w.line(COINM, "", "TRANSFER", COINM_IN, "BTC", moved_in + HOUR_MS)
    for n in range(9):
        start = now_ms - 50 * DAY_MS + n * 5 * DAY_MS + w.rng.randrange(HOUR_MS)
        symbol, price, qty = [
            ("BTCUSDT", Decimal(60000), Decimal("0.012")),
            ("ETHUSDT", Decimal(3000), Decimal("0.35")),
        ][n % 2]
        w.round_trip(USDM, symbol, price, qty, start)
        if n % 3 == 0:
            w.round_trip(COINM, "BTCUSD_PERP", Decimal(60000), Decimal(w.rng.randint(2, 9)), start + 2 * HOUR_MS)
    for n in range(6):  # funding every 8 hours while a position was open, a few of them
        when = now_ms - 49 * DAY_MS + n * 7 * DAY_MS
        w.line(
            USDM,
            ("BTCUSDT", "ETHUSDT")[n % 2],
            "FUNDING_FEE",
            Decimal(w.rng.randint(-90000, 40000)) / 10**5,
            "USDT",
            when,
        )
        if n % 2 == 0:
            w.line(
                COINM, "BTCUSD_PERP", "FUNDING_FEE", Decimal(w.rng.randint(-900, 400)) / 10**8, "BTC", when + HOUR_MS
            )
    w.line(USDM, "", "TRANSFER", -USDM_BACK, "USDT", now_ms - 3 * DAY_MS)
    # Money no other history lists (Get Income History's INTERNAL_TRANSFER: "from Binance's internal account to a
    # regular user"), and a coin swap's two legs (COIN_SWAP_WITHDRAW / COIN_SWAP_DEPOSIT) inside the USDⓈ-M wallet.
    w.line(USDM, "", "INTERNAL_TRANSFER", INTERNAL_IN, "USDT", now_ms - 2 * DAY_MS)
    w.line(USDM, "", "COIN_SWAP_WITHDRAW", -SWAPPED_OUT, "USDT", now_ms - 2 * DAY_MS + HOUR_MS)
    w.line(USDM, "", "COIN_SWAP_DEPOSIT", SWAPPED_IN, "USDC", now_ms - 2 * DAY_MS + HOUR_MS)
    income = tuple(sorted(w.income, key=lambda line: (line.time, line.tran_id)))
    wallets: dict[str, dict[str, Decimal]] = {USDM: {}, COINM: {}}
    for line in income:
        wallets[line.product][line.asset] = wallets[line.product].get(line.asset, Decimal(0)) + line.income
    deposits = tuple(
        DepositRecord(
            str(7_700_001 + n),
            f"{n + 1:064x}",
            asset,
            {"USDT": "TRX", "BTC": "BTC"}[asset],
            amount,
            f"futures-dep-{asset.lower()}",
            now_ms - 56 * DAY_MS + n * HOUR_MS,
        )
        for n, (asset, amount) in enumerate(DEPOSITED.items())
    )
    spot = {"USDT": DEPOSITED["USDT"] - USDM_IN + USDM_BACK, "BTC": DEPOSITED["BTC"] - COINM_IN}
    return FuturesScript(tuple(sorted(w.fills, key=lambda f: (f.time, f.id))), income, wallets, deposits, spot)


def fold_into_spot(
    account: ScriptedAccount, deposits: Sequence[DepositRecord], change: Mapping[str, Decimal]
) -> ScriptedAccount:
    """The spot account with these deposits listed and its balances moved by `change` (deposits less transfers)."""
    held = {b.asset: b for b in account.balances}
    for asset, amount in change.items():
        before = held.get(asset, BalanceRecord(asset, Decimal(0), Decimal(0)))
        held[asset] = BalanceRecord(asset, before.free + amount, before.locked)
    listed = tuple(sorted((*account.deposits, *deposits), key=lambda d: d.timestamp))
    return replace(account, deposits=listed, balances=tuple(held[a] for a in sorted(held)))


class FuturesBook:
    """Serves a FuturesScript as Binance's /fapi and /dapi do; `script` None: the account has no futures wallet."""

    def __init__(self, script: FuturesScript | None) -> None:
        self.script = script

    def _script(self) -> FuturesScript:
        if self.script is None:
            # No futures wallet, or the key is older than it: /fapi and /dapi refuse the key.
            raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        return self.script

    def user_trades(self, product: str) -> Callable[[Call], list[Json]]:
        def handle(call: Call) -> list[Json]:
            script, params = self._script(), call.params
            symbol = mandatory(params, "symbol")
            limit = limit_param(params, 500 if product == USDM else 50, 1000)
            from_id = int_param(params, "fromId")
            start, end = int_param(params, "startTime"), int_param(params, "endTime")
            if from_id is not None and (start is not None or end is not None):
                raise BinanceError(-1128, "Combination of optional parameters invalid.")
            fills = script.fills_of(product, symbol)
            if product == USDM:
                fills = [f for f in fills if f.time >= call.now_ms - USDM_TRADES_REACH_MS]
            if from_id is not None:
                chosen = [f for f in fills if f.id >= from_id]
            else:
                if start is None and end is None:
                    end = call.now_ms
                if start is not None and end is not None:
                    check_span(start, end, FUTURES_TRADES_WINDOW_MS)
                low = start if start is not None else int(end or 0) - FUTURES_TRADES_WINDOW_MS
                high = end if end is not None else low + FUTURES_TRADES_WINDOW_MS
                chosen = [f for f in fills if low <= f.time <= high]
            return [_fill_json(f) for f in chosen[:limit]]

        return handle

    def income(self, product: str) -> Callable[[Call], list[Json]]:
        def handle(call: Call) -> list[Json]:
            script, params = self._script(), call.params
            limit = limit_param(params, 100, 1000)
            page = int_param(params, "page") or 1
            start, end = int_param(params, "startTime"), int_param(params, "endTime")
            default_span = FUTURES_TRADES_WINDOW_MS if product == USDM else COINM_INCOME_WINDOW_MS
            if start is None and end is None:
                start, end = call.now_ms - default_span, call.now_ms
            low, high = start if start is not None else 0, end if end is not None else call.now_ms
            if product == COINM:
                check_span(low, high, COINM_INCOME_WINDOW_MS)
            else:
                low = max(low, call.now_ms - USDM_INCOME_REACH_MS)
            kind, symbol = params.get("incomeType"), params.get("symbol")
            lines = [
                line
                for line in script.income
                if line.product == product
                and low <= line.time <= high
                and (not kind or line.income_type == kind)
                and (not symbol or line.symbol == symbol)
            ]
            return [_income_json(line) for line in lines[(page - 1) * limit : page * limit]]

        return handle

    def balance(self, product: str) -> Callable[[Call], list[Json]]:
        def handle(call: Call) -> list[Json]:
            wallet = self._script().wallets[product]
            assets = ("USDT", "BNB", "USDC") if product == USDM else ("BTC", "ETH")
            return [_balance_json(product, asset, wallet.get(asset, Decimal(0)), call.now_ms) for asset in assets]

        return handle


def _fill_json(f: FuturesFill) -> Json:
    common: Json = {
        "symbol": f.symbol,
        "id": f.id,
        "orderId": f.order_id,
        "side": f.side,
        "price": plain(f.price),
        "qty": plain(f.qty),
        "realizedPnl": plain(f.realized_pnl),
        "commission": plain(f.commission),
        "commissionAsset": f.asset,
        "time": f.time,
        "positionSide": "BOTH",
        "buyer": f.side == "BUY",
        "maker": False,
    }
    if f.product == USDM:
        return {**common, "quoteQty": plain(f.notional)}
    return {**common, "pair": f.symbol.split("_")[0], "marginAsset": f.asset, "baseQty": plain(f.notional)}


def _income_json(line: IncomeLine) -> Json:
    # USDⓈ-M writes tranId as a number, COIN-M as a string (each page's response example).
    tran: int | str = line.tran_id if line.product == USDM else str(line.tran_id)
    return {
        "symbol": line.symbol,
        "incomeType": line.income_type,
        "income": f"{line.income:.8f}",
        "asset": line.asset,
        "info": line.income_type if line.product == USDM else "",
        "time": line.time,
        "tranId": tran,
        "tradeId": line.trade_id,
    }


def _balance_json(product: str, asset: str, amount: Decimal, now_ms: int) -> Json:
    text = f"{amount:.8f}"
    row: Json = {
        "accountAlias": "SgsR",
        "asset": asset,
        "balance": text,
        "crossWalletBalance": text,
        "crossUnPnl": "0.00000000",
        "availableBalance": text,
        "updateTime": now_ms,
    }
    if product == USDM:
        return {**row, "maxWithdrawAmount": text, "marginAvailable": True}
    return {**row, "withdrawAvailable": text}
