"""Claiming a pending upload (bot/pending_uploads.py): one claim wins, only the sender's, only while fresh; given
back, it keeps its age. A claim is a lease: a press whose process died holds the upload until CLAIM_LEASE has
passed, then the next press imports the file, once. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import SERVICES_KEY, Services
from bot.imports import ImportReport, ImportService, NewAccount, template_csv
from bot.pending_uploads import CLAIM_LEASE, PENDING_TTL, ClaimLost, PendingUploads, Upload
from bot.settings import Settings
from db.engine import Database
from db.models import Integration, Transaction
from db.types import utcnow
from i18n import t
from sandbox.botapi import BotApiEmulator
from tests.assistant_story import Walker
from tests.bot_harness import running_bot
from tests.reliability.bot_process import UP, clean_environment, start_tallybot
from tests.reliability.test_hardening_shutdown import big_binance_export
from tests.test_upload_claim_e2e import bot_settings, upload_to_new_binance_account

ADA, BOB = 1001, 1002
SENT_AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = SENT_AT

    def __call__(self) -> datetime:
        return self.now


async def test_of_five_claims_at_once_one_gets_the_upload(database: Database) -> None:
    uploads = PendingUploads(database, clock=Clock())
    sent = await uploads.add(ADA, "file-1", "Binance-trades.csv")

    claims = await asyncio.gather(*(PendingUploads(database, clock=Clock()).claim(ADA, sent.token) for _ in range(5)))

    assert [c.name for c in claims if c is not None] == ["Binance-trades.csv"]
    assert await uploads.get(ADA, sent.token) is None


async def test_another_users_claim_or_a_stale_one_takes_nothing(database: Database) -> None:
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "Binance-trades.csv")

    by_bob = await uploads.claim(BOB, sent.token)
    still_there = await uploads.get(ADA, sent.token)
    clock.now = SENT_AT + PENDING_TTL
    a_day_later = await uploads.claim(ADA, sent.token)

    assert by_bob is None and still_there is not None
    assert a_day_later is None, "a day old, the buttons are stale"


async def test_a_claim_given_back_keeps_its_age(database: Database) -> None:
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "Binance-trades.csv")
    clock.now = SENT_AT + timedelta(hours=23)
    claimed = await uploads.claim(ADA, sent.token)
    assert claimed is not None

    await uploads.restore(ADA, claimed)
    back = await uploads.get(ADA, sent.token)
    clock.now = SENT_AT + PENDING_TTL
    expired = await uploads.get(ADA, sent.token)

    assert back is not None and (back.file_id, back.name, back.created_at) == ("file-1", "Binance-trades.csv", SENT_AT)
    assert expired is None, "given back an hour before its day ends, it ends with its day"


# -- a claim is a lease: a press whose process died holds the upload only until CLAIM_LEASE has passed ------------


def template_report_counts(report: ImportReport) -> tuple[str, int, int]:
    return report.account_name, report.new, report.already_known


async def stored(database: Database) -> list[tuple[str, int]]:
    """Each account of the database with how many transactions it holds."""
    async with database.reader() as session:
        rows = await session.execute(
            sa.select(Integration.account_name, sa.func.count(Transaction.id))
            .join(Transaction, Transaction.integration_id == Integration.id, isouter=True)
            .group_by(Integration.account_name)
            .order_by(Integration.account_name)
        )
        return [(name, count) for name, count in rows]


async def imported(database: Database, uploads: PendingUploads, upload: Upload) -> ImportReport:
    """What a press does once it holds the upload: Tallybot's template (two rows) into a new Binance account, the
    upload deleted in the import's transaction."""
    return await ImportService(database).import_file(
        ADA,
        NewAccount("binance", "Binance"),
        upload.name,
        template_csv(),
        settle=lambda session: uploads.settle(session, ADA, upload),
    )


