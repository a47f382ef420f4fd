"""Kraken: spot trades (TradesHistory) and the ledger (Ledgers: deposits, withdrawals, transfers, staking rewards
and every other balance change), each walked newest first with `ofs` inside a fixed window. Rules and their
sources: docs/exchange-apis/kraken.md.

| endpoint | page | paging | reach |
| --- | --- | --- | --- |
| `POST /0/private/TradesHistory` | 50 | `ofs` inside `start` (exclusive) .. `end` (inclusive), in s | not documented |
| `POST /0/private/Ledgers` | 50 | the same | not documented |

Both lists cover every market and every asset at once: no market has to be found first. A walk fixes its window,
(the second after the last committed window, the second of `until`], so records that arrive while it pages fall
after `end` and cannot shift the offsets it pages by; the next sync starts at this window's `end`. With nothing new
a sync costs one request per list.

Cursors (market key ""), seconds since the epoch:

    {"s": 1717000000}                                        settled: everything up to this second is committed
    {"s": 1717000000, "walk": {"end": 1718000000, "ofs": 150}}  a walk interrupted after a page
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from connectors.diagnosis.facts import last_answer
from connectors.fetchers.base import Cursor, FetchReport, Page, RateLimited, served_spec
from connectors.fetchers.handwritten import HandwrittenFetcher
from connectors.fetchers.kraken.rows import RowReader, kraken_ms
from connectors.fetchers.windows import call, history_start, now_ms, to_ms
from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord, ms_to_utc

# Kraken opened its exchange in September 2013: nothing is older.
KRAKEN_OPENED = date(2013, 9, 1)
# "EService: Throttled: [UNIX timestamp]" when there are too many concurrent requests: try again after that time
# (docs/exchange-apis/kraken.md). ccxt knows no such error, so it arrives as a plain ExchangeError.
_THROTTLED = re.compile(r"EService: ?Throttled: ?(\d{9,11})")


@dataclass(frozen=True, slots=True)
class _Feed:
    method: str  # ccxt's implicit method
    key: str  # where the rows are in `result`, keyed by their ids


FEEDS: Mapping[Endpoint, _Feed] = {
    Endpoint.SPOT_TRADES: _Feed("privatePostTradesHistory", "trades"),
    Endpoint.LEDGER: _Feed("privatePostLedgers", "ledger"),
}


class KrakenFetcher(HandwrittenFetcher):
    """Fetches Kraken history through ccxt's implicit API methods, reading Kraken's raw strings."""

    SUPPORTED = frozenset(FEEDS)

    def __init__(self, profile: ExchangeProfile, client: Any, *, key_type: str | None = None) -> None:
        super().__init__(profile, client, key_type=key_type)
        self.rows = RowReader(client)

    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        spec = served_spec(self.profile, endpoint, self.key_type, self.implements(endpoint))
        return self._walk(spec, since=since, until=until, cursor=cursors.get(""), report=report)

    async def _walk(
        self, spec: EndpointSpec, *, since: datetime | None, until: datetime, cursor: Cursor | None, report: FetchReport
    ) -> AsyncIterator[Page]:
        feed = FEEDS[spec.endpoint]
        parse = self._parser(spec.endpoint)
        stored = dict(cursor or {})
        floor_ms: int | None = None  # the first walk keeps nothing older than asked for
        if stored.get("s") is not None:
            start_s = int(stored["s"])
        else:
            requested = to_ms(since) if since is not None else None
            start = history_start(spec, requested_ms=requested, exchange_name=self.profile.name, opened=KRAKEN_OPENED)
            if start.gap is not None:
                report.gaps.append(start.gap)
            floor_ms = start.ms
            start_s = max(0, (start.ms - 1) // 1000)  # `start` is exclusive
        walk = stored.get("walk") or {}
        end_s = int(walk["end"]) if walk else to_ms(until) // 1000
        ofs = int(walk.get("ofs", 0)) if walk else 0
        if end_s <= start_s:
            yield Page(spec.endpoint, (), {"s": start_s}, ms_to_utc(start_s * 1000))
            return
        while True:
            params: dict[str, Any] = {"end": end_s, "ofs": ofs}
            if start_s > 0:
                params["start"] = start_s
            body = await self._call(feed.method, params, spec, report)
            result = body.get("result") or {}
            rows: Mapping[str, Mapping[str, Any]] = result.get(feed.key) or {}
            records = [
                record
                for ident, row in rows.items()
                if floor_ms is None or kraken_ms(row["time"]) >= floor_ms
                if (record := parse(str(ident), row)) is not None
            ]
            ofs += len(rows)
            count = result.get("count")
            done = not rows or (ofs >= int(count) if count is not None else len(rows) < spec.page_size)
            if done:
                yield Page(spec.endpoint, tuple(records), {"s": end_s}, ms_to_utc(end_s * 1000))
                return
            progress = {"s": start_s, "walk": {"end": end_s, "ofs": ofs}}
            yield Page(spec.endpoint, tuple(records), progress, ms_to_utc(start_s * 1000))

    async def _call(self, method: str, params: Mapping[str, Any], spec: EndpointSpec, report: FetchReport) -> Any:
        try:
            return await call(self.client, method, params, endpoint=spec.endpoint, report=report)
        except Exception:
            answer = last_answer(self.client)
            throttled = _THROTTLED.search(answer.body or "") if answer is not None else None
            if throttled is None:
                raise
            raise RateLimited(spec.endpoint, max(0.0, int(throttled[1]) - now_ms() / 1000)) from None

    def _parser(self, endpoint: Endpoint) -> Callable[[str, Mapping[str, Any]], NormalizedRecord | None]:
        if endpoint is Endpoint.SPOT_TRADES:
            return self.rows.trade
        return self.rows.ledger


__all__ = ["KrakenFetcher"]
