"""Sync state: leases (one sync per integration across processes), endpoint cursors and statuses, sync runs."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Credential, EndpointState, Integration, IntegrationStatus, SyncLease, SyncRun, Transaction
from db.repositories.upsert import insert_ignoring_conflicts


class RunStatus(StrEnum):
    """A sync run's status besides those its sync ends with (IntegrationStatus values): a code, never shown."""

    # A run left "running" by a process that died, marked so when the next sync takes the lease over.
    INTERRUPTED = "interrupted"


class LeaseGrant(StrEnum):
    NEW = "new"  # nobody held it
    TAKEN_OVER = "taken_over"  # the previous holder let it expire (crashed or hung)


def _upsert(session: AsyncSession, model: Any, conflict_columns: list[str], update_columns: Collection[str]) -> Any:
    """INSERT … ON CONFLICT (…) DO UPDATE SET column = excluded.column, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(model)
    elif dialect == "sqlite":
        statement = sqlite.insert(model)
    else:  # pragma: no cover - the engine refuses other databases earlier
        raise NotImplementedError(f"Tallybot supports SQLite and PostgreSQL, not {dialect}")
    return statement.on_conflict_do_update(
        index_elements=conflict_columns, set_={name: statement.excluded[name] for name in update_columns}
    )


class SyncRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- leases -----------------------------------------------------------------------------------------------

    async def take_lease(
        self, integration_id: int, holder: str, *, now: datetime, expires_at: datetime
    ) -> LeaseGrant | None:
        """Take the integration's lease for `holder`, or None when another holder's lease is still valid.

        Safe under concurrency on both backends: the take-over is one conditional UPDATE (PostgreSQL re-checks
        the condition after a competing update commits), the first lease one INSERT … ON CONFLICT DO NOTHING.
        """
        taken = await self.session.execute(
            update(SyncLease)
            .where(SyncLease.integration_id == integration_id, SyncLease.expires_at < now)
            .values(holder=holder, acquired_at=now, expires_at=expires_at)
        )
        if _rowcount(taken) == 1:
            return LeaseGrant.TAKEN_OVER
        inserted = await self.session.scalar(
            insert_ignoring_conflicts(self.session, SyncLease, ["integration_id"])
            .values(integration_id=integration_id, holder=holder, acquired_at=now, expires_at=expires_at)
            .returning(SyncLease.integration_id)
        )
        return LeaseGrant.NEW if inserted is not None else None

    async def renew_lease(self, integration_id: int, holder: str, *, expires_at: datetime) -> bool:
        """Extend the lease if `holder` still has it; False means someone took it over (stop writing)."""
        result = await self.session.execute(
            update(SyncLease)
            .where(SyncLease.integration_id == integration_id, SyncLease.holder == holder)
            .values(expires_at=expires_at)
        )
        return _rowcount(result) == 1

    async def release_lease(self, integration_id: int, holder: str) -> None:
        await self.session.execute(
            delete(SyncLease).where(SyncLease.integration_id == integration_id, SyncLease.holder == holder)
        )

    async def lease(self, integration_id: int) -> SyncLease | None:
        return await self.session.get(SyncLease, integration_id, populate_existing=True)

    async def leased(self, integration_ids: Collection[int], *, now: datetime) -> set[int]:
        """The integrations among these that a sync holds a valid lease on right now."""
        if not integration_ids:
            return set()
        result = await self.session.scalars(
            select(SyncLease.integration_id).where(
                SyncLease.integration_id.in_(list(integration_ids)), SyncLease.expires_at >= now
            )
        )
        return set(result.all())

    # -- what a sync starts from ------------------------------------------------------------------------------

    async def credential_id(self, integration_id: int) -> str | None:
        return await self.session.scalar(select(Credential.id).where(Credential.integration_id == integration_id))

    async def endpoint_states(self, integration_id: int) -> Sequence[EndpointState]:
        result = await self.session.scalars(
            select(EndpointState)
            .where(EndpointState.integration_id == integration_id)
            .order_by(EndpointState.endpoint, EndpointState.market)
        )
        return result.all()

    async def stored_assets(self, integration_id: int) -> set[str]:
        """Every asset the integration's stored records mention (bought, sold or paid with)."""
        mine = Transaction.integration_id == integration_id
        statement: Any = union(
            select(Transaction.asset).where(mine),
            select(Transaction.quote_asset).where(mine, Transaction.quote_asset.is_not(None)),
        )
        result = await self.session.execute(statement)
        return {str(asset) for (asset,) in result if asset}

    # -- endpoint state ---------------------------------------------------------------------------------------

    async def save_cursor(
        self,
        integration_id: int,
        endpoint: str,
        market: str,
        *,
        cursor: dict[str, Any],
        covered_until: datetime,
        now: datetime,
    ) -> None:
        """Store where (endpoint, market) resumes: call it in the transaction that stores the page's records."""
        values = {
            "integration_id": integration_id,
            "endpoint": endpoint,
            "market": market,
            "cursor": cursor,
            "covered_until": covered_until,
            "updated_at": now,
        }
        statement = _upsert(
            self.session,
            EndpointState,
            ["integration_id", "endpoint", "market"],
            ("cursor", "covered_until", "updated_at"),
        )
        await self.session.execute(statement, [values])

    async def save_outcome(
        self,
        integration_id: int,
        endpoint: str,
        *,
        status: str,
        now: datetime,
        succeeded: bool,
        error_code: str | None,
        note: dict[str, Any] | None,
        covered_until: datetime | None,
    ) -> None:
        """How the endpoint's last sync ended, on its market-less ("") row (created if it has none yet)."""
        state = await self.session.scalar(
            select(EndpointState).where(
                EndpointState.integration_id == integration_id,
                EndpointState.endpoint == endpoint,
                EndpointState.market == "",
            )
        )
        if state is None:
            state = EndpointState(integration_id=integration_id, endpoint=endpoint, market="", cursor=None)
            self.session.add(state)
        state.last_status = status
        if succeeded:
            state.last_success_at = now
        state.last_error_code = error_code
        state.last_note = note
        if covered_until is not None:
            state.covered_until = covered_until
        state.updated_at = now
        await self.session.flush()

    # -- runs -------------------------------------------------------------------------------------------------

    async def start_run(self, integration_id: int, *, now: datetime) -> SyncRun:
        run = SyncRun(integration_id=integration_id, started_at=now, status=IntegrationStatus.RUNNING, summary={})
        self.session.add(run)
        await self.session.flush()
        return run

    async def interrupt_stale_runs(self, integration_id: int, *, now: datetime) -> int:
        """Close the runs a dead holder left running; only call while holding the integration's lease."""
        result = await self.session.execute(
            update(SyncRun)
            .where(SyncRun.integration_id == integration_id, SyncRun.finished_at.is_(None))
            .values(status=RunStatus.INTERRUPTED, finished_at=now)
        )
        return _rowcount(result)

    async def finish_run(self, run_id: int, *, status: str, summary: dict[str, Any], now: datetime) -> None:
        await self.session.execute(
            update(SyncRun).where(SyncRun.id == run_id).values(status=status, summary=summary, finished_at=now)
        )

    async def latest_runs(self, integration_id: int, limit: int = 5) -> Sequence[SyncRun]:
        result = await self.session.scalars(
            select(SyncRun)
            .where(SyncRun.integration_id == integration_id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(limit)
        )
        return result.all()

    async def mark_integration(
        self,
        integration_id: int,
        *,
        status: str,
        detail: str | None,
        synced_at: datetime | None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "status_detail": detail}
        if synced_at is not None:
            values["last_synced_at"] = synced_at
        await self.session.execute(update(Integration).where(Integration.id == integration_id).values(**values))


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