async def test_a_claim_whose_process_died_lapses_and_the_next_press_imports_the_file_once(database: Database) -> None:
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "history.csv")
    clock.now = SENT_AT + timedelta(minutes=5)
    died_holding = await uploads.claim(ADA, sent.token)  # the replica serving this press is killed here
    assert died_holding is not None

    clock.now = SENT_AT + timedelta(minutes=5) + CLAIM_LEASE - timedelta(seconds=1)
    while_held = await uploads.claim(ADA, sent.token), await uploads.get(ADA, sent.token)
    clock.now = SENT_AT + timedelta(minutes=5) + CLAIM_LEASE
    lapsed_get = await uploads.get(ADA, sent.token)
    next_press = await uploads.claim(ADA, sent.token)
    assert next_press is not None
    report = await imported(database, uploads, next_press)
    after_import = await uploads.claim(ADA, sent.token), await uploads.get(ADA, sent.token)

    assert while_held == (None, None), "a second before the lease ends, the dead press still holds the upload"
    assert lapsed_get is not None and (lapsed_get.file_id, lapsed_get.name) == ("file-1", "history.csv")
    assert (next_press.file_id, next_press.name, next_press.created_at) == ("file-1", "history.csv", SENT_AT)
    assert template_report_counts(report) == ("Binance-1", 2, 0)
    assert await stored(database) == [("Binance-1", 2)]
    assert after_import == (None, None), "imported: its buttons are stale"


async def test_a_live_claim_refuses_every_other_press_until_it_is_given_back(database: Database) -> None:
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "history.csv")
    holder = await uploads.claim(ADA, sent.token)
    assert holder is not None

    clock.now = SENT_AT + timedelta(minutes=9)  # a long import still running: its claim holds
    presses = [await uploads.claim(ADA, sent.token) for _ in range(3)]
    shown = await uploads.get(ADA, sent.token)
    await uploads.restore(ADA, holder)  # the import failed: the buttons work again at once, not after the lease
    after_restore = await uploads.claim(ADA, sent.token)

    assert presses == [None, None, None] and shown is None
    assert after_restore is not None and after_restore.name == "history.csv"


async def test_an_import_that_outlived_its_claim_keeps_nothing_and_the_press_that_took_it_imports_once(
    database: Database,
) -> None:
    """The lease is longer than an import can take; should one still overrun it, the file is not imported twice."""
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "history.csv")
    slow = await uploads.claim(ADA, sent.token)
    clock.now = SENT_AT + CLAIM_LEASE + timedelta(minutes=1)
    taken_over = await uploads.claim(ADA, sent.token)
    assert slow is not None and taken_over is not None

    with pytest.raises(ClaimLost):
        await imported(database, uploads, slow)
    after_slow = await stored(database)
    await uploads.restore(ADA, slow)  # the slow press's clean-up does not free the upload from the one holding it
    still_held = await uploads.claim(ADA, sent.token)
    report = await imported(database, uploads, taken_over)

    assert after_slow == [], "rolled back whole: not even the new account is left"
    assert still_held is None
    assert template_report_counts(report) == ("Binance-1", 2, 0), "Binance-1, not Binance-2"
    assert await stored(database) == [("Binance-1", 2)]


async def test_newer_uploads_do_not_push_out_one_being_imported(database: Database) -> None:
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    first = await uploads.add(ADA, "file-1", "first.csv")
    held = await uploads.claim(ADA, first.token)
    assert held is not None
    newer = []
    for minute in range(1, 4):  # three more: with the one held, one more than MAX_PENDING
        clock.now = SENT_AT + timedelta(minutes=minute)
        newer.append(await uploads.add(ADA, f"file-{minute + 1}", f"newer-{minute}.csv"))

    report = await imported(database, uploads, held)
    waiting = [await uploads.get(ADA, upload.token) for upload in newer]

    assert template_report_counts(report) == ("Binance-1", 2, 0)
    assert [u.name for u in waiting if u is not None] == ["newer-1.csv", "newer-2.csv", "newer-3.csv"]


