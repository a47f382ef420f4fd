"""Claiming a pending upload (bot/pending_uploads.py): one claim wins, only the sender's, only while fresh; given
back, it keeps its age. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.imports import ImportReport, ImportService, NewAccount, template_csv
from bot.pending_uploads import CLAIM_LEASE, PENDING_TTL, ClaimLost, PendingUploads, Upload
from db.engine import Database
from db.models import Integration, Transaction

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
