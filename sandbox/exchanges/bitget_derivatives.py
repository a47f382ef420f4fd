"""Bitget v2's futures (mix) and margin reads over a scripted account (`bitget_derivatives_script`).

Rules (docs/exchange-apis/bitget.md, section "Futures and margin", each with its page):

- ``/api/v2/mix/order/fill-history``: ``productType`` required (USDT-FUTURES, COIN-FUTURES, USDC-FUTURES, any
  case), ``startTime``..``endTime`` at most a week (an end alone: the week before it; neither: the last week),
  ``limit`` default and max 100, newest first, ``idLessThan=<endId>``; answer ``{"fillList": [...], "endId"}``.
- ``/api/v2/mix/account/bill``: ``productType`` required, range at most 30 days, ``limit`` default 20 max 100,
  ``businessType``, ``onlyFunding=yes`` (leaves out the four margin adjustments), ``coin`` (only with a transfer
  type); data within 90 days only (older rows are not served); ``{"bills": [...], "endId"}``.
- ``/api/v2/mix/account/accounts``: ``productType`` required; one row per margin coin.
- ``/api/v2/margin/{crossed,isolated}/fills``: ``symbol`` and ``startTime`` required, at most 90 days, ``limit``
  default 100 max 500, ``idLessThan=<minId>``; ``{"fills": [...], "maxId", "minId"}``.
- ``/api/v2/margin/{crossed,isolated}/{borrow,repay,interest}-history``: ``startTime`` required (isolated: and
  ``symbol``), at most 90 days, ``limit`` default 100 max 500, ``idLessThan``; ``{"resultList": [...], ...}``.
- ``/api/v2/margin/{crossed,isolated}/account/assets``: rows of coin (isolated: per symbol) with ``net =
  available + frozen − borrow − interest``.

Futures fills older than the 90 days the other futures lists keep are not served either (the fill page states no
reach; ccxt records 40704 "Can only check the data of the last three months"). Margin lists state no reach: the
emulator serves everything. Missing parameters 40019, invalid values and ranges 40017, HTTP 400.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bitget_derivatives_script import (
    PRODUCT_TYPES,
    Bill,
    DerivativesScript,
    FuturesFill,
    Interest,
    Loan,
    MarginFill,
    Repayment,
    WalletTransfer,
)
from sandbox.exchanges.bitget_protocol import (
    BitgetError,
    Call,
    Json,
    below,
    int_param,
    invalid,
    limit_param,
    missing,
    negative,
)
from sandbox.exchanges.records import plain

R = TypeVar("R")


class _Entry(Protocol):
    """A loan, repayment or interest charge of the script."""

    @property
    def id(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def symbol(self) -> str: ...
    @property
    def coin(self) -> str: ...
    @property
    def timestamp(self) -> int: ...


E = TypeVar("E", bound=_Entry)
FUTURES_WINDOW_MS = 7 * DAY_MS  # contract/trade/Get-Fill-History: "The maximum time span supported is a week"
BILLS_WINDOW_MS = 30 * DAY_MS  # contract/account/Get-Account-Bill: "should be <= 30 days"
FUTURES_REACH_MS = 90 * DAY_MS  # Get-Account-Bill: "It only supports to get the data within 90days"
MARGIN_WINDOW_MS = 90 * DAY_MS  # margin/*: "Maximum interval between start time and end time is 90 days"
# Get-Account-Bill, onlyFunding=yes: "The following four types of non-financial businessType will be excluded".
MARGIN_ADJUSTMENTS = frozenset(
    {"append_margin", "adjust_down_lever_append_margin", "reduce_margin", "auto_append_margin"}
)
# Request limits per second (each page's "Frequency limit"; ccxt's cost table agrees).
PER_SECOND: Mapping[str, int] = {
    "/api/v2/mix/order/fill-history": 10,
    "/api/v2/mix/account/bill": 10,
    "/api/v2/mix/account/accounts": 10,
    **{
        f"/api/v2/margin/{mode}/{name}": 10
        for mode in ("crossed", "isolated")
        for name in ("fills", "borrow-history", "repay-history", "interest-history", "account/assets")
    },
}


def _product(params: Mapping[str, str]) -> str:
    raw = params.get("productType", "")
    if raw == "":
        raise missing("productType")
    if raw.upper() not in PRODUCT_TYPES:
        raise invalid()
    return raw.upper()


def _range(params: Mapping[str, str], now: int, span: int, *, start_required: bool) -> tuple[int, int]:
    start, end = int_param(params, "startTime"), int_param(params, "endTime")
    if start_required and start is None:
        raise missing("startTime")
    if start is None:
        end = now if end is None else end
        start = end - span
    elif end is None:
        end = min(now, start + span)
    if start > end or end - start > span:
        raise invalid()
    return start, end


def _page(rows: Sequence[R], ident: Callable[[R], int], params: Mapping[str, str], limit: int) -> list[R]:
    return below(rows, ident, params, limit)


class BitgetDerivativesBook:
    """Serves the futures and margin lists; `script` None: an account that never used them (empty answers)."""

    def __init__(self, script: DerivativesScript | None = None) -> None:
        self.script = script or DerivativesScript()

    # -- futures ----------------------------------------------------------------------------------------------

    def fill_history(self, call: Call) -> Json:
        p = call.params
        product = _product(p)
        limit = limit_param(p, 100, 100)
        start, end = _range(p, call.now_ms, FUTURES_WINDOW_MS, start_required=False)
        start = max(start, call.now_ms - FUTURES_REACH_MS)
        symbol = p.get("symbol", "").upper()
        chosen = [
            f
            for f in self.script.fills
            if f.product == product and start <= f.timestamp <= end and symbol in ("", f.symbol)
        ]
        page = _page(chosen, lambda f: int(f.id), p, limit)
        return {"fillList": [self._fill(f) for f in page], "endId": page[-1].id if page else ""}

    @staticmethod
    def _fill(f: FuturesFill) -> Json:
        return {
            "tradeId": f.id,
            "symbol": f.symbol,
            "marginCoin": f.margin_coin,
            "orderId": f.order_id,
            "price": plain(f.price),
            "baseVolume": plain(f.size),
            "feeDetail": [
                {"deduction": "no", "feeCoin": f.margin_coin, "totalDeductionFee": "0", "totalFee": negative(f.fee)}
            ],
            "side": f.side,
            "quoteVolume": plain(f.notional),
            "profit": plain(f.profit),
            "enterPointSource": "api",
            "tradeSide": f.trade_side,
            "posMode": "hedge_mode",
            "tradeScope": "taker",
            "cTime": str(f.timestamp),
        }

    def bills(self, call: Call) -> Json:
        p = call.params
        product = _product(p)
        limit = limit_param(p, 20, 100)
        start, end = _range(p, call.now_ms, BILLS_WINDOW_MS, start_required=False)
        start = max(start, call.now_ms - FUTURES_REACH_MS)
        business, coin = p.get("businessType", ""), p.get("coin", "")
        only_funding = p.get("onlyFunding", "no") == "yes"
        chosen = [
            b
            for b in self.script.bills
            if b.product == product
            and start <= b.timestamp <= end
            and business in ("", b.business_type)
            and not (only_funding and b.business_type in MARGIN_ADJUSTMENTS)
            and (not coin or not b.business_type.startswith("trans_") or b.coin == coin)
        ]
        page = _page(chosen, lambda b: int(b.id), p, limit)
        return {"bills": [self._bill(b) for b in page], "endId": page[-1].id if page else ""}

    @staticmethod
    def _bill(b: Bill) -> Json:
        return {
            "billId": b.id,
            "symbol": b.symbol,
            "amount": plain(b.amount),
            "fee": plain(b.fee),
            "feeByCoupon": "",
            "businessType": b.business_type,
            "coin": b.coin,
            "balance": "0",
            "cTime": str(b.timestamp),
        }

    def accounts(self, call: Call) -> list[Json]:
        product = _product(call.params)
        rows = []
        for coin, balance in sorted(self.script.futures_balance(product).items()):
            text = plain(balance)
            rows.append(
                {
                    "marginCoin": coin,
                    "locked": "0",
                    "available": text,
                    "crossedMaxAvailable": text,
                    "isolatedMaxAvailable": text,
                    "maxTransferOut": text,
                    "accountEquity": text,  # every position closed: no unrealized profit or loss
                    "usdtEquity": text,
                    "btcEquity": "0",
                    "crossedRiskRate": "0",
                    "unrealizedPL": "",
                    "coupon": "0",
                    # Multi-assets mode fields; the docs' example spells the first "unionTotalMagin" (its table:
                    # unionTotalMargin), as the emulator does.
                    "unionTotalMagin": "0",
                    "unionAvailable": "0",
                    "unionMm": "0",
                    "assetList": [],
                    "isolatedMargin": "0",
                    "crossedMargin": "0",
                    "crossedUnrealizedPL": "0",
                    "isolatedUnrealizedPL": "0",
                    "assetMode": "single",
                }
            )
        return rows

    # -- margin -----------------------------------------------------------------------------------------------

    def handler(self, mode: str, name: str) -> Callable[[Call], object]:
        serve: Callable[[Call, str], object] = getattr(self, f"_{name}")
        return lambda call: serve(call, mode)

    def _fills(self, call: Call, mode: str) -> Json:
        p = call.params
        symbol = p.get("symbol", "")
        if symbol == "":
            raise missing("symbol")
        limit = limit_param(p, 100, 500)
        start, end = _range(p, call.now_ms, MARGIN_WINDOW_MS, start_required=True)
        chosen = [
            f for f in self.script.margin_fills if f.mode == mode and f.symbol == symbol and start <= f.timestamp <= end
        ]
        page = _page(chosen, lambda f: int(f.id), p, limit)
        return self._listed("fills", [self._margin_fill(f) for f in page], [f.id for f in page])

    @staticmethod
    def _listed(name: str, rows: list[Json], ids: list[str]) -> Json:
        return {name: rows, "maxId": ids[0] if ids else "", "minId": ids[-1] if ids else ""}

    @staticmethod
    def _margin_fill(f: MarginFill) -> Json:
        return {
            "orderId": str(int(f.id) + 7_000),
            "tradeId": f.id,
            "orderType": "market",
            "side": f.side,
            "priceAvg": plain(f.price),
            "size": plain(f.size),
            "amount": plain(f.amount),
            "tradeScope": "taker",
            "cTime": str(f.timestamp),
            "uTime": str(f.timestamp + 1),
            "feeDetail": {
                "deduction": "no",
                "feeCoin": f.fee_coin,
                "totalDeductionFee": "0",
                "totalFee": negative(f.fee),
            },
        }

    def _records(self, call: Call, mode: str, rows: Sequence[E]) -> list[E]:
        p = call.params
        symbol = p.get("symbol", "")
        if mode == "isolated" and symbol == "":
            raise missing("symbol")
        limit = limit_param(p, 100, 500)
        start, end = _range(p, call.now_ms, MARGIN_WINDOW_MS, start_required=True)
        coin = p.get("coin", "")
        chosen = [
            r
            for r in rows
            if r.mode == mode and start <= r.timestamp <= end and symbol in ("", r.symbol) and coin in ("", r.coin)
        ]
        return _page(chosen, lambda r: int(r.id), p, limit)

    def _borrow(self, call: Call, mode: str) -> Json:
        page = self._records(call, mode, self.script.loans)
        return self._listed("resultList", [self._loan(x, mode) for x in page], [x.id for x in page])

    @staticmethod
    def _loan(x: Loan, mode: str) -> Json:
        row: Json = {
            "loanId": x.id,
            "coin": x.coin,
            "borrowAmount": plain(x.amount),
            "borrowType": "manual_loan",
            "cTime": str(x.timestamp),
            "uTime": str(x.timestamp),
        }
        return {**row, "symbol": x.symbol} if mode == "isolated" else row

    def _repay(self, call: Call, mode: str) -> Json:
        page = self._records(call, mode, self.script.repayments)
        return self._listed("resultList", [self._repayment(x, mode) for x in page], [x.id for x in page])

    @staticmethod
    def _repayment(x: Repayment, mode: str) -> Json:
        row: Json = {
            "repayId": x.id,
            "coin": x.coin,
            "repayAmount": plain(x.principal + x.interest),
            "repayType": "manual_repay",
            "repayInterest": plain(x.interest),
            "repayPrincipal": plain(x.principal),
            "cTime": str(x.timestamp),
            "uTime": str(x.timestamp),
        }
        return {**row, "symbol": x.symbol} if mode == "isolated" else row

    def _interest(self, call: Call, mode: str) -> Json:
        page = self._records(call, mode, self.script.interest)
        return self._listed("resultList", [self._charge(x, mode) for x in page], [x.id for x in page])

    @staticmethod
    def _charge(x: Interest, mode: str) -> Json:
        row: Json = {
            "interestId": x.id,
            "loanCoin": x.coin,
            "interestCoin": x.coin,
            "dailyInterestRate": "0.0001",
            "interestAmount": plain(x.amount),
            "interstType": "scheduled",  # sic: the docs' field name
            "cTime": str(x.timestamp),
            "uTime": str(x.timestamp),
        }
        return {**row, "symbol": x.symbol} if mode == "isolated" else row

    def _assets(self, call: Call, mode: str) -> list[Json]:
        wanted_coin, wanted_symbol = call.params.get("coin", ""), call.params.get("symbol", "")
        rows = []
        for (symbol, coin), (held, owed, due) in sorted(self.script.margin_rows(mode).items()):
            if wanted_coin not in ("", coin) or wanted_symbol not in ("", symbol):
                continue
            row: Json = {
                "coin": coin,
                "totalAmount": plain(held),
                "available": plain(held),
                "frozen": "0",
                "borrow": plain(owed),
                "interest": plain(due),
                "net": plain(held - owed - due),
                "coupon": "0",
                "cTime": str(call.now_ms),
                "uTime": str(call.now_ms),
            }
            rows.append({"symbol": symbol, **row} if mode == "isolated" else row)
        return rows

    # -- transfers between the account's own wallets (served by the spot transferRecords list) -----------------

    def transfer_rows(self, coin: str, from_type: str, start: int, end: int) -> list[tuple[int, Json]]:
        return [
            (int(t.id), self._transfer(t))
            for t in self.script.transfers
            if t.coin == coin and from_type in ("", t.from_type) and start <= t.timestamp <= end
        ]

    @staticmethod
    def _transfer(t: WalletTransfer) -> Json:
        return {
            "coin": t.coin,
            "status": "Successful",
            "toType": t.to_type,
            "toSymbol": t.symbol if t.to_type == "isolated_margin" else "",
            "fromType": t.from_type,
            "fromSymbol": t.symbol if t.from_type == "isolated_margin" else "",
            "size": plain(t.amount),
            "ts": str(t.timestamp),
            "clientOid": "",
            "transferId": t.id,
        }

    def routes(self) -> list[tuple[str, Callable[[Call], object]]]:
        """(path, handler) of every list above, for the emulator's route table."""
        routes: list[tuple[str, Callable[[Call], object]]] = [
            ("/api/v2/mix/order/fill-history", self.fill_history),
            ("/api/v2/mix/account/bill", self.bills),
            ("/api/v2/mix/account/accounts", self.accounts),
        ]
        for mode in ("crossed", "isolated"):
            for name, path in (
                ("fills", "fills"),
                ("borrow", "borrow-history"),
                ("repay", "repay-history"),
                ("interest", "interest-history"),
                ("assets", "account/assets"),
            ):
                routes.append((f"/api/v2/margin/{mode}/{path}", self.handler(mode, name)))
        return routes


__all__ = ["PER_SECOND", "BitgetDerivativesBook", "BitgetError"]
