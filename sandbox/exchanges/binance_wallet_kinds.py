"""Binance's dust, P2P, Pay, fiat and Simple Earn endpoints over a scripted extension of the account.

Each route answers as the page docs/exchange-apis/binance.md names for it: parameters, ranges, reach, page sizes,
envelopes and weights. The extension (`WalletKindsScript`, opt in with ``BinanceEmulator(wallet_kinds=True)``)
holds one account's worth of every kind, with fixed amounts written out below so a test can state its ground truth by
hand; the seed only picks the ids. Without it every list answers empty and the Simple Earn wallet holds nothing.

The ground truth (what a full sync must store) is in binance_wallet_kinds_script.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.binance_book import BinanceError, Call, check_span, int_param, limit_param, mandatory
from sandbox.exchanges.binance_limits import Bucket
from sandbox.exchanges.binance_wallet_kinds_script import WalletKindsScript
from sandbox.exchanges.records import fixed8

Json = dict[str, Any]
Handler = Callable[[Call], object]
Route = tuple[str, int, Bucket, Handler, str]  # path, weight, budget, handler, HTTP method

P2P_WINDOW_MS = 30 * DAY_MS
P2P_REACH_MS = 183 * DAY_MS  # "You can only view data from the past 6 months"
PAY_WINDOW_MS = 90 * DAY_MS
PAY_REACH_MS = 548 * DAY_MS  # "Support for querying orders within the last 18 months"
FIAT_DEFAULT_MS = 30 * DAY_MS  # "If beginTime and endTime are not sent, the recent 30-day data will be returned"
DUST_LOG_START_MS = 1_606_780_800_000  # 2020-12-01T00:00:00Z: "Only return records after 2020/12/01"
DUST_LAST = 100  # "Only return last 100 records"
EARN_REWARDS_MAX_MS = 90 * DAY_MS  # "The time between startTime and endTime cannot be longer than 3 months"
EARN_REWARDS_DEFAULT_MS = 30 * DAY_MS  # "… the last 30 days' data will be returned"
EARN_REWARD_TYPES = frozenset({"BONUS", "REALTIME", "REWARDS", "ALL"})


def _ok(data: object, total: int | None = None) -> Json:
    """The C2C, Pay and fiat envelope: code "000000", message "success", `total` where the list has one."""
    counted = {} if total is None else {"total": total}
    return {"code": "000000", "message": "success", "data": data, **counted, "success": True}


class WalletKindsBook:
    """Serves the extension; `spot_change`/`funding_change` say what it adds to those wallets."""

    def __init__(self, script: WalletKindsScript) -> None:
        self.script = script

    def complete_p2p(self) -> None:
        """The pending P2P order completes (the seller released the coins)."""
        orders = tuple(replace(o, status="COMPLETED") if o.status == "TRADING" else o for o in self.script.p2p)
        self.script = replace(self.script, p2p=orders)

    def routes(self) -> tuple[Route, ...]:
        return (
            ("/sapi/v1/asset/dribblet", 1, "sapi_ip", self.dust_log, "GET"),
            ("/sapi/v1/c2c/orderMatch/listUserOrderHistory", 1, "sapi_ip", self.c2c_history, "GET"),
            ("/sapi/v1/pay/transactions", 3_000, "sapi_uid", self.pay_history, "GET"),
            ("/sapi/v1/fiat/orders", 45_000, "sapi_uid", self.fiat_orders, "GET"),
            ("/sapi/v1/fiat/payments", 1, "sapi_ip", self.fiat_payments, "GET"),
            ("/sapi/v1/simple-earn/flexible/position", 150, "sapi_ip", self.flexible_position, "GET"),
            ("/sapi/v1/simple-earn/flexible/history/rewardsRecord", 150, "sapi_ip", self.flexible_rewards, "GET"),
            ("/sapi/v1/simple-earn/locked/position", 150, "sapi_ip", self.locked_position, "GET"),
            ("/sapi/v1/simple-earn/locked/history/rewardsRecord", 150, "sapi_ip", self.locked_rewards, "GET"),
            ("/sapi/v1/simple-earn/locked/history/redemptionRecord", 150, "sapi_ip", self.redemptions, "GET"),
        )

    # -- balances -----------------------------------------------------------------------------------------------

    def wrapped(self, path: str, handler: Handler) -> Handler:
        """An existing route's handler, with the extension's coins in the wallet it answers for."""
        if path == "/api/v3/account":
            return self.account_info(handler)
        if path == "/sapi/v1/asset/get-funding-asset":
            return self.funding_assets(handler)
        if path == "/sapi/v1/asset/assetDividend":
            return self.asset_dividends(handler)
        return handler

    def spot_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}

        def add(asset: str, amount: Decimal) -> None:
            change[asset] = change.get(asset, Decimal(0)) + amount

        for row in self.script.fiat_orders["0"]:
            if row["status"] == "Successful":
                add("EUR", Decimal(row["amount"]))
        for row in self.script.fiat_orders["1"]:
            add("EUR", -Decimal(row["indicatedAmount"]))
        for row in self.script.fiat_payments["0"]:
            if row["paymentMethod"] == "Cash Balance":
                add("EUR", -Decimal(row["sourceAmount"]))
            add(str(row["cryptoCurrency"]), Decimal(row["obtainAmount"]))
        for group in self.script.dust:
            for detail in group["userAssetDribbletDetails"]:
                add(str(detail["fromAsset"]), -Decimal(detail["amount"]))
                add("BNB", Decimal(detail["transferedAmount"]))
        for row in self.script.flexible:
            add(str(row["asset"]), -Decimal(row["totalAmount"]))
        for row in self.script.earn_rewards:
            add(str(row["asset"]), Decimal(row["rewards"]))  # paid to the spot wallet
        for row in self.script.locked:
            add(str(row["asset"]), -Decimal(row["amount"]))
        for row in self.script.locked_rewards:
            add(str(row["asset"]), Decimal(row["amount"]))  # paid to the spot wallet, as flexible ones
        for row in self.script.dividends:
            if row["direction"] == -1:  # the BONUS credits are counted from the flexible rewards above
                add(str(row["asset"]), -Decimal(row["amount"]))
        for row in self.script.redemptions:
            # Subscribed from spot, returned there less the rewards taken back (`amount` = original - loss).
            add(str(row["asset"]), Decimal(row["amount"]) - Decimal(row["originalAmount"]))
        return change

    def funding_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}
        for order in self.script.p2p:
            if order.status == "COMPLETED":
                moved = Decimal(order.amount) if order.trade_type == "BUY" else -Decimal(order.amount)
                change[order.asset] = change.get(order.asset, Decimal(0)) + moved - Decimal(order.commission)
        for row in self.script.pay:
            change[row["currency"]] = change.get(row["currency"], Decimal(0)) + Decimal(row["amount"])
        return change

    def account_info(self, inner: Handler) -> Handler:
        """/api/v3/account with the extension's spot changes applied."""

        def handle(call: Call) -> Json:
            body: Json = dict(inner(call))  # type: ignore[call-overload]
            held = {row["asset"]: dict(row) for row in body["balances"]}
            for asset, amount in self.spot_change().items():
                row = held.setdefault(asset, {"asset": asset, "free": "0", "locked": "0"})
                row["free"] = fixed8(Decimal(row["free"]) + amount)
            omit = call.params.get("omitZeroBalances") == "true"
            body["balances"] = [
                row for _, row in sorted(held.items()) if not omit or Decimal(row["free"]) + Decimal(row["locked"])
            ]
            return body

        return handle

    def funding_assets(self, inner: Handler) -> Handler:
        """POST /sapi/v1/asset/get-funding-asset with the extension's funding wallet (P2P and Pay settle there)."""

        def handle(call: Call) -> list[Json]:
            rows: list[Json] = list(inner(call))  # type: ignore[call-overload]
            for asset, amount in sorted(self.funding_change().items()):
                if amount:
                    zero = "0"
                    rows.append(
                        {"asset": asset, "free": fixed8(amount), "locked": zero, "freeze": zero, "withdrawing": zero}
                        | {"btcValuation": zero}
                    )
            return rows

        return handle

    def asset_dividends(self, inner: Handler) -> Handler:
        """/sapi/v1/asset/assetDividend with the flexible products' BONUS (tiered APR) rewards among its rows, as a
        user's export against it shows them (ccxt issue #25793); the REALTIME ones are not there."""

        def handle(call: Call) -> Json:
            body: Json = dict(inner(call))  # type: ignore[call-overload]
            start = int_param(call.params, "startTime") or 0
            end = int_param(call.params, "endTime") or call.now_ms
            mine = [r for r in self.script.dividends if start <= r["divTime"] <= end]
            if not mine:
                return body
            # The account's own newest rows up to the limit, with these among them (newest first, as Binance lists).
            rows = sorted([*body["rows"], *mine], key=lambda r: -int(r["divTime"]))
            return {"rows": rows[: limit_param(call.params, 20, 500)], "total": int(body["total"]) + len(mine)}

        return handle

    # -- lists --------------------------------------------------------------------------------------------------

    def flexible_rewards(self, call: Call) -> Json:
        kind = mandatory(call.params, "type")
        if kind not in EARN_REWARD_TYPES:
            raise BinanceError(-1102, "Mandatory parameter 'type' was not sent, was empty/null, or malformed.")
        start, end = self._range(call, "startTime", "endTime", EARN_REWARDS_DEFAULT_MS, EARN_REWARDS_MAX_MS)
        chosen = [r for r in self.script.earn_rewards if start <= r["time"] <= end and kind in ("ALL", r["type"])]
        chosen.sort(key=lambda r: -int(r["time"]))
        size = int_param(call.params, "size") or 10
        if not 1 <= size <= 100:
            raise BinanceError(-1130, "Data sent for parameter 'size' is not valid.")
        current = int_param(call.params, "current") or 1
        return {"rows": chosen[(current - 1) * size : current * size], "total": len(chosen)}

    def locked_rewards(self, call: Call) -> Json:
        return self._earn_history(call, self.script.locked_rewards)

    def redemptions(self, call: Call) -> Json:
        return self._earn_history(call, self.script.redemptions)

    def _earn_history(self, call: Call, rows: tuple[Json, ...]) -> Json:
        """The locked lists: at most 3 months a request (neither end: the last 30 days), newest first, `current`
        and `size` (at most 100), filtered by `asset` and `positionId` where sent."""
        start, end = self._range(call, "startTime", "endTime", EARN_REWARDS_DEFAULT_MS, EARN_REWARDS_MAX_MS)
        asset, position = call.params.get("asset"), call.params.get("positionId")
        chosen = [
            r
            for r in rows
            if start <= r["time"] <= end and asset in (None, r["asset"]) and position in (None, str(r["positionId"]))
        ]
        chosen.sort(key=lambda r: -int(r["time"]))
        return self._positions(call, tuple(chosen))

    def dust_log(self, call: Call) -> Json:
        start = max(int_param(call.params, "startTime") or DUST_LOG_START_MS, DUST_LOG_START_MS)
        end = int_param(call.params, "endTime") or call.now_ms
        chosen = [g for g in self.script.dust if start <= g["operateTime"] <= end]
        return {"total": len(chosen), "userAssetDribblets": chosen[-DUST_LAST:]}

    def c2c_history(self, call: Call) -> Json:
        trade_type = call.params.get("tradeType", "")
        if trade_type not in ("", "BUY", "SELL"):
            raise BinanceError(-1102, "Mandatory parameter 'tradeType' was not sent, was empty/null, or malformed.")
        start, end = self._range(call, "startTimestamp", "endTimestamp", P2P_WINDOW_MS)
        start = max(start, call.now_ms - P2P_REACH_MS)
        chosen = [
            o.wire()
            for o in sorted(self.script.p2p, key=lambda o: o.at, reverse=True)
            if start <= o.at <= end and trade_type in ("", o.trade_type)
        ]
        return _ok(*self._numbered(call, chosen, 100))

    def pay_history(self, call: Call) -> Json:
        start, end = self._range(call, "startTime", "endTime", PAY_WINDOW_MS)
        start = max(start, call.now_ms - PAY_REACH_MS)
        limit = limit_param(call.params, 100, 100)
        chosen = sorted(
            (r for r in self.script.pay if start <= r["transactionTime"] <= end),
            key=lambda r: int(r["transactionTime"]),
            reverse=True,
        )
        return _ok(chosen[:limit])

    def fiat_orders(self, call: Call) -> Json:
        return self._fiat(call, self.script.fiat_orders)

    def fiat_payments(self, call: Call) -> Json:
        return self._fiat(call, self.script.fiat_payments)

    def _fiat(self, call: Call, lists: Mapping[str, tuple[Json, ...]]) -> Json:
        kind = mandatory(call.params, "transactionType")
        if kind not in lists:
            raise BinanceError(
                -1102, "Mandatory parameter 'transactionType' was not sent, was empty/null, or malformed."
            )
        begin, end = int_param(call.params, "beginTime"), int_param(call.params, "endTime")
        if begin is None and end is None:
            begin, end = call.now_ms - FIAT_DEFAULT_MS, call.now_ms
        begin, end = begin or 0, end or call.now_ms
        chosen = sorted((r for r in lists[kind] if begin <= r["createTime"] <= end), key=lambda r: -r["createTime"])
        return _ok(*self._numbered(call, chosen, 500))

    def flexible_position(self, call: Call) -> Json:
        return self._positions(call, self.script.flexible)

    def locked_position(self, call: Call) -> Json:
        return self._positions(call, self.script.locked)

    @staticmethod
    def _positions(call: Call, rows: tuple[Json, ...]) -> Json:
        asset = call.params.get("asset")
        chosen = [r for r in rows if not asset or r["asset"] == asset]
        size = int_param(call.params, "size") or 10
        if not 1 <= size <= 100:
            raise BinanceError(-1130, "Data sent for parameter 'size' is not valid.")
        current = int_param(call.params, "current") or 1
        return {"rows": chosen[(current - 1) * size : current * size], "total": len(chosen)}

    @staticmethod
    def _range(
        call: Call, start_name: str, end_name: str, default_ms: int, maximum_ms: int | None = None
    ) -> tuple[int, int]:
        """Neither end: the last `default_ms`; one end: `default_ms` from it; a range over the maximum is refused."""
        start, end = int_param(call.params, start_name), int_param(call.params, end_name)
        if start is None:
            if end is None:
                return call.now_ms - default_ms, call.now_ms
            start = end - default_ms
        elif end is None:
            end = start + default_ms
        maximum_ms = default_ms if maximum_ms is None else maximum_ms
        check_span(start, end, maximum_ms)
        return start, end

    @staticmethod
    def _numbered(call: Call, rows: list[Json], maximum: int) -> tuple[list[Json], int]:
        """`page` (from 1) and `rows` (default 100): the page's rows, and how many the range holds."""
        size = int_param(call.params, "rows") or 100
        if not 1 <= size <= maximum:
            raise BinanceError(-1130, "Data sent for parameter 'rows' is not valid.")
        number = int_param(call.params, "page") or 1
        return rows[(number - 1) * size : number * size], len(rows)
