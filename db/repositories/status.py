"""The reads behind /status: each account's stored transactions, endpoint states, running syncs and last run."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import EndpointState, SyncLease, SyncRun, Transaction, User


class StatusRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def timezone(self, telegram_user_id: int) -> str | None:
        return await self.session.scalar(select(User.timezone).where(User.telegram_user_id == telegram_user_id))

    async def transaction_counts(self, integration_ids: Collection[int]) -> dict[int, int]:
        """Stored transactions per integration; an integration without any is absent."""
        rows = await self.session.execute(
            select(Transaction.integration_id, func.count())
            .where(Transaction.integration_id.in_(integration_ids))
            .group_by(Transaction.integration_id)
        )
        return {integration_id: count for integration_id, count in rows.all()}

    async def endpoint_states(self, integration_ids: Collection[int]) -> Sequence[EndpointState]:
        """Each endpoint's account-wide state (market ""), not its per-market cursors."""
        query = select(EndpointState).where(
            EndpointState.integration_id.in_(integration_ids), EndpointState.market == ""
        )
        return (await self.session.scalars(query)).all()

    async def running(self, integration_ids: Collection[int], now: datetime) -> set[int]:
        """The integrations a sync holds a live lease on."""
        query = select(SyncLease.integration_id).where(
            SyncLease.integration_id.in_(integration_ids), SyncLease.expires_at > now
        )
        return set((await self.session.scalars(query)).all())

    async def latest_finished_runs(self, integration_ids: Collection[int]) -> dict[int, SyncRun]:
        """Each integration's last finished sync run."""
        query = (
            select(SyncRun)
            .where(SyncRun.integration_id.in_(integration_ids), SyncRun.finished_at.is_not(None))
            .order_by(SyncRun.id)
        )
        return {run.integration_id: run for run in (await self.session.scalars(query)).all()}
