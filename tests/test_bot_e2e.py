"""Stories of a user talking to the real bot over HTTP, through the Bot API emulator."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import texts
from bot.context import SERVICES_KEY, Services
from bot.logs import configure_logging
from bot.secret import Secret
from bot.vault import SealContext
from db.repositories import UserRepository
from sandbox.botapi import BotApiEmulator
from tests.bot_harness import running_bot, settings_for


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    emu = BotApiEmulator(bot_username="tallybot_test_bot")
    await emu.start()
    yield emu
    await emu.stop()


async def test_start_greets_the_user_and_registers_them(emulator: BotApiEmulator, tmp_path: Path) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada", username="ada")
    async with running_bot(settings_for(emulator, tmp_path)) as app:
        sent = await emulator.send_message(ada, "/start")
        answer = await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)

        services: Services = app.bot_data[SERVICES_KEY]
        async with services.database.reader() as session:
            user = await UserRepository(session).by_telegram_id(1001)

    assert "Welcome to Tallybot" in answer.text
    assert "read-only" in answer.text
    assert user is not None and user.timezone == "UTC"


async def test_the_command_menu_is_set_at_start_up(emulator: BotApiEmulator, tmp_path: Path) -> None:
    async with running_bot(settings_for(emulator, tmp_path)):
        await emulator.wait_until(lambda: any(method == "setMyCommands" for method, _ in emulator.calls))

    commands = next(params for method, params in emulator.calls if method == "setMyCommands")["commands"]
    assert [command["command"] for command in commands] == [name for name, _ in texts.BOT_COMMANDS]


async def test_help_explains_how_keys_are_protected(emulator: BotApiEmulator, tmp_path: Path) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    async with running_bot(settings_for(emulator, tmp_path)):
        sent = await emulator.send_message(ada, "/help")
        answer = await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)

    assert "/start" in answer.text
    assert "deleted" in answer.text and "encrypted" in answer.text


async def test_an_unknown_command_gets_a_pointer_to_help_without_being_echoed(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    async with running_bot(settings_for(emulator, tmp_path)):
        sent = await emulator.send_message(ada, "/frobnicate_sk_live_abcdef")
        answer = await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)

    assert answer.text == texts.UNKNOWN_COMMAND
    assert "frobnicate" not in answer.text


async def test_plain_text_outside_a_conversation_gets_a_hint(emulator: BotApiEmulator, tmp_path: Path) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    async with running_bot(settings_for(emulator, tmp_path)):
        sent = await emulator.send_message(ada, "hello?")
        answer = await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)

    assert answer.text == texts.PLAIN_TEXT_HINT


async def test_in_a_group_the_bot_points_to_the_private_chat_and_ignores_chatter(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    group = emulator.add_group(chat_id=-100123, title="Friends", members=[ada])
    async with running_bot(settings_for(emulator, tmp_path)):
        await emulator.send_message(ada, "just chatting", chat=group)
        sent = await emulator.send_message(ada, "/start", chat=group)
        answer = await emulator.wait_for_bot_message(group.chat_id, after_message_id=sent.message_id)

    assert "private" in answer.text and "@tallybot_test_bot" in answer.text
    assert len(emulator.bot_messages(group.chat_id)) == 1, "chatter in the group got no reply"
    assert emulator.bot_messages(ada.chat_id) == [], "nothing was sent to the user privately"


async def test_a_user_outside_the_allow_list_is_turned_away(emulator: BotApiEmulator, tmp_path: Path) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    eve = emulator.add_user(user_id=6666, first_name="Eve")
    async with running_bot(settings_for(emulator, tmp_path, allowed_users=frozenset({1001}))):
        sent = await emulator.send_message(eve, "/start")
        refused = await emulator.wait_for_bot_message(eve.chat_id, after_message_id=sent.message_id)
        sent = await emulator.send_message(ada, "/start")
        welcomed = await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)

    assert refused.text == texts.NOT_ALLOWED
    assert "Welcome to Tallybot" in welcomed.text


async def test_a_button_from_an_old_menu_gets_a_friendly_answer(emulator: BotApiEmulator, tmp_path: Path) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada", started=True)
    async with running_bot(settings_for(emulator, tmp_path)) as app:
        # A menu left in the chat by an earlier run of the bot, whose conversation is long gone.
        await app.bot.send_message(
            ada.chat_id,
            "Pick an exchange",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Bitget", callback_data="pick:bitget")]]),
        )
        old_menu = emulator.bot_messages(ada.chat_id)[-1]
        await emulator.press_button(ada, old_menu, "Bitget")
        await emulator.wait_until(lambda: any(m == "answerCallbackQuery" for m, _ in emulator.calls))

    answer = next(params for method, params in emulator.calls if method == "answerCallbackQuery")
    assert answer["text"] == texts.STALE_BUTTON


async def test_an_internal_error_is_logged_redacted_and_the_user_gets_an_apology(
    emulator: BotApiEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    emulator.fail("sendMessage", error_code=500, description="Internal Server Error", times=1)
    async with running_bot(settings_for(emulator, tmp_path)):
        sent = await emulator.send_message(ada, "/help my-private-words")
        apology = await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)

    assert apology.text == texts.INTERNAL_ERROR
    errors = [record.getMessage() for record in caplog.records if record.name == "tallybot.errors"]
    assert len(errors) == 1 and "failed with" in errors[0]
    assert "my-private-words" not in caplog.text


async def test_canary_secret_and_bot_token_reach_no_log_record_even_at_debug(
    emulator: BotApiEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    canary = "CANARY-sk-9f8e7d6c5b4a39281706"
    configure_logging("DEBUG")
    for name in ("", "telegram", "telegram.ext", "httpx", "httpcore", "ccxt", "aiosqlite", "sqlalchemy", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    async with running_bot(settings_for(emulator, tmp_path)) as app:
        vault = app.bot_data[SERVICES_KEY].vault
        context = SealContext(1001, "credential-1", "bitget", "secret")
        live = vault.open(vault.seal(Secret(canary), context), context)
        sent = await emulator.send_message(ada, f"here is my secret {canary}")
        await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)

    everything = caplog.text + "".join(record.exc_text or "" for record in caplog.records)
    assert len(caplog.records) > 20, "DEBUG logging of telegram and httpx really was on"
    assert "Processing update" in everything or "getUpdates" in everything
    assert canary not in everything
    assert emulator.token not in everything
    assert emulator.token.split(":")[1] not in everything
    del live


async def test_tallybot_run_answers_start_and_stops_cleanly_on_sigterm(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    """The installed command, as an operator runs it, against the emulator."""
    ada = emulator.add_user(user_id=1001, first_name="Ada")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TALLYBOT_", "DATABASE_URL"))}
    env |= {
        "TELEGRAM_BOT_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "TALLYBOT_DATA_DIR": str(tmp_path / "data"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await emulator.wait_until(lambda: any(m == "getUpdates" for m, _ in emulator.calls), timeout=30)
        sent = await emulator.send_message(ada, "/start")
        answer = await emulator.wait_for_bot_message(ada.chat_id, after_message_id=sent.message_id)
        process.send_signal(signal.SIGTERM)
        _, stderr_bytes = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    stderr = stderr_bytes.decode()

    assert "Welcome to Tallybot" in answer.text
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert emulator.token.split(":")[1] not in stderr
