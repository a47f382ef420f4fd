"""The Coinbase fetcher's cursors against the emulator, through a real ccxt client: a transaction still pending (or a
vault withdrawal waiting for its signature or clearing) is not stored and is read again until it is final; a failed,
canceled or expired one is never stored and holds nothing; a walk cut short by Coinbase's 429 resumes exactly after
the last page it committed, and the two syncs together store every record once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.clients import ClientPool
from connectors.fetchers.base import Cursor, FetchReport, RateLimited
from connectors.fetchers.coinbase import CoinbaseFetcher
from connectors.profiles import Endpoint, get_profile
from connectors.records import NormalizedRecord, RecordKind
from i18n import render
from sandbox.exchanges import AccountProfile, CoinbaseEmulator, CoinbaseLimits
from sandbox.exchanges.coinbase import DEFAULT_RULES, V2, V3_PRIVATE, V3_PUBLIC

PROFILE = AccountProfile(years=1.0, traded_markets=3, trades=150, deposits=6, withdrawals=4, converts=3, rewards=5)
FAST = CoinbaseLimits(rules={V3_PRIVATE: (10_000, 1000), V3_PUBLIC: (10_000, 1000), V2: (10_000, 1000)})


@asynccontextmanager
async def fetcher_for(emulator: CoinbaseEmulator) -> AsyncIterator[CoinbaseFetcher]:
    key = emulator.create_demo_keys().read_only
    pool = ClientPool({"coinbase": emulator.base_url})
    try:
        async with pool.client("coinbase", "fetch", {"apiKey": key.api_key, "secret": key.secret}) as client:
            client.throttler.config["refillRate"] = 1e6  # the emulator's limits are what is under test
            yield CoinbaseFetcher(get_profile("coinbase"), client)
    finally:
        await pool.close()


async def sync(fetcher: CoinbaseFetcher, endpoint: Endpoint, cursors: dict[Endpoint, Cursor]) -> list[NormalizedRecord]:
    """One sync of one endpoint, committing each page's cursor as the sync engine does."""
    records: list[NormalizedRecord] = []
    stored = {"": cursors[endpoint]} if endpoint in cursors else {}
    pages = fetcher.fetch(endpoint, since=None, until=datetime.now(UTC), cursors=stored, report=FetchReport())
    async for page in pages:
        records += page.records
        cursors[endpoint] = page.cursor
    return records


