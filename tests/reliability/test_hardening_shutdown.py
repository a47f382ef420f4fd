"""Issue 12, findings 6 (second half) and 11, and the shutdown warning of 13: what users see when the bot process
stops in the middle of a sync — killed (SIGKILL), stopped (SIGTERM), or hit by an unexpected error (a full disk).

The real `tallybot run` (tests/reliability/bot_process.py) syncs a scripted Binance account from the emulator in this
process; every answer of the emulator is delayed, so a sync lasts long enough to be interrupted in the middle."""

from __future__ import annotations

import asyncio
import resource
import signal
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.integrations import AdvancedOptions, IntegrationService
from bot.secret import Secret
from bot.settings import Settings
from bot.vault import Vault, load_key_ring
from db.engine import Database
from db.migrate import upgrade_to_head
from i18n import t
from sandbox.botapi import BotApiEmulator, ChatMessage, UserHandle
from sandbox.exchanges import AccountProfile, BinanceEmulator, BinanceLimits
from sandbox.exchanges.base import delay
from tests.assistant_story import Walker
from tests.files.samples import BINANCE_TRADE_HEADER, csv_bytes
from tests.reliability.bot_process import UP, BotProcess, clean_environment, start_tallybot

USER = 1001
ACCOUNT = AccountProfile(
    years=1.0, traded_markets=5, trades=60, deposits=6, withdrawals=4, converts=3, transfers=4, rewards=4
)
SYNCING = "Syncing…"
ANSWER_DELAY = 0.25  # seconds per exchange answer: a sync takes tens of seconds


def big_binance_export(rows: int = 50_000) -> bytes:
    """A Binance spot trade export (the columns of its "Trade History" file) long enough to take a while to read."""
    start = datetime(2022, 1, 1, tzinfo=UTC)
    lines: list[list[object]] = [list(BINANCE_TRADE_HEADER)]
    for n in range(rows):
        when = (start + timedelta(seconds=n * 37)).strftime("%Y-%m-%d %H:%M:%S")
        amount = f"0.{n % 997 + 1:08}"
        lines.append(
            [when, "ETHUSDT", "BUY" if n % 3 else "SELL", "2500.5", f"{amount}ETH", f"{n}.25USDT", "0.00001BNB"]
        )
    return csv_bytes(lines, quote_all=True)


@pytest.fixture
async def binance() -> AsyncIterator[BinanceEmulator]:
    limits = BinanceLimits(sapi_uid_weight_per_minute=100_000_000)
    async with BinanceEmulator(seed=41, profile=ACCOUNT, listed_symbols=20, limits=limits) as emulator:
        emulator.faults.inject(delay(ANSWER_DELAY), times=None)
        yield emulator


async def connected_account(data_dir: Path, binance: BinanceEmulator) -> None:
    settings = Settings(data_dir=data_dir)
    database = Database(settings.effective_database_url)
    try:
        await upgrade_to_head(database)
        key = binance.create_demo_keys().read_only
        await IntegrationService(database, Vault(load_key_ring(settings))).connect(
            USER,
            exchange_id="binance",
            key_type="default",
            account_name="Binance-1",
            fields={"apiKey": Secret(key.api_key), "secret": Secret(key.secret)},
            options=AdvancedOptions(sync_from=date.today() - timedelta(days=400)),
        )
    finally:
        await database.dispose()


def environment(telegram: BotApiEmulator, binance: BinanceEmulator, data_dir: Path) -> dict[str, str]:
    return clean_environment(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        TALLYBOT_DATA_DIR=str(data_dir),
        EXCHANGE_URL_OVERRIDES=f"binance={binance.base_url}",
    )


async def started_bot(workdir: Path, env: dict[str, str], name: str) -> BotProcess:
    bot = start_tallybot(workdir, env, name=name)
    await bot.wait_for(UP)
    return bot


