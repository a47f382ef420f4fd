"""Binance Auto-Invest's subscription history over a scripted set of recurring buys.

``GET /sapi/v1/lending/auto-invest/history/list`` as "Query subscription transaction history(USER_DATA)"
(developers.binance.com/docs/auto_invest/trade/Query-subscription-transaction-history) documents it: weight 1 on the
IP's `/sapi` budget; `startTime`/`endTime` at most 30 days apart, neither sent: the last 30 days; `size` default 10,
at most 100, `current` from 1; `planType` SINGLE, PORTFOLIO, INDEX or ALL, and `planId`, `targetAsset` filters. The
answer is the page's: a bare JSON array of rows (no total), each with the example's fields.

The script (opt in with ``BinanceEmulator(auto_invest=True)``; without it the list answers empty), with its amounts
fixed so a test states its ground truth by hand; days before the account's `now_ms`:

| days | plan | status | source (spot) | target (spot) | fee |
| --- | --- | --- | --- | --- | --- |
| 50 | 1 SINGLE "BTC" | SUCCESS | 20.00000000 USDT | 0.00031250 BTC | 0.02000000 USDT |
| 43 | 1 SINGLE "BTC" | SUCCESS | 20.00000000 USDT | 0.00030769 BTC | 0.02000000 USDT |
| 43 | 2 PORTFOLIO "Majors" | SUCCESS | 10.00000000 USDT | 0.00400000 ETH | 0.00000400 ETH |
| 29 | 1 SINGLE "BTC" | SUCCESS, `sourceWallet` REWARDS | 5.00000000 USDT | 0.00007692 BTC | 0.00500000 USDT |
| 36 | 1 SINGLE "BTC" | FAILED (INSUFFICIENT_BALANCE) | – | – | – |
| 2 | 1 SINGLE "BTC" | PENDING until `complete_pending()` | 20.00000000 USDT | 0.00029851 BTC | 0.02000000 USDT |

The fee is charged apart from `sourceAssetAmount` (the amount "used" for the purchase), in `transactionFeeUnit`
(Auto-Invest Terms of Use: fees are deducted from the Spot Account); the coins bought are put in the spot wallet (a
plan may put them into Simple Earn Flexible instead, a wallet the balance check reads too). Every purchase is paid
from the spot wallet (`sourceWallet` SPOT_WALLET) but one, paid with rewards (REWARDS, one of the page's four values):
its USDT never sat in the spot wallet, so only its fee is taken from there (the terms: fees come from the Spot
Account; whether a rewards-paid purchase's fee does too is not said).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.binance_book import BinanceError, Call, check_span, int_param
from sandbox.exchanges.binance_limits import Bucket
from sandbox.exchanges.records import fixed8

Json = dict[str, Any]
Handler = Callable[[Call], object]
Route = tuple[str, int, Bucket, Handler, str]

PATH = "/sapi/v1/lending/auto-invest/history/list"
WINDOW_MS = 30 * DAY_MS  # "Max span between startTime and endTime is 30days", also the default
PLAN_TYPES = frozenset({"SINGLE", "PORTFOLIO", "INDEX", "ALL"})


@dataclass(frozen=True)
class Purchase:
    ident: int
    plan_id: int
    plan_type: str
    plan_name: str
    at: int
    status: str
    source: str
    source_amount: str
    target: str
    target_amount: str
    fee: str
    fee_unit: str
    price: str
    wallet: str = "SPOT_WALLET"  # `sourceWallet`: SPOT_WALLET, FLEXIBLE_SAVINGS, SPOT_WALLET_FLEXIBLE_SAVINGS, REWARDS

    def wire(self) -> Json:
        row: Json = {
            "id": self.ident,
            "targetAsset": self.target,
            "planType": self.plan_type,
            "planName": self.plan_name,
            "planId": self.plan_id,
            "transactionDateTime": self.at,
            "transactionStatus": self.status,
            "sourceAsset": self.source,
            "sourceAssetAmount": self.source_amount,
            "targetAssetAmount": self.target_amount,
            "sourceWallet": self.wallet,
            "flexibleUsed": "false",
            "transactionFee": self.fee,
            "transactionFeeUnit": self.fee_unit,
            "executionPrice": self.price,
            "executionType": "RECURRING",
            "subscriptionCycle": "WEEKLY",
        }
        if self.status == "FAILED":
            row["failedType"] = "INSUFFICIENT_BALANCE"  # "only show when transactionStatus = FAILED"
        return row


def scripted_purchases(seed: int, now_ms: int, enabled: bool) -> tuple[Purchase, ...]:
    if not enabled:
        return ()
    rng = random.Random(f"binance-auto-invest-{seed}")  # noqa: S311 - scripted ids, not secrets
    first = rng.randrange(100_000, 900_000)

    def at(days: int) -> int:
        return now_ms - days * DAY_MS + rng.randrange(1, 20) * HOUR_MS

    rows = (
        # plan, type, name, days, status, source amount, target, target amount, fee, fee unit, price
        (1, "SINGLE", "BTC", 50, "SUCCESS", "20", "BTC", "0.0003125", "0.02", "USDT", "64000"),
        (1, "SINGLE", "BTC", 43, "SUCCESS", "20", "BTC", "0.00030769", "0.02", "USDT", "65000"),
        (2, "PORTFOLIO", "Majors", 43, "SUCCESS", "10", "ETH", "0.004", "0.000004", "ETH", "2500"),
        (1, "SINGLE", "BTC", 36, "FAILED", "0", "BTC", "0", "0", "USDT", "0"),
        (1, "SINGLE", "BTC", 2, "PENDING", "20", "BTC", "0.00029851", "0.02", "USDT", "67000"),
    )
    bought = tuple(
        Purchase(first + n, plan, kind, name, at(days), status, "USDT", paid, target, got, fee, unit, price)
        for n, (plan, kind, name, days, status, paid, target, got, fee, unit, price) in enumerate(rows)
    )
    # A purchase paid with rewards: 5 USDT for 0.00007692 BTC at 65000, its fee 0.005 USDT.
    rewarded = ("USDT", "5", "BTC", "0.00007692", "0.005", "USDT", "65000")
    paid_with_rewards = Purchase(first + len(rows), 1, "SINGLE", "BTC", at(29), "SUCCESS", *rewarded)
    return (*bought, replace(paid_with_rewards, wallet="REWARDS"))


class AutoInvestBook:
    """Serves the list; `spot_change` is what the purchases did to the spot wallet."""

    def __init__(self, purchases: tuple[Purchase, ...]) -> None:
        self.purchases = purchases

    def complete_pending(self) -> None:
        """The pending purchase executes."""
        self.purchases = tuple(replace(p, status="SUCCESS") if p.status == "PENDING" else p for p in self.purchases)

    def routes(self) -> tuple[Route, ...]:
        return ((PATH, 1, "sapi_ip", self.history, "GET"),)

    def spot_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}
        for p in self.purchases:
            if p.status != "SUCCESS":
                continue  # a pending one has not executed yet; a failed one never did
            paid = Decimal(0) if p.wallet == "REWARDS" else Decimal(p.source_amount)  # rewards: no wallet of its own
            for asset, amount in ((p.source, -paid), (p.target, Decimal(p.target_amount))):
                change[asset] = change.get(asset, Decimal(0)) + amount
            change[p.fee_unit] = change.get(p.fee_unit, Decimal(0)) - Decimal(p.fee)
        return change

    def history(self, call: Call) -> list[Json]:
        start, end = time_range(call, WINDOW_MS, WINDOW_MS)
        plan_type = call.params.get("planType", "ALL")
        if plan_type not in PLAN_TYPES:
            raise BinanceError(-1102, "Mandatory parameter 'planType' was not sent, was empty/null, or malformed.")
        size = int_param(call.params, "size") or 10
        if not 1 <= size <= 100:
            raise BinanceError(-1130, "Data sent for parameter 'size' is not valid.")
        current = int_param(call.params, "current") or 1
        plan, target = call.params.get("planId"), call.params.get("targetAsset")
        chosen = [
            p.wire()
            for p in sorted(self.purchases, key=lambda p: -p.at)
            if start <= p.at <= end
            and plan_type in ("ALL", p.plan_type)
            and plan in (None, str(p.plan_id))
            and target in (None, p.target)
        ]
        return chosen[(current - 1) * size : current * size]


def with_spot(inner: Handler, changes: Callable[[], dict[str, Decimal]]) -> Handler:
    """``/api/v3/account`` with `changes` added to its balances' `free` (assets it did not list are added)."""

    def handle(call: Call) -> Json:
        body: Json = dict(inner(call))  # type: ignore[call-overload]
        held = {row["asset"]: dict(row) for row in body["balances"]}
        for asset, amount in changes().items():
            row = held.setdefault(asset, {"asset": asset, "free": "0", "locked": "0"})
            row["free"] = fixed8(Decimal(row["free"]) + amount)
        omit = call.params.get("omitZeroBalances") == "true"
        body["balances"] = [
            row for _, row in sorted(held.items()) if not omit or Decimal(row["free"]) + Decimal(row["locked"])
        ]
        return body

    return handle


def time_range(call: Call, default_ms: int, maximum_ms: int) -> tuple[int, int]:
    """`startTime`/`endTime`: neither sent, the last `default_ms`; one sent, `default_ms` from it; a range longer than
    `maximum_ms` refused."""
    start, end = int_param(call.params, "startTime"), int_param(call.params, "endTime")
    if start is None:
        end = call.now_ms if end is None else end
        start = end - default_ms
    elif end is None:
        end = start + default_ms
    check_span(start, end, maximum_ms)
    return start, end
