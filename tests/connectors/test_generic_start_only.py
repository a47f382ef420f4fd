"""The untested generic path where ccxt sends the start of a range and never the end.

The clients below are ccxt-like: their methods are read by ccxt_ranges like any ccxt method (from their code), and
answer as the exchange they stand for would. `CappedClient` is modelled on ccxt 4.5.90's `lbank.fetch_my_trades`
(read by hand): `request["start_date"] = ymd(since)` and `request["end_date"] = ymd(since + 86400000)`, `until`
never read, so the exchange answers at most the day after the start, oldest first.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import ccxt
import pytest

from connectors.fetchers.base import FetchReport
from connectors.fetchers.ccxt_ranges import range_support
from connectors.fetchers.generic import GenericFetcher
from connectors.profiles import Endpoint
from connectors.profiles.generic import profile_from_metadata
from i18n import Text

DAY_MS = 86_400_000
NOW_MS = int(datetime.now(UTC).timestamp() * 1000)


def deposits(times: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(n),
            "txid": f"tx{n}",
            "timestamp": at,
            "currency": "BTC",
            "amount": 0.5,
            "status": "ok",
            "fee": None,
            "info": {"amount": "0.5"},
        }
        for n, at in enumerate(times)
    ]


def untested(exchange_id: str, name: str) -> Any:
    return profile_from_metadata(
        exchange_id=exchange_id,
        name=name,
        required_credentials={"apiKey": True, "secret": True},
        has={"fetchDeposits": True},
        urls={"www": "https://example.invalid"},
    )


class CappedClient:
    """Told a start, answers the rows of [start, start + 1 day] (oldest first, at most `limit`)."""

    has: ClassVar[dict[str, bool]] = {"fetchDeposits": True}

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.asked: list[dict[str, Any]] = []

    async def fetch_deposits(
        self, code: str | None = None, since: int | None = None, limit: int | None = None, params: Any = None
    ) -> list[dict[str, Any]]:
        request = {"start_date": since, "end_date": since + 86400000 if since is not None else None, "limit": limit}
        self.asked.append({**request, **(params or {})})
        inside = [
            r
            for r in self.rows
            if request["start_date"] is None or request["start_date"] <= r["timestamp"] <= request["end_date"]
        ]
        return sorted(inside, key=lambda r: r["timestamp"])[: request["limit"] or 100]

    def number_to_string(self, value: float) -> str:
        return repr(value)


async def test_a_range_cut_short_after_its_start_is_asked_again_from_its_newest_row() -> None:
    # Every six hours for ten days: each answer holds one day, far less than a page.
    start = NOW_MS - 12 * DAY_MS
    rows = deposits([start + n * DAY_MS // 4 for n in range(40)])
    client = CappedClient(rows)
    fetcher = GenericFetcher(untested("capped", "Capped"), client)
    support = fetcher.range_support(Endpoint.DEPOSITS)
    assert (support.known, support.since, support.until) == (True, True, False)

    report = FetchReport()
    since = datetime.fromtimestamp((start - 1) / 1000, UTC)
    pages = fetcher.fetch(Endpoint.DEPOSITS, since=since, until=datetime.now(UTC), cursors={}, report=report)
    found = [str(r.exchange_tx_id) async for p in pages for r in p.records]

    # Every deposit, once, although no single answer held more than a day of them.
    assert sorted(found, key=int) == [str(n) for n in range(40)]
    # ccxt never reads `until` here, so it is never sent (ccxt would pass it on to the exchange raw).
    assert all("until" not in asked for asked in client.asked)
    # The walk ended on an empty answer past the last deposit, with the cut proven: the rest of that window is named.
    assert {g.reason for g in report.gaps} == {
        Text.of("sync.gap.untested_capped", name="Capped", phrase=Text.of("endpoint.deposits.phrase"))
    }
    newest = datetime.fromtimestamp(rows[-1]["timestamp"] / 1000, UTC)
    assert all(g.start >= newest for g in report.gaps)


class NewestFromStartClient:
    """Told a start and no end, answers the newest `limit` rows from the start on (as Binance fills deposit pages)."""

    has: ClassVar[dict[str, bool]] = {"fetchDeposits": True}

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    async def fetch_deposits(
        self, code: str | None = None, since: int | None = None, limit: int | None = None, params: Any = None
    ) -> list[dict[str, Any]]:
        request = {"startTime": since, "limit": limit}
        answered = [r for r in self.rows if request["startTime"] is None or r["timestamp"] >= request["startTime"]]
        answered.sort(key=lambda r: r["timestamp"], reverse=True)
        return sorted(answered[: request["limit"] or 1000], key=lambda r: r["timestamp"])

    def number_to_string(self, value: float) -> str:
        return repr(value)


async def test_a_full_page_that_may_hide_older_rows_below_it_leaves_a_gap_not_a_silent_skip() -> None:
    # 60 deposits an hour apart, all inside one 30-day window; a page holds 50, the newest from the start.
    start = NOW_MS - 5 * DAY_MS
    rows = deposits([start + n * 3_600_000 for n in range(60)])
    fetcher = GenericFetcher(untested("newestfromstart", "NewestFromStart"), NewestFromStartClient(rows))
    report = FetchReport()
    since = datetime.fromtimestamp((start - 1) / 1000, UTC)
    pages = fetcher.fetch(Endpoint.DEPOSITS, since=since, until=datetime.now(UTC), cursors={}, report=report)
    found = {r.exchange_tx_id async for p in pages for r in p.records}

    assert found == {str(n) for n in range(10, 60)}  # the ten oldest cannot be asked for without an end
    (gap,) = report.gaps
    assert gap.reason == Text.of(
        "sync.gap.untested_unproven_order", name="NewestFromStart", phrase=Text.of("endpoint.deposits.phrase")
    )
    for row in rows[:10]:
        assert gap.start <= datetime.fromtimestamp(row["timestamp"] / 1000, UTC) <= gap.end


class OldestFirstClient(NewestFromStartClient):
    """The same list filled from the old end: a full page is followed by the next one, and nothing is missing."""

    async def fetch_deposits(
        self, code: str | None = None, since: int | None = None, limit: int | None = None, params: Any = None
    ) -> list[dict[str, Any]]:
        request = {"startTime": since, "limit": limit}
        answered = [r for r in self.rows if request["startTime"] is None or r["timestamp"] >= request["startTime"]]
        return sorted(answered, key=lambda r: r["timestamp"])[: request["limit"] or 1000]


async def test_full_pages_filled_from_the_old_end_are_walked_whole_without_a_gap() -> None:
    start = NOW_MS - 5 * DAY_MS
    rows = deposits([start + n * 3_600_000 for n in range(60)])
    fetcher = GenericFetcher(untested("oldestfirst", "OldestFirst"), OldestFirstClient(rows))
    report = FetchReport()
    since = datetime.fromtimestamp((start - 1) / 1000, UTC)
    pages = fetcher.fetch(Endpoint.DEPOSITS, since=since, until=datetime.now(UTC), cursors={}, report=report)
    found = [str(r.exchange_tx_id) async for p in pages for r in p.records]
    assert sorted(found, key=int) == [str(n) for n in range(60)]
    assert report.gaps == []
    assert fetcher.order == {Endpoint.DEPOSITS: "up"}


# ------------------------------------------------------------------------------ reading ccxt's code, fail closed


class DropsUntil:
    """Sends the start; the end parameter is only removed from what is passed on."""

    def fetch_deposits(self, code: Any = None, since: Any = None, limit: Any = None, params: Any = None) -> Any:
        request = {"startTime": since}
        params = self.omit(params, "until")
        return self.request(request, params)

    def omit(self, params: Any, key: str) -> Any:
        return params

    def request(self, request: Any, params: Any) -> Any:
        return request


def test_an_until_that_is_only_omitted_is_not_counted_as_sent() -> None:
    support = range_support(DropsUntil(), "fetch_deposits")
    assert (support.known, support.since, support.until) == (True, True, False)


@pytest.mark.parametrize(
    ("exchange_id", "method", "since", "until"),
    [
        # ccxt 4.5.90 `coinbaseinternational.fetch_my_trades`: `until = self.safe_integer(paramsPaginate, 'until')`
        # always, but `start_timestamp`/`end_timestamp` only `if self.is_native_deribit_credentials() and (…)`.
        ("coinbaseinternational", "fetch_my_trades", False, False),  # and not known: see the next test
        # `mexc.fetch_my_trades`: `startTime`/`start_time` from since in both the spot and the contract branch,
        # `until` read inside `if marketType == 'spot'` only.
        ("mexc", "fetch_my_trades", True, False),
        # `binance.fetch_deposits`: `beginTime` (fiat) or `startTime` (crypto) from since in both arms, and
        # `until` read before them: both sent whichever arm runs.
        ("binance", "fetch_deposits", True, True),
        # `apex.fetch_my_trades`: `self.safe_integer_n(params, ['endTime', 'endTimeExclusive', 'until'])`.
        ("apex", "fetch_my_trades", True, True),
    ],
)
def test_a_bound_sent_only_in_some_branches_is_not_counted(
    exchange_id: str, method: str, since: bool, until: bool
) -> None:
    support = range_support(getattr(ccxt, exchange_id)(), method)
    assert support.known == (exchange_id != "coinbaseinternational")
    assert (support.since, support.until) == (since, until)


def test_a_start_sent_only_on_another_condition_is_said_to_be_unknown() -> None:
    # coinbaseinternational sends `start_timestamp` for Deribit credentials only: the gap says Tallybot cannot tell,
    # not that ccxt cannot ask.
    support = range_support(ccxt.coinbaseinternational(), "fetch_my_trades")
    assert (support.known, support.since) == (False, False)
