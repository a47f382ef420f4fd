"""A Binance user who traded futures and margin connects, syncs, and sees it all through the bot.

The account traded USDⓈ-M and COIN-M futures (with funding) and on cross and isolated margin (with loans and
interest), and moved money between spot, futures and margin. After /sync the summary counts each kind and says the
history explains every balance (spot, both futures wallets and both margin accounts together), and /status lists
futures trades, funding fees, margin trades and margin loans as synced, the account green. A user with neither sees
all four skipped in /status, each saying why.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from bot.context import SERVICES_KEY
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator, BinanceLimits
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

# Withdrawal history costs 18,000 of a 180,000-a-minute budget: the story is the derivatives, not that budget.
LIMITS = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
# Before the account's first record (its futures and margin money was deposited 56 days ago), after nothing else.
SYNC_FROM_DAYS = 58


async def sync_and_status(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, binance: BinanceEmulator
) -> tuple[str, str]:
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        await connect(app.bot_data[SERVICES_KEY], "binance", binance, date.today() - timedelta(days=SYNC_FROM_DAYS))
        sent = await ada.send("/sync")
        summary = (await ada.reply_to(sent, "Sync finished", timeout=90)).text or ""
        status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
    return summary, status


async def test_a_futures_and_margin_trader_syncs_every_kind_and_the_account_reconciles(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BinanceEmulator(seed=91, profile=RECENT, listed_symbols=20, limits=LIMITS, derivatives=True) as binance:
        summary, status = await sync_and_status(telegram, ada, tmp_path, binance)

    # Counted by hand from the script (sandbox/exchanges/binance_futures.py, binance_margin.py): 9 USDⓈ-M and 3 COIN-M
    # round trips are 24 fills and 12 realized P&L records; 6 USDⓈ-M and 3 COIN-M funding payments; 3 margin trades;
    # 2 borrowings, 1 repayment and 7 interest charges; the income history's other lines that change the USDⓈ-M
    # wallet (an INTERNAL_TRANSFER and a coin swap's two legs) come with the funding fees: 9 + 3.
    # The universal transfer history: 5,000 USDT and 0.2 BTC into the futures wallets, 1,000 USDT back, 2,000 USDT
    # into cross margin; and the 600 USDT moved into the isolated pair, from its own list (asked with its symbol).
    for counted in (
        "transfers 5",
        "funding fees 12",
        "futures trades 36",
        "margin loans and interest 10",
        "margin trades 3",
    ):
        assert counted in summary, summary
    assert "✅ Binance-1: the history explains every balance." in summary, summary
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    for kind in ("Internal transfers", "Futures trades", "Funding fees", "Margin trades", "Margin loans and interest"):
        assert f"  ✅ {kind}\n" in status, status


async def test_an_account_without_futures_or_margin_shows_both_skipped_with_the_reason(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BinanceEmulator(seed=92, profile=RECENT, listed_symbols=20, limits=LIMITS) as binance:
        summary, status = await sync_and_status(telegram, ada, tmp_path, binance)

    no_futures = "Binance says this key cannot read futures: the account has no futures wallet, or the key is older"
    no_margin = "Binance says this account has no margin account: there is no margin history to fetch."
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ⏭ {kind} — {no_futures}" in status, status
    for kind in ("Margin trades", "Margin loans and interest"):
        assert f"  ⏭ {kind} — {no_margin}" in status, status
    assert "🟢 Binance-1" in status and "✅ Binance-1: the history explains every balance." in summary, summary
