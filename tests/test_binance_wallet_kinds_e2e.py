"""A Binance user who swept dust to BNB, traded P2P, paid with Binance Pay, moved euros in and out, bought coins by
card and keeps some in Simple Earn (flexible, locked, one locked position redeemed early), as they meet Tallybot:
they connect a read-only key and /sync. Each of these kinds is on by default and named with its count in the
summary; /status lists them; and the balances of every wallet (spot, funding and both Simple Earn wallets) are
explained by the history: the account is green. A P2P order still in progress at the first sync is stored by the
next one, once it has completed, and only once."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

from bot.context import SERVICES_KEY
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator, BinanceLimits
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

RECONCILED = "✅ Binance-1: the history explains every balance."
# Few spot trades: the story is the other kinds, not the market walk.
QUIET = dataclasses.replace(RECENT, traded_markets=2, trades=12)


async def test_every_wallet_kind_syncs_reconciles_and_a_pending_p2p_order_arrives_once_completed(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=88, profile=QUIET, listed_symbols=20, limits=limits, wallet_kinds=True) as bn:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": bn.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "binance", bn, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

            bn.wallet_kinds.complete_p2p()
            again = await ada.sync_again(timeout=120)

    assert RECONCILED in summary, summary
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    # The script (sandbox/exchanges/binance_wallet_kinds.py): one dust conversion of two coins; two completed P2P
    # orders, each with the euros paid outside Binance; a payment received and one sent; a fiat deposit, a fiat
    # withdrawal and two card purchases, the credit card's euros beside the second.
    counts = (
        "dust conversions 2",
        "P2P trades 4",
        "Pay transfers 2",
        "fiat deposits, withdrawals and card purchases 5",
    )
    for kind in counts:
        assert kind in summary, (kind, summary)
    # Rewards: the account's 3 distributions, the flexible product's bonus (distribution list) and 3 real-time rewards
    # (Simple Earn list); from the locked lists, 3 BTC rewards and a BNB boost of the position held, 2 BNB rewards of
    # the one redeemed early and the 0.0004 BNB of them Binance took back (a negative interest), and the distribution
    # list's 0.000005 BNB debit (direction -1). Paid to spot or taken from it, they are what the green line above
    # needs: without the locked lists BTC and BNB would not reconcile, nor BNB if the debit counted as a credit.
    assert "earn and staking rewards 15" in summary, summary
    for label in ("Dust conversions", "P2P trades", "Pay transfers", "Fiat and card purchases"):
        assert label in status, (label, status)
    # The order completed since: its trade and the euros its buyer paid, and nothing stored twice; still green.
    assert RECONCILED in again, again
    assert "P2P trades 2" in again, again
