"""A Binance user with a weekly Auto-Invest plan buying BTC with USDT, a portfolio plan buying ETH, and ETH staked for
WBETH (a BETH reward wrapped into WBETH, some WBETH redeemed back to ETH and some unwrapped to BETH), as they meet
Tallybot: they connect a read-only key and /sync. Every purchase is stored once as the convert it is, with its fee;
the staking moves as convert legs and the BETH reward as a reward; and the spot balances Binance reports are
explained by the history: the account is green. A purchase still pending at the first sync is stored by the next one,
once, after it executed. Without these lists USDT, BTC, ETH, WBETH and BETH would not reconcile."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

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

# By hand from sandbox/exchanges/binance_auto_invest.py and binance_staking.py: (kind, asset, amount, side, quote,
# quote amount, fee asset, fee amount). The failed purchase is absent; the pending one arrives with the second sync.
PURCHASES = [
    ("convert", "BTC", D("0.0003125"), "buy", "USDT", D("20"), "USDT", D("0.02")),
    ("convert", "BTC", D("0.00030769"), "buy", "USDT", D("20"), "USDT", D("0.02")),
    ("convert", "ETH", D("0.004"), "buy", "USDT", D("10"), "ETH", D("0.000004")),
]
LATE_PURCHASE = ("convert", "BTC", D("0.00029851"), "buy", "USDT", D("20"), "USDT", D("0.02"))
STAKING = [
    ("convert", "WBETH", D("0.04878049"), "buy", "ETH", D("0.05"), None, None),  # staked
    ("reward", "BETH", D("0.00012345"), None, None, None, None, None),  # BETH rewards distribution
    ("convert", "WBETH", D("0.00012043"), "buy", "BETH", D("0.00012345"), None, None),  # wrapped
    ("convert", "ETH", D("0.01026"), "buy", "WBETH", D("0.01"), None, None),  # redeemed
    ("convert", "BETH", D("0.00102508"), "buy", "WBETH", D("0.001"), None, None),  # unwrapped
]


def _row(t: Transaction) -> tuple[Any, ...]:
    return (t.kind, t.asset, t.amount, t.side, t.quote_asset, t.quote_amount, t.fee_asset, t.fee_amount)


async def _stored(services: Services) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored Auto-Invest purchases (their rows carry `planId`) and staking records (the staking lists' fields)."""
    async with services.database.reader() as session:
        rows = (await session.scalars(select(Transaction).order_by(Transaction.occurred_at))).all()
    staking_fields = {"conversionRatio", "exchangeRate", "annualPercentageRate"}
    purchases = [_row(t) for t in rows if "planId" in (t.raw or {})]
    staking = [_row(t) for t in rows if staking_fields & set(t.raw or {})]
    return purchases, staking


async def test_recurring_buys_and_an_eth_stake_sync_once_and_reconcile(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=88, profile=QUIET, listed_symbols=20, limits=limits, auto_invest=True) as bn:
        settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": bn.base_url})
        async with running_bot(settings) as app:
            services: Services = app.bot_data[SERVICES_KEY]
            await connect(services, "binance", bn, date.today() - timedelta(days=70))
            sent = await ada.send("/sync")
            summary = (await ada.reply_to(sent, "Sync finished", timeout=120)).text or ""
            status = (await ada.reply_to(await ada.send("/status"), "Your accounts")).text or ""
            first_purchases, first_staking = await _stored(services)

            bn.auto_invest.complete_pending()
            again = await ada.sync_again(timeout=120)
            purchases, staking = await _stored(services)

    assert RECONCILED in summary, summary
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    assert sorted(first_purchases, key=str) == sorted(PURCHASES, key=str)
    assert sorted(first_staking, key=str) == sorted(STAKING, key=str)
    # The purchase pending at the first sync executed since: stored now, and nothing stored twice; still green.
    assert RECONCILED in again, again
    assert sorted(purchases, key=str) == sorted([*PURCHASES, LATE_PURCHASE], key=str)
    assert sorted(staking, key=str) == sorted(STAKING, key=str)
