"""One windowed Bitget v2 list walked as a stream of its own (one cursor key): the futures and margin lists.

Each answer holds its rows under a key of its own (`fillList`, `bills`, `fills`, `resultList`), newest first; a full
page asks the next with `idLessThan=<endId>` where the answer names one (the futures lists and the savings records:
"the value input should be the end ID of the last request", and the savings page's example `endId` is not its row's
`orderId`, earn/savings/Savings-Records), else with the smallest id of the page (the margin lists, which name none).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.fetchers.base import Cursor, FetchReport, Page
from connectors.fetchers.bitget.pages import walk_start
from connectors.fetchers.windows import WindowPage, WindowWalk, call, since_ms, span_ms, to_ms
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord

Parse = Callable[[Mapping[str, Any]], NormalizedRecord | None]


def stream_key(*parts: str) -> str:
    """A stream's cursor key, or a record's id within its list: the parts joined by ":"."""
    return ":".join(parts)


@dataclass(frozen=True, slots=True)
class List:
    """A list: ccxt's implicit method, where its rows are, the id it pages by, the longest range one request may ask
    (its page's own rule) and the most rows a page holds."""

    method: str
    rows: str
    id_field: str
    window: timedelta
    page_size: int


def listing(method: str, rows: str, id_field: str, days: int, page_size: int) -> List:
    return List(method, rows, id_field, timedelta(days=days), page_size)


async def walk(
    client: Any,
    spec: EndpointSpec,
    listing: List,
    parse: Parse,
    *,
    key: str,
    params: Mapping[str, Any],
    since: datetime | None,
    until: datetime,
    cursor: Cursor | None,
    report: FetchReport,
) -> AsyncIterator[Page]:
    """Every page of one stream from its cursor (else `since`, else the profile's reach), oldest window first."""
    start_ms = walk_start(spec, cursor, since, report)

    async def page(window_start: int, window_end: int, token: Any) -> WindowPage:
        asked = {**params, "startTime": window_start, "endTime": window_end, "limit": listing.page_size}
        if token:
            asked["idLessThan"] = token
        body = await call(client, listing.method, asked, endpoint=spec.endpoint, report=report, market=key)
        data = body.get("data") or {}
        rows: list[Mapping[str, Any]] = data.get(listing.rows) or []
        found = WindowPage([])
        if len(rows) >= listing.page_size:
            end_id = data.get("endId")
            found.token = str(end_id) if end_id else str(min(int(row[listing.id_field]) for row in rows))
        for row in rows:
            record = parse(row)
            if record is not None:
                found.records.append(record)
        return found

    stream = WindowWalk(spec.endpoint, span_ms(listing.window), page, key)
    async for item in stream.pages(start_ms=start_ms, until_ms=to_ms(until), cursor=cursor, floor_ms=since_ms(since)):
        yield item
