"""Binance cross and isolated margin, emulated (docs/exchange-apis/binance.md names every page these rules come from).

- ``GET /sapi/v1/margin/myTrades`` (weight 10, IP): a symbol is needed; ``isIsolated`` "TRUE" for an isolated pair;
  ``fromId`` returns trades with id >= it, ascending; else start/end less than 24 hours apart, else the last 24 hours;
  limit 500, at most 1000. A margin trade carries no ``quoteQty``.
- ``GET /sapi/v1/margin/borrow-repay`` (weight 10, IP): ``type`` BORROW or REPAY is needed, and ``txId`` or
  ``startTime``; with an ``asset`` the answer holds the 30 days before ``endTime``, without one the 7 days before it;
  ``isolatedSymbol`` for an isolated pair (cross margin otherwise); ``current`` + ``size`` (10, at most 100), newest
  first, ``{"rows": [...], "total": n}``.
- ``GET /sapi/v1/margin/interestHistory`` (weight 1, IP): at most 30 days between start and end; only a start: from
  it (at most 30 days back) to now; neither: the last 7 days; cross margin unless ``isolatedSymbol``; paged as above.
- ``archived`` (interest history and ``GET /sapi/v1/margin/transfer``): this emulator follows the edition that lists
  the flag (binance-docs.github.io's Get Interest History and Get Cross Margin Transfer History, "archived: Default:
  false. Set to true for archived data from 6 months ago"; Binance's generated SDKs carry it): rows more than 180
  days old are answered only with ``archived=true``, which answers only them. The current developers.binance.com
  pages list no flag (docs/exchange-apis/binance.md weighs the two); borrow-repay never had one and answers any age.
  ``MarginBook(reads_archived=False)`` plays the current pages' edition: rows of any age without the flag, and the
  flag refused as an unread parameter (-1104 UNREAD_PARAMETERS, spot errors.md).
- A borrowing or repayment's ``status`` is CONFIRMED, PENDING or FAILED (Query Borrow Repay's response).
- ``GET /sapi/v1/margin/account`` and ``GET /sapi/v1/margin/isolated/account`` (weight 10 each): per asset free,
  locked, borrowed, interest and ``netAsset = free + locked - borrowed - interest``. An account without a margin
  account gets ``-3003`` "Margin account does not exist." (margin error codes).

The script: 3,000 USDT deposited to spot, 2,000 moved to cross margin, 0.01 BTC borrowed and sold on BTCUSDT, bought
back and repaid with its interest; 600 USDT moved to isolated ETHUSDT, 400 USDT borrowed there to buy ETH, the loan
still open with its interest owed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.binance_book import BinanceError, Call, check_span, int_param, limit_param, mandatory
from sandbox.exchanges.records import EIGHT_PLACES, DepositRecord, Market, plain

Json = dict[str, Any]
MARGIN_TRADES_WINDOW_MS = 24 * HOUR_MS
LOANS_WINDOW_MS, LOANS_ASSET_WINDOW_MS = 7 * DAY_MS, 30 * DAY_MS
INTEREST_WINDOW_MS = 30 * DAY_MS
TRANSFER_WINDOW_MS = 30 * DAY_MS  # margin transfer history: "The max interval ... is 30 days"
ARCHIVE_AGE_MS = 180 * DAY_MS  # "Set to true for archived data from 6 months ago"
CROSS_IN, ISOLATED_IN = Decimal(2000), Decimal(600)
NO_MARGIN_ACCOUNT = (-3003, "Margin account does not exist.")


@dataclass(frozen=True)
class MarginFill:
    symbol: str
    isolated: bool
    id: int
    side: str  # buy or sell
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int


@dataclass(frozen=True)
class Loan:
    kind: str  # BORROW or REPAY
    isolated_symbol: str  # "" for cross margin
    asset: str
    principal: Decimal
    interest: Decimal
    tx_id: int
    time: int
    status: str = "CONFIRMED"  # PENDING, FAILED


@dataclass(frozen=True)
class Interest:
    isolated_symbol: str
    asset: str
    principal: Decimal
    interest: Decimal
    kind: str  # ON_BORROW or PERIODIC
    tx_id: int
    time: int


@dataclass(frozen=True)
class Holding:
    free: Decimal = Decimal(0)
    borrowed: Decimal = Decimal(0)
    interest: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal:
        return self.free - self.borrowed - self.interest


@dataclass(frozen=True)
class MarginScript:
    fills: tuple[MarginFill, ...]
    loans: tuple[Loan, ...]
    interest: tuple[Interest, ...]
    cross: Mapping[str, Holding]
    isolated: Mapping[str, Mapping[str, Holding]]  # symbol -> asset -> holding
    deposits: tuple[DepositRecord, ...]
    spot_change: Mapping[str, Decimal]
    isolated_transfers: tuple[Json, ...] = ()  # GET /sapi/v1/margin/transfer rows, with their "isolatedSymbol"


def script_margin(seed: int, now_ms: int) -> MarginScript:
    rng = random.Random(f"binance-margin-{seed}")  # noqa: S311 - reproducible scripts, not security
    tx = iter(range(1_352_286_576_452_864_000 + rng.randrange(1000), 10**19, 7))
    t0 = now_ms - 40 * DAY_MS + rng.randrange(HOUR_MS)
    btc_price = Decimal(rng.randint(58000, 62000))
    back_price = btc_price + Decimal(rng.randint(-900, 900))
    borrowed = Decimal("0.01")
    bought = Decimal("0.0101")
    accrued = [Decimal(rng.randint(20, 60)) * EIGHT_PLACES for _ in range(4)]
    fills = [
        MarginFill(
            "BTCUSDT", False, 34_001, "sell", btc_price, borrowed, q8(borrowed * btc_price / 1000), "USDT", t0 + 60_000
        ),
        MarginFill("BTCUSDT", False, 34_007, "buy", back_price, bought, q8(bought / 1000), "BTC", t0 + 3 * HOUR_MS),
    ]
    interest = [
        Interest("", "BTC", borrowed, amount, "ON_BORROW" if n == 0 else "PERIODIC", next(tx), t0 + n * HOUR_MS)
        for n, amount in enumerate(accrued)
    ]
    owed = sum(accrued, Decimal(0))
    loans = [
        Loan("BORROW", "", "BTC", borrowed, Decimal(0), next(tx), t0),
        Loan("REPAY", "", "BTC", borrowed, owed, next(tx), t0 + 4 * HOUR_MS),
    ]
    # Isolated ETHUSDT: 400 USDT borrowed, 0.3 ETH bought; the loan and its interest are still owed.
    t1 = now_ms - 20 * DAY_MS + rng.randrange(HOUR_MS)
    eth_price = Decimal(rng.randint(2900, 3100))
    eth = Decimal("0.3")
    lent = Decimal(400)
    fills.append(MarginFill("ETHUSDT", True, 9_001, "buy", eth_price, eth, q8(eth / 1000), "ETH", t1 + 60_000))
    isolated_accrued = [Decimal(rng.randint(100, 900)) * EIGHT_PLACES * 100 for _ in range(3)]
    interest += [
        Interest("ETHUSDT", "USDT", lent, amount, "ON_BORROW" if n == 0 else "PERIODIC", next(tx), t1 + n * HOUR_MS)
        for n, amount in enumerate(isolated_accrued)
    ]
    loans.append(Loan("BORROW", "ETHUSDT", "USDT", lent, Decimal(0), next(tx), t1))
    sell, buy = fills[0], fills[1]
    cross = {
        "BTC": Holding(free=borrowed - borrowed + bought - buy.commission - borrowed - owed),
        "USDT": Holding(free=CROSS_IN + borrowed * btc_price - sell.commission - bought * back_price),
    }
    isolated = {
        "ETHUSDT": {
            "ETH": Holding(free=eth - fills[2].commission),
            "USDT": Holding(
                free=ISOLATED_IN + lent - eth * eth_price, borrowed=lent, interest=sum(isolated_accrued, Decimal(0))
            ),
        }
    }
    deposits = (DepositRecord("7700101", f"{0xAB:064x}", "USDT", "TRX", Decimal(3000), "margin-dep", t0 - 2 * DAY_MS),)
    spot = {"USDT": Decimal(3000) - CROSS_IN - ISOLATED_IN}
    # The 600 USDT moved from spot into isolated ETHUSDT an hour before its loan (the Get Cross Margin Transfer
    # History example's fields; its `timestamp` is in seconds there, milliseconds on every other margin page).
    roll_in = {"amount": plain(ISOLATED_IN), "asset": "USDT", "status": "CONFIRMED", "timestamp": t1 - HOUR_MS}
    roll_in |= {"txId": next(tx), "type": "ROLL_IN", "transFrom": "SPOT", "transTo": "ISOLATED_MARGIN"}
    return MarginScript(
        tuple(fills),
        tuple(loans),
        tuple(sorted(interest, key=lambda i: i.time)),
        cross,
        isolated,
        deposits,
        spot,
        ({**roll_in, "isolatedSymbol": "ETHUSDT"},),
    )


def with_emptied_market(script: MarginScript, market: Market, now_ms: int) -> MarginScript:
    """The cross account also bought `market`'s coin with USDT and sold all of it back (a margin-only round trip: no
    loan, no interest, the coin never moved in or out), so nothing but a probe of the market finds its trades: 2 of
    the coin bought at its reference price, a commission of 0.002 of it; the 1.998 left sold at 1.1 times that price,
    a commission of a thousandth of the USDT received."""
    bought, price, sold_at = Decimal(2), q8(market.price), q8(market.price * Decimal("1.1"))
    fee = Decimal("0.002")
    sold = bought - fee
    received = q8(sold * sold_at)
    t = now_ms - 30 * DAY_MS
    fills = (
        MarginFill(market.symbol, False, 71_001, "buy", price, bought, fee, market.base, t),
        MarginFill(market.symbol, False, 71_002, "sell", sold_at, sold, q8(received / 1000), "USDT", t + HOUR_MS),
    )
    usdt = script.cross["USDT"]
    change = -q8(bought * price) + received - q8(received / 1000)
    cross = {**script.cross, "USDT": Holding(usdt.free + change, usdt.borrowed, usdt.interest)}
    return replace(script, fills=(*script.fills, *fills), cross=cross)


def q8(value: Decimal) -> Decimal:
    return value.quantize(EIGHT_PLACES)


class MarginBook:
    """Serves a MarginScript as Binance's margin endpoints do; `script` None: no margin account."""

    def __init__(self, script: MarginScript | None, *, reads_archived: bool = True) -> None:
        self.script = script
        self.reads_archived = reads_archived
        # "6 months" in days: 180 unless a test moves Binance's boundary (181 to 184 days are all six months).
        self.archive_age_ms = ARCHIVE_AGE_MS

    def _part(self, params: Mapping[str, str], now_ms: int) -> Callable[[int], bool]:
        """Which rows, by time, the `archived` flag (or its absence) asks for: see the module's docstring."""
        if self.reads_archived:
            return lambda time: in_archive(params, time, now_ms - self.archive_age_ms)
        if "archived" in params:
            read = len(params) - 1
            raise BinanceError(
                -1104, f"Not all sent parameters were read; read '{read}' parameter(s) but was sent '{len(params)}'."
            )
        return lambda time: True

    def _script(self) -> MarginScript:
        if self.script is None:
            raise BinanceError(*NO_MARGIN_ACCOUNT)
        return self.script

    def account(self, call: Call) -> Json:
        held = self._script().cross
        assets = [_holding_json(asset, held.get(asset, Holding())) for asset in ("BNB", "BTC", "ETH", "USDT")]
        return {
            "created": True,
            "borrowEnabled": True,
            "marginLevel": "11.64405625",
            "collateralMarginLevel": "3.2",
            "totalAssetOfBtc": "0.00000000",
            "totalLiabilityOfBtc": "0.00000000",
            "totalNetAssetOfBtc": "0.00000000",
            "TotalCollateralValueInUSDT": "0.00000000",
            "totalOpenOrderLossInUSDT": "0.00000000",
            "tradeEnabled": True,
            "transferInEnabled": True,
            "transferOutEnabled": True,
            "accountType": "MARGIN_1",
            "userAssets": assets,
        }

    def transfers(self, call: Call) -> Json:
        """GET /sapi/v1/margin/transfer (weight 1, IP): cross margin's transfers, or an isolated pair's with
        `isolatedSymbol`; `type` ROLL_IN / ROLL_OUT and `asset` filter; "The max interval between startTime and
        endTime is 30 days"; "Returns data for last 7 days by default"; newest first; `current`, `size` (10, at most
        100)."""
        params, script = call.params, self._script()
        symbol = params.get("isolatedSymbol", "")
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        end = end if end is not None else call.now_ms
        start = start if start is not None else end - 7 * DAY_MS
        check_span(start, end, TRANSFER_WINDOW_MS)
        part = self._part(params, call.now_ms)
        chosen = [
            {k: v for k, v in row.items() if k != "isolatedSymbol"}
            for row in script.isolated_transfers
            if row["isolatedSymbol"] == symbol
            and start <= row["timestamp"] <= end
            and part(int(row["timestamp"]))
            and params.get("type") in (None, row["type"])
            and params.get("asset") in (None, row["asset"])
        ]
        chosen.sort(key=lambda r: -int(r["timestamp"]))
        return _paged(chosen, params, dict)

    def isolated_account(self, call: Call) -> Json:
        pairs = self.script.isolated if self.script is not None else {}
        wanted = [s for s in call.params.get("symbols", "").split(",") if s]
        if len(wanted) > 5:
            raise BinanceError(-1100, "Illegal characters found in parameter 'symbols'.")
        rows = []
        for symbol, held in pairs.items():
            if wanted and symbol not in wanted:
                continue
            base, quote = symbol[:-4], symbol[-4:]
            rows.append(
                {
                    "baseAsset": _holding_json(base, held.get(base, Holding()), isolated=True),
                    "quoteAsset": _holding_json(quote, held.get(quote, Holding()), isolated=True),
                    "symbol": symbol,
                    "isolatedCreated": True,
                    "enabled": True,
                    "marginLevel": "2.50000000",
                    "marginLevelStatus": "EXCESSIVE",
                    "marginRatio": "5.00000000",
                    "indexPrice": "3000.00000000",
                    "liquidatePrice": "1000.00000000",
                    "liquidateRate": "1.00000000",
                    "tradeEnabled": True,
                }
            )
        zero = "0.00000000"
        return {"assets": rows, "totalAssetOfBtc": zero, "totalLiabilityOfBtc": zero, "totalNetAssetOfBtc": zero}

    def my_trades(self, call: Call) -> list[Json]:
        script, params = self._script(), call.params
        symbol = mandatory(params, "symbol")
        isolated = params.get("isIsolated", "FALSE").upper() == "TRUE"
        limit = limit_param(params, 500, 1000)
        from_id = int_param(params, "fromId")
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        fills = [f for f in script.fills if f.symbol == symbol and f.isolated == isolated]
        if from_id is not None:
            chosen = [f for f in fills if f.id >= from_id]
        else:
            if start is not None and end is not None:
                check_span(start, end, MARGIN_TRADES_WINDOW_MS - 1)
            high = end if end is not None else (start + MARGIN_TRADES_WINDOW_MS if start is not None else call.now_ms)
            low = start if start is not None else high - MARGIN_TRADES_WINDOW_MS
            chosen = [f for f in fills if low <= f.time <= high]
        return [_fill_json(f) for f in chosen[:limit]]

    def loans(self, call: Call) -> Json:
        script, params = self._script(), call.params
        kind = mandatory(params, "type")
        if kind not in ("BORROW", "REPAY"):
            raise BinanceError(-1100, "Illegal characters found in parameter 'type'.")
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        tx_id = int_param(params, "txId")
        if tx_id is None and start is None:
            raise BinanceError(-1102, "Mandatory parameter 'startTime' was not sent, was empty/null, or malformed.")
        asset, symbol = params.get("asset", ""), params.get("isolatedSymbol", "")
        end = call.now_ms if end is None else end
        low = max(start or 0, end - (LOANS_ASSET_WINDOW_MS if asset else LOANS_WINDOW_MS))
        rows = [
            loan
            for loan in script.loans
            if loan.kind == kind
            and loan.isolated_symbol == symbol
            and (not asset or loan.asset == asset)
            and ((tx_id is not None and loan.tx_id == tx_id) or (tx_id is None and low <= loan.time <= end))
        ]
        return _paged(sorted(rows, key=lambda r: r.time, reverse=True), params, _loan_json)

    def interest_history(self, call: Call) -> Json:
        script, params = self._script(), call.params
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        if start is not None and end is not None:
            check_span(start, end, INTEREST_WINDOW_MS)
            low, high = start, end
        elif start is not None:
            low, high = max(start, call.now_ms - INTEREST_WINDOW_MS), call.now_ms
        else:
            high = end if end is not None else call.now_ms
            low = high - 7 * DAY_MS
        asset, symbol = params.get("asset", ""), params.get("isolatedSymbol", "")
        part = self._part(params, call.now_ms)
        rows = [
            i
            for i in script.interest
            if i.isolated_symbol == symbol
            and (not asset or i.asset == asset)
            and low <= i.time <= high
            and part(i.time)
        ]
        return _paged(sorted(rows, key=lambda r: r.time, reverse=True), params, _interest_json)


