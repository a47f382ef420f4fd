"""A Bitget user who trades USDT-M, coin-M and USDC-M futures and cross and isolated margin, as they meet Tallybot:
they connect a read-only key and /sync. The sync brings the futures trades, funding fees, margin trades and margin
loans in (all on by default), the summary counts each kind and /status lists it, and the balances of every wallet
(spot, the three futures wallets, cross and isolated margin net of their debt) are explained by the history: green."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

from bot.context import SERVICES_KEY
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BitgetEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT

FILLS, BILLS = "/api/v2/mix/order/fill-history", "/api/v2/mix/account/bill"
KINDS = ("Futures trades", "Funding fees", "Margin trades", "Margin loans and interest")


async def test_a_futures_and_margin_account_syncs_every_kind_and_reconciles_to_zero(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    profile = dataclasses.replace(RECENT, rewards=0)  # a futures and margin story: no earn scripted
    async with BitgetEmulator(seed=86, profile=profile, listed_symbols=20, derivatives=True) as bitget:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitget": bitget.base_url})
        async with running_bot(settings) as app:
            key = bitget.create_demo_keys().read_only
            await app.bot_data[SERVICES_KEY].integrations.connect(
                1001,
                exchange_id="bitget",
                key_type="normal",
                account_name="Bitget-1",
                fields={
                    "apiKey": Secret(key.api_key),
                    "secret": Secret(key.secret),
                    "password": Secret(key.passphrase or ""),
                },
                options=AdvancedOptions(sync_from=date.today() - timedelta(days=70)),
            )
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
        asked = {path: bitget.requests.count(path) for path in (FILLS, BILLS)}

    assert "✅ Bitget-1: the history explains every balance." in summary, summary
    assert "🟢 Bitget-1" in status and "✅ The history explains every balance." in status, status
    # The script's 8 futures fills and 4 closed positions' profit, 5 futures bills no fill writes (a coupon and its
    # expiry, two legs of a multi-assets exchange, copy-trading income), 4 funding fees, 3 margin fills, and 2
    # borrowings, 1 repayment and 3 interest charges: each kind named with its count.
    for kind in ("futures trades 17", "funding fees 4", "margin trades 3", "margin loans and interest 6"):
        assert kind in summary, (kind, summary)
    for kind in KINDS:  # each kind on its own line of /status, synced
        assert f"✅ {kind}" in status, (kind, status)
    assert asked[FILLS] > 0 and asked[BILLS] > 0
