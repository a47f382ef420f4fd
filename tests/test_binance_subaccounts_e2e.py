"""A Binance user with two sub-accounts, as they meet Tallybot: they connect the master account's read-only key and
/sync. The master sent 300 USDT to sub-account alice and received 120 USDT back from her (her 50 USDT to bob is not
the master's money) and 70 USDT from bob that only Binance's spot transfer list shows (the 300 and the 120 are in both
master lists and stored once): Tallybot stores the three moves as a withdrawal and two deposits of the master's
account (named with the internal transfers in the summary), so the balances Binance reports are explained and the
account is green. A sub-account's own key, connected the same way, is green too with its moves to and from the master.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator, BinanceLimits
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

RECONCILED = "✅ Binance-1: the history explains every balance."
QUIET = dataclasses.replace(RECENT, traded_markets=2, trades=12)


@pytest.mark.parametrize(("role", "moves"), [("master", 3), ("sub", 2)])
async def test_money_moved_between_sub_accounts_and_master_is_explained(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, role: str, moves: int
) -> None:
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=90, profile=QUIET, listed_symbols=20, limits=limits, sub_account=role) as bn:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": bn.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "binance", bn, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""

    # Master: 300 USDT to alice, 120 back from her, 70 from bob (each once). Sub-account: 250 in from the master, 40
    # out to a sibling (the 15 still in progress waits for the next sync). No other internal transfer here.
    assert f"internal transfers {moves}" in summary, summary
    assert RECONCILED in summary, summary
