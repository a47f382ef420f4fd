"""Issue 12, findings 2, 5 and 9: uploads and exports a hostile user (or the bot's own advice) turned against it.

Finding 5: a Bitget file without a time zone, imported again after /settings changed the zone, is moved to the
corrected times instead of stored twice (and rows stored by earlier versions are recognised too).

Finding 2: files small on the wire and huge once read (tests/reliability/file_bombs.py), sent to the real bot: each
is refused with a message naming the limit and what to do, within the read limit, without the bot's process
growing, and other users are answered meanwhile.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import select
from telegram.ext import Application

from bot.context import SERVICES_KEY, Services
from connectors.files import StoredRecords, parse
from connectors.files.isolated import WORKER_GRACE_SECONDS
from connectors.files.limits import MAX_READ_SECONDS
from connectors.files.matching import plan_import
from db.models import Transaction
from db.repositories import TransactionRepository
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot, settings_for
from tests.files import samples
from tests.reliability import file_bombs
from tests.reliability.file_bombs import Bomb, Builder

pytestmark = pytest.mark.asyncio(loop_scope="module")

GENERATED_BOMBS = 8
LONG_GENERATED_BOMBS = 60
ANSWER_TIMEOUT = MAX_READ_SECONDS + WORKER_GRACE_SECONDS + 30
GROWTH_ALLOWED_MB = 150  # the upload itself (≤ 20 MB), its download and the test's own copy
FIXED = [k for k in file_bombs.EVERY_KIND if k is not file_bombs.element_flood]


@dataclass
class Bot:
    telegram: BotApiEmulator
    app: Application  # type: ignore[type-arg]
    ids: itertools.count[int]

    @property
    def services(self) -> Services:
        found: Services = self.app.bot_data[SERVICES_KEY]
        return found

    def user(self) -> Walker:
        user_id = next(self.ids)
        return Walker(self.telegram, self.telegram.add_user(user_id, f"User{user_id}", started=True))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Bot]:
    async with BotApiEmulator() as telegram:
        folder: Path = tmp_path_factory.mktemp("hardening-files") / "data"
        async with running_bot(settings_for(telegram, folder)) as app:
            yield Bot(telegram, app, itertools.count(12_000_001))


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def worker_peak_mb(caplog: pytest.LogCaptureFixture) -> int:
    """The workbook worker's own peak (it logs it); the cap when it was stopped before it could say."""
    said = " ".join(r.getMessage() for r in caplog.records if r.name == "connectors.files.isolated")
    return max((int(found) for found in re.findall(r"peak memory (\d+) MB", said)), default=0)


@dataclass
class Outcome:
    answer: str
    seconds: float
    growth_mb: int


async def send_bomb(bot: Bot, walker: Walker, bomb: Bomb) -> Outcome:
    """Upload the bomb into a new file-only Binance account, as a user would; the bot's final answer."""
    before = rss_mb()
    sent = await bot.telegram.send_document(walker.user, filename=bomb.filename, content=bomb.data)
    await walker.reply_to(sent, "Which account")
    await walker.press_for("New file-only account", "Which exchange")
    started = time.monotonic()
    answer = await walker.press_for("Binance", "❌", timeout=ANSWER_TIMEOUT)
    return Outcome(answer.text or "", time.monotonic() - started, rss_mb() - before)


async def check_refused(
    bot: Bot, bomb: Bomb, caplog: pytest.LogCaptureFixture, walker: Walker | None = None
) -> Outcome:
    caplog.set_level(logging.INFO, logger="connectors.files.isolated")
    walker = walker or bot.user()
    outcome = await send_bomb(bot, walker, bomb)
    assert any(words in outcome.answer for words in bomb.refusal), (bomb.kind, outcome.answer)
    assert outcome.growth_mb < GROWTH_ALLOWED_MB, (bomb.kind, outcome.growth_mb)
    assert await bot.services.integrations.list(walker.user.user_id) == [], "the account made for it is removed"
    assert errors(caplog) == []
    return outcome


@pytest.mark.parametrize("build", FIXED, ids=[k.__name__ for k in FIXED])
async def test_a_file_bomb_is_refused_naming_the_limit(
    bot: Bot, build: Builder, caplog: pytest.LogCaptureFixture, measured: Callable[..., None]
) -> None:
    bomb = build()
    outcome = await check_refused(bot, bomb, caplog)

    measured(bytes=len(bomb.data), seconds=round(outcome.seconds, 1), worker_peak_mb=worker_peak_mb(caplog))


