"""Uploads waiting for their account (bot/pending_uploads.py): the rows, each read, claimed and deleted only with its
owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from db.models import PendingUpload


def _theirs(telegram_user_id: int, token: str) -> ColumnElement[bool]:
    return (PendingUpload.token == token) & (PendingUpload.telegram_user_id == telegram_user_id)


def _unclaimed(now: datetime) -> ColumnElement[bool]:
    """Not held by a press at `now`: never claimed, given back, or claimed by a press whose claim has lapsed."""
    return or_(PendingUpload.claimed_until.is_(None), PendingUpload.claimed_until <= now)


class PendingUploadRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, upload: PendingUpload) -> None:
        self.session.add(upload)

    async def owned(self, telegram_user_id: int, token: str, *, unclaimed_at: datetime) -> PendingUpload | None:
        """The upload behind a button, if the presser sent it and no press holds it at `unclaimed_at` (a forged or
        another user's token finds nothing)."""
        return await self.session.scalar(
            select(PendingUpload).where(_theirs(telegram_user_id, token), _unclaimed(unclaimed_at))
        )

    async def claim(
        self, telegram_user_id: int, token: str, *, claim: str, now: datetime, until: datetime, newer_than: datetime
    ) -> PendingUpload | None:
        """Mark the presser's upload as held by `claim` until `until`, in one statement (UPDATE … RETURNING): of two
        presses served at once, by two replicas, exactly one matches the row (PostgreSQL checks the second's WHERE
        again on the row the first committed; SQLite has one writer at a time); the other finds nothing, as for a
        stale button."""
        return await self.session.scalar(
            update(PendingUpload)
            .where(_theirs(telegram_user_id, token), PendingUpload.created_at > newer_than, _unclaimed(now))
            .values(claimed_by=claim, claimed_until=until)
            .returning(PendingUpload)
            .execution_options(synchronize_session=False)
        )

    async def release(self, telegram_user_id: int, token: str, *, claim: str) -> int:
        """Unclaim the upload if `claim` still holds it (a later press may have taken it once the claim lapsed)."""
        result = await self.session.execute(
            update(PendingUpload)
            .where(_theirs(telegram_user_id, token), PendingUpload.claimed_by == claim)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_claimed(self, telegram_user_id: int, token: str, *, claim: str) -> int:
        """Delete the upload if `claim` still holds it, lapsed or not; 1 if it did, else 0."""
        result = await self.session.execute(
            delete(PendingUpload)
            .where(_theirs(telegram_user_id, token), PendingUpload.claimed_by == claim)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def keep_newest(self, telegram_user_id: int, count: int, *, newer_than: datetime, now: datetime) -> int:
        """Delete the user's unclaimed uploads but the newest `count` created after `newer_than`; how many went. An
        upload a press holds is left to that press, and not counted (as if it had been taken out)."""
        kept = (
            select(PendingUpload.token)
            .where(
                PendingUpload.telegram_user_id == telegram_user_id,
                PendingUpload.created_at > newer_than,
                _unclaimed(now),
            )
            .order_by(PendingUpload.created_at.desc(), PendingUpload.token)
            .limit(count)
        )
        result = await self.session.execute(
            delete(PendingUpload)
            .where(
                PendingUpload.telegram_user_id == telegram_user_id,
                PendingUpload.token.not_in(kept),
                _unclaimed(now),
            )
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
