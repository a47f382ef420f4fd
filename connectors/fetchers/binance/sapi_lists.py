"""Binance `/sapi` lists read after an endpoint's own pages, each a windowed walk paged by `current` and `size`.

Auto-Invest (auto_invest.py) follows the convert history and ETH staking (eth_staking.py) the reward lists, as Simple
Earn's lists follow the asset dividends (simple_earn.py): the endpoint's cursor keeps each list's walk cursor under
"lists" (`{"lists": {name: walk cursor}}`), beside the endpoint's own keys, which pass through untouched.

Each list draws on its own `/sapi` budget by its path (budgets.py `SapiPacing.spend_path`, the IP's or the UID's as
its page says), and Binance's header for that budget is read back after each call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from connectors.clients import last_response_headers
from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.binance.budgets import SapiPacing
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, to_ms, walk_begin
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord

Parse = Callable[[Mapping[str, Any]], tuple[list[NormalizedRecord], int | None]]


@dataclass(frozen=True, slots=True)
class SapiList:
    """One list: its cursor name, ccxt implicit method, path and documented weight, the longest range a request may
    ask for, its page size, the day before which it holds nothing, and how a row becomes records (and whether a row
    not yet final holds the cursor, at which time)."""

    name: str
    method: str
    path: str
    weight: int
    uid: bool
    window_ms: int
    page_size: int
    opened: date
    parse: Parse
    fixed: Mapping[str, Any] | None = None  # parameters every request of the list sends
    # Rows that may stay pending longer than a held cursor waits (HOLD_MAX_AGE_MS): every sync reads this trailing
    # span again (the natural keys keep what was stored once), so one settled weeks later is still stored.
    reread_ms: int | None = None


def opened_ms(sapi_list: SapiList) -> int:
    return to_ms(datetime(sapi_list.opened.year, sapi_list.opened.month, sapi_list.opened.day, tzinfo=UTC))


def rows_of(body: Any) -> tuple[list[Mapping[str, Any]], int | None]:
    """The rows and `total` of an answer: `{"rows": [...], "total": n}` (the staking lists), `{"list": [...]}` or a
    bare array (Auto-Invest's page shows an array)."""
    if isinstance(body, list):
        return body, None
    rows = body.get("rows")
    if rows is None:
        rows = body.get("list") or []
    total = body.get("total")
    return list(rows), int(total) if total is not None else None


class SapiLists:
    """Walks `lists` after an endpoint's own pages, each from its own cursor."""

    def __init__(self, client: Any, pacing: SapiPacing, name: str, lists: Sequence[SapiList]) -> None:
        self.client, self.pacing, self.name, self.lists = client, pacing, name, tuple(lists)

    async def after(
        self,
        pages: AsyncIterator[Page],
        spec: EndpointSpec,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        last: Cursor = dict(cursors.get("") or {})
        lists: dict[str, Cursor] = dict(last.get("lists") or {})
        async for page in pages:
            # The endpoint's own walk may not carry "lists" (the convert history's does not; Simple Earn's carries
            # its own and every other it was given): these lists' cursors ride along unchanged.
            lists = {**lists, **(page.cursor.get("lists") or {})}
            last = {**page.cursor, "lists": lists}
            yield replace(page, cursor=last)
        for sapi_list in self.lists:
            own = lists.get(sapi_list.name)
            begin = walk_begin(spec, own, since, report, exchange_name=self.name, opened=sapi_list.opened)
            # The later of the sync-from date (or the list's cursor) and the list's own first day: `walk_begin` floors
            # at the endpoint's `earliest` when its profile names one, which may be older than this list's reach.
            start = max(begin, opened_ms(sapi_list))
            if sapi_list.reread_ms is not None and own is not None:
                start = min(start, max(to_ms(until) - sapi_list.reread_ms, since_ms(since) or 0, opened_ms(sapi_list)))
            fetch_page = self._fetch_page(spec, report, sapi_list)
            walk = WindowWalk(spec.endpoint, sapi_list.window_ms, fetch_page, report=report)
            async for page in walk.pages(start_ms=start, until_ms=to_ms(until), cursor=own, floor_ms=since_ms(since)):
                lists = {**lists, sapi_list.name: page.cursor}
                yield replace(page, cursor={**last, "lists": lists})

    def _fetch_page(
        self, spec: EndpointSpec, report: FetchReport, sapi_list: SapiList
    ) -> Callable[[int, int, Any], Awaitable[WindowPage]]:
        async def fetch_page(start: int, end: int, token: Any) -> WindowPage:
            number = int(token or 1)
            params = {**(sapi_list.fixed or {}), "startTime": start, "endTime": end}
            params.update({"current": number, "size": sapi_list.page_size})
            path, uid = sapi_list.path, sapi_list.uid
            await self.pacing.spend_path(path, sapi_list.weight, uid=uid, endpoint=spec.endpoint)
            body = await call(self.client, sapi_list.method, params, endpoint=spec.endpoint, report=report)
            self.pacing.observe_path(path, last_response_headers(), uid=uid)
            rows, total = rows_of(body)
            # With a total, more pages while it is not reached; without one (a bare array), while pages are full.
            more = number * sapi_list.page_size < total if total is not None else len(rows) >= sapi_list.page_size
            page = WindowPage([], number + 1 if more and rows else None)
            for row in rows:
                records, hold = sapi_list.parse(row)
                page.records.extend(records)
                # Each apart: the walk lets go of one unfinished for weeks, and the next one must still hold.
                page.pending.extend([hold] if hold is not None else [])
            return page

        return fetch_page
