"""MEXC through the real bot: connect in the Assistant, /sync against the MEXC emulator, /status, /export.

The first sync must store exactly what MEXC's API can still give: every deposit and withdrawal of the account, and
every trade of the last month (Account Trade List: "Only the transaction records in the past 1 month can be
queried"), found without asking the user for pairs, exact amounts, nothing twice; the older trades are a gap the
user is told about. A second sync must ask only for what is new: one request per endpoint and per market with trades.
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
from sandbox.exchanges import AccountProfile, MexcEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.reconcile_story import unexplained

SEVEN_MONTHS = AccountProfile(
    years=0.6, traded_markets=4, trades=300, deposits=8, withdrawals=5, converts=3, transfers=6, rewards=0
)
DAYS_BACK = 230  # the sync-from date: before the account's first record
TRADES = "/api/v3/myTrades"
DEPOSITS = "/api/v3/capital/deposit/hisrec"
WITHDRAWALS = "/api/v3/capital/withdraw/history"
TRANSFERS = "/api/v3/capital/transfer"
DUST = "/api/v3/capital/convert"
DAY_MS = 86_400_000


@pytest.fixture
async def mexc() -> AsyncIterator[MexcEmulator]:
    # Seed 20: four traded markets with trades in the last month, each found from the account's balances, deposits
    # and withdrawals; one of the six transfers is older than the transfer list's six months.
    async with MexcEmulator(seed=20, profile=SEVEN_MONTHS, listed_symbols=20) as emulator:
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
                row.fee_asset,
                row.fee_amount,
                ms,
            )
        elif row.kind == "withdrawal":
            values = (row.asset, row.amount, row.fee_amount, ms)
        elif row.kind == "convert":
            values = (row.asset, row.amount, row.side, row.quote_asset, row.quote_amount, ms)
        elif row.kind == "transfer":
            raw = row.raw or {}
            values = (row.asset, row.amount, raw.get("fromAccountType"), raw.get("toAccountType"), ms)
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def connect_in_the_assistant(ada: Walker, api_key: str, secret: str) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("MEXC")
    await ada.emulator.wait_until(lambda: "✅ MEXC" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    typed = await ada.send(api_key)
    await ada.reply_to(typed, "paste your")
    typed = await ada.send(secret)
    await ada.reply_to(typed, "Check the key")
    await ada.connect_from(days_back=DAYS_BACK)


async def test_mexc_from_the_assistant_to_the_export_stores_what_the_api_reaches_and_resyncs_only_new_data(
    telegram: BotApiEmulator, mexc: MexcEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = mexc.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"mexc": mexc.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect_in_the_assistant(ada, key.api_key, key.secret)
        first = (await ada.sync_now(timeout=120)).text or ""
        synced_at = datetime.now(UTC)
        first_requests = dict(mexc.requests.by_path)
        mexc.requests.reset()
        second = await ada.sync_again()
        again = dict(mexc.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "MEXC")).text or ""
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

    account = mexc.account
    month_ago = mexc.account.now_ms - 30 * DAY_MS
    half_year_ago = mexc.account.now_ms - 180 * DAY_MS
    recent_transfers = [t for t in account.transfers if t.timestamp >= half_year_ago]
    assert 0 < len(recent_transfers) < len(account.transfers)
    # The emulator's two wallets are MEXC's spot and futures accounts.
    wallet = {"FUND": "SPOT", "UNIFIED": "FUTURES"}
    reachable = [t for t in account.trades if t.timestamp >= month_ago]
    older = [t for t in account.trades if t.timestamp < month_ago]
    assert reachable and older, "the account has trades on both sides of the reach"
    # Hand-written from the scripted records: what MEXC's rows say, read as records.
    truth = {
        "trade": {
            # A fill too small to be charged (fee 0) has no fee at all.
            (
                f"{t.base}/{t.quote}",
                t.side,
                t.amount,
                t.price,
                t.cost,
                t.fee_asset if t.fee else None,
                t.fee or None,
                t.timestamp,
            )
            for t in reachable
        },
        "deposit": {(d.asset, d.amount, d.timestamp) for d in account.deposits},
        "withdrawal": {(w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals},
        # Small balances turned into MX: MX bought with the coin, the fee already deducted from the MX received.
        "convert": {("MX", c.to_amount, "buy", c.from_asset, c.from_amount, c.timestamp) for c in account.converts},
        "transfer": {
            (t.asset, t.amount, wallet[t.from_account], wallet[t.to_account], t.timestamp) for t in recent_transfers
        },
    }
    assert stored(rows) == truth
    # Nothing twice.
    moves = len(account.deposits) + len(account.withdrawals) + len(recent_transfers) + len(account.converts)
    assert len(rows) == len(reachable) + moves
    assert all(isinstance(r.amount, Decimal) for r in rows)
    # The balances MEXC shows less what the stored history explains are, to the last digit, the trades out of the
    # API's reach: each moved its amount in the base, its quoteQty in the quote and its fee.
    out_of_reach: dict[str, Decimal] = {}
    for t in older:
        sign = 1 if t.side == "buy" else -1
        for asset, change in ((t.base, sign * t.amount), (t.quote, -sign * t.cost), (t.fee_asset, -t.fee)):
            out_of_reach[asset] = out_of_reach.get(asset, Decimal(0)) + change
    assert unexplained(rows, {b.asset: b.total for b in account.balances}) == {
        a: v for a, v in sorted(out_of_reach.items()) if v
    }
    assert f"spot trades {len(reachable)}" in first, first
    # The user is told why older trades and transfers are missing.
    assert "last 30 days of spot trades" in first and "last 180 days of internal transfers" in first, first
    # Deposits and withdrawals are walked in 90-day windows from the sync-from date; each traded market's month in
    # one request (no month of this account holds more than a page of 100).
    start = datetime.combine(date.today() - timedelta(days=DAYS_BACK), time(), UTC)
    windows = math.ceil((synced_at - start) / timedelta(days=90))
    assert first_requests[DEPOSITS] == first_requests[WITHDRAWALS] == windows, first_requests
    assert first_requests[TRADES] >= len(account.traded_symbols), first_requests
    # The second sync starts where the first ended: the balances once (market discovery), one request per wallet
    # list (transfers: once per direction) and per market that had trades; markets probed empty are not asked again
    # (their balances did not move). This account never traded futures: the futures account's assets, open and
    # closed positions are asked once to see so. After the sync both accounts' balances are read (spot, futures).
    with_trades = len({t.symbol for t in reachable})
    assert again == {
        "/api/v3/account": 2,
        DEPOSITS: 1,
        WITHDRAWALS: 1,
        TRANSFERS: 2,
        DUST: 1,
        TRADES: with_trades,
        "/api/v1/private/account/assets": 2,
        "/api/v1/private/position/open_positions": 1,
        "/api/v1/private/position/list/history_positions": 1,
    }, again
    assert "✅ MEXC-1: 0 new" in second, second
    assert "MEXC" in status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
