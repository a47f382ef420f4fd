"""Several users at once: a slow exchange for one user never holds up another, and one user's messages keep
their order even when sent faster than the bot answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.context import SERVICES_KEY
from sandbox.botapi import BotApiEmulator
from sandbox.exchanges import BinanceEmulator
from sandbox.exchanges.base import delay
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.test_assistant_e2e import pick_and_confirm


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    async with BinanceEmulator(seed=41, listed_symbols=20) as emulator:
        yield emulator


async def test_a_slow_key_check_for_one_user_does_not_hold_up_another(
    telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada"))
    eve = Walker(telegram, telegram.add_user(user_id=2002, first_name="Eve"))
    key = binance.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings):
        await pick_and_confirm(ada, "Binance")
        pasted = await ada.send(key.api_key)
        await ada.reply_to(pasted, "paste your Secret")
        pasted = await ada.send(key.secret)
        await ada.reply_to(pasted, "Check the key")
        binance.faults.inject(delay(3.0), path="/sapi/v1/account/apiRestrictions")
        checking = ada.newest_id()
        await ada.emulator.press_button(ada.user, ada.last_menu("Check and connect"), "✅ Check and connect")
        await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=checking, predicate=lambda m: "Checking" in (m.text or "")
        )
        asked = await eve.send("/help")
        helped = await eve.reply_to(asked, "Tallybot")
        still_checking = not any("is connected" in (m.text or "") for m in telegram.bot_messages(ada.chat_id))
        await telegram.wait_for_bot_message(
            ada.chat_id, after_message_id=checking, predicate=lambda m: "is connected" in (m.text or ""), timeout=20
        )

    assert still_checking, "Eve was answered while Ada's key check was still waiting for the exchange"
    assert "/start" in (helped.text or "")


async def test_a_key_and_secret_pasted_in_quick_succession_are_taken_in_order(
    telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path
) -> None:
    ada = Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada"))
    key = binance.create_demo_keys().read_only
    settings = settings_for(telegram, tmp_path, exchange_url_overrides={"binance": binance.base_url})
    async with running_bot(settings) as app:
        await pick_and_confirm(ada, "Binance")
        first = await ada.send(key.api_key)
        await ada.send(key.secret)  # before the bot has answered the first
        await ada.reply_to(first, "Check the key")
        draft = await app.bot_data[SERVICES_KEY].drafts.load(1001)
        assert draft is not None
        entered = await app.bot_data[SERVICES_KEY].drafts.secrets(draft, "binance")

    assert {name: secret.reveal() for name, secret in entered.items()} == {
        "apiKey": key.api_key,
        "secret": key.secret,
    }