def in_archive(params: Mapping[str, str], time: int, boundary_ms: int) -> bool:
    """Whether a row of that time is in the part asked: the archive (`archived=true`: older than the boundary, six
    months ago) or the recent rows (the default)."""
    archived = str(params.get("archived", "false")).lower() == "true"
    return archived == (time < boundary_ms)


def _paged(rows: list[Any], params: Mapping[str, str], render: Callable[[Any], Json]) -> Json:
    current = int_param(params, "current") or 1
    size = int_param(params, "size") or 10
    if not 1 <= size <= 100:
        raise BinanceError(-1130, "Data sent for parameter 'size' is not valid.")
    return {"rows": [render(r) for r in rows[(current - 1) * size : current * size]], "total": len(rows)}


def _holding_json(asset: str, held: Holding, *, isolated: bool = False) -> Json:
    row: Json = {
        "asset": asset,
        "borrowed": f"{held.borrowed:.8f}",
        "free": f"{held.free:.8f}",
        "interest": f"{held.interest:.8f}",
        "locked": "0.00000000",
        "netAsset": f"{held.net:.8f}",
    }
    if isolated:
        total = f"{held.free:.8f}"
        return {**row, "borrowEnabled": True, "netAssetOfBtc": "0.00000000", "repayEnabled": True, "totalAsset": total}
    return row


