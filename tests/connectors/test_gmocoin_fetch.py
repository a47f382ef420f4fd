"""The GMO Coin fetcher against the GMO Coin emulator through Tallybot's own GMO Coin client: the fills of the last day
of every spot symbol (older ones reported as out of reach, with the dates), crypto deposits and withdrawals per
symbol and JPY ones walked in 30-minute ranges, amounts exactly as GMO Coin's strings say, and a re-sync asking only
the ranges after the last one (and each symbol's one page of the last day: latestExecutions takes no time bounds).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.gmocoin import GmoCoinFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from sandbox.exchanges import GmoCoinEmulator

ENDPOINTS = (Endpoint.SPOT_TRADES, Endpoint.DEPOSITS, Endpoint.WITHDRAWALS)
DAY_MS = 86_400_000
RANGE_MS = 30 * 60_000
SYMBOLS = ("BTC", "ETH", "XRP")  # the spot symbols of the emulator's trade rules; BTC_JPY and ETH_JPY are leverage


@asynccontextmanager
async def pool_client(emulator: GmoCoinEmulator) -> AsyncIterator[object]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"gmocoin": emulator.base_url})
    try:
        async with pool.client("gmocoin", "fetch", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.per_second = 100_000  # the 20-a-second pacing is not what is under test here
            emulator.limits = replace(emulator.limits, per_second=100_000)
            yield client
    finally:
        await pool.close()


async def walk(
    fetcher: GmoCoinFetcher, endpoint: Endpoint, cursors: dict[str, Cursor], since: datetime, report: FetchReport
) -> list[NormalizedRecord]:
    records: list[NormalizedRecord] = []
    fetched = fetcher.fetch(endpoint, since=since, until=datetime.now(UTC), cursors=dict(cursors), report=report)
    async for page in fetched:
        records += page.records
        cursors[page.market] = page.cursor
    return records


def fee(amount: Decimal) -> tuple[str | None, Decimal | None]:
    """A fill's fee as a person reads it: JPY, or no fee at all when GMO Coin's `fee` is "0"."""
    return ("JPY", amount) if amount else (None, None)


def ms(record: NormalizedRecord) -> int:
    return int(record.occurred_at.timestamp() * 1000)


async def test_the_last_day_of_fills_and_every_transfer_are_read_exactly_and_a_resync_asks_only_new_ranges() -> None:
    async with GmoCoinEmulator(seed=5, days=2.2, fills=30) as emulator, pool_client(emulator) as client:
        account = emulator.account
        start_ms = min(d.ms for d in account.deposits) - 60_000
        since = datetime.fromtimestamp(start_ms / 1000, tz=UTC)
        profile = get_profile("gmocoin")
        cursors: dict[Endpoint, dict[str, Cursor]] = {e: {} for e in ENDPOINTS}
        report = FetchReport()
        first_fetcher = GmoCoinFetcher(profile, client)
        got = {e: await walk(first_fetcher, e, cursors[e], since, report) for e in ENDPOINTS}
        now_ms = emulator.clock.now_ms()
        first = dict(emulator.requests.by_path)
        emulator.requests.reset()
        second_fetcher = GmoCoinFetcher(profile, client)  # one fetcher per sync, as the sync engine makes them
        again = {e: await walk(second_fetcher, e, cursors[e], since, FetchReport()) for e in ENDPOINTS}
        second = dict(emulator.requests.by_path)

    # Hand-written from the scripted rows: symbol "BTC" is BTC/JPY; the fee is JPY (negative for a maker).
    recent = [f for f in account.fills if now_ms - f.ms < DAY_MS]
    assert 0 < len(recent) < len(account.fills), "some fills are older than the API's one day"
    assert any(f.fee < 0 for f in recent), "a maker rebate is among them"
    assert {
        (r.market, r.side, r.amount, r.price, r.quote_amount, r.fee_asset, r.fee_amount, ms(r), r.exchange_tx_id)
        for r in got[Endpoint.SPOT_TRADES]
    } == {
        (f"{f.symbol}/JPY", f.side.lower(), f.size, f.price, f.size * f.price, *fee(f.fee), f.ms, str(f.execution_id))
        for f in recent
    }
    assert len(got[Endpoint.SPOT_TRADES]) == len(recent)
    assert {(r.asset, r.amount, ms(r), r.exchange_tx_id) for r in got[Endpoint.DEPOSITS]} == {
        (d.symbol, d.amount, d.ms, d.tx_hash or None) for d in account.deposits
    }
    assert {(r.asset, r.amount, ms(r)) for r in got[Endpoint.WITHDRAWALS]} == {
        (w.symbol, w.amount, w.ms) for w in account.withdrawals
    }
    assert {d.symbol for d in account.deposits} == {"JPY", "BTC", "XRP"}
    assert {w.symbol for w in account.withdrawals} == {"JPY", "BTC"}
    # The fills before the last day are a gap named with its reason, from the sync-from date on.
    gaps = [g for g in report.gaps if g.endpoint is Endpoint.SPOT_TRADES]
    assert len(gaps) == 1 and gaps[0].reason.id == "sync.gap.lookback", gaps
    assert gaps[0].start == since and now_ms - DAY_MS < gaps[0].end.timestamp() * 1000 < now_ms - DAY_MS / 2
    assert not [g for g in report.gaps if g.endpoint is not Endpoint.SPOT_TRADES]

    # First sync: the trade rules once; each spot symbol's one page of the last day; each list's 30-minute ranges.
    ranges = -(-(now_ms - start_ms) // RANGE_MS)
    assert first["/public/v1/symbols"] == 1
    assert first["/private/v1/latestExecutions"] == len(SYMBOLS)
    for path, lists in (
        ("/private/v1/account/deposit/history", len(SYMBOLS)),
        ("/private/v1/account/withdrawal/history", len(SYMBOLS)),
        ("/private/v1/account/fiatDeposit/history", 1),
        ("/private/v1/account/fiatWithdrawal/history", 1),
    ):
        assert lists * (ranges - 1) <= first[path] <= lists * (ranges + 1), (path, first[path], ranges)
    # Re-sync: nothing new; one range per list after its cursor, and the last day's page per symbol.
    assert all(not records for records in again.values()), again
    assert second == {
        "/public/v1/symbols": 1,
        "/private/v1/latestExecutions": len(SYMBOLS),
        "/private/v1/account/deposit/history": len(SYMBOLS),
        "/private/v1/account/withdrawal/history": len(SYMBOLS),
        "/private/v1/account/fiatDeposit/history": 1,
        "/private/v1/account/fiatWithdrawal/history": 1,
    }, second
    assert timedelta(milliseconds=now_ms - start_ms) > timedelta(days=2)


async def test_without_a_sync_from_date_the_wallet_lists_start_a_year_back_and_say_so() -> None:
    """The wallet lists' reach is not documented and each 30-minute range costs a request: a first walk without a
    sync-from date asks for the last 366 days and reports what lies before as a gap."""
    async with GmoCoinEmulator(seed=6, days=2.2, fills=4) as emulator, pool_client(emulator) as client:
        report = FetchReport()
        fetched = GmoCoinFetcher(get_profile("gmocoin"), client).fetch(
            Endpoint.DEPOSITS, since=None, until=datetime.now(UTC), cursors={}, report=report
        )
        first = await anext(aiter(fetched))
        await fetched.aclose()  # type: ignore[attr-defined]
        now_ms = emulator.clock.now_ms()
    started = int(first.cursor["lists"]["BTC"]["window_start_ms"]) - RANGE_MS
    assert abs(started - (now_ms - 366 * DAY_MS)) < 60_000
    assert [g.reason.id for g in report.gaps] == ["sync.gap.unknown_history"]
