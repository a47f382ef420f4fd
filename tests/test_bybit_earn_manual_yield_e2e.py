"""A Bybit Flexible Saving yield paid `Manual`ly ("Distributed when the user redeems", earn/yield-history.mdx) is
listed `Pending` until the user redeems: here for 40 days, longer than any deposit is held for (14 days). Syncs
before it is paid store nothing of it and re-read only its own 7-day window, not every window since; the sync after
the redemption stores it, once, and the next one stops asking for it.

Ground truth by hand: the yield's id, amount and time are this test's own (the docs' example row, its amount and
order id); the Earn account around it is tests/test_bybit_earn_e2e.py's script (48 daily Auto yields).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BybitEmulator
from sandbox.exchanges.bybit_earn import EarnYield
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

DAY_MS = 86_400_000
YIELD_PATH = "/v5/earn/yield"
MANUAL_ID = "1002096"  # the docs' example row: Manual, 0.0608 USDT on 1000 staked, its redemption's order id
REDEMPTION = "05a7012d-c4d6-493a-8c6b-023a1038944a"


async def test_a_manual_yield_pending_for_forty_days_is_stored_once_when_the_user_redeems(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=83, profile=RECENT, listed_symbols=20, earn=True) as bybit:
        now = bybit.clock.now_ms()
        created = now - now % DAY_MS - 40 * DAY_MS + 12 * 3_600_000  # noon, 40 days ago
        manual = EarnYield(
            MANUAL_ID, "USDT", Decimal("0.0608"), Decimal(1000), created, "Manual", now + 365 * DAY_MS, REDEMPTION
        )
        yields = bybit.earn.script.yields
        yields.append(manual)
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        asked: list[int] = []
        stored: list[list[Transaction]] = []
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            await connect(services, "bybit", bybit, date.today() - timedelta(days=70))
            for sync in range(4):
                if sync == 2:  # the user redeems: Bybit pays the yield and lists it Success
                    yields[yields.index(manual)] = dataclasses.replace(manual, paid_at=bybit.clock.now_ms())
                before = bybit.requests.by_path.get(YIELD_PATH, 0)
                await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)
                asked.append(bybit.requests.by_path.get(YIELD_PATH, 0) - before)
                async with services.database.reader() as session:
                    query = select(Transaction).where(Transaction.exchange_tx_id == MANUAL_ID)
                    stored.append(list((await session.scalars(query)).all()))

    # Pending through two syncs (the first 40 days after the yield, as the ones before the redemption would be).
    assert stored[0] == [] and stored[1] == []
    # Paid: stored once, with the row's own amount and time, and still once after the next sync.
    [first] = stored[2]
    [again] = stored[3]
    assert (first.kind, first.asset, first.amount) == ("reward", "USDT", Decimal("0.0608"))
    assert first.occurred_at.replace(tzinfo=UTC) == datetime.fromtimestamp(created / 1000, UTC)
    assert again.id == first.id
    # 70 days back: 11 windows. Then the yield's own window and the newest one, until it is paid; then the newest.
    assert asked == [11, 2, 2, 1], asked
    assert bybit.requests.unexpected == []
