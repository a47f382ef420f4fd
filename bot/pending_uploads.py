"""Uploads waiting for the user to pick their account, in the database: the account buttons under a file may be
pressed on any webhook replica (or after a restart), so the upload they name cannot live in one process's memory.

Only Telegram's file id and the file's name are kept, never the file: it is fetched again from Telegram once an
account is picked. A user has at most MAX_PENDING waiting (a newer upload pushes the oldest out), none older than
PENDING_TTL, and "delete all my data" deletes them all.

A press that imports claims its upload first (`claim`: one UPDATE … RETURNING marks the row as held by this press
for CLAIM_LEASE), so two presses served at once by two replicas import the file once; the flow gives it back
(`restore`) when it asks a question or the import fails or stops, and the import deletes it in its own write
transaction (`settle`), so the file's rows and the end of the upload commit together or not at all. A process killed
between the claim and that commit leaves the row claimed: once the lease lapses its buttons work again and a press
imports the file once (never half of an import: the import and a new account it makes are one transaction,
bot/imports.py). An import still running when its lease lapsed is rolled back at its commit if a later press took
the upload meanwhile (ClaimLost), so the file is never imported by both.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import PendingUpload
from db.repositories.pending_uploads import PendingUploadRepository
from db.types import utcnow

MAX_PENDING = 3
# A file's buttons work for a day: long enough to come back to it, short enough that its name is not kept for good.
PENDING_TTL = timedelta(days=1)
# How long a press holds its upload: longer than an import can take, so that only a dead process's claim lapses.
# Reading is cut at MAX_READ_SECONDS (a workbook's worker process is killed WORKER_GRACE_SECONDS later: 135 s), after
# a wait for one of MAX_WORKERS workbook readers (another 135 s if both are busy); the file is at most 20 MB
# (Telegram's download limit) and its at most 250,000 rows (MAX_ROWS) are written in about 8 s on SQLite (31,000
# rows/s, docs/BENCHMARKS.md §2). About 5 minutes in all: twice that leaves room for the download and the writer
# lock. An import that still overruns it loses nothing and doubles nothing (ClaimLost).
CLAIM_LEASE = timedelta(minutes=10)


@dataclass(frozen=True)
class Upload:
    token: str  # what the buttons carry (bot/callback_codec.py NONCE shape)
    file_id: str
    name: str
    created_at: datetime  # kept on restore: a claim given back does not make the upload live longer
    claim: str = ""  # the press holding it, when claimed: only that press gives it back or settles it


class ClaimLost(Exception):
    """The press's claim no longer holds the upload: it lapsed and a later press took it, or the upload was deleted
    (newer uploads, "delete all my data"). Raised inside the import's transaction, so nothing of it is kept."""


class PendingUploads:
    def __init__(self, database: Database, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.clock = clock

    async def add(self, telegram_user_id: int, file_id: str, name: str) -> Upload:
        now = self.clock()
        upload = Upload(secrets.token_urlsafe(6), file_id, name, now)
        async with self.database.writer() as session:
            repository = PendingUploadRepository(session)
            repository.add(
                PendingUpload(
                    token=upload.token,
                    telegram_user_id=telegram_user_id,
                    file_id=file_id,
                    file_name=name,
                    created_at=now,
                )
            )
            await session.flush()
            await repository.keep_newest(telegram_user_id, MAX_PENDING, newer_than=now - PENDING_TTL, now=now)
        return upload

    async def get(self, telegram_user_id: int, token: str) -> Upload | None:
        """The presser's own upload behind a button, while it is fresh and no press holds it; None for a forged,
        stale, finished or claimed one."""
        now = self.clock()
        async with self.database.reader() as session:
            row = await PendingUploadRepository(session).owned(telegram_user_id, token, unclaimed_at=now)
            if row is None or row.created_at <= now - PENDING_TTL:
                return None
            return Upload(row.token, row.file_id, row.file_name, row.created_at)

    async def claim(self, telegram_user_id: int, token: str) -> Upload | None:
        """The presser's fresh upload, held for this press alone for CLAIM_LEASE; None if forged, stale, finished or
        held by a press being served meanwhile (a double press, or the same press on two replicas). A claim whose
        process died lapses, and the upload can be claimed again."""
        now = self.clock()
        claim = secrets.token_urlsafe(6)
        async with self.database.writer() as session:
            row = await PendingUploadRepository(session).claim(
                telegram_user_id,
                token,
                claim=claim,
                now=now,
                until=now + CLAIM_LEASE,
                newer_than=now - PENDING_TTL,
            )
            return None if row is None else Upload(row.token, row.file_id, row.file_name, row.created_at, claim)

    async def restore(self, telegram_user_id: int, upload: Upload) -> None:
        """Give a claimed upload back: its buttons work again (a question was asked, or the import failed). Nothing
        happens if the claim no longer holds it (deleted meanwhile, or taken by a later press once it lapsed)."""
        async with self.database.writer() as session:
            await PendingUploadRepository(session).release(telegram_user_id, upload.token, claim=upload.claim)

    async def settle(self, session: AsyncSession, telegram_user_id: int, upload: Upload) -> None:
        """In the import's write transaction: the claimed upload is deleted, and commits with the import's rows or
        not at all. ClaimLost (rolling the import back) if this press's claim no longer holds it. On PostgreSQL the
        deleted row stays locked until the commit: a press meanwhile waits, then finds it gone."""
        repository = PendingUploadRepository(session)
        if not await repository.delete_claimed(telegram_user_id, upload.token, claim=upload.claim):
            raise ClaimLost(upload.token)

    async def drop(self, telegram_user_id: int, upload: Upload) -> None:
        """A claimed upload ended without rows to write (they were refused, or none is a transaction): deleted, its
        buttons stale, if this press's claim still holds it (else the press that took it decides)."""
        async with self.database.writer() as session:
            await PendingUploadRepository(session).delete_claimed(telegram_user_id, upload.token, claim=upload.claim)

    async def finish(self, telegram_user_id: int, token: str) -> None:
        """The upload is done with, whoever holds it: its buttons answer "stale" from now on."""
        async with self.database.writer() as session:
            await PendingUploadRepository(session).delete(telegram_user_id, token)
