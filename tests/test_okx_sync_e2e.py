"""A new OKX user's first /sync, through the Bot API emulator and the OKX emulator answering as OKX's docs show.

Before OKX was checked against its docs, this first sync failed on every convert (real rows carry `fillBaseSz` and
`fillQuoteSz`, no `fillSz`) and told the user to upload a file for trades older than three months, which OKX's API
still gives for a year; staking and earn rewards were not fetched at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

# Ten months of history: every trade is within fills-history's year, and older than the three months once assumed.
TEN_MONTHS = AccountProfile(
    years=0.8, traded_markets=4, trades=50, deposits=5, withdrawals=3, converts=6, transfers=0, rewards=4
)


@pytest.fixture
async def okx() -> AsyncIterator[OkxEmulator]:
    async with OkxEmulator(seed=41, profile=TEN_MONTHS, listed_symbols=20) as emulator:
        yield emulator


async def test_a_first_okx_sync_brings_converts_rewards_and_the_whole_year_of_trades_without_asking_for_files(
    telegram: BotApiEmulator, okx: OkxEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = okx.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        connected = await services.integrations.connect(
            1001,
            exchange_id="okx",
            key_type="default",
            account_name="OKX-1",
            fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret), "password": Secret(key.passphrase)},
            options=AdvancedOptions(sync_from=date.today() - timedelta(days=330)),
        )
        sent = await ada.send("/sync")
        summary = (await ada.reply_to(sent, "Sync finished", timeout=60)).text or ""
        stored = await services.integrations.transaction_count(1001, connected.id)

    account = okx.account
    assert min(t.timestamp for t in account.trades) < okx.reachable_since(90 * 86_400_000)
    # Ten months asked for, beyond the three months of the trading account's bills (funding fees, realized P&L,
    # interest): the account shows no swap, future, option or margin fill, so nothing is said about them.
    assert "✅ OKX-1: " in summary, summary
    assert f"convert history {len(account.converts)}" in summary
    assert f"spot trades {len(account.trades)}" in summary
    assert f"earn and staking rewards {len(account.rewards)}" in summary  # from bills-history, on by default
    assert "could not be reached" not in summary and "❌" not in summary
    kinds = (account.trades, account.deposits, account.withdrawals, account.converts, account.rewards)
    assert stored == sum(len(records) for records in kinds)
