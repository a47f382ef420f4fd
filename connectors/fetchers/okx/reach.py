"""What OKX's API cannot give, said as coverage gaps with the reason (docs/exchange-apis/okx.md, "reach" rows)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from connectors.fetchers import windows
from connectors.fetchers.base import CoverageGap, Cursor
from connectors.fetchers.windows import Start, date_ms, span_ms
from connectors.profiles import Endpoint, EndpointSpec
from connectors.records import ms_to_utc
from i18n import Text

# OKEx, OKX's earlier name, opened in 2017: nothing is older.
OKX_OPENED = date(2017, 1, 1)
# Asset_Bills_History.md: "the billing records of all time since 1 February, 2021". Older bills exist but the API
# cannot give them: a gap, not a start (a profile's `earliest` would say nothing existed before).
BILLS_HISTORY_SINCE = date(2021, 2, 1)
# Two editions of OKX's fills-history page disagree: "the last 1 year since July 1, 2024" (the profile's lookback)
# and, in the copy of okx.com updated 2026-07-17, "the last 3 months". A walk that meets a fill older than three
# months has seen the longer reach at work; one that meets none cannot tell "no trades" from "not given".
FILLS_SHORT_REACH = timedelta(days=90)


def since_bills_history(spec: EndpointSpec, start: Start) -> Start:
    """bills-history's fixed reach: whatever was asked for before 2021-02-01 is a gap, with the reason."""
    reach_ms = date_ms(BILLS_HISTORY_SINCE)
    if start.ms >= reach_ms:
        return start
    gap = CoverageGap(
        spec.endpoint,
        ms_to_utc(max(start.ms, date_ms(OKX_OPENED))),
        ms_to_utc(reach_ms),
        Text.of("sync.gap.okx.bills_since", phrase=spec.phrase, date=BILLS_HISTORY_SINCE.isoformat()),
    )
    return Start(reach_ms, gap)


def crowded_gap(spec: EndpointSpec, start_ms: int, at_ms: int) -> CoverageGap:
    return CoverageGap(
        spec.endpoint,
        ms_to_utc(start_ms),
        ms_to_utc(at_ms),
        Text.of("sync.gap.okx.crowded", size=spec.page_size, phrase=spec.phrase),
    )


@dataclass(slots=True)
class Depth:
    """Whether a walk of spot fills met a fill older than three months (see FILLS_SHORT_REACH).

    Only a walk that asks below the three-month line watches: a later sync, whose floor is above it, does not."""

    endpoint: Endpoint
    watching: bool
    from_ms: int
    line_ms: int
    deep: bool

    @classmethod
    def begin(cls, spec: EndpointSpec, start_ms: int, floor_ms: int | None, walk: Mapping[str, Any] | None) -> Depth:
        line_ms = windows.now_ms() - span_ms(FILLS_SHORT_REACH)
        from_ms = max(start_ms, floor_ms if floor_ms is not None else start_ms)
        watching = spec.endpoint is Endpoint.SPOT_TRADES and from_ms < line_ms
        return cls(spec.endpoint, watching, from_ms, line_ms, bool(walk and walk.get("deep")))

    def saw(self, ms: int) -> None:
        if ms < self.line_ms:
            self.deep = True

    def dump(self) -> Cursor:
        return {"deep": True} if self.deep else {}

    def unsure(self) -> list[CoverageGap]:
        """The range the walk cannot vouch for, once it is complete."""
        if not self.watching or self.deep:
            return []
        reason = Text.of("sync.gap.okx.fills_reach")
        return [CoverageGap(self.endpoint, ms_to_utc(self.from_ms), ms_to_utc(self.line_ms), reason)]