async def test_a_press_during_the_imports_commit_finds_the_upload_gone_not_pending(database: Database) -> None:
    """The import deletes the upload first in its write transaction: a press arriving while that transaction is open
    (its claim lapsed, so nothing else would stop it) waits for the commit and finds the upload gone; there is no
    moment where the rows are stored and the upload still looks pending, or the reverse."""
    clock = Clock()
    uploads = PendingUploads(database, clock=clock)
    sent = await uploads.add(ADA, "file-1", "history.csv")
    holder = await uploads.claim(ADA, sent.token)
    assert holder is not None
    in_transaction, let_commit = asyncio.Event(), asyncio.Event()

    async def settle_then_wait(session: AsyncSession) -> None:
        await uploads.settle(session, ADA, holder)
        in_transaction.set()
        await let_commit.wait()

    importing = asyncio.create_task(
        ImportService(database).import_file(
            ADA, NewAccount("binance", "Binance"), holder.name, template_csv(), settle=settle_then_wait
        )
    )
    await in_transaction.wait()
    late = PendingUploads(database, clock=lambda: SENT_AT + CLAIM_LEASE)
    pressing = asyncio.create_task(late.claim(ADA, sent.token))
    await asyncio.sleep(0.3)  # the press is under way, held by the open transaction
    waited = not pressing.done()
    let_commit.set()
    report = await importing
    press = await pressing

    assert waited, "the press waits for the import's transaction"
    assert press is None, "after the commit the upload is gone"
    assert template_report_counts(report) == ("Binance-1", 2, 0)
    assert await stored(database) == [("Binance-1", 2)]


# -- the same through the bot: a replica claimed the press and died before it edited the message ------------------


