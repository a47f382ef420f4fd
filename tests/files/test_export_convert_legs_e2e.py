"""Coinbase's converts through the real bot into the tax files: connect, /sync against the Coinbase emulator, /export
as Koinly's universal CSV and Cryptact's custom file. Coinbase lists a convert as one `trade` transaction in each
account (the coin spent debited, the coin received credited, one `trade.id`), stored as two legs going out and in;
each convert must be one trade row that sends the coin spent and receives the coin bought, never a receipt of both.
Expected amounts come from the emulator's scripted converts."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import AccountProfile, CoinbaseEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_coinbase_sync_e2e import connect_in_the_assistant

SMALL = AccountProfile(
    years=1.0, traded_markets=2, trades=10, deposits=3, withdrawals=1, converts=4, transfers=1, rewards=2
)


@pytest.fixture
async def coinbase() -> AsyncIterator[CoinbaseEmulator]:
    async with CoinbaseEmulator(seed=97, profile=SMALL, listed_symbols=20) as emulator:
        yield emulator


async def exported(ada: Walker, telegram: BotApiEmulator, button: str) -> list[dict[str, str]]:
    sent = await ada.send("/export")
    await ada.reply_to(sent, "Which format")
    await ada.press_for(button, "Export which account")
    before = ada.newest_id()
    await ada.press("All accounts")
    await telegram.wait_until(
        lambda: any(m.document and m.message_id > before for m in telegram.bot_messages(ada.chat_id))
    )
    message = next(m for m in telegram.bot_messages(ada.chat_id) if m.document and m.message_id > before)
    assert message.document is not None
    return list(csv.DictReader(io.StringIO(message.document.content.decode("utf-8-sig"))))


async def test_each_coinbase_convert_is_one_trade_spending_what_left_the_account(
    telegram: BotApiEmulator, coinbase: CoinbaseEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1002, first_name="Ada", started=True))
    key = coinbase.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"coinbase": coinbase.base_url})
    async with running_bot(settings):
        await connect_in_the_assistant(ada, key.api_key, key.secret)
        synced = (await ada.sync_now(timeout=120)).text or ""
        koinly = await exported(ada, telegram, "Koinly universal CSV")
        cryptact = await exported(ada, telegram, "Cryptact custom file")

    assert "✅" in synced, synced
    converts = coinbase.account.converts
    assert len(converts) == 4
    for c in converts:
        rows = [row for row in koinly if row["Description"].endswith(f"#{c.id}")]
        assert [
            (Decimal(row["Sent Amount"]), row["Sent Currency"], Decimal(row["Received Amount"]),
             row["Received Currency"], row["Label"])
            for row in rows
        ] == [(c.from_amount, c.from_asset, c.to_amount, c.to_asset, "")], c  # fmt: skip
        actions = [
            (row["Action"], row["Base"], Decimal(row["Volume"]), row["Counter"])
            for row in cryptact
            if row["Comment"].endswith(f"#{c.id}")
        ]
        # One row: a sale of the coin spent for the coin received, or a purchase of the coin received with it.
        assert actions in (
            [("SELL", c.from_asset, c.from_amount, c.to_asset)],
            [("BUY", c.to_asset, c.to_amount, c.from_asset)],
        ), (c, actions)
