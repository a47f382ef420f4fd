"""The fetcher contract: pages of normalized records, each with the cursor to resume after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connectors.profiles import Endpoint
from connectors.records import NormalizedRecord

Cursor = dict[str, Any]  # JSON-serialisable; stored per (integration, endpoint, market)


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its records and the cursor that resumes right after them.

    The sync engine commits `records` and `cursor` in one transaction, so a crash between pages loses
    nothing and repeats nothing. `covered_until` is the time up to which this market/endpoint is complete.
    """

    endpoint: Endpoint
    records: tuple[NormalizedRecord, ...]
    cursor: Cursor
    covered_until: datetime
    market: str = ""


@dataclass(frozen=True, slots=True)
class CoverageGap:
    """History the exchange would not give: the range and why (lookback limit, window rules)."""

    endpoint: Endpoint
    start: datetime
    end: datetime
    reason: str


@dataclass(slots=True)
class FetchReport:
    """What a fetch did besides records: requests made, markets scanned and why, gaps."""

    requests: int = 0
    markets_scanned: list[str] = field(default_factory=list)
    market_sources: dict[str, list[str]] = field(default_factory=dict)  # market -> why it was scanned
    gaps: list[CoverageGap] = field(default_factory=list)


class Fetcher(Protocol):
    def fetch(
        self,
        endpoint: Endpoint,
        *,
        since: datetime | None,
        until: datetime,
        cursors: Mapping[str, Cursor],
        report: FetchReport,
    ) -> AsyncIterator[Page]:
        """Pages in order from each market's cursor (key "" for endpoints without markets), or from `since`
        (None: as far back as the exchange allows), up to `until`. Never holds a whole history in memory."""
        ...
