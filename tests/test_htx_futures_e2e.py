"""An HTX user who trades USDT-margined perpetual futures in cross and isolated margin connects, syncs, and the bot
stores every fill, closing profit or loss and funding payment of the futures accounts, and reconciles them all.

The account (sandbox/exchanges/htx_futures.py over mexc_futures_script.py, 75 days back so that the contract API's
90-day reach holds it all): 5,000 USDT deposited, 3,000 USDT moved to the futures account, ten round trips in
BTC-USDT and SOL-USDT (cross margin) and ETH-USDT (isolated margin, 1,000 USDT moved into its own account first) with
funding while held, 500 USDT moved back, a SOL-USDT long still open; and 0.5 BTC deposited, 0.2 BTC moved to a
coin-margined BTC-USD swap account, two round trips there (sandbox/exchanges/htx_coin_swap.py). Its spot history is
three weeks long. A second sync asks only for what is new; an account that never opened contract trading sees both
futures kinds skipped in /status with the reason; one holding coin-margined delivery futures, which Tallybot does not
read yet, sees a gap naming them.
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
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, HtxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.support.sync_story import sync_twice
from tests.test_mexc_futures_e2e import futures_rows

THREE_WEEKS = AccountProfile(
    years=0.06, traded_markets=3, trades=40, deposits=4, withdrawals=2, converts=0, transfers=2, rewards=0
)
SYNC_FROM_DAYS = 89  # inside the contract lists' 90 days, before the futures money was deposited (85 days ago)
RECORDS = "/linear-swap-api/v3/swap_financial_record_exact"
FILLS = "/linear-swap-api/v3/swap_cross_matchresults_exact"
ISOLATED_FILLS = "/linear-swap-api/v3/swap_matchresults_exact"
ACCOUNT = "/linear-swap-api/v1/swap_cross_account_info"
ISOLATED_ACCOUNTS = "/linear-swap-api/v1/swap_account_info"
COIN_FILLS = "/swap-api/v3/swap_matchresults_exact"
COIN_RECORDS = "/swap-api/v3/swap_financial_record_exact"
COIN_ACCOUNTS = "/swap-api/v1/swap_account_info"
SIZE = {"BTC_USDT": Decimal("0.0001"), "ETH_USDT": Decimal("0.01"), "SOL_USDT": Decimal(1)}  # the script's
CCXT = {"BTC_USDT": "BTC/USDT:USDT", "ETH_USDT": "ETH/USDT:USDT", "SOL_USDT": "SOL/USDT:USDT"}


@pytest.fixture
async def htx() -> AsyncIterator[HtxEmulator]:
    async with HtxEmulator(seed=41, profile=THREE_WEEKS, listed_symbols=20, futures=True) as emulator:
        yield emulator


async def connect(services: Services, emulator: HtxEmulator) -> None:
    key = emulator.create_demo_keys().read_only
    await services.integrations.connect(
        1001,
        exchange_id="htx",
        key_type="normal",
        account_name="HTX-1",
        fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
        options=AdvancedOptions(sync_from=date.today() - timedelta(days=SYNC_FROM_DAYS)),
    )


async def test_a_futures_trader_syncs_fills_pnl_and_funding_and_both_accounts_reconcile(
    telegram: BotApiEmulator, ada: Walker, htx: HtxEmulator, tmp_path: Path
) -> None:
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"htx": htx.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect(services, htx)
        synced = await sync_twice(ada, services, htx, first_timeout=180)
    summary, again, second, status, rows = synced.summary, synced.again, synced.second, synced.status, synced.rows

    script = htx.futures
    assert script is not None
    # Ground truth from the script, read as a person reads HTX's rows: the turnover over the price in the base, the
    # turnover in USDT, the (negative) trade fee charged, the closing profit a record of its own when not zero.
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
    # The coin-margined swap, read as a person reads its rows: USD turnover over the price is the coin quantity, the
    # fee, profit and funding in BTC.
    coin = htx.coin_swap
    assert coin is not None
    for f in coin.fills:
        side = "buy" if f.buys else "sell"
        amount = f.turnover / f.price
        truth["futures_trade"].add(
            ("BTC/USD:BTC", side, "BTC", amount, f.price, "USD", f.turnover, "BTC", f.fee, f.time)
        )
        if f.profit:
            truth["realized_pnl"].add(("BTC/USD:BTC", "BTC", f.profit, f.time))
    for line in coin.lines:
        if line.type in (30, 31):
            truth["funding"].add(("BTC/USD:BTC", "BTC", line.amount, line.time))
    # By hand: a long of 10 contracts (1,000 USD) from 40,000 to 50,000 is 0.025 BTC in and 0.02 BTC out, 0.005 BTC
    # made; a short of 20 (2,000 USD) from 62,500 to 50,000 is 0.032 BTC and 0.04 BTC, 0.008 BTC made.
    assert [(f.turnover / f.price, f.profit) for f in coin.fills] == [
        (Decimal("0.025"), 0),
        (Decimal("0.02"), Decimal("0.005")),
        (Decimal("0.032"), 0),
        (Decimal("0.04"), Decimal("0.008")),
    ]
    assert len(script.deals) == 21 and len({d.symbol for d in script.deals}) == 3
    assert {d.symbol for d in script.deals if d.symbol == "ETH_USDT"}, "the isolated contract was traded"
    assert futures_rows(rows) == truth
    # The 1,000 USDT moved from the cross account into ETH-USDT's: a ledger line out of one and into the other.
    moves = sorted((r.amount, (r.raw or {}).get("margin_account")) for r in rows if r.kind == "ledger")
    assert moves == [(Decimal(-1000), "USDT"), (Decimal(1000), "ETH-USDT")], moves
    assert f"futures trades {len(truth['futures_trade']) + len(truth['realized_pnl'])}" in summary, summary
    assert f"funding fees {len(truth['funding']) + len(moves)}" in summary, summary
    assert "✅ HTX-1: the history explains every balance." in summary, summary
    assert "✅ HTX-1: 0 new" in again, again
    # The re-sync: the cross account once to see it is open and once for its balance, the isolated list once for the
    # accounts to walk and once for the balance; one 48-hour window of each account's records (read to an empty
    # page) and one per contract: BTC-USDT and SOL-USDT cross, ETH-USDT isolated; the coin-margined swap account's
    # list (which accounts hold coins, and their balance), one window of its records and of its fills.
    assert (second[ACCOUNT], second[ISOLATED_ACCOUNTS], second[COIN_ACCOUNTS]) == (2, 2, 2), second
    assert (second[RECORDS], second[FILLS], second[ISOLATED_FILLS]) == (2, 2, 1), second
    assert (second[COIN_RECORDS], second[COIN_FILLS]) == (1, 1), second
    assert "🟢 HTX-1" in status and "✅ The history explains every balance." in status, status
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ✅ {kind}\n" in status, status


async def test_an_account_that_never_opened_contracts_shows_both_kinds_skipped_with_the_reason(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with HtxEmulator(seed=42, profile=THREE_WEEKS, listed_symbols=20) as htx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"htx": htx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], htx)
            summary = (await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
    reason = "HTX says this account has not opened contract trading: there is no futures history to fetch."
    for kind in ("Futures trades", "Funding fees"):
        assert f"  ⏭ {kind} — {reason}" in status, status
    assert "✅ HTX-1: the history explains every balance." in summary, summary


async def test_coin_margined_delivery_futures_held_show_as_a_gap_naming_them(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    held = {"ETH": Decimal(3)}  # an ETH delivery account
    async with HtxEmulator(seed=44, profile=THREE_WEEKS, listed_symbols=20, futures=True, coin_held=held) as htx:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"htx": htx.base_url})
        async with running_bot(settings) as app:
            await connect(app.bot_data[SERVICES_KEY], htx)
            await ada.reply_to(await ada.send("/sync"), "Sync finished", timeout=180)
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
    assert "Your HTX account holds coin-margined delivery futures, whose history Tallybot does not fetch" in status
    assert "coin-margined perpetual swaps" not in status, status  # read: no gap
