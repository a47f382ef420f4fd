"""bitFlyer through the real bot: connect in the Assistant (the key check reads the key's permission list), /sync
against the bitFlyer emulator, /status, /export.

The first sync must store exactly the account's history: every spot execution on each JPY and BTC market (found
without asking the user for pairs: every Spot product bitFlyer lists is asked), every completed crypto and JPY
deposit and withdrawal, exact amounts, nothing twice, the pending ones not yet. A second sync must ask only for what
is new: one request per list and per product.
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
from sandbox.exchanges import BitflyerEmulator
from sandbox.exchanges.bitflyer_book import SPOT
from tests.assistant_story import Walker, stored_by_kind
from tests.bot_harness import running_bot, settings_for
from tests.reconcile_story import unexplained

DAYS_BACK = 200  # the sync-from date: before the account's first record (half a year)
EXECUTIONS = "/v1/me/getexecutions"


@pytest.fixture
async def bitflyer() -> AsyncIterator[BitflyerEmulator]:
    async with BitflyerEmulator(seed=11, years=0.5, executions=60) as emulator:
        yield emulator


async def test_bitflyer_from_the_assistant_to_the_export_stores_every_record_and_resyncs_only_new_data(
    telegram: BotApiEmulator, bitflyer: BitflyerEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada", started=True))
    key = bitflyer.create_demo_keys().read_only
    while key.secret.startswith("/"):
        # A base64 secret starts with "/" once in 64: pasted into Telegram it reads as a command, which the key guard
        # deletes and refuses (handlers/key_guard.py; reported, not this story's subject).
        key = bitflyer.add_key(label="read-only")
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"bitflyer": bitflyer.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await ada.connect_exchange("bitFlyer", key.api_key, key.secret, days_back=DAYS_BACK)
        checked = bitflyer.requests.count("/v1/me/getpermissions")
        first = (await ada.sync_now(timeout=120)).text or ""
        bitflyer.requests.reset()
        second = await ada.sync_again()
        again = dict(bitflyer.requests.by_path)
        sent = await ada.send("/status")
        status = (await ada.reply_to(sent, "bitFlyer")).text or ""
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

    account = bitflyer.account
    # Hand-written from the scripted rows: "ETH_BTC" is ETH/BTC, the commission is in the base currency, a send's fee
    # is its fee plus its additional fee; JPY deposits and withdrawals carry no fee in bitFlyer's rows.
    truth: dict[str, set[tuple[object, ...]]] = {
        "trade": {
            (
                e.product_code.replace("_", "/"),
                e.side.lower(),
                e.size,
                e.price,
                e.size * e.price,
                e.base if e.commission else None,
                e.commission or None,
                e.ms,
            )
            for e in account.executions
        },
        "deposit": {(c.currency, c.amount, c.ms) for c in account.coin_ins if c.status == "COMPLETED"}
        | {("JPY", d.amount, d.ms) for d in account.deposits if d.status == "COMPLETED"},
        "withdrawal": {
            (c.currency, c.amount, (c.fee + c.additional_fee) or None, c.ms)
            for c in account.coin_outs
            if c.status == "COMPLETED"
        }
        | {("JPY", w.amount, None, w.ms) for w in account.withdrawals if w.status == "COMPLETED"},
    }
    assert any(c.status == "PENDING" for c in account.coin_ins), "a crypto deposit is still on its way"
    assert {e.quote for e in account.executions} == {"JPY", "BTC"}
    assert stored_by_kind(rows) == truth
    assert len(rows) == sum(len(v) for v in truth.values())  # nothing twice
    # The balances bitFlyer shows are what the stored history explains, to the last digit, but for the 550 JPY fee of
    # each bank withdrawal, which its row does not carry (only the balance history, not read, lists it).
    done = [w for w in account.withdrawals if w.status == "COMPLETED"]
    assert done and unexplained(rows, account.balances()) == {"JPY": -550 * len(done)}
    assert checked == 1, "the key check read the key's permission list"
    assert f"spot trades {len(account.executions)}" in first, first
    # The second sync asks each list once above what it read, and each Spot product once.
    assert again[EXECUTIONS] == len(SPOT), again
    for path in ("/v1/me/getcoinins", "/v1/me/getdeposits", "/v1/me/getcoinouts", "/v1/me/getwithdrawals"):
        assert again[path] == 1, again
    assert "✅ bitFlyer-1: 0 new" in second, second
    assert "bitFlyer" in status
    assert exported.document is not None
    exported_rows = list(csv.DictReader(io.StringIO(exported.document.content.decode())))
    assert len(exported_rows) == len(rows)
