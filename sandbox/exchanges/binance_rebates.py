"""Binance's spot rebate history over a scripted set of commission rebates and referral kickbacks.

``GET /sapi/v1/rebate/taxQuery`` as "Get Spot Rebate History Records (USER_DATA)"
(developers.binance.com/docs/rebate/rest-api) documents it: weight 12,000 on the UID's `/sapi` budget; `startTime`
and `endTime` at most 30 days apart (refused as Binance refuses a longer range elsewhere, -1127), neither sent: the
last 7 days; `page` from 1, "up to 200 records per request"; nothing before 2020-06-10. The answer is the page's
envelope: ``{"status": "OK", "type": "GENERAL", "code": "000000000", "data": {"page", "totalRecords",
"totalPageNum", "data": [rows]}}``, each row `asset`, `type` (1 commission rebate, 2 referral kickback), `amount`
and `updateTime`.

The script (opt in with ``BinanceEmulator(rebates=True)``; without it the list answers empty), fixed so a test
states its ground truth by hand; days before the account's `now_ms`, all paid into the spot wallet:

| days | type | asset | amount |
| --- | --- | --- | --- |
| 60 | 2 referral kickback | BNB | 0.00045678 |
| 44 | 1 commission rebate | USDT | 0.01234567 |
| 33 days 21 h to 31 days 0 h, hourly: 70 rows | 1 | USDT | 0.00000100 each |
| 20 | 1 | USDT | 0.00891234 |
| 5 | 1 | BTC | 0.00000056 |

A test that lowers `page_size` (Binance's 200 by default) sees the 70 hourly rows over several pages of a window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.exchanges.base import DAY_MS, HOUR_MS
from sandbox.exchanges.binance_book import Call, check_span, int_param
from sandbox.exchanges.binance_limits import Bucket

Json = dict[str, Any]
Handler = Callable[[Call], object]
Route = tuple[str, int, Bucket, Handler, str]

PATH = "/sapi/v1/rebate/taxQuery"
WEIGHT = 12_000  # "Request Weight(UID) 12000"
WINDOW_MS = 30 * DAY_MS  # "The max interval between startTime and endTime is 30 days"
DEFAULT_MS = 7 * DAY_MS  # "If startTime and endTime are not sent, the recent 7 days' data will be returned."
PAGE_SIZE = 200  # "Return up to 200 records per request."
COMMISSION, KICKBACK = 1, 2


@dataclass(frozen=True)
class Rebate:
    at: int
    kind: int
    asset: str
    amount: str

    def wire(self) -> Json:
        return {"asset": self.asset, "type": self.kind, "amount": self.amount, "updateTime": self.at}


def scripted_rebates(now_ms: int, enabled: bool) -> tuple[Rebate, ...]:
    if not enabled:
        return ()
    burst = tuple(Rebate(now_ms - 34 * DAY_MS + (n + 3) * HOUR_MS, COMMISSION, "USDT", "0.000001") for n in range(70))
    return (
        Rebate(now_ms - 60 * DAY_MS, KICKBACK, "BNB", "0.00045678"),
        Rebate(now_ms - 44 * DAY_MS, COMMISSION, "USDT", "0.01234567"),
        *burst,
        Rebate(now_ms - 20 * DAY_MS, COMMISSION, "USDT", "0.00891234"),
        Rebate(now_ms - 5 * DAY_MS, COMMISSION, "BTC", "0.00000056"),
    )


class BinanceRebatesBook:
    """Serves the list; `spot_change` is what the rebates added to the spot wallet."""

    def __init__(self, rebates: tuple[Rebate, ...], page_size: int = PAGE_SIZE) -> None:
        self.rebates, self.page_size = rebates, page_size
        self.asked: list[tuple[int, int, int]] = []  # (startTime, endTime, page) of each request, for tests

    def routes(self) -> tuple[Route, ...]:
        return ((PATH, WEIGHT, "sapi_uid", self.history, "GET"),)

    def spot_change(self) -> dict[str, Decimal]:
        change: dict[str, Decimal] = {}
        for rebate in self.rebates:
            change[rebate.asset] = change.get(rebate.asset, Decimal(0)) + Decimal(rebate.amount)
        return change

    def history(self, call: Call) -> Json:
        start, end = int_param(call.params, "startTime"), int_param(call.params, "endTime")
        # Neither sent: the last 7 days (documented); one sent alone (not documented): up to 30 days from it.
        if end is None:
            end = call.now_ms if start is None else min(start + WINDOW_MS, call.now_ms)
        if start is None:
            start = end - (DEFAULT_MS if int_param(call.params, "endTime") is None else WINDOW_MS)
        check_span(start, end, WINDOW_MS)
        number = max(int_param(call.params, "page") or 1, 1)
        self.asked.append((start, end, number))
        rows = [r.wire() for r in sorted(self.rebates, key=lambda r: -r.at) if start <= r.at <= end]
        pages = -(-len(rows) // self.page_size)
        chosen = rows[(number - 1) * self.page_size : number * self.page_size]
        data = {"page": number, "totalRecords": len(rows), "totalPageNum": pages, "data": chosen}
        return {"status": "OK", "type": "GENERAL", "code": "000000000", "data": data}
