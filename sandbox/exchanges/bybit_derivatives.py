"""Bybit v5 derivatives over a scripted account: executions of category linear, inverse and option, the transaction
logs (unified: ``/v5/account/transaction-log``; classic: ``/v5/account/contract-transaction-log``) and the borrow
(interest) history. Every rule is in docs/exchange-apis/bybit.md with its page.

- executions (order/execution.mdx): the spot list's rules (limit [1, 100], 7-day windows, 2 years, cursor).
- unified transaction log (account/transaction-log.mdx): limit [1, 50], default 20; both ends at most 7 days
  apart, but none or one end given: 24 hours (the published page; the repository's older copy said 7 days); "up
  to 2 years"; ``Change = cashFlow + funding - fee`` with ``funding`` positive when received.
- classic transaction log (account/contract-transaction-log.mdx): the same paging with 7-day one-end rules, but
  ``funding`` is positive when deducted and ``Change = cashFlow - funding - fee``; "Apply to: classic account,
  UTA1.0 (inverse)". Its page states no reach: by default it answers any start; ``contract_log_reach_ms`` set
  (unsourced: the unified log's two years, for tests of a fetcher that must cope with either) refuses older ones.
- borrow history (account/borrow-history.mdx): interest records, newest first; limit [1, 50], default 20; 30-day
  windows; ``createdTime`` a number.

The scripted history itself is in ``bybit_derivatives_script``.
"""

from __future__ import annotations

from decimal import Decimal

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bybit_book import (
    EXECUTION_LOOKBACK_MS,
    EXECUTION_WINDOW_MS,
    BybitError,
    Call,
    Json,
    cursor_page,
    int_param,
    limit_param,
    window,
)
from sandbox.exchanges.bybit_derivatives_script import (
    DERIVATIVES,
    NO_DERIVATIVES,
    CashLine,
    Fill,
    InterestCharge,
    script_derivatives,
)
from sandbox.exchanges.records import ScriptedAccount, plain

LOG_WINDOW_MS = 7 * DAY_MS
# https://bybit-exchange.github.io/docs/v5/account/transaction-log: "startTime and endTime are not passed, return 24
# hours by default", "Only startTime is passed, return range between startTime and startTime+24 hours" (and the same
# before an endTime alone); both passed: "endTime - startTime <= 7 days". The classic log's page keeps 7 days.
UNIFIED_LOG_DEFAULT_MS = DAY_MS
BORROW_WINDOW_MS = 30 * DAY_MS
LOG_LOOKBACK_MS = 730 * DAY_MS  # "it supports up to 2 years data"


def _money(value: Decimal | None) -> str:
    return "" if value is None else plain(value)


