"""Binance ETH staking's history lists over a scripted stake, redemption, BETH reward, wrap and unwrap.

Every list as its page (developers.binance.com/docs/staking/eth-staking/history/...) documents it: weight 150 on the
IP's `/sapi` budget; `startTime`/`endTime` at most 3 months apart, neither sent: the last 30 days, one sent: 30 days
from it; `current` from 1, `size` default 10, at most 100; the answer `{"rows": [...], "total": n}`, newest first:

- `eth/history/stakingHistory` (Get ETH staking history): time, asset, amount, distributeAsset, distributeAmount,
  conversionRatio, status.
- `eth/history/redemptionHistory` (Get ETH redemption history): the same and arrivalTime.
- `eth/history/rewardsHistory` (Get BETH rewards distribution history): time, asset, holding, amount,
  annualPercentageRate, status.
- `eth/history/wbethRewardsHistory` (Get WBETH rewards history): time, amountInETH, holding, holdingInETH,
  annualPercentageRate; `estRewardsInETH` beside `rows`.
- `wbeth/history/wrapHistory`, `unwrapHistory` (Get WBETH wrap / unwrap history): time, fromAsset, fromAmount, toAsset,
  toAmount, exchangeRate, status.

A BETH reward is paid into the spot wallet, and the wallet's own record of distributions, `/sapi/v1/asset/
assetDividend` (Asset Dividend Record: id, amount, asset, divTime, enInfo, tranId, direction), lists it too, as
`{"asset": "BETH", "enInfo": "ETH 2.0 Staking"}` (a public test fixture of a Binance reader's dividend rows: find_string
"ETH 2.0 Staking", id 9151945620; exports of Binance's transaction history name the operation the same): one payment,
two lists. `wrapped_route` adds that row to the dividend list the emulator serves (its window and `limit` as there).

The script (opt in with ``BinanceEmulator(auto_invest=True)``; without it every list answers empty), in the spot
wallet; days before the account's `now_ms`:

| days | list | what |
| --- | --- | --- |
| 48 | staking, SUCCESS | 0.05 ETH -> 0.04878049 WBETH (ratio 1.025) |
| 45 | BETH rewards, dividends | 0.00012345 BETH on a 0.1 BETH holding (only the reward is scripted), paid once |
| 44 | wrap, SUCCESS | 0.00012345 BETH -> 0.00012043 WBETH (rate 1.02507681) |
| 40, 33, 26 | WBETH rewards | accrued within WBETH (`amountInETH`, the holding unchanged): no balance moves |
| 20 | redemption, SUCCESS | 0.01 WBETH -> 0.01026 ETH (ratio 1.026), arrived the next day |
| 10 | unwrap, SUCCESS | 0.001 WBETH -> 0.00102508 BETH (rate 1.02508) |
"""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.binance_auto_invest import time_range
from sandbox.exchanges.binance_book import DIVIDEND_WINDOW_MS, BinanceError, Call, check_span, int_param, limit_param
from sandbox.exchanges.binance_limits import Bucket

Json = dict[str, Any]
Handler = Callable[[Call], object]
Route = tuple[str, int, Bucket, Handler, str]

MAX_SPAN_MS = 90 * DAY_MS  # "cannot be longer than 3 months"
DEFAULT_MS = 30 * DAY_MS  # "the last 30 days' data will be returned"
PREFIX = "/sapi/v1/eth-staking"
DIVIDENDS = "/sapi/v1/asset/assetDividend"
ETH_STAKING_DIVIDEND = "ETH 2.0 Staking"  # the dividend row's `enInfo` for a BETH reward


