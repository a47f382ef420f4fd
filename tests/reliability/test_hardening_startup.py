"""Issue 12, findings 1, 7 and 12: one instance per bot token and database, rotation refused while a bot runs, and
start-up failures said in one line. Each test starts the real `tallybot` command (tests/reliability/bot_process.py)
against the Telegram Bot API emulator in this process."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.botapi import BotApiEmulator
from tests.reliability.bot_process import UP, BotProcess, clean_environment, run_tallybot, start_tallybot


@pytest.fixture
async def telegram() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator() as emulator:
        yield emulator


def bot_environment(telegram: BotApiEmulator, data_dir: Path, **values: str) -> dict[str, str]:
    return clean_environment(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TALLYBOT_DATA_DIR=str(data_dir),
        **values,
    )


def one_error_line(bot: BotProcess) -> str:
    """The process said exactly one line that is not a log record, with no traceback; that line."""
    lines = bot.problem_lines()
    assert "Traceback" not in bot.output(), bot.output()
    assert len(lines) == 1, bot.output()
    assert lines[0].startswith("tallybot: error: "), lines
    return lines[0]


async def test_a_second_instance_on_the_same_token_and_database_is_refused_naming_the_first(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    env = bot_environment(telegram, tmp_path / "data")
    first = start_tallybot(tmp_path, env, name="first")
    try:
        await first.wait_for(UP)
        second = start_tallybot(tmp_path, env, name="second")
        try:
            code = await second.exited(timeout=60)
        finally:
            second.stop()
        line = one_error_line(second)
        assert code != 0
        assert "already running" in line
        assert f"pid {first.pid}" in line and f"host {socket.gethostname()}" in line, line
        assert first.process.poll() is None, "the first instance keeps running"

        user = telegram.add_user(7001, "Ada")
        sent = await telegram.send_message(user, "/help")
        reply = await telegram.wait_for_bot_message(user.chat_id, after_message_id=sent.message_id, timeout=30)
        assert reply.text
        first.signal()
        assert await first.exited(timeout=60) == 0
    finally:
        first.stop()


async def test_rotating_the_master_key_is_refused_while_a_bot_holds_the_database(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    env = bot_environment(telegram, data_dir)
    bot = start_tallybot(tmp_path, env, name="bot")
    try:
        await bot.wait_for(UP)
        key_before = (data_dir / "master.key").read_bytes()
        refused = await run_tallybot(tmp_path, env, "rotate-master-key")
        line = one_error_line(refused)
        assert refused.process.returncode != 0
        assert "stop the bot first" in line and f"pid {bot.pid}" in line, line
        assert (data_dir / "master.key").read_bytes() == key_before, "the key file is untouched"

        bot.signal()
        assert await bot.exited(timeout=60) == 0
        rotated = await run_tallybot(tmp_path, env, "rotate-master-key")
        assert rotated.process.returncode == 0, rotated.output()
        assert (data_dir / "master.key").read_bytes() != key_before
    finally:
        bot.stop()


async def test_a_409_conflict_from_get_updates_stops_the_bot_with_one_line(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    """Another poller on the same token, on another database (so the instance lock cannot see it)."""
    first = start_tallybot(tmp_path, bot_environment(telegram, tmp_path / "one"), name="first")
    second: BotProcess | None = None
    try:
        await first.wait_for(UP)
        second = start_tallybot(tmp_path, bot_environment(telegram, tmp_path / "two"), name="second")
        code = await first.exited(timeout=60)
        line = one_error_line(first)
        assert code != 0
        assert "409 Conflict" in line and "only one instance may run per token" in line, line
    finally:
        first.stop()
        if second is not None:
            second.stop()
