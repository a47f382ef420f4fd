"""A Binance user with a weekly Auto-Invest plan buying BTC with USDT, a portfolio plan buying ETH, and ETH staked for
WBETH (a BETH reward wrapped into WBETH, some WBETH redeemed back to ETH and some unwrapped to BETH), as they meet
Tallybot: they connect a read-only key and /sync. Every purchase is stored once as the convert it is, with its fee;
the staking moves as convert legs and the BETH reward as a reward, once: Binance lists it in the staking rewards list
and in the wallet's dividend list (enInfo "ETH 2.0 Staking"), and only the dividend row is stored (both would put BETH
over by the reward and the account in yellow); and the spot balances Binance reports are explained by the history:
the account is green. A purchase still pending at the first sync is stored by the next one, once, after it executed.
One purchase was paid with rewards (`sourceWallet` REWARDS), coins that were in no wallet: it is stored with a reward
of what it paid, so USDT still reconciles.
Without these lists USDT, BTC, ETH, WBETH and BETH would not reconcile."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from connectors.clients import ClientPool
from connectors.fetchers.base import FetchReport
from connectors.fetchers.binance import BinanceFetcher
from connectors.profiles import Endpoint, get_profile
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
    # Paid with rewards (`sourceWallet` REWARDS): the 5 USDT never sat in the spot wallet, so they are a reward spent
    # on the purchase; without the reward USDT would be under by 5.
    ("convert", "BTC", D("0.00007692"), "buy", "USDT", D("5"), "USDT", D("0.005")),
    ("reward", "USDT", D("5"), None, None, None, None, None),
]
LATE_PURCHASE = ("convert", "BTC", D("0.00029851"), "buy", "USDT", D("20"), "USDT", D("0.02"))
STAKING = [
    ("convert", "WBETH", D("0.04878049"), "buy", "ETH", D("0.05"), None, None),  # staked
    ("reward", "BETH", D("0.00012345"), None, None, None, None, None),  # BETH reward: the dividend row
    ("convert", "WBETH", D("0.00012043"), "buy", "BETH", D("0.00012345"), None, None),  # wrapped
    ("convert", "ETH", D("0.01026"), "buy", "WBETH", D("0.01"), None, None),  # redeemed
    ("convert", "BETH", D("0.00102508"), "buy", "WBETH", D("0.001"), None, None),  # unwrapped
]


def _row(t: Transaction) -> tuple[Any, ...]:
    return (t.kind, t.asset, t.amount, t.side, t.quote_asset, t.quote_amount, t.fee_asset, t.fee_amount)


async def _stored(services: Services) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The stored Auto-Invest purchases (their rows carry `planId`) and staking records (the staking lists' fields;
    a BETH reward from either list: the dividend row's `enInfo`, the rewards list's `annualPercentageRate`)."""
    async with services.database.reader() as session:
        rows = (await session.scalars(select(Transaction).order_by(Transaction.occurred_at))).all()
    staking_fields = {"conversionRatio", "exchangeRate", "annualPercentageRate"}
    purchases = [_row(t) for t in rows if "planId" in (t.raw or {})]
    staking = [
        _row(t) for t in rows if staking_fields & set(t.raw or {}) or (t.raw or {}).get("enInfo") == "ETH 2.0 Staking"
    ]
    return purchases, staking


async def _beth_reward_ids(services: Services) -> list[str | None]:
    async with services.database.reader() as session:
        rewards = select(Transaction).where(Transaction.asset == "BETH", Transaction.kind == "reward")
        return [t.exchange_tx_id for t in await session.scalars(rewards)]


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
            beth_rewards = await _beth_reward_ids(services)
        (dividend,) = bn.eth_staking.dividends

    assert RECONCILED in summary, summary
    assert "🟢 Binance-1" in status and "✅ The history explains every balance." in status, status
    assert sorted(first_purchases, key=str) == sorted(PURCHASES, key=str)
    assert sorted(first_staking, key=str) == sorted(STAKING, key=str)
    # The purchase pending at the first sync executed since: stored now, and nothing stored twice; still green.
    assert RECONCILED in again, again
    assert sorted(purchases, key=str) == sorted([*PURCHASES, LATE_PURCHASE], key=str)
    assert sorted(staking, key=str) == sorted(STAKING, key=str)
    # The BETH reward is the dividend list's row (its id); the staking rewards list was never asked.
    assert beth_rewards == [str(dividend["id"])]
    assert bn.requests.count("/sapi/v1/eth-staking/eth/history/rewardsHistory") == 0


REDEEMED_PATH = "/sapi/v1/eth-staking/eth/history/redemptionHistory"


async def test_a_redemption_pending_for_weeks_is_stored_once_it_pays(tmp_path: Path) -> None:
    """Binance: a redemption takes "from 15 days to several weeks". One asked 20 days ago and still PENDING at a sync
    (past the 14 days a held cursor waits) is stored by the sync after it paid, once, and that sync asks the list
    once (its trailing 89 days read again)."""
    unlimited = BinanceLimits(
        request_weight_per_minute=10**9, sapi_ip_weight_per_minute=10**9, sapi_uid_weight_per_minute=10**9
    )
    async with BinanceEmulator(seed=89, profile=QUIET, listed_symbols=20, limits=unlimited, auto_invest=True) as bn:
        paid = bn.eth_staking.redeemed
        bn.eth_staking.redeemed = tuple({**row, "status": "PENDING"} for row in paid)
        key = bn.add_key(label="read-only")
        pool = ClientPool({"binance": bn.base_url})
        try:
            async with pool.client("binance", "story", {"apiKey": key.api_key, "secret": key.secret}) as client:
                client.throttler.config["refillRate"] = 1e9
                first, cursors = await _earn_walk(client, {})
                bn.eth_staking.redeemed = paid
                bn.requests.reset()
                second, _ = await _earn_walk(client, cursors)
        finally:
            await pool.close()
    redeemed = ("convert", "ETH", D("0.01026"), "buy", "WBETH", D("0.01"))
    assert redeemed not in first
    assert second.count(redeemed) == 1
    assert bn.requests.count(REDEEMED_PATH) == 1


async def _earn_walk(client: Any, cursors: dict[str, Any]) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """One sync of the earn rewards endpoint (distributions, Simple Earn, then the ETH staking lists): the records
    it made, as (kind, asset, amount, side, quote, quote amount), and the cursor it left."""
    fetcher = BinanceFetcher(get_profile("binance"), client, uid_weight_per_minute=10**9)
    made, cursor = [], dict(cursors)
    pages = fetcher.fetch(
        Endpoint.EARN_REWARDS, since=None, until=datetime.now(UTC), cursors=cursors, report=FetchReport()
    )
    async for page in pages:
        made += [(str(r.kind), r.asset, r.amount, r.side, r.quote_asset, r.quote_amount) for r in page.records]
        cursor = {"": page.cursor}
    return made, cursor
