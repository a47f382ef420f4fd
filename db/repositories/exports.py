"""The queries of an export and of the history summary: a user's records (all, one integration's, a time range)
streamed oldest first, their counts per kind, and the amounts their balance effect is summed from."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Integration, Transaction, User

AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])
AnyRow = Row[*tuple[Any, ...]]
# The columns of an exported record, in this order, followed by the integration's exchange id and account name.
EXPORTED_COLUMNS = (
    Transaction.kind,
    Transaction.occurred_at,
    Transaction.natural_key,
    Transaction.exchange_tx_id,
    Transaction.market,
    Transaction.side,
    Transaction.asset,
    Transaction.amount,
    Transaction.quote_asset,
    Transaction.quote_amount,
    Transaction.price,
    Transaction.fee_asset,
    Transaction.fee_amount,
    Transaction.source,
    Transaction.raw,
)
# The columns a record's balance effect is computed from, in this order.
AMOUNT_COLUMNS = (
    Transaction.kind,
    Transaction.side,
    Transaction.asset,
    Transaction.amount,
    Transaction.quote_asset,
    Transaction.quote_amount,
    Transaction.price,
    Transaction.fee_asset,
    Transaction.fee_amount,
)


class ExportRepository:
    """Every query is limited to one Telegram user's records, optionally one integration and [since, until)."""

    def __init__(
        self,
        session: AsyncSession,
        telegram_user_id: int,
        integration_id: int | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> None:
        self.session = session
        self.telegram_user_id = telegram_user_id
        self.integration_id = integration_id
        self.since = since
        self.until = until

    async def records(self, batch: int) -> AsyncIterator[Sequence[AnyRow]]:
        """Batches of records oldest first: EXPORTED_COLUMNS, then exchange id and account name."""
        query = self._filtered(
            select(*EXPORTED_COLUMNS, Integration.exchange_id, Integration.account_name)
            .join(Integration, Transaction.integration_id == Integration.id)
            .join(User, Integration.user_id == User.id)
            .order_by(Transaction.occurred_at, Transaction.id)
            .execution_options(yield_per=batch)
        )
        result = await self.session.stream(query)
        async for partition in result.partitions(batch):
            yield partition

    async def kinds(self) -> list[tuple[str, int, datetime, datetime]]:
        """(kind, records, first time, last time) for each kind stored."""
        query = self._filtered(
            select(Transaction.kind, func.count(), func.min(Transaction.occurred_at), func.max(Transaction.occurred_at))
            .join(Integration, Transaction.integration_id == Integration.id)
            .join(User, Integration.user_id == User.id)
            .group_by(Transaction.kind)
        )
        return [
            (str(kind), int(count), earliest, latest)
            for kind, count, earliest, latest in (await self.session.execute(query)).all()
        ]

    async def amounts(self, batch: int) -> AsyncIterator[Sequence[AnyRow]]:
        """Batches of AMOUNT_COLUMNS of every record (exact decimals, which SQLite cannot sum)."""
        query = self._filtered(
            select(*AMOUNT_COLUMNS)
            .join(Integration, Transaction.integration_id == Integration.id)
            .join(User, Integration.user_id == User.id)
            .execution_options(yield_per=batch)
        )
        result = await self.session.stream(query)
        async for partition in result.partitions(batch):
            yield partition

    def _filtered(self, query: AnySelect) -> AnySelect:
        query = query.where(User.telegram_user_id == self.telegram_user_id)
        if self.integration_id is not None:
            query = query.where(Transaction.integration_id == self.integration_id)
        if self.since is not None:
            query = query.where(Transaction.occurred_at >= self.since)
        if self.until is not None:
            query = query.where(Transaction.occurred_at < self.until)
        return query