async def sync_under_way(telegram: BotApiEmulator, ada: UserHandle) -> ChatMessage:
    """/sync, and the progress message once the sync has committed records."""
    sent = await telegram.send_message(ada, "/sync")
    progress = await telegram.wait_for_bot_message(
        USER, after_message_id=sent.message_id, predicate=lambda m: SYNCING in (m.text or ""), timeout=60
    )
    await wait_for_text(telegram, progress, lambda text: " new" in text or "fetched" in text, timeout=60)
    return progress


async def wait_for_text(
    telegram: BotApiEmulator, message: ChatMessage, wanted: Callable[[str], bool], timeout: float = 30.0
) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = telegram.message(message.chat_id, message.message_id).text or ""
        if wanted(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"the message never matched; it says: {text!r}")
        await asyncio.sleep(0.1)


async def answer_to(telegram: BotApiEmulator, ada: UserHandle, text: str) -> str:
    sent = await telegram.send_message(ada, text)
    reply = await telegram.wait_for_bot_message(USER, after_message_id=sent.message_id, timeout=30)
    return reply.text or ""


async def test_after_sigkill_the_next_instance_closes_the_progress_message_and_frees_the_account_at_once(
    telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path
) -> None:
    """Before: "🔄 Syncing…" for ever, and for two minutes /sync said "already running" and /status "⏳ running"."""
    ada = telegram.add_user(USER, "Ada", started=True)
    data_dir = tmp_path / "data"
    await connected_account(data_dir, binance)
    env = environment(telegram, binance, data_dir)
    first = await started_bot(tmp_path, env, "first")
    try:
        progress = await sync_under_way(telegram, ada)
        first.signal(signal.SIGKILL)
        await first.exited(30)
    finally:
        first.stop()

    second = await started_bot(tmp_path, env, "second")
    try:
        closed = await wait_for_text(telegram, progress, lambda text: SYNCING not in text, timeout=30)
        assert closed == t("closing.sync.interrupted"), closed
        status = await answer_to(telegram, ada, "/status")
        assert "⏳" not in status, status
        again = await answer_to(telegram, ada, "/sync")
        assert "already running" not in again and SYNCING in again, again
    finally:
        second.signal()
        await second.exited(60)
        second.stop()


async def test_sigterm_cancels_a_running_sync_promptly_and_says_so_in_its_progress_message(
    telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path, measured: Callable[..., None]
) -> None:
    """Before: the message stayed "🔄 Syncing…"; shutdown logged "Task was destroyed but it is pending!"."""
    ada = telegram.add_user(USER, "Ada", started=True)
    data_dir = tmp_path / "data"
    await connected_account(data_dir, binance)
    env = environment(telegram, binance, data_dir)
    bot = await started_bot(tmp_path, env, "bot")
    try:
        progress = await sync_under_way(telegram, ada)
        asked = time.monotonic()
        bot.signal(signal.SIGTERM)
        code = await bot.exited(60)
        took = time.monotonic() - asked
    finally:
        bot.stop()
    closed = telegram.message(progress.chat_id, progress.message_id).text or ""
    assert code == 0, bot.output()
    assert "Stopped: the bot is shutting down" in closed and "run /sync to continue" in closed, closed
    measured(seconds_from_sigterm_to_exit=round(took, 2))
    assert took < 10, f"stopping took {took:.1f} s"
    assert "Task was destroyed but it is pending" not in bot.output(), bot.output()
    assert "Traceback" not in bot.output(), bot.output()

    again = await started_bot(tmp_path, env, "again")
    try:
        assert "already running" not in await answer_to(telegram, ada, "/sync")
    finally:
        again.signal()
        await again.exited(60)
        again.stop()


