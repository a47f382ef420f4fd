"""Uploads waiting for their account (bot/pending_uploads.py): the rows, each read, claimed and deleted only with its
owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import PendingUpload


def _theirs(telegram_user_id: int, token: str) -> ColumnElement[bool]:
    return (PendingUpload.token == token) & (PendingUpload.telegram_user_id == telegram_user_id)


class PendingUploadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, upload: PendingUpload) -> None:
        self.session.add(upload)

    async def owned(self, telegram_user_id: int, token: str) -> PendingUpload | None:
        """The upload behind a button, if the presser sent it (a forged or another user's token finds nothing)."""
        return await self.session.scalar(
            select(PendingUpload).where(
                PendingUpload.token == token, PendingUpload.telegram_user_id == telegram_user_id
            )
        )

    async def claim(self, telegram_user_id: int, token: str, *, newer_than: datetime) -> PendingUpload | None:
        """Take the presser's upload out in one statement (DELETE … RETURNING): of two presses served at once, by two
        replicas, exactly one gets the row; the other finds nothing, as for a stale button."""
        return await self.session.scalar(
            delete(PendingUpload)
            .where(_theirs(telegram_user_id, token), PendingUpload.created_at > newer_than)
            .returning(PendingUpload)
            .execution_options(synchronize_session=False)
        )

    async def keep_newest(self, telegram_user_id: int, count: int, *, newer_than: datetime) -> int:
        """Delete the user's uploads but the newest `count` created after `newer_than`; how many went."""
        kept = (
            select(PendingUpload.token)
            .where(PendingUpload.telegram_user_id == telegram_user_id, PendingUpload.created_at > newer_than)
            .order_by(PendingUpload.created_at.desc(), PendingUpload.token)
            .limit(count)
        )
        result = await self.session.execute(
            delete(PendingUpload)
            .where(PendingUpload.telegram_user_id == telegram_user_id, PendingUpload.token.not_in(kept))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete(self, telegram_user_id: int, token: str) -> int:
        result = await self.session.execute(
            delete(PendingUpload).where(
                PendingUpload.token == token, PendingUpload.telegram_user_id == telegram_user_id
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