async def test_through_the_bot_a_dead_replicas_claim_refuses_presses_until_it_lapses_then_one_imports_the_file(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, database_url: str, database: Database
) -> None:
    """Two files, each pressed on a replica that claimed it and was killed before it answered or edited the menu
    (the claim is that replica's first write; nothing else of the press happened). Its buttons still show. One was
    claimed just now: a press is refused. The other was claimed a lease ago (the bot's clock cannot be moved, so the
    dead replica's is set back): a press imports it once. Before, the claim deleted the row and both were lost."""
    async with running_bot(bot_settings(telegram, tmp_path, database_url)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        just_now = await upload_to_new_binance_account(ada, "just-now.csv", template_csv())
        held_menu = ada.last_menu("Binance")
        lease_ago = await upload_to_new_binance_account(ada, "lease-ago.csv", template_csv())
        lapsed_menu = ada.last_menu("Binance")
        assert held_menu.message_id != lapsed_menu.message_id
        dead_now = await PendingUploads(database).claim(ADA, just_now)
        dead_before = await PendingUploads(database, clock=lambda: utcnow() - CLAIM_LEASE).claim(ADA, lease_ago)
        assert dead_now is not None and dead_before is not None

        refused = await telegram.press_button(ada.user, held_menu, "Binance")
        await telegram.wait_until(lambda: telegram.callback_answer(refused) is not None)
        done = await ada.press_for("Binance", "imported into")  # the newest menu: the one claimed a lease ago
        accounts = await services.integrations.list(ADA)
        counts = [await services.integrations.transaction_count(ADA, a.id) for a in accounts]
        held_text = telegram.message(ada.chat_id, held_menu.message_id).text or ""
        answer = telegram.callback_answer(refused)
        afterwards = [await PendingUploads(database).get(ADA, token) for token in (just_now, lease_ago)]

    assert answer is not None and answer.text == t("button.stale"), "held by a press that may still be running"
    assert "Which exchange" in held_text, "the refused press left the menu as it was"
    assert done.message_id == lapsed_menu.message_id
    assert "New: 2" in (done.text or ""), done.text  # the template's two rows
    assert [(a.account_name, n) for a, n in zip(accounts, counts, strict=True)] == [("Binance-1", 2)]
    assert afterwards == [None, None], "one still held by the dead replica, the other imported"


async def test_through_the_bot_a_file_whose_rows_are_refused_ends_its_upload(
    telegram: BotApiEmulator, ada: Walker, tmp_path: Path, database_url: str, database: Database
) -> None:
    """Nothing is written, so no import transaction deletes the upload: the press does, and the report's "fix it and
    send the file again" is the only way on (a press of the same buttons would read the same bad row)."""
    bad_row = template_csv() + b"2024-03-02T08:00:00Z,trade,buy,BTC,lots,USDT,93,62000.5,,,BTC/USDT,,,,,,\n"
    async with running_bot(bot_settings(telegram, tmp_path, database_url)) as app:
        services: Services = app.bot_data[SERVICES_KEY]
        token = await upload_to_new_binance_account(ada, "history.csv", bad_row)
        refused = await ada.press_for("Binance", "Nothing was imported")
        accounts = await services.integrations.list(ADA)
        held_or_waiting = await PendingUploads(database, clock=lambda: utcnow() + CLAIM_LEASE).claim(ADA, token)

    assert "1 row could not be read" in (refused.text or ""), refused.text
    assert accounts == []
    assert held_or_waiting is None, "ended: not held by the press, not waiting for another"


# -- a real `tallybot run` killed with SIGKILL between the claim and the import's commit --------------------------

BIG_FILE_ROWS = 50_000  # tests/reliability/test_hardening_shutdown.py: long enough to be read for a while


async def test_a_bot_killed_between_the_claim_and_the_commit_leaves_the_upload_to_be_imported_once(
    telegram: BotApiEmulator, tmp_path: Path
) -> None:
    """The press claims the upload and the bot starts reading the file; SIGKILL. Nothing of the file is stored, the
    upload is still there (before, the claim had deleted it), held while the dead process's claim runs, and once it
    lapses the next press takes it and imports the whole file once."""
    walker = Walker(telegram, telegram.add_user(ADA, "Ada", started=True))
    data_dir = tmp_path / "data"
    env = clean_environment(
        TELEGRAM_BOT_TOKEN=telegram.token, TELEGRAM_API_BASE_URL=telegram.base_url, TALLYBOT_DATA_DIR=str(data_dir)
    )
    bot = start_tallybot(tmp_path, env, name="killed")
    try:
        await bot.wait_for(UP)
        sent = await telegram.send_document(
            walker.user, filename="trades.csv", content=big_binance_export(BIG_FILE_ROWS), mime_type="text/csv"
        )
        await walker.reply_to(sent, "Which account")
        await walker.press_for("New file-only account", "Which exchange")
        token = (walker.last_menu("Binance").buttons[0].callback_data or "").split(":")[1]
        await walker.press_for("Binance", "Reading")  # claimed: the claim is the press's first write
        bot.signal(signal.SIGKILL)
        await bot.exited(30)
    finally:
        bot.stop()

    database = Database(Settings(data_dir=data_dir).effective_database_url)
    try:
        left_by_the_kill = await stored(database)
        while_held = await PendingUploads(database).claim(ADA, token)
        next_press = await PendingUploads(database, clock=lambda: utcnow() + CLAIM_LEASE).claim(ADA, token)
        assert next_press is not None
        report = await ImportService(database).import_file(
            ADA,
            NewAccount("binance", "Binance"),
            next_press.name,
            telegram.file(next_press.file_id).content,
            settle=lambda session: PendingUploads(database).settle(session, ADA, next_press),
        )
        after = (
            await stored(database),
            await PendingUploads(database, clock=lambda: utcnow() + CLAIM_LEASE).get(ADA, token),
        )
    finally:
        await database.dispose()

    assert left_by_the_kill == [], "killed before the import's commit: no account, no rows"
    assert while_held is None, "the dead process's claim holds until it lapses"
    assert next_press.name == "trades.csv"
    assert (report.account_name, report.new, report.already_known) == ("Binance-1", BIG_FILE_ROWS, 0)
    assert after == ([("Binance-1", BIG_FILE_ROWS)], None)
