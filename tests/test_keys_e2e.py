"""/keys: a user renames an account, replaces its key, changes options and deletes it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from db.repositories import TransactionRepository
from i18n import t, tn
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator, DemoKeys
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=21, listed_symbols=30) as emulator:
        yield emulator


@pytest.fixture
def keys(binance: BinanceEmulator) -> DemoKeys:
    return binance.create_demo_keys()


async def connected_account(services: Services, keys: DemoKeys, transactions: int = 0) -> int:
    """An account as the Assistant leaves it (the Assistant itself is tested in test_assistant_e2e)."""
    summary = await services.integrations.connect(
        1001,
        exchange_id="binance",
        key_type="default",
        account_name="Binance-1",
        fields={"apiKey": Secret(keys.read_only.api_key), "secret": Secret(keys.read_only.secret)},
        options=AdvancedOptions(),
    )
    rows = [
        {
            "integration_id": summary.id,
            "natural_key": f"trade:{n}",
            "kind": "trade",
            "occurred_at": datetime(2024, 1, 1, tzinfo=UTC),
            "asset": "BTC",
            "amount": Decimal("0.1"),
            "source": "api",
        }
        for n in range(transactions)
    ]
    async with services.database.writer() as session:
        await TransactionRepository(session).insert_missing(rows)
    return summary.id


async def open_keys(ada: Walker) -> None:
    sent = await ada.send("/keys")
    await ada.reply_to(sent, "Your accounts")


async def test_keys_lists_accounts_with_fingerprint_and_status(
    telegram: BotApiEmulator, keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        empty = await ada.send("/keys")
        nothing = await ada.reply_to(empty, "")
        await connected_account(app.bot_data[SERVICES_KEY], keys)
        await open_keys(ada)

    assert nothing.text == t("assistant.keys.empty")
    listing = ada.last_bot_text()
    assert "Binance-1" in listing and f"…{keys.read_only.api_key[-4:]}" in listing and "never synced" in listing
    assert keys.read_only.api_key not in ada.all_bot_texts()


async def test_rename_an_account(telegram: BotApiEmulator, keys: DemoKeys, ada: Walker, tmp_path: Path) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        integration_id = await connected_account(services, keys)
        await open_keys(ada)
        await ada.press_for("Binance-1 ›", "API key")
        await ada.press_for("Rename", "Send the new name")
        bad = await ada.send("<b>x</b>")
        await ada.reply_to(bad, "A name is")
        good = await ada.send("Binance main")
        done = await ada.reply_to(good, "Renamed")
        stored = await services.integrations.get(1001, integration_id)

    assert stored.account_name == "Binance main"
    assert "Binance main" in done.text


async def test_replace_a_regenerated_key_keeps_the_history(
    telegram: BotApiEmulator, binance: BinanceEmulator, keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    new_key = binance.add_key(label="regenerated")
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        integration_id = await connected_account(services, keys, transactions=5)
        await open_keys(ada)
        await ada.press_for("Binance-1 ›", "API key")
        await ada.press_for("Replace key", "paste your")
        key_message = await ada.send(new_key.api_key)
        await ada.reply_to(key_message, "paste your Secret")
        secret_message = await ada.send(new_key.secret)
        await ada.reply_to(secret_message, "Check the key")
        await ada.press_for("Check and connect", "is connected")
        stored = await services.integrations.get(1001, integration_id)
        opened = await services.integrations.credentials(1001, integration_id)
        kept = await services.integrations.transaction_count(1001, integration_id)

    assert stored.fingerprint == f"…{new_key.api_key[-4:]}"
    assert opened["apiKey"].reveal() == new_key.api_key
    assert kept == 5
    assert stored.account_name == "Binance-1"
    assert telegram.message(ada.chat_id, key_message.message_id).deleted
    assert telegram.message(ada.chat_id, secret_message.message_id).deleted


async def test_change_options_from_keys(telegram: BotApiEmulator, keys: DemoKeys, ada: Walker, tmp_path: Path) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        integration_id = await connected_account(services, keys)
        await open_keys(ada)
        await ada.press_for("Binance-1 ›", "API key")
        await ada.press_for("Options", "Advanced options")
        await ada.press_for("Sync from date", "YYYY-MM-DD")
        future = await ada.send("2999-01-01")
        await ada.reply_to(future, "in the future")
        typed = await ada.send("2023-01-01")
        await ada.reply_to(typed, "Advanced options")
        await ada.press_for("Save", "saved")
        stored = await services.integrations.get(1001, integration_id)

    assert stored.options.sync_from is not None and stored.options.sync_from.isoformat() == "2023-01-01"


@pytest.mark.parametrize(("choice", "kept"), [("Delete the key only", 3), ("Delete everything", None)])
async def test_delete_says_what_goes_and_does_it(
    telegram: BotApiEmulator, keys: DemoKeys, ada: Walker, tmp_path: Path, choice: str, kept: int | None
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await connected_account(services, keys, transactions=3)
        await open_keys(ada)
        await ada.press_for("Binance-1 ›", "API key")
        question = await ada.press_for("Delete", "Delete Binance-1?")
        done = await ada.press_for(choice, "🗑")
        remaining = await services.integrations.list(1001)

    assert "3" in question.text
    if kept is None:
        assert remaining == []
        assert done.source_text == tn("assistant.keys.deleted_all", 3, name="Binance-1")
    else:
        assert [(s.account_name, s.fingerprint, s.status) for s in remaining] == [("Binance-1", None, "disconnected")]
        assert done.source_text == tn("assistant.keys.deleted_key_only", 3, name="Binance-1")


async def test_a_forged_keys_button_for_another_users_account_changes_nothing(
    telegram: BotApiEmulator, keys: DemoKeys, ada: Walker, tmp_path: Path
) -> None:
    eve = Walker(telegram, telegram.add_user(user_id=6666, first_name="Eve", started=True))
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        integration_id = await connected_account(services, keys, transactions=2)
        forged = InlineKeyboardMarkup([[InlineKeyboardButton("Delete", callback_data=f"k:delx:{integration_id}:all")]])
        await app.bot.send_message(eve.chat_id, "x", reply_markup=forged)
        await eve.press("Delete")
        still_there = await services.integrations.list(1001)

    assert [s.id for s in still_there] == [integration_id]
    assert any(answer.text == t("assistant.alert.expired_menu") for answer in telegram.answered_callbacks)
