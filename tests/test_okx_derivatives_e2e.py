"""An OKX user who trades perpetual swaps, expiry futures, options and margin, keeps savings in Simple Earn Flexible
and receives money from a sub-account: the first /sync brings every kind, /status lists them, and the history
explains every balance (trading account without unrealized profit and loss, funding account, savings). Before,
these kinds were off ("skipped"), sub-account money counted as a move between the account's own wallets, and the
savings balance was not read."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.context import SERVICES_KEY
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import OkxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

# RECENT: two months of spot history (the account test_reconcile_e2e reconciles); the derivatives script lies within
# the last 45 days.


async def test_a_derivatives_trader_gets_every_kind_and_a_history_that_explains_every_balance(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with OkxEmulator(seed=83, profile=RECENT, listed_symbols=20, derivatives=True) as okx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"okx": okx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "okx", okx, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    # Seven derivatives fills and four realized P&L bills; two margin fills; two funding fees; one interest charge.
    assert "futures trades 11" in summary, summary
    assert "margin trades 2" in summary and "funding fees 2" in summary, summary
    assert "margin loans and interest 3" in summary, summary  # a borrow, its repayment and interest
    # Three savings interest payments besides the account's rewards. The funding bills add six to the internal
    # transfers list: 50 USDT from a sub-account (stored as a deposit: it reconciles only as one), on to the trading
    # account; 100 USDT from the trading account into savings; 20 USDT into an on-chain earn order.
    assert f"earn and staking rewards {len(okx.account.rewards) + 3}" in summary, summary
    assert f"internal transfers {len(okx.account.transfers) + 6}" in summary, summary
    assert "✅ OKX-1: the history explains every balance." in summary, status
    assert "🟢 OKX-1" in status and "✅ The history explains every balance." in status, status
    for label in ("Futures trades", "Funding fees", "Margin trades", "Margin loans and interest"):
        assert label in status, status
    assert okx.requests.unexpected == []