async def test_a_pending_receive_is_stored_once_it_is_completed_and_never_before() -> None:
    async with (
        CoinbaseEmulator(seed=31, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator,
        fetcher_for(emulator) as fetcher,
    ):
        cursors: dict[Endpoint, Cursor] = {}
        first = await sync(fetcher, Endpoint.LEDGER, cursors)
        hour_ago = emulator.clock.now_ms() - 3_600_000
        ident = emulator.book.add_transaction("ETH", hour_ago, "receive", Decimal("1.25"), "pending")
        while_pending = await sync(fetcher, Endpoint.LEDGER, cursors)
        emulator.book.set_status(ident, "completed")
        once_final = await sync(fetcher, Endpoint.LEDGER, cursors)
        after = await sync(fetcher, Endpoint.LEDGER, cursors)
    assert first and while_pending == []
    assert [(r.kind, r.asset, r.amount, r.exchange_tx_id) for r in once_final] == [
        (RecordKind.DEPOSIT, "ETH", Decimal("1.25"), ident)
    ]
    assert after == []


@pytest.mark.parametrize("status", ["waiting_for_signature", "waiting_for_clearing"])
async def test_a_vault_withdrawal_waiting_is_stored_once_it_is_completed(status: str) -> None:
    """The "transaction resource" statuses: a vault withdrawal waits for approval, then for clearing, before it
    completes; until then it holds the account's mark like a pending row."""
    async with (
        CoinbaseEmulator(seed=36, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator,
        fetcher_for(emulator) as fetcher,
    ):
        cursors: dict[Endpoint, Cursor] = {}
        await sync(fetcher, Endpoint.LEDGER, cursors)
        two_hours_ago = emulator.clock.now_ms() - 7_200_000
        ident = emulator.book.add_transaction("ETH", two_hours_ago, "vault_withdrawal", Decimal("-0.5"), status)
        while_waiting = await sync(fetcher, Endpoint.LEDGER, cursors)
        emulator.book.set_status(ident, "completed")
        once_final = await sync(fetcher, Endpoint.LEDGER, cursors)
        after = await sync(fetcher, Endpoint.LEDGER, cursors)
    assert while_waiting == []
    # 0.5 ETH out of the vault: a transfer between the user's own accounts, going out of this one.
    assert [(r.kind, r.asset, r.amount, r.side, r.exchange_tx_id) for r in once_final] == [
        (RecordKind.TRANSFER, "ETH", Decimal("0.5"), "out", ident)
    ]
    assert after == []


async def test_a_failed_canceled_or_expired_transaction_is_never_stored_and_holds_nothing() -> None:
    async with (
        CoinbaseEmulator(seed=37, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator,
        fetcher_for(emulator) as fetcher,
    ):
        cursors: dict[Endpoint, Cursor] = {}
        await sync(fetcher, Endpoint.LEDGER, cursors)
        hour_ago = emulator.clock.now_ms() - 3_600_000
        for status in ("failed", "canceled", "expired"):
            emulator.book.add_transaction("ETH", hour_ago, "receive", Decimal("2"), status)
        received = emulator.book.add_transaction("ETH", hour_ago + 1000, "receive", Decimal("3"), "completed")
        taken = await sync(fetcher, Endpoint.LEDGER, cursors)
        marks = cursors[Endpoint.LEDGER]["accounts"]
    assert [(r.kind, r.amount, r.exchange_tx_id) for r in taken] == [(RecordKind.DEPOSIT, Decimal("3"), received)]
    eth = emulator.book.account_ids["ETH"]
    assert marks[eth] == {"ms": (hour_ago + 1000) // 1000 * 1000, "ids": [received]}  # not held below the others


async def test_a_withdrawal_still_waiting_after_14_days_holds_nothing_and_the_sync_says_so() -> None:
    async with (
        CoinbaseEmulator(seed=38, profile=PROFILE, listed_symbols=20, limits=FAST) as emulator,
        fetcher_for(emulator) as fetcher,
    ):
        fifteen_days_ago = emulator.clock.now_ms() - 15 * 86_400_000
        stuck = emulator.book.add_transaction(
            "ETH", fifteen_days_ago, "vault_withdrawal", Decimal("-0.5"), "waiting_for_clearing"
        )
        report = FetchReport()
        pages = fetcher.fetch(Endpoint.LEDGER, since=None, until=datetime.now(UTC), cursors={}, report=report)
        records = [record async for page in pages for record in page.records]
    assert stuck not in {r.exchange_tx_id for r in records}
    [gap] = report.gaps
    assert gap.start == datetime.fromtimestamp(fifteen_days_ago // 1000, tz=UTC)  # v2 times are whole seconds
    assert gap.reason.id == "sync.gap.pending_released"
    assert "still pending after 14 days" in render(gap.reason)


async def test_a_walk_stopped_by_a_429_resumes_after_its_last_page_and_stores_everything_once() -> None:
    tight = CoinbaseLimits(rules={**DEFAULT_RULES, V2: (6, 3_600_000)})
    async with (
        CoinbaseEmulator(seed=32, profile=PROFILE, listed_symbols=20, limits=tight) as emulator,
        fetcher_for(emulator) as fetcher,
    ):
        cursors: dict[Endpoint, Cursor] = {}
        records: list[NormalizedRecord] = []
        stored: dict[str, Any] = {}
        with pytest.raises(RateLimited):
            pages = fetcher.fetch(
                Endpoint.LEDGER, since=None, until=datetime.now(UTC), cursors={}, report=FetchReport()
            )
            async for page in pages:
                records += page.records
                stored = page.cursor
        assert "walk" in stored  # stopped inside the walk, with pages committed
        cursors[Endpoint.LEDGER] = stored
        emulator.limits = FAST
        emulator.reset_rate_limits()
        records += await sync(fetcher, Endpoint.LEDGER, cursors)
    account = emulator.account
    keys = [r.natural_key for r in records]
    assert len(keys) == len(set(keys))  # nothing twice across the two syncs
    expected = (
        len(account.deposits)
        + len(account.withdrawals)
        + 2 * len(account.converts)
        + len(account.transfers)
        + len(account.rewards)
        + len(emulator.book.app_trades)  # simple buys and sells in the Coinbase app
        + len(emulator.book.fiat_deposits)
    )
    assert len(records) == expected
    assert "walk" not in cursors[Endpoint.LEDGER]
