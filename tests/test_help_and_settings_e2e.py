"""/help troubleshooting and /settings, as a user sees them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.context import SERVICES_KEY, Services
from bot.integrations import AdvancedOptions
from bot.secret import Secret
from bot.troubleshooting import TOPICS, title
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for


@pytest.fixture
def ada(telegram: BotApiEmulator) -> Walker:
    """Unlike the shared fixture's Ada, this one has not opened the chat yet: the bot cannot write to her first."""
    return Walker(telegram, telegram.add_user(user_id=1001, first_name="Ada"))


async def test_troubleshooting_menu_lists_the_common_problems(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)):
        sent = await ada.send("/help troubleshooting")
        menu = await ada.reply_to(sent, "Troubleshooting")

    labels = [button.text for button in menu.buttons]
    assert labels == [title(topic) for topic in TOPICS]
    for problem in (
        "invalid",
        "stopped",
        "Older",
        "fewer",
        "several accounts",
        "IP",
        "regenerated",
        "passphrase",
        "Tax",
    ):
        assert any(problem in label for label in labels), problem


async def test_a_topic_adds_the_tips_of_the_users_own_exchanges(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        await services.integrations.connect(
            1001,
            exchange_id="bitget",
            key_type="normal",
            account_name="Bitget-1",
            fields={"apiKey": Secret("bg_0123456789abcdef"), "secret": Secret("s" * 64), "password": Secret("pw1234")},
            options=AdvancedOptions(),
        )
        sent = await ada.send("/troubleshoot")
        await ada.reply_to(sent, "Troubleshooting")
        answer = await ada.press_for("My API key shows as invalid", "My API key shows as invalid")
        answer_text = answer.text or ""  # the message is edited again below
        back = await ada.press_for("All problems", "What is going wrong")

    assert "copy" in answer_text.lower()
    assert "On Bitget" in answer_text
    assert "On Binance" not in answer_text
    assert back.message_id == answer.message_id, "the menu is edited in place"


async def test_settings_sets_the_time_zone_by_button_or_by_name(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path
) -> None:
    async with running_bot(settings_for(telegram, tmp_path)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        sent = await ada.send("/settings")
        shown = (await ada.reply_to(sent, "Time zone")).text or ""  # edited below
        await ada.press_for("Asia/Tokyo", "Time zone set")
        by_button = await services.users.register(1001)
        typed = await ada.send("/settings timezone europe/paris")
        confirmed = await ada.reply_to(typed, "Time zone set")
        by_name = await services.users.register(1001)
        wrong = await ada.send("/settings timezone Mars/Olympus")
        refused = await ada.reply_to(wrong, "don't know")
        unchanged = await services.users.register(1001)

    assert "UTC" in shown
    assert by_button.timezone == "Asia/Tokyo"
    assert by_name.timezone == "Europe/Paris" and "Europe/Paris" in confirmed.text
    # What was typed is not repeated (issue 12: it could be a key pasted after the command).
    assert "don't know that time zone" in refused.text and "Mars" not in refused.text
    assert unchanged.timezone == "Europe/Paris"
