"""The reads behind /status: the accounts with their keys, stored transactions and running syncs, their endpoint
states, last runs and the uploaded files in their gaps — few statements, each for all the user's accounts at once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from db.models import EndpointState, Integration, SyncLease, SyncRun, Transaction, TransactionSource, User


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One account as /status reads it, with what the user's row and the account's other tables say of it."""

    integration: Integration  # its credential loaded
    timezone: str
    running: bool  # a sync holds a live lease on it
    transactions: int
    newest_record_at: datetime | None  # when its newest record was stored


class StatusRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def timezone(self, telegram_user_id: int) -> str | None:
        return await self.session.scalar(select(User.timezone).where(User.telegram_user_id == telegram_user_id))

    async def accounts(self, telegram_user_id: int, now: datetime) -> list[AccountRow]:
        """Every account of the user, oldest first, in one statement: the account and its key, the user's time zone,
        whether a sync runs, and its stored records' count and newest time (each a subquery on the account's own
        index, as the separate reads were)."""
        of_account = Transaction.integration_id == Integration.id
        query = (
            select(
                Integration,
                User.timezone,
                exists().where(SyncLease.integration_id == Integration.id, SyncLease.expires_at > now),
                select(func.count()).where(of_account).scalar_subquery(),
                select(func.max(Transaction.created_at)).where(of_account).scalar_subquery(),
            )
            .join(User, User.id == Integration.user_id)
            .where(User.telegram_user_id == telegram_user_id)
            .options(joinedload(Integration.credential))
            .order_by(Integration.id)
        )
        return [
            AccountRow(integration, timezone, bool(running), int(count or 0), newest)
            for integration, timezone, running, count, newest in (await self.session.execute(query)).all()
        ]

    async def files_in(self, spans: Sequence[tuple[int, datetime | None, datetime]]) -> list[bool]:
        """For each (account, start, end): whether an uploaded file's record lies in it (start None: from the
        account's first record). One statement for them all."""
        if not spans:
            return []
        checks = []
        for integration_id, start, end in spans:
            inside = select(Transaction.id).where(
                Transaction.integration_id == integration_id,
                Transaction.source == TransactionSource.FILE,
                Transaction.occurred_at <= end,
            )
            if start is not None:
                inside = inside.where(Transaction.occurred_at >= start)
            checks.append(inside.exists())
        return [bool(found) for found in (await self.session.execute(select(*checks))).one()]

    async def endpoint_states(self, integration_ids: Collection[int]) -> Sequence[EndpointState]:
        """Each endpoint's account-wide state (market ""), not its per-market cursors."""
        query = select(EndpointState).where(
            EndpointState.integration_id.in_(integration_ids), EndpointState.market == ""
        )
        return (await self.session.scalars(query)).all()

    async def latest_finished_runs(self, integration_ids: Collection[int]) -> dict[int, SyncRun]:
        """Each integration's last finished sync run (the newest id of each: not every run ever made)."""
        newest = (
            select(func.max(SyncRun.id))
            .where(SyncRun.integration_id.in_(integration_ids), SyncRun.finished_at.is_not(None))
            .group_by(SyncRun.integration_id)
        )
        query = select(SyncRun).where(SyncRun.id.in_(newest))
        return {run.integration_id: run for run in (await self.session.scalars(query)).all()}
