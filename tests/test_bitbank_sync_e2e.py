"""bitbank through the real bot: connect in the Assistant (the key check reads the asset list: bitbank cannot tell a
key's permissions), /sync against the bitbank emulator, /status, /export.

The first sync must store exactly the account's history: every trade of the one trade list (every pair, no pair
asked of the user), every credited crypto and JPY deposit and every done withdrawal of each asset bitbank lists,
exact amounts, nothing twice, the ones still on their way not yet and the refused one never. A second sync must ask
only for what is new: the trade list once, each asset's deposit and withdrawal lists once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import SERVICES_KEY, Services
from db.models import Transaction
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BitbankEmulator
from tests.assistant_story import Walker, stored_by_kind
from tests.bot_harness import running_bot, settings_for
from tests.reconcile_story import unexplained

DAYS_BACK = 200  # the sync-from date: before the account's first record (half a year)
TRADES = "/v1/user/spot/trade_history"
DEPOSITS = "/v1/user/deposit_history"
WITHDRAWALS = "/v1/user/withdrawal_history"
ASSETS = "/v1/user/assets"


@pytest.fixture
async def bitbank() -> AsyncIterator[BitbankEmulator]:
    async with BitbankEmulator(seed=11, years=0.5, trades=60) as emulator:
        yield emulator


async def test_bitbank_from_the_assistant_to_the_export_stores_every_record_and_resyncs_only_new_data(
    telegram: BotApiEmulator, bitbank: BitbankEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = bitbank.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitbank": bitbank.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await ada.connect_exchange("bitbank", key.api_key, key.secret, days_back=DAYS_BACK)
        checked = bitbank.requests.count(ASSETS)
        first = (await ada.sync_now(timeout=120)).text or ""
        bitbank.requests.reset()
        second = await ada.sync_again()
        again = dict(bitbank.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "bitbank")).text or ""
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

    account = bitbank.account
    # Hand-written from the scripted rows: "btc_jpy" is BTC/JPY, the fee is fee_amount_quote in JPY, a deposit is
    # credited at its confirmed_at, a withdrawal's fee is charged on top of the amount sent.
    truth: dict[str, set[tuple[object, ...]]] = {
        "trade": {
            (f"{t.base.upper()}/JPY", t.side, t.amount, t.price, t.amount * t.price, "JPY", t.fee_quote, t.ms)
            for t in account.trades
        },
        "deposit": {(d.asset.upper(), d.amount, d.confirmed_ms) for d in account.deposits if d.status == "DONE"},
        "withdrawal": {(w.asset.upper(), w.amount, w.fee, w.ms) for w in account.withdrawals if w.status == "DONE"},
    }
    assert any(d.status == "FOUND" for d in account.deposits), "a deposit is still on its way"
    assert {w.status for w in account.withdrawals} == {"DONE", "EXAMINING", "REJECTED"}
    assert {d.asset for d in account.deposits} >= {"jpy", "btc"}
    assert stored_by_kind(rows) == truth
    assert len(rows) == sum(len(v) for v in truth.values())  # nothing twice
    # The balances bitbank shows are what the stored history explains, to the last digit.
    assert unexplained(rows, account.balances()) == {}
    assert checked == 1, "the key check read the asset list"
    assert f"spot trades {len(account.trades)}" in first, first
    # The second sync asks the trade list once and each listed asset's wallet lists once.
    assert again == {TRADES: 1, ASSETS: 2, DEPOSITS: len(account.assets), WITHDRAWALS: len(account.assets)}, again
    assert "✅ bitbank-1: 0 new" in second, second
    assert "bitbank" in status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
