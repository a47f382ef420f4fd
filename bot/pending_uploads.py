"""Uploads waiting for the user to pick their account, in the database: the account buttons under a file may be
pressed on any webhook replica (or after a restart), so the upload they name cannot live in one process's memory.

Only Telegram's file id and the file's name are kept, never the file: it is fetched again from Telegram once an
account is picked. A user has at most MAX_PENDING waiting (a newer upload pushes the oldest out), none older than
PENDING_TTL, and "delete all my data" deletes them all.

A press that imports claims its upload first (`claim`, one DELETE … RETURNING), so two presses served at once by two
replicas import the file once; the flow puts it back (`restore`) when it asks a question or the import fails or
stops. A process killed between the claim and the import's commit loses the upload (the file is sent again), never
half of an import: the import and a new account it makes are one transaction (bot/imports.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from db.engine import Database
from db.models import PendingUpload
from db.repositories.pending_uploads import PendingUploadRepository
from db.types import utcnow

MAX_PENDING = 3
# A file's buttons work for a day: long enough to come back to it, short enough that its name is not kept for good.
PENDING_TTL = timedelta(days=1)


@dataclass(frozen=True)
class Upload:
    token: str  # what the buttons carry (bot/callback_codec.py NONCE shape)
    file_id: str
    name: str
    created_at: datetime  # kept on restore: a claim given back does not make the upload live longer


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
            await repository.keep_newest(telegram_user_id, MAX_PENDING, newer_than=now - PENDING_TTL)
        return upload

    async def get(self, telegram_user_id: int, token: str) -> Upload | None:
        """The presser's own upload behind a button, while it is fresh; None for a forged, stale or finished one."""
        async with self.database.reader() as session:
            row = await PendingUploadRepository(session).owned(telegram_user_id, token)
            if row is None or row.created_at <= self.clock() - PENDING_TTL:
                return None
            return Upload(row.token, row.file_id, row.file_name, row.created_at)

    async def claim(self, telegram_user_id: int, token: str) -> Upload | None:
        """The presser's fresh upload, taken out for this press alone; None if forged, stale, finished or claimed by
        a press being served meanwhile (a double press, or the same press on two replicas)."""
        async with self.database.writer() as session:
            row = await PendingUploadRepository(session).claim(
                telegram_user_id, token, newer_than=self.clock() - PENDING_TTL
            )
            return None if row is None else Upload(row.token, row.file_id, row.file_name, row.created_at)

    async def restore(self, telegram_user_id: int, upload: Upload) -> None:
        """Give a claimed upload back: its buttons work again (a question was asked, or the import failed)."""
        async with self.database.writer() as session:
            PendingUploadRepository(session).add(
                PendingUpload(
                    token=upload.token,
                    telegram_user_id=telegram_user_id,
                    file_id=upload.file_id,
                    file_name=upload.name,
                    created_at=upload.created_at,
                )
            )

    async def finish(self, telegram_user_id: int, token: str) -> None:
        """The upload's import ended (read, refused or failed): its buttons answer "stale" from now on."""
        async with self.database.writer() as session:
            await PendingUploadRepository(session).delete(telegram_user_id, token)