class EthStakingBook:
    """Serves the lists; `spot_change` is what they did to the spot wallet."""

    def __init__(self, seed: int, now_ms: int, enabled: bool) -> None:
        rng = random.Random(f"binance-eth-staking-{seed}")  # noqa: S311 - scripted times, not secrets

        def at(days: int) -> int:
            return now_ms - days * DAY_MS + rng.randrange(1, 20) * HOUR_MS

        self.staked: tuple[Json, ...] = ()
        self.redeemed: tuple[Json, ...] = ()
        self.beth_rewards: tuple[Json, ...] = ()
        self.wrapped: tuple[Json, ...] = ()
        self.unwrapped: tuple[Json, ...] = ()
        self.wbeth_rewards: tuple[Json, ...] = ()
        self.dividends: tuple[Json, ...] = ()  # the BETH rewards as the dividend list shows them
        if not enabled:
            return
        self.staked = (
            {"time": at(48), "asset": "ETH", "amount": "0.05", "distributeAsset": "WBETH"}
            | {"distributeAmount": "0.04878049", "conversionRatio": "1.025", "status": "SUCCESS"},
        )
        self.beth_rewards = (
            {"time": at(45), "asset": "BETH", "holding": "0.1", "amount": "0.00012345"}
            | {"annualPercentageRate": "0.035", "status": "SUCCESS"},
        )
        self.wrapped = (
            {"time": at(44), "fromAsset": "BETH", "fromAmount": "0.00012345", "toAsset": "WBETH"}
            | {"toAmount": "0.00012043", "exchangeRate": "1.02507681", "status": "SUCCESS"},
        )
        self.wbeth_rewards = tuple(
            {"time": at(days), "amountInETH": accrued, "holding": "0.04890092", "holdingInETH": held}
            | {"annualPercentageRate": "0.031"}
            for days, accrued, held in (
                (40, "0.00000420", "0.05012764"),
                (33, "0.00000421", "0.05013185"),
                (26, "0.00000421", "0.05013606"),
            )
        )
        self.unwrapped = (
            {"time": at(10), "fromAsset": "WBETH", "fromAmount": "0.001", "toAsset": "BETH"}
            | {"toAmount": "0.00102508", "exchangeRate": "1.02508", "status": "SUCCESS"},
        )
        redeemed_at = at(20)
        self.redeemed = (
            {"time": redeemed_at, "arrivalTime": redeemed_at + DAY_MS, "asset": "WBETH", "amount": "0.01"}
            | {
                "distributeAsset": "ETH",
                "distributeAmount": "0.01026",
                "conversionRatio": "1.026",
                "status": "SUCCESS",
            },
        )
        self.dividends = tuple(
            {"id": rng.randrange(10**9, 10**10), "amount": row["amount"], "asset": row["asset"], "divTime": row["time"]}
            | {"enInfo": ETH_STAKING_DIVIDEND, "tranId": rng.randrange(10**10, 10**11), "direction": 1}
            for row in self.beth_rewards
        )

    def wrapped_route(self, path: str, handler: Handler) -> Handler:
        """An existing route's handler, with the BETH rewards among the dividend list's rows."""
        return self._asset_dividends(handler) if path == DIVIDENDS else handler

    def _asset_dividends(self, inner: Handler) -> Handler:
        def handle(call: Call) -> Json:
            body: Json = dict(inner(call))  # type: ignore[call-overload]
            start, end = _dividend_window(call)
            asset = call.params.get("asset")
            mine = [r for r in self.dividends if start <= r["divTime"] <= end and asset in (None, "", r["asset"])]
            if not mine:
                return body
            rows = sorted([*body["rows"], *mine], key=lambda r: -int(r["divTime"]))  # newest first, as Binance lists
            return {"rows": rows[: limit_param(call.params, 20, 500)], "total": int(body["total"]) + len(mine)}

        return handle

    def routes(self) -> tuple[Route, ...]:
        def route(path: str, rows: Callable[[], tuple[Json, ...]], extra: Callable[[], Json] | None = None) -> Route:
            return (PREFIX + path, 150, "sapi_ip", lambda call: self._serve(call, rows(), extra), "GET")

        return (
            route("/eth/history/stakingHistory", lambda: self.staked),
            route("/eth/history/redemptionHistory", lambda: self.redeemed),
            route("/eth/history/rewardsHistory", lambda: self.beth_rewards),
            route("/eth/history/wbethRewardsHistory", lambda: self.wbeth_rewards, self._estimated),
            route("/wbeth/history/wrapHistory", lambda: self.wrapped),
            route("/wbeth/history/unwrapHistory", lambda: self.unwrapped),
        )

    def spot_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}

        def add(asset: str, amount: str, sign: int) -> None:
            change[asset] = change.get(asset, Decimal(0)) + sign * Decimal(amount)

        for row in (*self.staked, *self.redeemed):
            if row["status"] == "SUCCESS":
                add(row["asset"], row["amount"], -1)
                add(row["distributeAsset"], row["distributeAmount"], 1)
        for row in self.beth_rewards:
            add(row["asset"], row["amount"], 1)
        for row in (*self.wrapped, *self.unwrapped):
            if row["status"] == "SUCCESS":
                add(row["fromAsset"], row["fromAmount"], -1)
                add(row["toAsset"], row["toAmount"], 1)
        return change

    def _estimated(self) -> Json:
        return {"estRewardsInETH": format(sum(Decimal(r["amountInETH"]) for r in self.wbeth_rewards), "f")}

    @staticmethod
    def _serve(call: Call, rows: tuple[Json, ...], extra: Callable[[], Json] | None) -> Json:
        start, end = time_range(call, DEFAULT_MS, MAX_SPAN_MS)
        size = int_param(call.params, "size") or 10
        if not 1 <= size <= 100:
            raise BinanceError(-1130, "Data sent for parameter 'size' is not valid.")
        current = int_param(call.params, "current") or 1
        chosen = sorted((r for r in rows if start <= int(r["time"]) <= end), key=lambda r: -int(r["time"]))
        body: Json = {**(extra() if extra else {}), "rows": chosen[(current - 1) * size : current * size]}
        return {**body, "total": len(chosen)}


def _dividend_window(call: Call) -> tuple[int, int]:
    """The range the dividend list answers for (as binance_book.py serves it): both ends as sent, at most 180 days;
    a start alone: 180 days from it; otherwise the 180 days up to the end (now if none)."""
    start, end = int_param(call.params, "startTime"), int_param(call.params, "endTime")
    if start is not None and end is not None:
        check_span(start, end, DIVIDEND_WINDOW_MS)
        return start, end
    if start is not None:
        return start, min(start + DIVIDEND_WINDOW_MS, call.now_ms)
    end = call.now_ms if end is None else end
    return end - DIVIDEND_WINDOW_MS, end
