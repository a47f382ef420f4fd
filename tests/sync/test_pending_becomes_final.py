"""Pending is not final: a deposit or withdrawal that is still on its way (or not listed yet) at one sync is stored
by a later sync once it completes — once, with its final amounts — and one that fails is never stored.

Binance through the sync engine (real ccxt client, real database); the statuses are Binance's documented ones
(docs/exchange-apis/binance.md): deposit 0 pending / 1 success / 2 rejected, withdrawal 4 processing / 6 completed /
3 rejected.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from bot.sync import SyncStatus
from connectors.fetchers.windows import settling_start
from connectors.profiles import Endpoint
from sandbox.exchanges import BinanceEmulator, DepositRecord, WithdrawalRecord
from sandbox.exchanges.lifecycle import Stage
from tests.sync.conftest import Bench

MINUTE_MS = 60_000


def moved_just_now(emulator: BinanceEmulator) -> tuple[DepositRecord, WithdrawalRecord]:
    """A deposit and a withdrawal the user made minutes before syncing, added to the scripted account."""
    now = emulator.clock.now_ms()
    now -= now % 1000  # Binance reports withdrawal times in whole seconds
    deposit = DepositRecord("990000001", "0xfeed01", "ETH", "ETH", Decimal("1.23456789"), "0xabc", now - 20 * MINUTE_MS)
    withdrawal = WithdrawalRecord(
        "a1b2c3d4e5f60718" + "0000000000000001",
        "0xfeed02",
        "USDT",
        "TRX",
        Decimal("250.5"),
        Decimal("1"),
        "TXYZ",
        now - 10 * MINUTE_MS,
    )
    account = emulator.account
    grown = dataclasses.replace(
        account,
        deposits=(*account.deposits, deposit),
        withdrawals=(*account.withdrawals, withdrawal),
    )
    emulator.account = grown
    emulator.book.account = grown
    return deposit, withdrawal


async def stored_keys(bench: Bench) -> list[str]:
    return sorted(row.natural_key for row in await bench.rows())


async def test_a_deposit_and_withdrawal_pending_at_one_sync_are_stored_by_the_next_once(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    deposit, withdrawal = moved_just_now(bench.emulator)
    lifecycle = bench.emulator.book.lifecycle
    lifecycle.script(deposit.id, Stage.PENDING)
    lifecycle.script(withdrawal.id, Stage.PENDING)

    first = await bench.sync()
    assert first.status is SyncStatus.OK, first
    keys = await stored_keys(bench)
    assert f"deposit:{deposit.id}" not in keys and f"withdrawal:{withdrawal.id}" not in keys

    lifecycle.complete(deposit.id)
    lifecycle.complete(withdrawal.id)
    second = await bench.sync()
    assert second.status is SyncStatus.OK, second
    rows = {row.natural_key: row for row in await bench.rows()}
    stored_deposit, stored_withdrawal = rows[f"deposit:{deposit.id}"], rows[f"withdrawal:{withdrawal.id}"]
    assert (stored_deposit.asset, stored_deposit.amount) == ("ETH", Decimal("1.23456789"))
    assert (stored_withdrawal.asset, stored_withdrawal.amount, stored_withdrawal.fee_amount) == (
        "USDT",
        Decimal("250.5"),
        Decimal("1"),
    )

    third = await bench.sync()
    assert third.status is SyncStatus.OK, third
    again = await stored_keys(bench)
    assert again == sorted(rows) and len(again) == len(set(again))


async def test_a_deposit_listed_only_after_the_first_sync_is_stored_by_the_next(sqlite_bench: Bench) -> None:
    """Binance lists a deposit once it has seen it on chain, with the time it did (`insertTime`): a sync right
    then can miss it by a hair, and the next one must still look that far back."""
    bench = sqlite_bench
    deposit, withdrawal = moved_just_now(bench.emulator)
    lifecycle = bench.emulator.book.lifecycle
    lifecycle.script(deposit.id, Stage.UNLISTED)
    lifecycle.script(withdrawal.id, Stage.UNLISTED)

    first = await bench.sync()
    assert first.status is SyncStatus.OK, first
    assert f"deposit:{deposit.id}" not in await stored_keys(bench)

    lifecycle.complete(deposit.id)
    lifecycle.complete(withdrawal.id)
    second = await bench.sync()
    assert second.status is SyncStatus.OK, second
    keys = await stored_keys(bench)
    assert keys.count(f"deposit:{deposit.id}") == 1 and keys.count(f"withdrawal:{withdrawal.id}") == 1


async def test_a_pending_withdrawal_that_is_rejected_is_never_stored(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    deposit, withdrawal = moved_just_now(bench.emulator)
    lifecycle = bench.emulator.book.lifecycle
    lifecycle.script(deposit.id, Stage.PENDING)
    lifecycle.script(withdrawal.id, Stage.PENDING)
    assert (await bench.sync()).status is SyncStatus.OK

    lifecycle.script(deposit.id, Stage.FAILED)
    lifecycle.script(withdrawal.id, Stage.FAILED)
    for _ in range(2):
        assert (await bench.sync()).status is SyncStatus.OK
        keys = await stored_keys(bench)
        assert f"deposit:{deposit.id}" not in keys and f"withdrawal:{withdrawal.id}" not in keys


def test_the_trailing_re_read_never_goes_before_the_sync_from_date_nor_moves_a_first_or_interrupted_walk() -> None:
    day = 86_400_000
    until = 1_800_000_000_000
    settled = {"window_start_ms": until - 3_600_000}  # the last sync ended an hour ago
    # Deposits and withdrawals resumed from a settled cursor start a day before `until` again ...
    assert settling_start(Endpoint.DEPOSITS, until - 3_600_000, until_ms=until, cursor=settled) == until - day
    assert settling_start(Endpoint.WITHDRAWALS, until - 3_600_000, until_ms=until, cursor=settled) == until - day
    # ... but not before the date the user asked history from,
    floor = until - 2 * 3_600_000
    assert settling_start(Endpoint.DEPOSITS, until - 3_600_000, until_ms=until, cursor=settled, floor_ms=floor) == floor
    # nor later than a record still pending holds them,
    held = {"window_start_ms": until - 3 * day}
    assert settling_start(Endpoint.DEPOSITS, until - 3 * day, until_ms=until, cursor=held) == until - 3 * day
    # and other lists, first walks and walks interrupted inside a window start where they are.
    assert settling_start(Endpoint.SPOT_TRADES, until - 3_600_000, until_ms=until, cursor=settled) == until - 3_600_000
    assert settling_start(Endpoint.DEPOSITS, until - 3_600_000, until_ms=until, cursor=None) == until - 3_600_000
    inside = {"window_start_ms": until - 3_600_000, "window_end_ms": until, "token": 1000}
    assert settling_start(Endpoint.DEPOSITS, until - 3_600_000, until_ms=until, cursor=inside) == until - 3_600_000
