"""A Bybit user who keeps USDT in Flexible Saving: the first /sync stores every yield paid and every stake and
redemption, reads the Earn position as a wallet of its own, and the history explains every balance. Before, Earn was
not read: the staked USDT was missing from the balances and its yield from the history, so the account could not be
green. A second sync asks only the newest window of each Earn list. An account that never used Earn is not asked for
yield or orders, and /status says why.

Ground truth, written by hand from sandbox/exchanges/bybit_earn.py's script: two stakes (half, then a quarter of the
USDT the account holds) and one redemption of a fifth of the first stake; one yield a day at 00:30 UTC from the day
after the first stake, 0.01% of what was staked a day before it, to 8 decimals: 48 yields over the last 49 days.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.context import SERVICES_KEY
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BybitEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_reconcile_e2e import RECENT, connect

DAY_MS = 86_400_000
EARN_PATHS = ("/v5/earn/yield", "/v5/earn/order")


def _expected(now_ms: int, usdt: Decimal) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """(yields, orders) as (asset, amount, ms) from the script's rules, computed here from its numbers alone."""
    today = now_ms - now_ms % DAY_MS
    first, second = (usdt / 2).quantize(Decimal("0.01")), (usdt / 4).quantize(Decimal("0.01"))
    stake_1, stake_2, redeem = today - 50 * DAY_MS + 3_600_000, today - 30 * DAY_MS + 7_200_000, today - 20 * DAY_MS
    redeem += 600_000
    orders: set[tuple[object, ...]] = {("USDT", first, stake_1), ("USDT", second, stake_2), ("USDT", first / 5, redeem)}
    yields: set[tuple[object, ...]] = set()
    for day in range(49, 0, -1):
        paid = today - day * DAY_MS + 1_800_000
        staked = Decimal(0)
        if stake_1 < paid - DAY_MS:
            staked += first
        if stake_2 < paid - DAY_MS:
            staked += second
        if redeem < paid - DAY_MS:
            staked -= first / 5
        if staked > 0:
            yields.add(("USDT", (staked / 10_000).quantize(Decimal("0.00000001")), paid))
    return yields, orders


async def test_flexible_saving_yield_and_orders_are_stored_and_the_staked_coins_reconcile(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=83, profile=RECENT, listed_symbols=20, earn=True) as bybit:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        # Spot-only without Earn: the USDT the account holds before staking (its unified wallet plus the position).
        usdt = bybit.book.wallet_totals("UNIFIED")[0]["USDT"] - bybit.book.earn_change["USDT"]
        yields, orders = _expected(bybit.clock.now_ms(), usdt)
        async with running_bot(settings) as app:
            services = app.bot_data[SERVICES_KEY]
            await connect(services, "bybit", bybit, date.today() - timedelta(days=70))
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            async with services.database.reader() as session:
                rows = list((await session.scalars(select(Transaction))).all())
            first_sync = {path: bybit.requests.by_path.get(path, 0) for path in EARN_PATHS}
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)
            second_sync = {path: bybit.requests.by_path.get(path, 0) - first_sync[path] for path in EARN_PATHS}

    # The account's own inter-wallet transfers are transfers too: Earn's orders are the ones keyed "earn:".
    earn_rows = [r for r in rows if r.kind == "reward" or (r.kind == "transfer" and ":earn:" in r.natural_key)]
    stored = {
        kind: {(r.asset, r.amount, int(r.occurred_at.timestamp() * 1000)) for r in earn_rows if r.kind == kind}
        for kind in ("reward", "transfer")
    }
    assert len(yields) == 48 and len(orders) == 3
    assert stored["reward"] == yields
    assert stored["transfer"] == orders
    assert "earn and staking rewards 51" in summary, summary  # the Earn endpoint's 48 yields and 3 orders
    assert "✅ Bybit-1: the history explains every balance." in summary, summary
    assert "🟢 Bybit-1" in status and "Earn" in status, status
    # 70 days back: 10 seven-day windows of each list (the yield list's reach is 3 months, so no gap is named).
    assert first_sync == {"/v5/earn/yield": 11, "/v5/earn/order": 11}, first_sync
    assert second_sync == {"/v5/earn/yield": 1, "/v5/earn/order": 1}, second_sync
    assert bybit.requests.unexpected == []


async def test_an_account_without_earn_is_not_asked_for_yield_and_status_says_why(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with BybitEmulator(seed=84, profile=RECENT, listed_symbols=20) as bybit:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bybit": bybit.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], "bybit", bybit, date.today() - timedelta(days=70))
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=90)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""

    assert "✅ Bybit-1: the history explains every balance." in summary, summary
    assert "🟢 Bybit-1" in status and "Bybit shows no Earn position on this account" in status, status
    served = bybit.requests.by_path
    assert served["/v5/earn/position"] == 4  # two to decide, two read as the Earn wallet
    assert all(path not in served for path in EARN_PATHS), served
