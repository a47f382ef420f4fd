"""The Subaccount option is a label: the key decides which account is read.

On Binance (as on Bybit, OKX and Bitget; docs/exchange-apis/*.md, "Sub-accounts") a key reads the account it was
created on, and no master-key endpoint returns a sub-account's trades, so a subaccount name cannot make a sync read
another account. Two accounts connected with the same key, one with a subaccount name, store the same history with
the same requests.
"""

from __future__ import annotations

from bot.integrations import AdvancedOptions
from bot.secret import Secret
from bot.sync import SyncStatus
from tests.sync.conftest import TELEGRAM_USER, Bench, account_start, stored, truth


async def test_a_subaccount_name_changes_nothing_a_sync_reads(sqlite_bench: Bench) -> None:
    bench = sqlite_bench
    bench.emulator.requests.reset()
    plain = await bench.sync()
    plain_requests = bench.emulator.requests.total

    summary = await bench.integrations.connect(
        TELEGRAM_USER,
        exchange_id="binance",
        key_type="normal",
        account_name="Binance trading",
        fields={"apiKey": Secret(bench.keys.api_key), "secret": Secret(bench.keys.secret)},
        options=AdvancedOptions(sync_from=account_start(bench.emulator), subaccount="trading01"),
    )
    labelled = summary.id
    bench.emulator.requests.reset()
    result = await bench.service().run(TELEGRAM_USER, labelled)

    assert plain.status is SyncStatus.OK and result.status is SyncStatus.OK
    # The key's own account, exactly, under the label; asked with the same requests as without it.
    assert stored(await bench.rows(labelled)) == stored(await bench.rows()) == truth(bench.emulator)
    assert bench.emulator.requests.total == plain_requests
