"""Issue 12, findings 1, 7 and 12: one instance per bot token and database, rotation refused while a bot runs, and
start-up failures said in one line. Each test starts the real `tallybot` command (tests/reliability/bot_process.py)
against the Telegram Bot API emulator in this process."""

from __future__ import annotations

import base64
import ctypes
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.settings import SQLITE_FILE_NAME, Settings
from bot.vault import Vault, generate_key, load_key_ring
from db.engine import Database
from db.migrate import upgrade_to_head
from sandbox.botapi import BotApiEmulator
from tests.postgres import fresh_database
from tests.reliability.bot_process import UP, BotProcess, clean_environment, run_tallybot, start_tallybot


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


async def test_on_postgresql_a_second_instance_and_a_rotation_are_refused_while_a_bot_runs(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    """The same lease on PostgreSQL, where the lease decision is serialised by a table lock, not SQLite's writer."""
    async with fresh_database() as url:
        new, old = base64.b64encode(generate_key()).decode(), base64.b64encode(generate_key()).decode()
        env = bot_environment(telegram, tmp_path / "data", DATABASE_URL=url, TALLYBOT_MASTER_KEY=f"{new},{old}")
        first = start_tallybot(tmp_path, env, name="first")
        try:
            await first.wait_for(UP)
            second = await run_tallybot(tmp_path, env, "run", timeout=60)
            rotation = await run_tallybot(tmp_path, env, "rotate-master-key", timeout=60)
            assert f"pid {first.pid}" in one_error_line(second) and "already running" in one_error_line(second)
            assert f"pid {first.pid}" in one_error_line(rotation) and "stop the bot first" in one_error_line(rotation)
            assert first.process.poll() is None
            first.signal()
            assert await first.exited(timeout=60) == 0
            rotated = await run_tallybot(tmp_path, env, "rotate-master-key", timeout=60)
            assert rotated.process.returncode == 0, rotated.output()
        finally:
            first.stop()


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


# -- finding 12: start-up failures in one line ---------------------------------------------------------------------


async def store_a_key(data_dir: Path, **settings_values: Any) -> None:
    """A user with a connected account whose secrets are sealed under the data directory's key ring."""
    settings = Settings(data_dir=data_dir, **settings_values)
    database = Database(settings.effective_database_url)
    try:
        await upgrade_to_head(database)
        await IntegrationService(database, Vault(load_key_ring(settings))).connect(
            7001,
            exchange_id="binance",
            key_type="normal",
            account_name="Binance-1",
            fields={"apiKey": Secret("canary-api-key-0123456789"), "secret": Secret("canary-secret-9876543210")},
            options=AdvancedOptions(),
        )
    finally:
        await database.dispose()


def without_permission_override() -> None:
    """Root writes into any directory: the child drops the capabilities that let it (CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH) from its bounding set before exec, so file permissions apply to it as to anyone."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


PR_CAPBSET_DROP = 24
SECRET_PASSWORD = "pw-never-shown-4821"


async def test_start_up_failures_are_one_line_each_without_secrets(
    telegram: BotApiEmulator, tmp_path: Path, measured: Callable[..., None]
) -> None:
    """Each broken environment an operator meets, and what `tallybot run` says: one line naming the fix."""
    cases: dict[str, tuple[dict[str, str], str]] = {}
    token = telegram.token

    def case(name: str, expected: str, **values: str) -> Path:
        data_dir = tmp_path / name / "data"
        data_dir.mkdir(parents=True)
        cases[name] = (bot_environment(telegram, data_dir, **values), expected)
        return data_dir

    case(
        "unreachable_database",
        "cannot reach the database at postgresql+asyncpg://tallybot:***@127.0.0.1:1/tallybot",
        DATABASE_URL=f"postgresql+asyncpg://tallybot:{SECRET_PASSWORD}@127.0.0.1:1/tallybot",
        TALLYBOT_MASTER_KEY=base64.b64encode(generate_key()).decode(),
    )
    garbage = case("corrupt_sqlite", "is not an SQLite database")
    (garbage / SQLITE_FILE_NAME).write_bytes(bytes(range(256)) * 64)

    truncated = case("truncated_sqlite", "is truncated")
    await store_a_key(truncated)
    whole = (truncated / SQLITE_FILE_NAME).read_bytes()
    (truncated / SQLITE_FILE_NAME).write_bytes(whole[: len(whole) // 2])

    emptied = case("empty_sqlite_with_a_key_file", "is empty (0 bytes) but master.key")
    await store_a_key(emptied)
    (emptied / SQLITE_FILE_NAME).write_bytes(b"")

    rejected = case("rejected_token", "Telegram rejected TELEGRAM_BOT_TOKEN")
    cases["rejected_token"][0]["TELEGRAM_BOT_TOKEN"] = token.split(":")[0] + ":" + "x" * 35
    del rejected

    case("unreachable_telegram", "cannot reach Telegram's Bot API")
    cases["unreachable_telegram"][0]["TELEGRAM_API_BASE_URL"] = "http://127.0.0.1:1/bot"
    case("missing_token", "TELEGRAM_BOT_TOKEN is not set")
    del cases["missing_token"][0]["TELEGRAM_BOT_TOKEN"]
    case("malformed_master_key", "TALLYBOT_MASTER_KEY holds a value that is not base64", TALLYBOT_MASTER_KEY="%%%")
    case("malformed_allowed_users", "TALLYBOT_ALLOWED_USERS is invalid", TALLYBOT_ALLOWED_USERS="ada,bob")
    case("malformed_log_level", "LOG_LEVEL is invalid", LOG_LEVEL="LOUD")
    case("malformed_timeout", "TALLYBOT_ASSISTANT_TIMEOUT is invalid", TALLYBOT_ASSISTANT_TIMEOUT="-5")

    results: dict[str, BotProcess] = {}
    for name, (env, _) in cases.items():
        results[name] = await run_tallybot(tmp_path / name, env, "run", timeout=90)

    # `tallybot migrate` makes the same checks.
    results["migrate_on_a_truncated_file"] = await run_tallybot(
        tmp_path / "truncated_sqlite", cases["truncated_sqlite"][0], "migrate"
    )
    cases["migrate_on_a_truncated_file"] = cases["truncated_sqlite"]

    read_only = tmp_path / "read_only"
    (read_only / "data").mkdir(parents=True)
    (read_only / "data").chmod(0o555)
    env = bot_environment(telegram, read_only / "data")
    preexec = without_permission_override if os.geteuid() == 0 else None
    bot = start_tallybot(read_only, env, name="run", preexec=preexec)
    await bot.exited(90)
    results["read_only_data_directory"] = bot
    cases["read_only_data_directory"] = (env, "cannot be written")

    measured(broken_environments=len(results))
    for name, bot in results.items():
        expected = cases[name][1]
        line = one_error_line(bot)
        assert bot.process.returncode not in (0, None), (name, bot.output())
        assert expected in line, (name, line)
        assert SECRET_PASSWORD not in bot.output(), name
        assert token.split(":")[1] not in bot.output() and "x" * 35 not in bot.output(), name


# -- finding 6: a wrong or missing master key ----------------------------------------------------------------------


async def test_a_missing_or_wrong_master_key_stops_the_start_naming_the_fix(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    """Before: with master.key deleted the bot made a new key over a database of sealed credentials, and with a
    wrong TALLYBOT_MASTER_KEY it started; either way every /sync then hung at "⏸ waiting" while /status was 🟢."""
    deleted = tmp_path / "deleted" / "data"
    await store_a_key(deleted)
    (deleted / "master.key").unlink()
    missing = await run_tallybot(deleted.parent, bot_environment(telegram, deleted), "run", timeout=90)

    right, wrong = generate_key(), generate_key()
    other = tmp_path / "wrong" / "data"
    await store_a_key(other, master_key=base64.b64encode(right).decode())
    env = bot_environment(telegram, other, TALLYBOT_MASTER_KEY=base64.b64encode(wrong).decode())
    mistaken = await run_tallybot(other.parent, env, "run", timeout=90)
    rotation = await run_tallybot(other.parent, env, "rotate-master-key", timeout=90)

    line = one_error_line(missing)
    assert missing.process.returncode not in (0, None)
    assert "master.key is missing but the database holds 1 stored key(s)" in line, line
    assert not (deleted / "master.key").exists(), "no new key file was made over the stored credentials"
    for refused in (mistaken, rotation):
        line = one_error_line(refused)
        assert refused.process.returncode not in (0, None)
        assert "which is not in the key ring" in line and "restore the master key" in line, line


QUERY_CANARY = "canary-in-the-query-5530"


async def test_a_malformed_database_url_or_a_password_in_its_query_is_one_line_without_the_secret(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    """README: each start-up failure is one line on stderr, exit status 2, the URL shown with its secrets hidden.
    `render_as_string(hide_password=True)` leaves the query string alone, and a URL SQLAlchemy cannot parse, or one
    naming a driver our engine does not use, failed before the checks with a traceback."""
    key = base64.b64encode(generate_key()).decode()
    urls = {
        "password_in_the_query": (
            f"postgresql+asyncpg://tallybot@127.0.0.1:1/tallybot?password={QUERY_CANARY}&ssl=disable",
            "cannot reach the database at postgresql+asyncpg://tallybot@127.0.0.1:1/tallybot?password=***",
        ),
        # A bare postgresql:// is psycopg to SQLAlchemy, installed for the job queue yet not the engine's driver.
        "sync_driver": (
            f"postgresql://tallybot:{QUERY_CANARY}@127.0.0.1:1/tallybot",
            "DATABASE_URL names the database driver postgresql, which Tallybot does not use: "
            "write it as postgresql+asyncpg://",
        ),
        "unparsable": (f"tallybot:{QUERY_CANARY} at 127.0.0.1", "DATABASE_URL is not a database URL"),
        "port_not_a_number": (
            f"postgresql+asyncpg://tallybot:{QUERY_CANARY}@127.0.0.1:pg/tb",
            "DATABASE_URL is malformed",
        ),
    }
    for name, (url, expected) in urls.items():
        data_dir = tmp_path / name / "data"
        data_dir.mkdir(parents=True)
        env = bot_environment(telegram, data_dir, DATABASE_URL=url, TALLYBOT_MASTER_KEY=key)
        bot = await run_tallybot(tmp_path / name, env, "run", timeout=60)
        line = one_error_line(bot)
        assert expected in line, (name, line)
        assert bot.process.returncode == 2, (name, bot.output())
        assert QUERY_CANARY not in bot.output(), (name, bot.output())