async def test_a_full_disk_in_the_middle_of_a_sync_closes_its_progress_message_with_an_apology(
    telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path
) -> None:
    """The bot's file size limit drops to one byte mid-sync (prlimit on the running process): every write of the
    database fails as on a full disk. Before: the message stayed "🔄 Syncing…" for ever."""
    ada = telegram.add_user(USER, "Ada", started=True)
    data_dir = tmp_path / "data"
    await connected_account(data_dir, binance)
    bot = await started_bot(tmp_path, environment(telegram, binance, data_dir), "bot")
    try:
        progress = await sync_under_way(telegram, ada)
        resource.prlimit(bot.pid, resource.RLIMIT_FSIZE, (1, 1))
        closed = await wait_for_text(telegram, progress, lambda text: SYNCING not in text, timeout=60)
        assert "Sorry, the sync stopped on an unexpected problem on our side" in closed, closed
        assert bot.process.poll() is None, "the bot keeps running"
    finally:
        bot.stop()


async def test_sigterm_during_an_upload_stops_it_promptly_and_says_so(
    telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path, measured: Callable[..., None]
) -> None:
    """Before: SIGTERM waited for the running import to end (PTB waits for every running update)."""
    walker = Walker(telegram, telegram.add_user(USER, "Ada", started=True))
    data_dir = tmp_path / "data"
    await connected_account(data_dir, binance)
    bot = await started_bot(tmp_path, environment(telegram, binance, data_dir), "bot")
    try:
        sent = await telegram.send_document(
            walker.user, filename="trades.csv", content=big_binance_export(), mime_type="text/csv"
        )
        await walker.reply_to(sent, "Which account")
        reading = await walker.press_for("Binance-1", "trades.csv")
        await asyncio.sleep(0.5)  # the file is being read
        asked = time.monotonic()
        bot.signal(signal.SIGTERM)
        code = await bot.exited(60)
        took = time.monotonic() - asked
    finally:
        bot.stop()
    closed = telegram.message(reading.chat_id, reading.message_id).text or ""
    assert code == 0, bot.output()
    assert "This upload stopped: the bot is shutting down" in closed, closed
    measured(rows_in_file=50_000, seconds_from_sigterm_to_exit=round(took, 2))
    assert took < 10, f"stopping took {took:.1f} s"


async def test_an_upload_stopped_by_an_unexpected_error_is_closed_and_leaves_no_task_pending_at_shutdown(
    telegram: BotApiEmulator, binance: BinanceEmulator, tmp_path: Path
) -> None:
    """Finding 13 in part. Before: an import that failed on something unexpected left "📥 Reading…" open, and its
    edit task pending: at shutdown asyncio logged "Task was destroyed but it is pending!" (LiveMessage._run). The
    unexpected error here is a full disk (the file size limit of the running bot drops to one byte)."""
    walker = Walker(telegram, telegram.add_user(USER, "Ada", started=True))
    data_dir = tmp_path / "data"
    await connected_account(data_dir, binance)
    bot = await started_bot(tmp_path, environment(telegram, binance, data_dir), "bot")
    try:
        sent = await telegram.send_document(
            walker.user, filename="trades.csv", content=big_binance_export(), mime_type="text/csv"
        )
        await walker.reply_to(sent, "Which account")
        reading = await walker.press_for("Binance-1", "trades.csv")
        # The disk fills once the import is under way: the press first claims the waiting upload (a write), and a
        # claim refused by a full disk is an error before anything is read, not the one this test is about.
        await wait_for_text(telegram, reading, lambda text: "Reading" in text, 30)
        _, hard = resource.prlimit(bot.pid, resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY))
        closed = await wait_for_text(telegram, reading, lambda text: "Sorry" in text or "imported" in text, 60)
        resource.prlimit(bot.pid, resource.RLIMIT_FSIZE, (hard, hard))  # the log can be written again
        bot.signal(signal.SIGTERM)
        code = await bot.exited(60)
    finally:
        bot.stop()
    assert "Sorry, this upload stopped on an unexpected problem on our side" in closed, closed
    assert code == 0, bot.output()
    assert "Task was destroyed but it is pending" not in bot.output(), bot.output()
