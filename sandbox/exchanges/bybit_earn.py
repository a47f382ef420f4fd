"""Bybit v5 Earn over a scripted account: staked positions, stake/redeem orders and yield, with the rules of Bybit's
own pages (docs/exchange-apis/bybit.md, "Earn", names each):

- positions (earn/position.mdx): ``category`` required (``FlexibleSaving``, ``OnChain``); "For Flexible Saving, fully
  redeemed position is also returned"; OnChain lists only active positions. No paging.
- stake/redeem orders (earn/order-history.mdx): ``category`` required; for ``OnChain`` "either orderId or orderLinkId
  is required" (10001 without); ``limit`` [1, 100], default 50; both times given at most 7 days apart, none given
  the last 7 days; ``cursor`` paging, rows in ``result.list``.
- yield (earn/yield-history.mdx, path ``/v5/earn/yield``): the same window and paging; "You can get the past 3 months
  data" (older starts answered 10001, an emulator choice: the page names no code); ``productId`` is refused with
  ``OnChain``. The rows are in ``result.yield`` as the page's example has them (its parameter table says ``list``).
- a key whose Earn group is empty (``Permissions.earn`` False) is refused on all three: 10005.

What the account did is scripted (``script_earn``): it staked USDT from its unified wallet into Flexible Saving twice,
redeemed part, and was paid a daily yield (``distributionMode`` Auto) into the unified wallet (a test may add a
``Manual`` yield, ``Pending`` until its ``paid_at``: "Distributed when the user redeems"); the product id is the
docs' example's ("428"). Its balances: the unified wallet less what is still staked, plus the yield.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sandbox.exchanges.base import DAY_MS
from sandbox.exchanges.bybit_book import BybitError, Call, Json, cursor_page, limit_param, window
from sandbox.exchanges.records import plain

EARN_WINDOW_MS = 7 * DAY_MS
YIELD_REACH_MS = 90 * DAY_MS  # "You can get the past 3 months data"
FLEXIBLE, ON_CHAIN = "FlexibleSaving", "OnChain"
CATEGORIES = frozenset({FLEXIBLE, ON_CHAIN})
PRODUCT = "428"  # the docs' example product (USDT Flexible Saving)
YIELD_HOUR_MS = DAY_MS // 48  # "distributed at 00:30 UTC daily"


@dataclass(frozen=True)
class EarnOrder:
    order_id: str
    order_type: str  # "Stake" or "Redeem"
    coin: str
    amount: Decimal
    time: int


@dataclass(frozen=True)
class EarnYield:
    ident: str
    coin: str
    amount: Decimal
    staked: Decimal
    time: int
    # "Manual: Distributed when the user redeems" (earn/yield-history.mdx): listed `Pending` until `paid_at`, with
    # the redemption's `orderId`; "Auto" ("Automatically distributed daily") is final when listed.
    mode: str = "Auto"
    paid_at: int | None = None
    order_id: str = ""


@dataclass
class EarnScript:
    """One account's Flexible Saving history: its orders and yields, newest last."""

    orders: list[EarnOrder] = field(default_factory=list)
    yields: list[EarnYield] = field(default_factory=list)

    def staked(self) -> dict[str, Decimal]:
        """What each coin's Flexible Saving position holds now: stakes less redemptions."""
        held: dict[str, Decimal] = {}
        for order in self.orders:
            sign = 1 if order.order_type == "Stake" else -1
            held[order.coin] = held.get(order.coin, Decimal(0)) + sign * order.amount
        return held

    def unified_change(self) -> dict[str, Decimal]:
        """What Earn changed in the unified wallet: stakes out, redemptions and yield in."""
        change = {coin: -amount for coin, amount in self.staked().items()}
        for paid in self.yields:
            change[paid.coin] = change.get(paid.coin, Decimal(0)) + paid.amount
        return change


NO_EARN = EarnScript()


def script_earn(now_ms: int, usdt_held: Decimal) -> EarnScript:
    """Stakes half the USDT the account holds 50 days ago and a quarter more 30 days ago, redeems a fifth of the first
    20 days ago, and is paid each day's yield at 00:30 UTC (0.01% of the day's staked amount, to 8 decimals)."""
    if usdt_held <= 0:
        return NO_EARN
    first, second = (usdt_held / 2).quantize(Decimal("0.01")), (usdt_held / 4).quantize(Decimal("0.01"))
    today = now_ms - now_ms % DAY_MS
    orders = [
        EarnOrder("6a1f7c2e-0001-4e0b-9d41-5b7e1c2a0001", "Stake", "USDT", first, today - 50 * DAY_MS + 3_600_000),
        EarnOrder("6a1f7c2e-0002-4e0b-9d41-5b7e1c2a0002", "Stake", "USDT", second, today - 30 * DAY_MS + 7_200_000),
        EarnOrder("6a1f7c2e-0003-4e0b-9d41-5b7e1c2a0003", "Redeem", "USDT", first / 5, today - 20 * DAY_MS + 600_000),
    ]
    script = EarnScript(orders=orders)
    for day in range(49, 0, -1):
        paid_at = today - day * DAY_MS + YIELD_HOUR_MS
        staked = sum(
            (o.amount if o.order_type == "Stake" else -o.amount for o in orders if o.time < paid_at - DAY_MS),
            Decimal(0),
        )
        if staked > 0:
            amount = (staked / 10_000).quantize(Decimal("0.00000001"))
            script.yields.append(EarnYield(str(1_002_000 + day), "USDT", amount, staked, paid_at))
    return script


