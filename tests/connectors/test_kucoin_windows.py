"""KuCoin's windows at their edges and its pending records, through a real ccxt client against the KuCoin emulator.

- A window is [s, s + 7 days - 1 ms]; KuCoin's pages say of `endAt` only "End time(ms)", so a deposit stamped at a
  window's last millisecond must be stored whether KuCoin lists a row stamped exactly `endAt` or not (the emulator
  reads it either way), and one at the next window's first millisecond stored once.
- A deposit still PROCESSING after 14 days no longer holds the cursor back (windows.HOLD_MAX_AGE_MS); the sync says
  so with a gap at its time instead of dropping it silently, while a recent one still holds the cursor.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport
from connectors.fetchers.registry import fetcher_for
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord
from i18n import render
from sandbox.exchanges import AccountProfile, DepositRecord, KucoinEmulator
from sandbox.exchanges.lifecycle import Stage

DAY_MS = 86_400_000
WEEK_MS = 7 * DAY_MS  # the profile's deposit window
NO_DEPOSITS = AccountProfile(
    years=0.5, traded_markets=2, trades=10, deposits=0, withdrawals=0, converts=0, transfers=0, rewards=0
)


def with_deposits(emulator: KucoinEmulator, *stamps: int) -> list[DepositRecord]:
    """Deposits of 1.5 ETH each, stamped at `stamps` (ms), added to the scripted account."""
    deposits = [
        DepositRecord(f"d{n}", f"0xfeed{n:04d}", "ETH", "ETH", Decimal("1.5"), "0xabc", ms)
        for n, ms in enumerate(stamps)
    ]
    grown = dataclasses.replace(emulator.account, deposits=(*emulator.account.deposits, *deposits))
    emulator.account = grown
    emulator.book.account = grown
    return deposits


async def fetch_deposits(emulator: KucoinEmulator, since_ms: int) -> tuple[list[NormalizedRecord], Cursor, FetchReport]:
    """One first sync's deposit walk from `since_ms`: every record, the last cursor and the report."""
    pool = ClientPool({"kucoin": emulator.base_url})
    records: list[NormalizedRecord] = []
    cursor: Cursor = {}
    report = FetchReport()
    try:
        key = emulator.create_demo_keys().read_only
        async with pool.client("kucoin", "windows-test", key.ccxt_config()) as client:
            client.throttler.config["refillRate"] = 1e6
            fetcher = fetcher_for(get_profile("kucoin"), client)
            since = datetime.fromtimestamp(since_ms / 1000, UTC)
            pages = fetcher.fetch(Endpoint.DEPOSITS, since=since, until=datetime.now(UTC), cursors={}, report=report)
            async for page in pages:
                records.extend(page.records)
                cursor = page.cursor
    finally:
        await pool.close()
    return records, cursor, report


@pytest.mark.parametrize("end_inclusive", [True, False], ids=["endAt-inclusive", "endAt-exclusive"])
async def test_deposits_on_a_window_edge_are_stored_once_however_kucoin_reads_end_at(end_inclusive: bool) -> None:
    async with KucoinEmulator(seed=41, profile=NO_DEPOSITS, listed_symbols=5, end_inclusive=end_inclusive) as emu:
        since = emu.clock.now_ms() - 30 * DAY_MS
        since -= since % 1000  # a whole second: `since` travels as a datetime
        last_of_first, first_of_second, last_of_second = since + WEEK_MS - 1, since + WEEK_MS, since + 2 * WEEK_MS - 1
        with_deposits(emu, last_of_first, first_of_second, last_of_second)
        records, _, report = await fetch_deposits(emu, since)

    stamps = sorted(int(r.occurred_at.timestamp() * 1000) for r in records)
    assert set(stamps) == {last_of_first, first_of_second, last_of_second}
    assert len({r.natural_key for r in records}) == 3  # a row listed by two windows is one record
    assert report.gaps == []


async def test_a_deposit_pending_past_14_days_is_let_go_with_a_gap_at_its_time_and_a_recent_one_holds() -> None:
    async with KucoinEmulator(seed=42, profile=NO_DEPOSITS, listed_symbols=5) as emu:
        now = emu.clock.now_ms()
        since = now - 40 * DAY_MS
        since -= since % 1000
        # 2 s apart on one page: the stuck one (20 days), a settled one and a recent one (2 days)
        stuck_ms = (now - 20 * DAY_MS) - (now - 20 * DAY_MS) % 1000
        recent_ms = now - 2 * DAY_MS
        stuck, _settled, recent = with_deposits(emu, stuck_ms, stuck_ms + 2000, recent_ms)
        emu.book.lifecycle.script(stuck.id, Stage.PENDING)
        emu.book.lifecycle.script(recent.id, Stage.PENDING)
        records, cursor, report = await fetch_deposits(emu, since)

    assert [int(r.occurred_at.timestamp() * 1000) for r in records] == [stuck_ms + 2000]
    assert cursor == {"window_start_ms": recent_ms}, "the recent one still holds the cursor; the stuck one does not"
    [gap] = report.gaps
    when = datetime.fromtimestamp(stuck_ms / 1000, UTC)
    assert (gap.endpoint, gap.start, gap.end) == (Endpoint.DEPOSITS, when, when)
    reason = render(gap.reason)
    assert when.strftime("%Y-%m-%d %H:%M:%S UTC") in reason
    assert "still pending after 14 days" in reason and "file upload" in reason
