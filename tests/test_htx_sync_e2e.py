"""HTX through the real bot: connect in the Assistant, /sync against the HTX emulator, /status, /export.

The first sync must store exactly what HTX's API can still give: every deposit and withdrawal of the account, and
every trade of the last 120 days ("The query window can be shifted within 120 days") and every move between the
user's own accounts of the ledger's last 180 days, exact amounts, nothing twice; the older trades are a gap the user
is told about. Match results take no symbol, so no market is asked for: the
trades come in one walk of 48-hour windows. A second sync must ask only for what is new: one window of trades and
of the ledger, and one page of each deposit and withdrawal list.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, HtxEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for

SEVEN_MONTHS = AccountProfile(
    years=0.6, traded_markets=4, trades=300, deposits=8, withdrawals=5, converts=0, transfers=12, rewards=0
)
DAYS_BACK = 230  # the sync-from date: before the account's first record
TRADES = "/v1/order/matchresults"
TRANSFERS = "/v1/query/deposit-withdraw"
LEDGER = "/v2/account/ledger"
FUTURES_ACCOUNT = "/linear-swap-api/v1/swap_cross_account_info"
ISOLATED_ACCOUNTS = "/linear-swap-api/v1/swap_account_info"
COIN_SWAP_ACCOUNTS = "/swap-api/v1/swap_account_info"
DAY_MS = 86_400_000


@pytest.fixture
async def htx() -> AsyncIterator[HtxEmulator]:
    async with HtxEmulator(seed=44, profile=SEVEN_MONTHS, listed_symbols=20) as emulator:
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
        else:
            values = (row.asset, row.amount, ms)
        by_kind.setdefault(row.kind, set()).add(values)
    return by_kind


async def connect_in_the_assistant(ada: Walker, api_key: str, secret: str) -> None:
    sent = await ada.send("/connect")
    await ada.reply_to(sent, "Connect your exchanges")
    await ada.press("HTX")
    await ada.emulator.wait_until(lambda: "✅ HTX" in " ".join(b.text for b in ada.last_menu("Confirm").buttons))
    await ada.press_for("Confirm exchanges", "paste your")
    typed = await ada.send(api_key)
    await ada.reply_to(typed, "paste your")
    typed = await ada.send(secret)
    await ada.reply_to(typed, "Check the key")
    await ada.connect_from(days_back=DAYS_BACK)


async def test_htx_from_the_assistant_to_the_export_stores_what_the_api_reaches_and_resyncs_only_new_data(
    telegram: BotApiEmulator, htx: HtxEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = htx.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"htx": htx.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connect_in_the_assistant(ada, key.api_key, key.secret)
        htx.requests.reset()
        first = (await ada.sync_now(timeout=120)).text or ""
        first_requests = dict(htx.requests.by_path)
        htx.requests.reset()
        second = await ada.sync_again()
        again = dict(htx.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "HTX")).text or ""
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

    account = htx.account
    reach = account.now_ms - 120 * DAY_MS
    ledger_reach = account.now_ms - 180 * DAY_MS
    in_ledger = [t for t in account.transfers if t.timestamp >= ledger_reach]
    assert in_ledger and len(in_ledger) < len(account.transfers), "transfers on both sides of the ledger's reach"
    reachable = [t for t in account.trades if t.timestamp >= reach]
    older = [t for t in account.trades if t.timestamp < reach]
    assert reachable and older, "the account has trades on both sides of the reach"
    assert len({t.symbol for t in reachable}) > 1, "the walk covers several markets without naming one"
    # Hand-written from the scripted records: what HTX's rows say, read as records. A match result has no quote
    # amount, so it is price × filled-amount; a fill too small to be charged (fee 0) has no fee at all.
    truth: dict[str, set[tuple[object, ...]]] = {
        "trade": {
            (
                f"{t.base}/{t.quote}",
                t.side,
                t.amount,
                t.price,
                t.price * t.amount,
                t.fee_asset if t.fee else None,
                t.fee or None,
                t.timestamp,
            )
            for t in reachable
        },
        "deposit": {(d.asset, d.amount, d.timestamp) for d in account.deposits},
        "withdrawal": {(w.asset, w.amount, w.fee, w.timestamp) for w in account.withdrawals},
        # Moves between the user's own accounts, from the ledger's last 180 days: the amount moved.
        "transfer": {(t.asset, t.amount, t.timestamp) for t in in_ledger},
    }
    assert stored(rows) == truth
    assert len(rows) == sum(len(kind) for kind in truth.values())  # nothing twice
    assert all(isinstance(r.amount, Decimal) for r in rows)
    assert f"spot trades {len(reachable)}" in first, first
    assert "last 120 days of spot trades" in first, first  # the user is told why older trades are missing
    # Trades: 48-hour windows from an hour inside the 120-day reach to now, one request each (no window of this
    # account holds 500 trades); deposits and withdrawals: two pages each, all of them (fewer than 100 of either),
    # then one from the last id that brings no new row: the end of the list (HTX's page cap is not readable).
    # Own transfers: 10-day windows from an hour inside the ledger's 180-day reach, one request each.
    windows = math.ceil((timedelta(days=120) - timedelta(hours=1)) / timedelta(hours=48))
    ledger_windows = math.ceil((timedelta(days=180) - timedelta(hours=1)) / timedelta(days=10))
    # This account never opened contract trading: the futures account's info is asked once to see so (code 1220),
    # and once more by the balance check after the sync, which also reads the isolated and coin-margined swap accounts'
    # lists (1220 too) and the spot account (its id, its balance).
    balances = {FUTURES_ACCOUNT: 2, ISOLATED_ACCOUNTS: 1, COIN_SWAP_ACCOUNTS: 1, "/v1/account/accounts": 1}
    balances["/v1/account/accounts/10000001/balance"] = 1
    assert first_requests == {TRADES: windows, TRANSFERS: 2 + 2, LEDGER: ledger_windows, **balances}, first_requests
    # The second sync starts where the first ended: one window of trades and of the ledger, one page of each
    # transfer list.
    assert again == {TRADES: 1, TRANSFERS: 2, LEDGER: 1, **balances}, again
    assert "✅ HTX-1: 0 new" in second, second
    assert "HTX" in status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
