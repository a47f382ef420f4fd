"""A Binance user who earns commission rebates on their trades and a referral kickback, as they meet Tallybot: they
connect a read-only key and /sync. Every rebate is stored once as the income it is, with its exact amount, over
several pages of one 30-day window; the spot balances Binance reports (which hold the rebates) are explained by the
history: the account is green. The next sync asks only the window since, and stores nothing twice. Without the rebate
list BNB, USDT and BTC would not reconcile."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator, BinanceLimits
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

RECONCILED = "✅ Binance-1: the history explains every balance."
QUIET = dataclasses.replace(RECENT, traded_markets=2, trades=12)
D = Decimal
DAY_MS = 86_400_000
REBATE_FIELDS = {"asset", "type", "amount", "updateTime"}

# By hand from sandbox/exchanges/binance_rebates.py: (kind, asset, amount) -> how many.
REBATES = Counter(
    {
        ("reward", "BNB", D("0.00045678")): 1,  # the referral kickback
        ("reward", "USDT", D("0.01234567")): 1,
        ("reward", "USDT", D("0.000001")): 70,  # the hourly commission rebates of one busy stretch
        ("reward", "USDT", D("0.00891234")): 1,
        ("reward", "BTC", D("0.00000056")): 1,
    }
)


async def _stored(services: Services) -> Counter[tuple[str, str, Decimal]]:
    async with services.database.reader() as session:
        rows = (await session.scalars(select(Transaction))).all()
    return Counter((t.kind, t.asset, t.amount) for t in rows if set(t.raw or {}) == REBATE_FIELDS)


async def test_rebates_sync_once_over_pages_and_reconcile(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=89, profile=QUIET, listed_symbols=20, limits=limits, rebates=True) as bn:
        bn.rebates.page_size = 25  # Binance's is 200: the 70 hourly rebates of one window take 3 pages here
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": bn.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            await connect(services, "binance", bn, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            first = await _stored(services)
            first_asks = list(bn.rebates.asked)

            again = await ada.sync_again(timeout=120)
            second = await _stored(services)
            second_asks = bn.rebates.asked[len(first_asks) :]

    assert RECONCILED in summary, summary
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    assert first == REBATES
    # 70 days in windows of at most 30 days: three windows, one of them read over pages 1 to 3 (25 rows a page).
    assert all(end - start < 30 * DAY_MS for start, end, _ in first_asks), first_asks
    assert sorted(n for _, _, n in first_asks) == [1, 1, 1, 2, 3], first_asks
    # The next sync asks one window (the time since the first), stores nothing twice, and is still green.
    assert RECONCILED in again, again
    assert second == REBATES
    assert len(second_asks) == 1 and second_asks[0][2] == 1, second_asks