def _fill_json(f: MarginFill) -> Json:
    return {
        "commission": f"{f.commission:.8f}",
        "commissionAsset": f.commission_asset,
        "id": f.id,
        "isBestMatch": True,
        "isBuyer": f.side == "buy",
        "isMaker": False,
        "orderId": f.id * 3,
        "price": f"{f.price:.8f}",
        "qty": f"{f.qty:.8f}",
        "symbol": f.symbol,
        "isIsolated": f.isolated,
        "time": f.time,
    }


def _loan_json(loan: Loan) -> Json:
    row: Json = {
        "type": "MANUAL",
        "amount": f"{loan.principal + loan.interest:.8f}",
        "asset": loan.asset,
        "interest": f"{loan.interest:.8f}",
        "principal": f"{loan.principal:.8f}",
        "status": loan.status,
        "timestamp": loan.time,
        "txId": loan.tx_id,
    }
    return {**row, "isolatedSymbol": loan.isolated_symbol} if loan.isolated_symbol else row


def _interest_json(i: Interest) -> Json:
    row: Json = {
        "txId": i.tx_id,
        "interestAccuredTime": i.time,
        "asset": i.asset,
        "principal": plain(i.principal),
        "interest": f"{i.interest:.8f}",
        "interestRate": "0.00013233",
        "type": i.kind,
    }
    return {**row, "isolatedSymbol": i.isolated_symbol} if i.isolated_symbol else {**row, "rawAsset": i.asset}