class BybitDerivatives:
    """Serves one scripted account's derivatives history the way Bybit's v5 REST API does."""

    def __init__(self, account: ScriptedAccount, *, classic: bool = False, scripted: bool = True) -> None:
        self.classic = classic
        self.contract_log_reach_ms: int | None = None  # not on the classic log's page (bybit.md)
        self.script = script_derivatives(account, classic=classic) if scripted else NO_DERIVATIVES

    def executions(self, call: Call, category: str) -> Json:
        params = call.params
        limit = limit_param(params, 50, 100)
        start, end = window(params, call.now_ms, EXECUTION_WINDOW_MS)
        if start < call.now_ms - EXECUTION_LOOKBACK_MS:
            raise BybitError(10001, "params error: startTime can not be earlier than 730 days ago")
        symbol, base, order_id = params.get("symbol"), params.get("baseCoin"), params.get("orderId")
        chosen = [
            f
            for f in self.script.fills
            if f.category == category
            and start <= f.time <= end
            and (not symbol or f.symbol == symbol)
            and (not base or f.symbol.startswith(base))
            and (not order_id or f.order_id == order_id)
        ]
        items, cursor = cursor_page(chosen, params, limit, lambda f: (f.time, f.exec_id))
        return {"category": category, "list": [self._execution(f) for f in items], "nextPageCursor": cursor}

    @staticmethod
    def _execution(f: Fill) -> Json:
        """The documented example's fields (order/execution.mdx, the linear row)."""
        return {
            "symbol": f.symbol,
            "orderType": "Market",
            "underlyingPrice": "",
            "orderLinkId": "",
            "side": f.side,
            "indexPrice": "",
            "orderId": f.order_id,
            "stopOrderType": "UNKNOWN",
            "leavesQty": "0",
            "execTime": str(f.time),
            "feeCurrency": "",
            "isMaker": False,
            "execFee": plain(f.fee),
            "feeRate": plain(f.fee_rate),
            "execId": f.exec_id,
            "tradeIv": "",
            "blockTradeId": "",
            "markPrice": plain(f.price),
            "execPrice": plain(f.price),
            "markIv": "",
            "orderQty": plain(f.qty),
            "orderPrice": plain(f.price),
            "execValue": plain(f.value),
            "execType": f.exec_type,
            "execQty": plain(f.qty),
            "closedSize": plain(f.closed_size) if f.closed_size else "",
            "extraFees": "",
            "seq": 4688002127 + f.time % 1_000_000,
        }

    def _log(
        self, call: Call, lines: list[CashLine], default_ms: int = LOG_WINDOW_MS, reach_ms: int | None = LOG_LOOKBACK_MS
    ) -> tuple[list[CashLine], str]:
        params = call.params
        limit = limit_param(params, 20, 50)
        both = int_param(params, "startTime") is not None and int_param(params, "endTime") is not None
        start, end = window(params, call.now_ms, LOG_WINDOW_MS if both else default_ms)
        if reach_ms is not None and start < call.now_ms - reach_ms:
            raise BybitError(10001, "params error: startTime can not be earlier than 2 years ago")
        wanted = {name: params.get(name) for name in ("category", "currency", "type", "baseCoin")}
        chosen = [
            line
            for line in lines
            if start <= line.time <= end
            and (not wanted["category"] or line.category == wanted["category"])
            and (not wanted["currency"] or line.currency == wanted["currency"])
            and (not wanted["type"] or line.type == wanted["type"])
            and (not wanted["baseCoin"] or line.symbol.startswith(wanted["baseCoin"] or ""))
        ]
        return cursor_page(chosen, params, limit, lambda line: (line.time, line.id))

    def transaction_log(self, call: Call) -> Json:
        """The unified account's log: every product but the classic contract wallet's."""
        if self.classic:
            raise BybitError(10028, "Only available to unified accounts.")
        category = call.params.get("category", "")
        if category not in ("", "spot", *DERIVATIVES):
            raise BybitError(10001, "params error: category invalid")
        items, cursor = self._log(call, list(self.script.cash), UNIFIED_LOG_DEFAULT_MS)
        return {"nextPageCursor": cursor, "list": [self._line(x, classic=False) for x in items]}

    def contract_transaction_log(self, call: Call) -> Json:
        """The classic derivatives wallet's log (and a UTA1.0 account's inverse one; the scripted unified account is
        UTA2.0, which has no such wallet)."""
        if not self.classic:
            raise BybitError(10001, "params error: only for classic accounts and UTA1.0 inverse")
        items, cursor = self._log(call, list(self.script.cash), reach_ms=self.contract_log_reach_ms)
        return {"list": [self._line(x, classic=True) for x in items], "nextPageCursor": cursor}

    def _line(self, x: CashLine, *, classic: bool) -> Json:
        funding = x.funding
        change = x.change
        balance = self._balance_after(x)
        if classic and funding is not None:
            funding = -funding  # contract-transaction-log.mdx: "Positive value means deducting funding fee"
        return {
            "id": x.id,
            "symbol": x.symbol,
            "category": x.category,
            "side": x.side,
            "transactionTime": str(x.time),
            "type": x.type,
            "qty": plain(x.qty),
            "size": plain(x.size),
            "currency": x.currency,
            "tradePrice": plain(x.price),
            "funding": _money(funding),
            "fee": plain(x.fee),
            "cashFlow": plain(x.cash_flow),
            "change": plain(change),
            "cashBalance": plain(balance),
            "feeRate": plain(x.fee_rate),
            "bonusChange": "",
            "tradeId": x.trade_id,
            "orderId": x.order_id,
            "orderLinkId": "",
        }

    def _balance_after(self, x: CashLine) -> Decimal:
        """The log's running balance of the line's coin, counted from the scripted lines alone."""
        return sum(
            (line.change for line in self.script.cash if line.currency == x.currency and line.time <= x.time),
            Decimal(0),
        )

    def borrow_history(self, call: Call) -> Json:
        if self.classic:
            raise BybitError(10028, "Only available to unified accounts.")
        params = call.params
        limit = limit_param(params, 20, 50)
        start, end = window(params, call.now_ms, BORROW_WINDOW_MS)
        currency = params.get("currency")
        chosen = [
            c for c in self.script.interest if start <= c.time <= end and (not currency or c.currency == currency)
        ]
        items, cursor = cursor_page(chosen, params, limit, lambda c: (c.time, c.currency))
        return {"nextPageCursor": cursor, "list": [self._interest(c) for c in items]}

    @staticmethod
    def _interest(c: InterestCharge) -> Json:
        return {
            "borrowAmount": plain(c.borrowed),
            "costExemption": "0",
            "freeBorrowedAmount": "0",
            "createdTime": c.time,
            "InterestBearingBorrowSize": plain(c.borrowed),
            "currency": c.currency,
            "unrealisedLoss": "0",
            "hourlyBorrowRate": plain(c.hourly_rate),
            "borrowCost": plain(c.cost),
        }
