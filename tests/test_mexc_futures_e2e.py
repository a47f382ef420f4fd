"""A MEXC user who trades perpetual futures connects, syncs, and the bot stores every fill, closing profit or loss
and funding payment of the futures account, and reconciles both accounts.

The account (sandbox/exchanges/mexc_futures_script.py): 5,000 USDT deposited 170 days ago, 3,000 USDT moved to the
futures account, ten round trips in BTC_USDT, ETH_USDT and SOL_USDT over five months (two of the fill list's 90-day
windows) with funding while positions were held, 500 USDT moved back, and a SOL_USDT long still open with an
unrealized profit. Its spot history is three weeks long, inside every spot reach. A second sync asks only for what
is new; an account that never traded futures sees both futures kinds skipped in /status with the reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, MexcEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.support.sync_story import sync_twice

THREE_WEEKS = AccountProfile(
    years=0.06, traded_markets=3, trades=40, deposits=4, withdrawals=2, converts=2, transfers=2, rewards=0
)
SYNC_FROM_DAYS = 175  # before the futures money was deposited (170 days ago)
CONTRACT = "/api/v1/private/"
SIZE = {"BTC_USDT": Decimal("0.0001"), "ETH_USDT": Decimal("0.01"), "SOL_USDT": Decimal(1)}  # the contract list's
CCXT = {"BTC_USDT": "BTC/USDT:USDT", "ETH_USDT": "ETH/USDT:USDT", "SOL_USDT": "SOL/USDT:USDT"}


@pytest.fixture
async def mexc() -> AsyncIterator[MexcEmulator]:
    async with MexcEmulator(seed=31, profile=THREE_WEEKS, listed_symbols=20, futures=True) as emulator:
        yield emulator


async def connect(services: Services, emulator: MexcEmulator) -> None:
    key = emulator.create_demo_keys().read_only
    await services.integrations.connect(
        1001,
        exchange_id="mexc",
        key_type="normal",
        account_name="MEXC-1",
        fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
        options=AdvancedOptions(sync_from=date.today() - timedelta(days=SYNC_FROM_DAYS)),
    )


def futures_rows(rows: list[Transaction]) -> dict[str, set[tuple[object, ...]]]:
    found: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        ms = int(row.occurred_at.timestamp() * 1000)
        if row.kind == "futures_trade":
            values: tuple[object, ...] = (
                row.market,
                row.side,
                row.asset,
                row.amount,
                row.price,
                row.quote_asset,
                row.quote_amount,
                row.fee_asset,
                row.fee_amount,
                ms,
            )
        elif row.kind in ("realized_pnl", "funding"):
            values = (row.market, row.asset, row.amount, ms)
        else:
            continue
        found.setdefault(row.kind, set()).add(values)
    return found


async def test_a_futures_trader_syncs_fills_pnl_and_funding_and_both_accounts_reconcile(
    telegram: BotApiEmulator, ada: Walker, mexc: MexcEmulator, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"mexc": mexc.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect(services, mexc)
        synced = await sync_twice(ada, services, mexc, first_timeout=120)
    summary, again, second, status, rows = synced.summary, synced.again, synced.second, synced.status, synced.rows

    script = mexc.futures
    assert script is not None
    # Ground truth from the script, read as a person reads MEXC's rows: `vol` contracts of the contract's size, sides
    # 1 and 2 buying, 3 and 4 selling, the fee charged in USDT, `profit` a record of its own when not zero.
    truth: dict[str, set[tuple[object, ...]]] = {
        "futures_trade": {
            (
                CCXT[d.symbol],
                "buy" if d.side in (1, 2) else "sell",
                d.symbol.split("_")[0],
                d.vol * SIZE[d.symbol],
                d.price,
                "USDT",
                d.vol * SIZE[d.symbol] * d.price,
                "USDT",
                d.fee,
                d.time,
            )
            for d in script.deals
        },
        "realized_pnl": {(CCXT[d.symbol], "USDT", d.profit, d.time) for d in script.deals if d.profit},
        "funding": {(CCXT[f.symbol], "USDT", f.funding, f.time) for f in script.funding},
    }
    assert len(script.deals) == 21 and len({d.symbol for d in script.deals}) == 3  # ten round trips and the open long
    assert futures_rows(rows) == truth
    assert all(isinstance(r.amount, Decimal) for r in rows)
    assert f"futures trades {len(truth['futures_trade']) + len(truth['realized_pnl'])}" in summary, summary
    assert f"funding fees {len(truth['funding'])}" in summary, summary
    # Spot, futures (equity less the open long's unrealized profit) and every record together.
    assert "✅ MEXC-1: the history explains every balance." in summary, summary
    assert "✅ MEXC-1: 0 new" in again, again
    # The re-sync: the futures account's assets (the evidence, and the balance read), open positions, one page of
    # closed positions, one of funding, and one window per contract.
    contract = {path.removeprefix(CONTRACT): n for path, n in second.items() if path.startswith(CONTRACT)}
    assert contract == {
        "account/assets": 2,
        "position/open_positions": 1,
        "position/list/history_positions": 1,
        "position/funding_records": 1,
        "order/list/order_deals": 3,
    }, contract
    assert "🟢 MEXC-1" in status and "✅ The history explains every balance." in status, status
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ✅ {kind}\n" in status, status


async def test_an_account_that_never_traded_futures_shows_both_kinds_skipped_with_the_reason(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with MexcEmulator(seed=32, profile=THREE_WEEKS, listed_symbols=20) as mexc:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"mexc": mexc.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], mexc)
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
    reason = "MEXC shows no sign of futures on this account: its futures account holds nothing and no position was ever"
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ⏭ {kind} — {reason}" in status, status
    assert "✅ MEXC-1: the history explains every balance." in summary, summary
