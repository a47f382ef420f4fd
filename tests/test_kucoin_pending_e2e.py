"""Story: a KuCoin deposit still PROCESSING three weeks after it was made. The sync stores everything else, lets
the stuck deposit go (it no longer holds later syncs back) and says so: the summary is not ✅, and the deposits line
names the deposit's time and says to add it by file upload if it completes (windows.HOLD_MAX_AGE_MS, 14 days)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.kucoin import KucoinEmulator
from sandbox.exchanges.lifecycle import Stage
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_kucoin_sync_e2e import connect_in_the_assistant

DAY_MS = 86_400_000
# Ten weeks: the sync-from date is connect_in_the_assistant's, 78 days back (test_kucoin_sync_e2e.DAYS_BACK).
SMALL = AccountProfile(
    years=0.2, traded_markets=2, trades=40, deposits=10, withdrawals=3, converts=0, transfers=0, rewards=0
)


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    async with KucoinEmulator(seed=62, profile=SMALL, listed_symbols=10) as emulator:
        yield emulator


async def test_a_deposit_pending_for_weeks_is_named_in_the_summary_instead_of_a_quiet_tick(
    telegram: BotApiEmulator, kucoin: KucoinEmulator, tmp_path: Path
) -> None:
    now = kucoin.clock.now_ms()
    stuck = max((d for d in kucoin.account.deposits if d.timestamp < now - 21 * DAY_MS), key=lambda d: d.timestamp)
    kucoin.book.lifecycle.script(stuck.id, Stage.PENDING)
    ada = Walker(telegram, telegram.add_user(user_id=1002, first_name="Ada", started=True))
    key = kucoin.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"kucoin": kucoin.base_url})
    async with running_bot(settings) as _:
        await connect_in_the_assistant(ada, key.api_key, key.secret, key.passphrase)
        summary = (await ada.sync_now(timeout=120)).text or ""

    when = datetime.fromtimestamp(stuck.timestamp / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert "✅ KuCoin" not in summary and "⚠️" in summary, summary
    assert f"One of your deposits from {when} was still pending after 14 days" in summary, summary
    assert f"deposits {len(kucoin.account.deposits) - 1}" in summary, summary
