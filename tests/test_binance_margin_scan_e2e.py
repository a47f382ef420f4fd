"""A Binance user's margin-only emptied market, found by the background quote scan (issue 15, item 3).

The derivatives account of tests/test_binance_derivatives_e2e.py, which also bought 2 of a coin with USDT on cross
margin and sold all of it back, never borrowing, holding or moving that coin: nothing names its market, so the first
sync misses both fills and cross margin's USDT is not explained. After the summary the USDT scan probes every USDT
market, spot and cross margin, finds the two fills, reconciles again, and /status turns green.

The account has a sync-from date (the futures lists reach 90 and 180 days back, and their gaps would name the cause):
the difference's cause is `before_sync_from`, and the bot scans the quote by itself all the same (a market traded
and emptied after that date would otherwise be missed for good): the story waits for the scan's own message.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from db.repositories.reconcile import ReconcileRepository
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_binance_derivatives_e2e import LIMITS, SYNC_FROM_DAYS
from tests.test_reconcile_e2e import RECENT, connect


async def margin_trades(services: Services, integration_id: int) -> set[str]:
    async with services.database.reader() as session:
        rows = await session.execute(
            select(Transaction.market).where(Transaction.integration_id == integration_id, Transaction.kind == "trade")
        )
        return {str(market) for (market,) in rows.all()}


async def test_a_margin_only_emptied_market_is_found_by_the_scan_and_the_account_turns_green(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    emulator = BinanceEmulator(
        seed=91, profile=RECENT, listed_symbols=20, limits=LIMITS, derivatives=True, margin_emptied=True
    )
    async with emulator as binance:
        script = binance.margin.script
        assert script is not None
        (emptied,) = {f.symbol for f in script.fills} - {"BTCUSDT", "ETHUSDT"}
        coin = next(m for m in binance.account.markets if m.symbol == emptied)
        # The coin is nowhere else: not traded on spot, deposited, withdrawn, held.
        assert coin.base not in {t.base for t in binance.account.trades}
        assert not [d for d in binance.account.deposits if d.asset == coin.base]
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            since = date.today() - timedelta(days=SYNC_FROM_DAYS)
            integration_id = await connect(services, "binance", binance, since)
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
            finished = (await ada.reply_to(sent, "the USDT scan asked", timeout=150)).text or ""
            after = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            stored = await margin_trades(services, integration_id)
            async with services.database.reader() as session:
                scan_run = (await ReconcileRepository(session).run_summaries(integration_id))[0]

    # The first sync: every kind as in the derivatives story, but USDT is not explained (2 margin fills missing).
    assert "margin trades 3" in summary, summary
    assert "⚠️ Binance-1: 1 balance the history does not explain: see /status." in summary, summary
    # The scan: spot and margin trades only; the two fills of the emptied market found; every balance explained.
    assert sorted(scan_run["endpoints"]) == ["margin_trades", "spot_trades"], scan_run
    assert scan_run["endpoints"]["margin_trades"]["new"] == 2, scan_run
    assert "2 trades found and stored" in finished, finished
    assert "✅ Binance-1: the history explains every balance." in finished, finished
    assert "🟢 Binance-1" in after and "✅ The history explains every balance." in after, after
    assert f"{coin.base}/USDT" in stored
