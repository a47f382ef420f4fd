"""Queries of reconciliation: the stored history's movements, the coverage syncs recorded, and the latest result."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ReconciledBalance, Reconciliation, SyncRun, Transaction

# Coverage older than this many runs is not read: a gap a later sync closed is in the newer runs anyway.
RUNS_READ = 200


@dataclass(frozen=True, slots=True)
class Movement:
    """The columns of a stored record that move balances."""

    kind: str
    side: str | None
    asset: str
    amount: Decimal
    quote_asset: str | None
    quote_amount: Decimal | None
    fee_asset: str | None
    fee_amount: Decimal | None
    # A ledger line's own type as the exchange wrote it (the raw row's `type`, Bitget's financial record type):
    # the reconciliation names a line it does not count (bot/reconcile/causes.py UNPLACED_LEDGER). None for a record
    # of a kind the caller did not ask the type of.
    entry_type: str | None = None


@dataclass(frozen=True, slots=True)
class StoredBalance:
    asset: str
    reported: Decimal
    explained: Decimal
    cause: str | None
    cause_args: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class StoredReconciliation:
    integration_id: int
    checked_at: datetime
    outcome: str
    error_code: str | None
    wallets: dict[str, Any]
    balances: tuple[StoredBalance, ...]


class ReconcileRepository:
    """Never commits: the caller owns the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def movements(
        self, integration_id: int, *, until: datetime, entry_types_of: Collection[str]
    ) -> list[Movement]:
        """Every stored record (API and file alike) up to `until`: the balances the exchange reported at `until`
        can only be explained by what had happened by then.

        `entry_types_of`: the kinds whose raw row's `type` is read into Movement.entry_type. The caller names them:
        what a kind is belongs to the layer above (connectors.records), not to the database's."""
        rows = await self.session.execute(
            select(
                Transaction.kind,
                Transaction.side,
                Transaction.asset,
                Transaction.amount,
                Transaction.quote_asset,
                Transaction.quote_amount,
                Transaction.fee_asset,
                Transaction.fee_amount,
                # Read from those kinds' raw rows only: every other record's raw stays in the database.
                case((Transaction.kind.in_(sorted(entry_types_of)), Transaction.raw["type"].as_string()), else_=None),
            ).where(Transaction.integration_id == integration_id, Transaction.occurred_at <= until)
        )
        return [Movement(*row) for row in rows.all()]

    async def newest_record_times(self, integration_ids: Sequence[int]) -> dict[int, datetime]:
        """When each integration's newest record was stored: a comparison older than that is out of date."""
        if not integration_ids:
            return {}
        rows = await self.session.execute(
            select(Transaction.integration_id, func.max(Transaction.created_at))
            .where(Transaction.integration_id.in_(integration_ids))
            .group_by(Transaction.integration_id)
        )
        return {integration_id: newest for integration_id, newest in rows.all() if newest is not None}

    async def run_summaries(self, integration_id: int) -> list[dict[str, Any]]:
        """The summaries of the integration's finished syncs, newest first: the coverage each recorded."""
        summaries = await self.session.scalars(
            select(SyncRun.summary)
            .where(SyncRun.integration_id == integration_id, SyncRun.finished_at.is_not(None))
            .order_by(SyncRun.id.desc())
            .limit(RUNS_READ)
        )
        return [dict(summary or {}) for summary in summaries.all()]

    async def save(
        self,
        integration_id: int,
        *,
        checked_at: datetime,
        outcome: str,
        error_code: str | None,
        wallets: dict[str, Any],
        balances: Sequence[StoredBalance],
    ) -> None:
        """Replace the integration's reconciliation with this one."""
        await self.session.execute(delete(ReconciledBalance).where(ReconciledBalance.integration_id == integration_id))
        await self.session.execute(delete(Reconciliation).where(Reconciliation.integration_id == integration_id))
        self.session.add(
            Reconciliation(
                integration_id=integration_id,
                checked_at=checked_at,
                outcome=outcome,
                error_code=error_code,
                wallets=wallets,
            )
        )
        self.session.add_all(
            ReconciledBalance(
                integration_id=integration_id,
                asset=balance.asset,
                reported=balance.reported,
                explained=balance.explained,
                cause=balance.cause,
                cause_args=balance.cause_args,
            )
            for balance in balances
        )

    async def latest(self, integration_ids: Sequence[int]) -> dict[int, StoredReconciliation]:
        if not integration_ids:
            return {}
        # Each reconciliation with its balances in one statement (one round trip: /status reads this every time).
        rows = await self.session.execute(
            select(Reconciliation, ReconciledBalance)
            .outerjoin(ReconciledBalance, ReconciledBalance.integration_id == Reconciliation.integration_id)
            .where(Reconciliation.integration_id.in_(integration_ids))
            .order_by(Reconciliation.integration_id, ReconciledBalance.asset)
        )
        heads: dict[int, Reconciliation] = {}
        by_integration: dict[int, list[StoredBalance]] = {}
        for head, row in rows.all():
            heads[head.integration_id] = head
            if row is not None:
                by_integration.setdefault(row.integration_id, []).append(
                    StoredBalance(row.asset, row.reported, row.explained, row.cause, row.cause_args)
                )
        return {
            integration_id: StoredReconciliation(
                integration_id=integration_id,
                checked_at=head.checked_at,
                outcome=head.outcome,
                error_code=head.error_code,
                wallets=dict(head.wallets or {}),
                balances=tuple(by_integration.get(integration_id, [])),
            )
            for integration_id, head in heads.items()
        }
