"""What every Bitget v2 list shares: a time range per request, newest first, the next page by `idLessThan` (or, where
the docs mark `idLessThan` deprecated, by `pageNum`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from connectors.fetchers.base import CoverageGap, Cursor, FetchReport
from connectors.fetchers.windows import WindowPage, call, cursor_start, history_start, now_ms, span_ms, to_ms
from connectors.profiles import EndpointSpec
from connectors.profiles.catalog.bitget import NAME
from connectors.records import NormalizedRecord

# Bitget opened in July 2018: nothing is older.
BITGET_OPENED = date(2018, 7, 1)

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)
Parse = Callable[[Mapping[str, Any]], Parsed]


@dataclass(frozen=True, slots=True)
class Route:
    """One Bitget list: its ccxt implicit method, the id `idLessThan` pages by, fixed parameters, and whether it
    pages by `pageNum` instead (1, 2, …; `transferRecords`: "idLessThan (Deprecated)")."""

    method: str
    id_field: str
    params: Mapping[str, Any] | None = None
    by_page_number: bool = False


async def id_page(
    client: Any,
    spec: EndpointSpec,
    report: FetchReport,
    route: Route,
    parse: Parse,
    window_start: int,
    window_end: int,
    token: Any,
    *,
    extra: Mapping[str, Any] | None = None,
    market: str = "",
) -> WindowPage:
    """One page of [window_start, window_end]: newest first, `token` the id the page before ended at."""
    params: dict[str, Any] = {
        **(route.params or {}),
        **(extra or {}),
        "startTime": window_start,
        "endTime": window_end,
        "limit": spec.page_size,
    }
    if route.by_page_number:
        params["pageNum"] = int(token or 1)
    elif token:
        params["idLessThan"] = token
    body = await call(client, route.method, params, endpoint=spec.endpoint, report=report, market=market)
    data = body.get("data")
    rows: list[Mapping[str, Any]] = (data.get("dataList") if isinstance(data, Mapping) else data) or []
    page = WindowPage([])
    if len(rows) >= spec.page_size:
        if route.by_page_number:
            page.token = int(token or 1) + 1
        else:
            page.token = str(min(int(row[route.id_field]) for row in rows))
    for row in rows:
        page.keep(*parse(row))
    return page


def note_gap(report: FetchReport, gap: CoverageGap) -> None:
    """Report a gap once per endpoint and reason: streams of one endpoint (markets, coins) widen one gap."""
    for n, known in enumerate(report.gaps):
        if known.endpoint is gap.endpoint and known.reason == gap.reason:
            report.gaps[n] = replace(known, start=min(known.start, gap.start), end=max(known.end, gap.end))
            return
    report.gaps.append(gap)


def walk_start(spec: EndpointSpec, cursor: Cursor | None, since: datetime | None, report: FetchReport) -> int:
    """Where a list's walk starts: the cursor's window, else `since`, else as far back as the list reaches; what
    lies before the reach is noted as a gap.

    The reach moves with the clock. A window left unfinished by an interrupted sync is finished from its own start
    even if that start slipped a little past the reach since (its older rows are what is left, and Bitget still
    serves them for the hour of margin the reach keeps); only what truly fell out of reach is a gap.
    """
    requested = cursor_start(cursor)
    if requested is None and since is not None:
        requested = to_ms(since)
    start = history_start(spec, requested_ms=requested, exchange_name=NAME, opened=BITGET_OPENED)
    unfinished = bool(cursor) and cursor is not None and cursor.get("window_end_ms") is not None
    if unfinished and requested is not None and start.gap is not None and spec.lookback is not None:
        true_reach = now_ms() - span_ms(spec.lookback)
        if requested < true_reach:
            note_gap(
                report, replace(start.gap, end=start.gap.end.fromtimestamp(true_reach / 1000, start.gap.end.tzinfo))
            )
        return requested
    if start.gap is not None:
        note_gap(report, start.gap)
    return start.ms
