from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Transaction
from db.repositories.upsert import insert_ignoring_conflicts


class TransactionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_missing(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows whose (integration, natural key) is new; return how many were new."""
        if not rows:
            return 0
        statement = insert_ignoring_conflicts(self.session, Transaction, ["integration_id", "natural_key"]).returning(
            Transaction.id
        )
        result = await self.session.execute(statement, list(rows))
        return len(result.all())

    async def count(self, integration_id: int) -> int:
        total = await self.session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.integration_id == integration_id)
        )
        return int(total or 0)

    async def for_integration(self, integration_id: int) -> Sequence[Transaction]:
        result = await self.session.scalars(
            select(Transaction)
            .where(Transaction.integration_id == integration_id)
            .order_by(Transaction.occurred_at, Transaction.id)
        )
        return result.all()
