"""Instance leases (one bot per token and database; no rotation while a bot runs) and the progress messages a bot
instance has open."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import InstanceLease, OpenProgressMessage, SyncLease, SyncRun
from db.repositories.sync import RunStatus


class InstanceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_table(self) -> None:
        """Serialise lease decisions. SQLite's writer transaction (BEGIN IMMEDIATE) already does; on PostgreSQL
        two processes could each read "nobody holds it" before either inserts, so the table is locked in a
        self-conflicting mode until the transaction ends."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("LOCK TABLE instance_leases IN SHARE ROW EXCLUSIVE MODE"))

    async def all(self) -> Sequence[InstanceLease]:
        result = await self.session.scalars(select(InstanceLease).order_by(InstanceLease.name))
        return result.all()

    async def remove(self, name: str, holder: str) -> None:
        await self.session.execute(
            delete(InstanceLease).where(InstanceLease.name == name, InstanceLease.holder == holder)
        )

    async def add(self, lease: InstanceLease) -> None:
        self.session.add(lease)
        await self.session.flush()

    async def renew(self, name: str, holder: str, *, expires_at: datetime) -> bool:
        result = await self.session.execute(
            update(InstanceLease)
            .where(InstanceLease.name == name, InstanceLease.holder == holder)
            .values(expires_at=expires_at)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    # -- what a dead instance left behind ------------------------------------------------------------------------

    async def release_sync_leases(self, holder_prefix: str, *, now: datetime) -> list[int]:
        """Delete the sync leases whose holder id starts with `holder_prefix` ("host:pid:", a dead process) and
        close the runs they left open; the integrations freed."""
        freed = list(
            (
                await self.session.scalars(
                    select(SyncLease.integration_id).where(SyncLease.holder.startswith(holder_prefix, autoescape=True))
                )
            ).all()
        )
        if freed:
            await self.session.execute(delete(SyncLease).where(SyncLease.integration_id.in_(freed)))
            await self.session.execute(
                update(SyncRun)
                .where(SyncRun.integration_id.in_(freed), SyncRun.finished_at.is_(None))
                .values(status=RunStatus.INTERRUPTED, finished_at=now)
            )
        return freed

    async def sync_lease_holders(self) -> set[str]:
        return set((await self.session.scalars(select(SyncLease.holder))).all())

    async def open_progress(
        self, bot_id: int, chat_id: int, message_id: int, *, holder: str, kind: str, now: datetime
    ) -> None:
        self.session.add(
            OpenProgressMessage(
                bot_id=bot_id, chat_id=chat_id, message_id=message_id, holder=holder, kind=kind, opened_at=now
            )
        )
        await self.session.flush()

    async def close_progress(self, bot_id: int, chat_id: int, message_id: int) -> None:
        await self.session.execute(
            delete(OpenProgressMessage).where(
                OpenProgressMessage.bot_id == bot_id,
                OpenProgressMessage.chat_id == chat_id,
                OpenProgressMessage.message_id == message_id,
            )
        )

    async def progress_left_open(self, bot_id: int, *, except_holder: str) -> Sequence[OpenProgressMessage]:
        result = await self.session.scalars(
            select(OpenProgressMessage)
            .where(OpenProgressMessage.bot_id == bot_id, OpenProgressMessage.holder != except_holder)
            .order_by(OpenProgressMessage.opened_at)
        )
        return result.all()
