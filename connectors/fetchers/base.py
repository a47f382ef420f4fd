"""The fetcher contract: pages of normalized records, each with the cursor to resume after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connectors.profiles import Endpoint, EndpointSpec, ExchangeProfile
from connectors.records import NormalizedRecord
from i18n import Text

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
    """History the exchange would not give: the range and why (lookback limit, window rules).

    `reason` is a catalogue text, stored as its id and arguments and worded in the reader's locale, never English.
    `not_read`: a product the account holds that Tallybot does not read yet (Gate's options, HTX's coin-margined
    delivery futures): its history is certainly missing, not out of the API's reach."""

    endpoint: Endpoint
    start: datetime
    end: datetime
    reason: Text
    not_read: bool = False


class RateLimited(Exception):
    """The exchange (or our own pacing of a budget ccxt's throttler does not know) says: not now.

    Raised by a fetcher *between* pages: every page yielded before it is complete and its cursor resumes right
    after it, so the sync engine marks the endpoint partial and continues from the stored cursors later.
    `retry_after` is in seconds (None: the exchange did not say).
    """

    def __init__(self, endpoint: Endpoint, retry_after: float | None, market: str = "") -> None:
        self.endpoint = endpoint
        self.retry_after = retry_after
        self.market = market
        wait = "" if retry_after is None else f"; retry after {retry_after:g} s"
        super().__init__(f"rate limited on {endpoint}{' ' + market if market else ''}{wait}")


class UnsupportedEndpoint(LookupError):
    """The fetcher has no implementation for this endpoint (the engine marks it skipped).

    A fetcher may also raise it from its pages, before the first one, with a `notice` saying why this account is
    not asked (a kind the account shows no sign of using: no futures account, no margin account); the engine marks
    the endpoint skipped with that notice, which /status shows. `unused` False: the kind may well be used, but this
    key may not read it (Bybit's Earn without the Earn permission), so reconciliation names it as a cause first.
    `not_read` True: the account holds a product of this kind that Tallybot does not read yet (KuCoin's unified
    futures, Gate's options alone): neither unused nor denied, its history is certainly missing."""

    def __init__(
        self,
        exchange_id: str,
        endpoint: Endpoint,
        notice: Text | None = None,
        *,
        unused: bool = True,
        not_read: bool = False,
    ) -> None:
        self.exchange_id = exchange_id
        self.endpoint = endpoint
        self.notice = notice
        self.unused = unused and not not_read
        self.not_read = not_read
        super().__init__(f"{exchange_id}: {endpoint} is not fetched by Tallybot yet")


def served_spec(profile: ExchangeProfile, endpoint: Endpoint, key_type: str | None, implemented: bool) -> EndpointSpec:
    """The spec `fetch` walks for an endpoint; UnsupportedEndpoint, before any request, when the profile does not
    offer the endpoint to this key type or the fetcher does not implement it."""
    spec = profile.endpoint(endpoint, key_type)
    if spec is None or not implemented:
        raise UnsupportedEndpoint(profile.id, endpoint)
    return spec


@dataclass(slots=True)
class FetchReport:
    """What a fetch did besides records: requests made, markets scanned and why, gaps."""

    requests: int = 0
    markets_scanned: list[str] = field(default_factory=list)
    market_sources: dict[str, list[str]] = field(default_factory=dict)  # market -> why it was scanned
    markets_not_scanned: dict[str, str] = field(default_factory=dict)  # candidate market -> why it was left out
    gaps: list[CoverageGap] = field(default_factory=list)


class Fetcher(Protocol):
    def supports(self, endpoint: Endpoint) -> bool:
        """Whether `fetch` can serve this endpoint; otherwise it raises UnsupportedEndpoint."""
        ...

    def learn_assets(self, assets: Iterable[str]) -> None:
        """Hints for market discovery: the assets (ccxt codes) of the integration's stored records.

        Exchanges whose trade history needs a market (Binance) find markets from the assets an account moved.
        The fetcher sees the wallet records it fetches itself; records stored by an interrupted earlier sync or
        a file upload only the caller knows. Call before fetching trades; fetchers that need no markets ignore it.
        """
        ...

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
        (None: as far back as the exchange allows), up to `until`. Never holds a whole history in memory.
        For per-market endpoints the "" cursor holds discovery state, not a market. A page may carry no records
        (a window with nothing in it, a market probed and found empty): commit its cursor all the same.

        Raises RateLimited between pages (everything yielded before is complete) and UnsupportedEndpoint before
        the first request; ccxt errors other than rate limits propagate unchanged for the diagnosis."""
        ...
