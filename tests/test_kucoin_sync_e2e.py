"""KuCoin through the real bot: connect in the Assistant, /sync against the KuCoin emulator, /status, /export.

The first sync must store exactly the scripted account (every fill of every traded market, found without asking
the user for pairs; every deposit, withdrawal, move between own accounts, bonus and convert order, exact amounts,
nothing twice); a second sync must ask only for
what is new: one request per 7-day window since the last sync for each endpoint and market.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile
from sandbox.exchanges.kucoin import KucoinEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

# Ten weeks of history, synced from 78 days back: the two ledger walks (1-day windows, weight 10 each) and the wallet
# lists then spend about 1,900 of the Management pool's 2,000 a 30 s, so neither sync waits on the pacer (its waits
# are tests/connectors/test_kucoin_fetcher.py's story). Seven months took 88 s, 55 of them waiting out the pool.
TEN_WEEKS = AccountProfile(
    years=0.2, traded_markets=4, trades=160, deposits=8, withdrawals=5, converts=5, transfers=4, rewards=5
)
DAYS_BACK = 78  # the sync-from date: before the account's first record
FILLS = "/api/v1/hf/fills"


@pytest.fixture
async def kucoin() -> AsyncIterator[KucoinEmulator]:
    # Upgraded to high-frequency trading 35 days ago: older fills are only on the classic GET /api/v1/fills.
    upgrade = int(datetime.now(UTC).timestamp() * 1000) - 35 * 86_400_000
    async with KucoinEmulator(seed=61, profile=TEN_WEEKS, listed_symbols=20, hf_upgrade_ms=upgrade) as emulator:
        assert any(t.timestamp < upgrade for t in emulator.account.trades)
        assert any(t.timestamp >= upgrade for t in emulator.account.trades)
        yield emulator


def stored(rows: list[Transaction]) -> dict[str, set[tuple[object, ...]]]:
    by_kind: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        ms = int(row.occurred_at.timestamp() * 1000)
        if row.kind == "trade":
            values: tuple[object, ...] = (
                row.market,
                row.side,
                row.amount,
                row.price,
                row.quote_amount,
                row.fee_amount,
                ms,
            )
        elif row.kind == "withdrawal":
            values = (row.asset, row.amount, row.fee_amount, ms)
        elif row.kind == "transfer":
            values = (row.asset, row.amount, row.side, ms)
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def connect_in_the_assistant(ada: Walker, api_key: str, secret: str, passphrase: str) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("KuCoin")
    await ada.emulator.wait_until(lambda: "✅ KuCoin" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    typed = await ada.send(api_key)
    await ada.reply_to(typed, "paste your")
    typed = await ada.send(secret)
    await ada.reply_to(typed, "passphrase")
    typed = await ada.send(passphrase)
    await ada.reply_to(typed, "Check the key")
    await ada.connect_from(days_back=DAYS_BACK)


async def test_kucoin_from_the_assistant_to_the_export_stores_exactly_the_account_and_resyncs_only_new_windows(
    telegram: BotApiEmulator, kucoin: KucoinEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = kucoin.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"kucoin": kucoin.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect_in_the_assistant(ada, key.api_key, key.secret, key.passphrase)
        first = (await ada.sync_now(timeout=120)).text or ""
        synced_at = datetime.now(UTC)
        fills_first = kucoin.requests.count(FILLS)
        kucoin.requests.reset()
        second = await ada.sync_again()
        again = dict(kucoin.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "KuCoin")).text or ""
        sent = await ada.send("/export")
        await ada.reply_to(sent, "Which format")
        await ada.press_for("Tallybot CSV", "Export which account")
        before = ada.newest_id()
        await ada.press("All accounts")
        exported = await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=before, predicate=lambda m: m.document is not None
        )
        async with services.database.reader() as session:
            rows = list((await session.scalars(select(Transaction))).all())

    account = kucoin.account
    assert "✅" in first and "❌" not in first, first
    assert f"spot trades {len(account.trades)}" in first, first
    # Hand-written from the scripted records: what KuCoin's rows say, read as records.
    truth = {
        "trade": {
            (f"{t.base}/{t.quote}", t.side, t.amount, t.price, t.cost, t.fee, t.timestamp) for t in account.trades
        },
        "deposit": {(d.asset, d.amount, d.timestamp) for d in account.deposits},
        "withdrawal": {(w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals},
        # Each move between own accounts is two ledger rows: out of one account, into the other.
        "transfer": {(t.asset, t.amount, side, t.timestamp) for t in account.transfers for side in ("out", "in")},
        "reward": {(r.asset, r.amount, r.timestamp) for r in account.rewards},
        # A convert order: what it bought (toCurrencySize of toCurrency) at its orderTime; every third scripted one is
        # a limit order, stored at the time it filled (the scripted time).
        "convert": {(c.to_asset, c.to_amount, c.timestamp) for c in account.converts},
    }
    assert stored(rows) == truth
    kinds = (account.trades, account.deposits, account.withdrawals, account.rewards, account.converts)
    assert len(rows) == sum(len(records) for records in kinds) + 2 * len(account.transfers)  # nothing twice
    assert all(isinstance(r.amount, Decimal) for r in rows)
    # Each scanned market is walked in 7-day windows from the sync-from date (one request each: no week of this
    # account holds more than a page), so the first sync's fill requests are whole walks, and at least one per
    # traded market.
    start = datetime.combine(date.today() - timedelta(days=DAYS_BACK), time(), UTC)
    windows = math.ceil((synced_at - start) / timedelta(days=7))
    assert fills_first % windows == 0 and fills_first // windows >= len(account.traded_symbols), fills_first
    # The second sync starts where the first ended: one request per endpoint and per market with fills, nothing
    # else (deposits and withdrawals re-read their trailing day inside that one window; the ledger is asked once for
    # transfers and once for bonuses; the classic fills once, for every market).
    traded = len(account.traded_symbols)
    ledger = "/api/v1/accounts/ledgers"
    expected = {
        "/api/v1/accounts": 2,  # the held assets (market evidence), then the balance read after the sync
        "/api/v1/account-overview": 2,  # the balance read: each futures currency (USDT, XBT)
        "/api/v1/deposits": 1,
        "/api/v1/withdrawals": 1,
        ledger: 2,
        FILLS: traded,
        "/api/v1/fills": 1,
        "/api/v1/convert/order/history": 1,
        "/api/v1/convert/limit/orders": 1,
        # The account's mode first (classic: the futures lists hold its futures), then the futures ledger's first
        # page in each currency (USDT, XBT): empty, so futures are skipped, saying why.
        "/api/ua/v1/account/mode": 1,
        "/api/v1/transaction-history": 2,
    }
    assert again == expected
    # Spot holds every scripted balance; the futures account never held anything: the history explains each.
    assert "✅ KuCoin-1: the history explains every balance." in second, second
    assert "✅ KuCoin-1: 0 new" in second, second
    assert "KuCoin" in status
    # The convert orders: counted in the first sync's summary and listed in /status.
    assert f"convert history {len(account.converts)}" in first, first
    assert "✅ Convert history" in status, status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