async def test_other_users_are_answered_while_a_bomb_is_read(
    bot: Bot, caplog: pytest.LogCaptureFixture, measured: Callable[..., None]
) -> None:
    """The element flood passes every counted limit and meets the worker's memory cap: the slowest bomb."""
    bomb = file_bombs.element_flood()
    attacker, bystander = bot.user(), bot.user()
    reading = asyncio.create_task(check_refused(bot, bomb, caplog, attacker))
    await asyncio.sleep(3)  # the upload and the presses that start the read
    waits: list[float] = []
    while not reading.done():
        started = time.monotonic()
        sent = await bystander.send("/help")
        await bystander.reply_to(sent, "/export", timeout=10)
        waits.append(time.monotonic() - started)
        await asyncio.sleep(0.5)
    outcome = await reading

    assert waits and max(waits) < 5, waits
    measured(
        seconds=round(outcome.seconds, 1),
        help_answers=len(waits),
        slowest_help_s=round(max(waits), 2),
    )


async def test_generated_file_bombs_are_refused(
    bot: Bot, long_run: bool, caplog: pytest.LogCaptureFixture, measured: Callable[..., None]
) -> None:
    builders: list[Builder] = []

    @settings(
        max_examples=LONG_GENERATED_BOMBS if long_run else GENERATED_BOMBS,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(file_bombs.bombs())
    def collect(build: Builder) -> None:
        builders.append(build)

    collect()
    kinds: set[str] = set()
    slowest = 0.0
    for build in builders:
        bomb = build()
        outcome = await check_refused(bot, bomb, caplog)
        kinds.add(bomb.kind)
        slowest = max(slowest, outcome.seconds)
        del bomb
    measured(bombs=len(builders), kinds=len(kinds), slowest_s=round(slowest, 1))


# --- finding 5: a file without a time zone, imported again after /settings (as the bot suggests) --------------------

BITGET_NO_ZONE = samples.csv_bytes(samples.BITGET_TRADES)  # "Date" without a zone: read in the user's zone
# Written by hand from samples.BITGET_TRADES: its wall times read in UTC, then in Asia/Shanghai (UTC+8).
AS_UTC = [datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC), datetime(2024, 6, 2, 18, 30, 10, tzinfo=UTC)]
AS_SHANGHAI = [datetime(2024, 6, 1, 1, 0, 0, tzinfo=UTC), datetime(2024, 6, 2, 10, 30, 10, tzinfo=UTC)]


async def stored_times(bot: Bot, integration_id: int) -> list[datetime]:
    async with bot.services.database.reader() as session:
        found = await session.scalars(
            select(Transaction.occurred_at)
            .where(Transaction.integration_id == integration_id)
            .order_by(Transaction.occurred_at)
        )
        return [moment.astimezone(UTC) for moment in found]


async def upload_to(walker: Walker, bot: Bot, account: str | None) -> str:
    sent = await bot.telegram.send_document(walker.user, filename="Bitget-trades.csv", content=BITGET_NO_ZONE)
    await walker.reply_to(sent, "Which account")
    if account is None:
        await walker.press_for("New file-only account", "Which exchange")
        answer = await walker.press_for("Bitget", "imported into")
    else:
        answer = await walker.press_for(account, "imported into")
    return answer.text or ""


async def set_zone(walker: Walker, zone: str) -> None:
    sent = await walker.send(f"/settings timezone {zone}")
    await walker.reply_to(sent, zone)


async def test_a_file_without_a_zone_imported_again_in_another_zone_is_moved_not_doubled(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    walker = bot.user()
    first = await upload_to(walker, bot, None)
    assert "New: 2" in first and "/settings" in first
    [account] = await bot.services.integrations.list(walker.user.user_id)
    assert await stored_times(bot, account.id) == AS_UTC

    await set_zone(walker, "Asia/Shanghai")  # the advice the report gave
    second = await upload_to(walker, bot, account.account_name)
    await set_zone(walker, "UTC")  # and back: still one copy of each trade
    third = await upload_to(walker, bot, account.account_name)

    assert "New: 0" in second and "Moved to the times read now: 2" in second
    assert "New: 0" in third
    assert await bot.services.integrations.transaction_count(walker.user.user_id, account.id) == 2
    assert await stored_times(bot, account.id) == AS_UTC
    assert errors(caplog) == []


async def test_rows_stored_by_earlier_versions_are_recognised_and_moved(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    walker = bot.user()
    integration = await bot.services.integrations.add_file_only(
        walker.user.user_id, exchange_id="bitget", account_name="Bitget-old"
    )
    # What the version before this fix stored for this file read in UTC: keys made of the UTC time.
    parsed = parse("Bitget-trades.csv", BITGET_NO_ZONE, user_timezone="UTC", exchange_id="bitget")
    legacy = plan_import(parsed.records, StoredRecords(), integration.id)
    async with bot.services.database.writer() as session:
        assert await TransactionRepository(session).insert_missing(legacy.new) == 2

    await set_zone(walker, "Asia/Shanghai")
    answer = await upload_to(walker, bot, "Bitget-old")

    assert "New: 0" in answer and "Moved to the times read now: 2" in answer
    assert await bot.services.integrations.transaction_count(walker.user.user_id, integration.id) == 2
    assert await stored_times(bot, integration.id) == AS_SHANGHAI
    assert errors(caplog) == []