def _category(call: Call) -> str:
    """The request's category, asked by a key that may read Earn (checked first: the key before its parameters)."""
    if call.key is not None and not call.key.permissions.earn:
        # "API key needs \"Earn\" permission" (every Earn page, e.g. bybit-exchange/docs docs/v5/earn/position.mdx);
        # docs/v5/error.mdx: 10005 "Permission denied, please check your API key permissions.", in the common
        # envelope (docs/v5/guide.mdx) with HTTP 200: the error page's HTTP codes name no permission case.
        raise BybitError(10005, "Permission denied, please check your API key permissions.")
    category = call.params.get("category", "")
    if category not in CATEGORIES:
        raise BybitError(10001, "params error: category invalid")
    return category


class BybitEarn:
    """Serves one scripted account's Earn the way Bybit's v5 REST API does."""

    def __init__(self, script: EarnScript) -> None:
        self.script = script

    def positions(self, call: Call) -> Json:
        """A Flexible Saving position per coin ever staked (fully redeemed ones too); the account holds no OnChain."""
        if _category(call) == ON_CHAIN:
            return {"list": []}
        coin = call.params.get("coin")
        rows = [
            {
                "coin": asset,
                "productId": PRODUCT,
                "amount": plain(amount),
                "totalPnl": "",
                "claimableYield": "0",
                "id": "",
                "status": "",
                "orderId": "",
                "estimateRedeemTime": "",
                "estimateStakeTime": "",
                "estimateInterestCalculationTime": "",
                "settlementTime": "",
            }
            for asset, amount in sorted(self.script.staked().items())
            if not coin or asset == coin
        ]
        return {"list": rows}

    def orders(self, call: Call) -> Json:
        category = _category(call)
        order_id, link_id = call.params.get("orderId"), call.params.get("orderLinkId")
        if category == ON_CHAIN and not (order_id or link_id):
            raise BybitError(10001, "params error: orderId or orderLinkId is required")
        limit = limit_param(call.params, 50, 100)
        start, end = window(call.params, call.now_ms, EARN_WINDOW_MS)
        chosen = [
            o
            for o in (self.script.orders if category == FLEXIBLE else [])
            if start <= o.time <= end and (not order_id or o.order_id == order_id)
        ]
        items, cursor = cursor_page(chosen, call.params, limit, lambda o: (o.time, o.order_id))
        return {"list": [self._order(o) for o in items], "nextPageCursor": cursor}

    @staticmethod
    def _order(o: EarnOrder) -> Json:
        """The fields of the page's example (a Flexible Saving stake)."""
        return {
            "coin": o.coin,
            "orderValue": plain(o.amount),
            "orderType": o.order_type,
            "orderId": o.order_id,
            "orderLinkId": "",
            "status": "Success",
            "createdAt": str(o.time),
            "productId": PRODUCT,
            "updatedAt": str(o.time),
            "swapOrderValue": "",
            "estimateRedeemTime": "",
            "estimateStakeTime": "",
        }

    def yields(self, call: Call) -> Json:
        category = _category(call)
        if category == ON_CHAIN and call.params.get("productId"):
            raise BybitError(10001, "params error: productId is not supported for OnChain")
        limit = limit_param(call.params, 50, 100)
        start, end = window(call.params, call.now_ms, EARN_WINDOW_MS)
        if start < call.now_ms - YIELD_REACH_MS:
            raise BybitError(10001, "params error: startTime can not be earlier than 3 months ago")
        chosen = [y for y in (self.script.yields if category == FLEXIBLE else []) if start <= y.time <= end]
        items, cursor = cursor_page(chosen, call.params, limit, lambda y: (y.time, y.ident))
        return {"yield": [self._yield(y, call.now_ms) for y in items], "nextPageCursor": cursor}

    @staticmethod
    def _yield(y: EarnYield, now_ms: int) -> Json:
        paid = y.paid_at is None or y.paid_at <= now_ms
        return {
            "productId": PRODUCT,
            "coin": y.coin,
            "id": y.ident,
            "amount": plain(y.amount),
            "yieldType": "Normal",
            "distributionMode": y.mode,
            "effectiveStakingAmount": plain(y.staked),
            "orderId": y.order_id,
            "status": "Success" if paid else "Pending",
            "createdAt": str(y.time),
        }
