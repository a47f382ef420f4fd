"""The spot rebate list (GET /sapi/v1/rebate/taxQuery) as the Binance fetcher walks it after the reward lists: what a
sync asks (the request cost per year of history), where a whole-history walk starts, and what it stores.

From the page (developers.binance.com/docs/rebate/rest-api): at most 30 days a request, nothing before 2020-06-10,
weight 12,000 of the UID budget. Expected values are worked out by hand from those rules and from the emulator's
script (sandbox/exchanges/binance_rebates.py)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from connectors.profiles import Endpoint
from connectors.records import RecordKind
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from tests.connectors.test_fetch_binance import binance_client, new_fetcher, run_sync

QUIET = AccountProfile(years=0.3, traded_markets=2, trades=10, deposits=1, withdrawals=1, converts=0, rewards=0)
LIFTED = BinanceLimits(sapi_uid_weight_per_minute=10**9)
DAY_MS = 86_400_000
JUNE_10_2020_MS = 1_591_747_200_000  # 2020-06-10T00:00:00Z, "The earliest startTime is supported on June 10, 2020"
D = Decimal


def _rebates(records: list) -> Counter[tuple[str, Decimal]]:  # type: ignore[type-arg]
    return Counter((r.asset, r.amount) for r in records if r.kind is RecordKind.REWARD and "updateTime" in r.raw)


async def test_a_year_of_history_costs_thirteen_requests_and_the_next_sync_one() -> None:
    async with (
        BinanceEmulator(seed=41, profile=QUIET, listed_symbols=20, limits=LIFTED, rebates=True) as bn,
        binance_client(bn) as client,
    ):
        until = datetime.now(UTC)
        since = until - timedelta(days=365)
        first = await run_sync(new_fetcher(client), (Endpoint.EARN_REWARDS,), since=since, until=until)
        first_asks = list(bn.rebates.asked)
        later = until + timedelta(hours=1)
        again = await run_sync(new_fetcher(client), (Endpoint.EARN_REWARDS,), first.cursors, until=later)
        second_asks = bn.rebates.asked[len(first_asks) :]

    # 365 days in ranges of at most 30: 12 full ones and a 13th of the last 5 days, each one page (200 rows).
    assert len(first_asks) == 13
    assert all(end - start < 30 * DAY_MS and page == 1 for start, end, page in first_asks)
    assert all(a[1] + 1 == b[0] for a, b in pairwise(first_asks)), "contiguous"
    # Every scripted rebate (all within 60 days) once: 74 rows.
    assert _rebates(first.records[Endpoint.EARN_REWARDS]) == Counter(
        {("BNB", D("0.00045678")): 1, ("USDT", D("0.01234567")): 1, ("USDT", D("0.000001")): 70,
         ("USDT", D("0.00891234")): 1, ("BTC", D("0.00000056")): 1}
    )  # fmt: skip
    # An hour later the next sync resumes from the cursor: one request for that hour, nothing stored again.
    hour = (int(until.timestamp() * 1000) + 1, int(later.timestamp() * 1000))
    assert [(start, end) for start, end, _ in second_asks] == [hour]
    assert not _rebates(again.records.get(Endpoint.EARN_REWARDS, []))


async def test_without_a_sync_from_date_the_walk_starts_on_june_10_2020() -> None:
    async with (
        BinanceEmulator(seed=42, profile=QUIET, listed_symbols=20, limits=LIFTED, rebates=True) as bn,
        binance_client(bn) as client,
    ):
        until = datetime.now(UTC)
        await run_sync(new_fetcher(client), (Endpoint.EARN_REWARDS,), until=until)
        asks = list(bn.rebates.asked)

    assert asks[0][0] == JUNE_10_2020_MS
    # One request per 30 days from there to now (about 13 a year).
    assert len(asks) == -(-(int(until.timestamp() * 1000) - JUNE_10_2020_MS + 1) // (30 * DAY_MS))
