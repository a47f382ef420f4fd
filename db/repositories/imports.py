"""The queries of stored records a batch may overlap (a file import, a sync page meeting file rows), and
corrections of rows stored before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Transaction, TransactionSource

STREAM_BATCH = 2_000
MAX_ASSET_FILTER = 500  # beyond this many distinct assets the query is not filtered by asset (a bounded IN list)
CONTENT_KEY_MARK = ":h:"  # what connectors.records.natural_key puts in a key made of a hash of the content


@dataclass(frozen=True, slots=True)
class StoredRow:
    """The columns a stored record is recognised by (see connectors/files/matching.py)."""

    kind: str
    occurred_at: datetime
    natural_key: str
    asset: str
    amount: Decimal
    quote_asset: str | None
    side: str | None
    price: Decimal | None
    fee_amount: Decimal | None
    raw: Any  # the file row kept in `raw`, loaded only when asked for and only for rows a file stored
    from_file: bool


class ImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def overlapping(
        self,
        integration_id: int,
        *,
        kinds: Collection[str],
        start: datetime,
        end: datetime,
        assets: Collection[str],
        with_raw: bool = False,
        content_keyed_file_rows: bool = False,
    ) -> AsyncIterator[StoredRow]:
        """The integration's records of these kinds between `start` and `end` (both included), of these assets
        (of every asset when there are more than MAX_ASSET_FILTER of them), streamed in batches.

        `with_raw`: load the file row kept in `raw` of rows a file stored. `content_keyed_file_rows`: only rows a
        file import stored under a content-hash key (an export without ids), which the sync engine meets again.
        """
        columns = [
            Transaction.kind,
            Transaction.occurred_at,
            Transaction.natural_key,
            Transaction.asset,
            Transaction.amount,
            Transaction.quote_asset,
            Transaction.side,
            Transaction.price,
            Transaction.fee_amount,
            Transaction.source,
        ]
        if with_raw:
            columns.append(Transaction.raw)
        query = select(*columns).where(
            Transaction.integration_id == integration_id,
            Transaction.kind.in_(sorted(kinds)),
            Transaction.occurred_at >= start,
            Transaction.occurred_at <= end,
        )
        if len(assets) <= MAX_ASSET_FILTER:
            query = query.where(Transaction.asset.in_(sorted(assets)))
        if content_keyed_file_rows:
            query = query.where(
                Transaction.source == TransactionSource.FILE, Transaction.natural_key.contains(CONTENT_KEY_MARK)
            )
        result = await self.session.stream(query.execution_options(yield_per=STREAM_BATCH))
        async for partition in result.partitions(STREAM_BATCH):
            for row in partition:
                from_file = row.source == TransactionSource.FILE
                yield StoredRow(
                    kind=row.kind,
                    occurred_at=row.occurred_at,
                    natural_key=row.natural_key,
                    asset=row.asset,
                    amount=row.amount,
                    quote_asset=row.quote_asset,
                    side=row.side,
                    price=row.price,
                    fee_amount=row.fee_amount,
                    raw=row.raw if with_raw and from_file else None,
                    from_file=from_file,
                )

    async def move(self, integration_id: int, moved: Sequence[tuple[str, str, datetime]]) -> None:
        """Give stored rows (by their key) a new key and time: (stored key, new key, new time)."""
        for stored_key, key, occurred_at in moved:
            await self.session.execute(
                update(Transaction)
                .where(Transaction.integration_id == integration_id, Transaction.natural_key == stored_key)
                .values(natural_key=key, occurred_at=occurred_at)
            )

    async def drop(self, integration_id: int, keys: Sequence[str]) -> None:
        if keys:
            await self.session.execute(
                delete(Transaction).where(
                    Transaction.integration_id == integration_id, Transaction.natural_key.in_(keys)
                )
            )
