"""Binance spot rebates: commission rebates and referral kickbacks, read after the reward lists (EARN_REWARDS).

| cursor key | path | range a request | paging | from | weight |
| --- | --- | --- | --- | --- | --- |
| rebate_list | `/sapi/v1/rebate/taxQuery` | 30 days | `page`, 200 rows | 2020-06-10 | 12,000 UID |

Get Spot Rebate History Records (developers.binance.com/docs/rebate/rest-api; docs/exchange-apis/binance.md,
"Spot rebates"): "The max interval between startTime and endTime is 30 days", "The earliest startTime is supported
on June 10, 2020", "Return up to 200 records per request"; the answer is an envelope (`status` "OK", `code`
"000000000") around `data`: `page`, `totalRecords`, `totalPageNum` and the rows in `data`, each `asset`, `type`
(1 commission rebate, 2 referral kickback), `amount` and `updateTime`. Both types are paid to the user, in the spot
wallet: each row is stored as a REWARD (income), which the balance check adds to the asset. A row carries no id: it
is keyed by its time, type, asset and amount.

Cost: one request (12,000 of the endpoint's own 180,000 UID weight a minute, budgets.py) per 30 days asked, whatever
they hold, so about 13 per year of history: 156,000 weight, under a minute of that budget. A first sync without a
sync-from date walks from 2020-06-10 (about 80 requests, five minutes of pacing); later syncs ask one window.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import date, datetime
from typing import Any

from connectors.clients import last_response_headers
from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.binance.budgets import SapiPacing
from connectors.fetchers.windows import WindowPage, WindowWalk, call, date_ms, since_ms, to_ms, walk_begin
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord, RecordKind, exact, ms_to_utc, natural_key

PATH = "/sapi/v1/rebate/taxQuery"
METHOD = "sapiGetRebateTaxQuery"
WEIGHT = 12_000  # "Request Weight(UID) 12000"
WINDOW_MS = 30 * 86_400_000  # "The max interval between startTime and endTime is 30 days"
REACH = date(2020, 6, 10)  # "The earliest startTime is supported on June 10, 2020"
CURSOR_KEY = "rebate_list"


class BinanceRebates:
    """The rebate list, walked after another list's pages under that endpoint's cursor (key `rebate_list`)."""

    def __init__(
        self,
        client: Any,
        pacing: SapiPacing,
        code: Callable[[str], str],
        note: Callable[[str, str], None],
    ) -> None:
        self.client, self.pacing, self.code, self.note = client, pacing, code, note

    async def after(
        self,
        pages: AsyncIterator[Page],
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
        exchange_name: str,
    ) -> AsyncIterator[Page]:
        stored: Cursor = dict(cursors.get("") or {})
        last = stored
        async for page in pages:
            last = dict(page.cursor)
            yield page
        # The walk's own cursor as the last sync stored it, whether or not the lists before pass unknown keys on.
        own = stored.get(CURSOR_KEY)
        begin = walk_begin(spec, own, since, report, exchange_name=exchange_name, opened=REACH)
        # Never before the list's first day, whatever the endpoint's own lists reach back to.
        start = max(begin, date_ms(REACH))
        walk = WindowWalk(spec.endpoint, WINDOW_MS, self._fetch_page(spec, report), report=report)
        async for page in walk.pages(start_ms=start, until_ms=to_ms(until), cursor=own, floor_ms=since_ms(since)):
            yield Page(page.endpoint, page.records, {**last, CURSOR_KEY: page.cursor}, page.covered_until)

    def _fetch_page(self, spec: EndpointSpec, report: FetchReport) -> Callable[[int, int, Any], Awaitable[WindowPage]]:
        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {"startTime": start, "endTime": end, "page": number}
            await self.pacing.spend_path(PATH, WEIGHT, uid=True, endpoint=spec.endpoint)
            body = await call(self.client, METHOD, params, endpoint=spec.endpoint, report=report)
            self.pacing.observe_path(PATH, last_response_headers(), uid=True)
            data = body.get("data") or {}
            rows = list(data.get("data") or [])
            pages = int(data.get("totalPageNum") or 0)
            return WindowPage([self.record(row) for row in rows], number + 1 if number < pages and rows else None)

        return fetch_page

    def record(self, row: Mapping[str, Any]) -> NormalizedRecord:
        # `type` 1 (commission rebate) and 2 (referral kickback) are both paid to the user: one kind, income.
        when, asset, kind = int(row["updateTime"]), str(row["asset"]), int(row["type"])
        self.note(asset, "rewards")
        return NormalizedRecord(
            kind=RecordKind.REWARD,
            occurred_at=ms_to_utc(when),
            natural_key=natural_key(RecordKind.REWARD, None, "rebate", when, kind, asset, row["amount"]),
            asset=self.code(asset),
            amount=exact(row["amount"]),
            raw=dict(row),
        )
