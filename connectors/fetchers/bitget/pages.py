"""What every Bitget v2 list shares: a time range per request, newest first, the next page by `idLessThan`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from connectors.fetchers.base import CoverageGap, FetchReport
from connectors.fetchers.windows import WindowPage, call
from connectors.profiles import EndpointSpec
from connectors.records import NormalizedRecord

# Bitget opened in July 2018: nothing is older.
BITGET_OPENED = date(2018, 7, 1)

Parsed = tuple[NormalizedRecord | None, int | None]  # (record if final, time it holds the cursor at if pending)
Parse = Callable[[Mapping[str, Any]], Parsed]


@dataclass(frozen=True, slots=True)
class Route:
    """One Bitget list: its ccxt implicit method, fixed parameters and the id `idLessThan` pages by."""

    method: str
    id_field: str
    params: Mapping[str, Any] | None = None


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
    if token:
        params["idLessThan"] = token
    body = await call(client, route.method, params, endpoint=spec.endpoint, report=report, market=market)
    data = body.get("data")
    rows: list[Mapping[str, Any]] = (data.get("dataList") if isinstance(data, Mapping) else data) or []
    page = WindowPage([])
    if len(rows) >= spec.page_size:
        page.token = str(min(int(row[route.id_field]) for row in rows))
    for row in rows:
        record, hold = parse(row)
        if record is not None:
            page.records.append(record)
        if hold is not None and (page.hold_ms is None or hold < page.hold_ms):
            page.hold_ms = hold
    return page


def note_gap(report: FetchReport, gap: CoverageGap) -> None:
    """Report a gap once per endpoint and reason: streams of one endpoint (markets, coins) widen one gap."""
    for n, known in enumerate(report.gaps):
        if known.endpoint is gap.endpoint and known.reason == gap.reason:
            report.gaps[n] = replace(known, start=min(known.start, gap.start), end=max(known.end, gap.end))
            return
    report.gaps.append(gap)
