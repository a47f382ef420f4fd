"""Rows a file import stored under a content key, for the sync engine to recognise the API's copies of them.

Binance's trade export (and other exports without ids) is stored under content-hash keys (`…:h:…`). When the API
sync later fetches the same history, its records carry the exchange's ids, so their keys differ: the sync asks
for the file rows around a page's records and matches them by content (connectors/files/matching.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Transaction, TransactionSource

STREAM_BATCH = 2_000
MAX_ASSET_FILTER = 500  # beyond this many distinct assets the query is not filtered by asset
CONTENT_KEY_MARK = ":h:"  # what connectors.records.natural_key puts in a key made of a hash of the content


class FileRowRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def content_keyed(
        self,
        integration_id: int,
        *,
        kinds: Collection[str],
        start: datetime,
        end: datetime,
        assets: Collection[str],
    ) -> AsyncIterator[Any]:
        """The integration's file rows under content keys of these kinds (and assets) between start and end,
        streamed: each row has kind, occurred_at, natural_key, asset, amount, quote_asset, side, price, fee_amount."""
        query = select(
            Transaction.kind,
            Transaction.occurred_at,
            Transaction.natural_key,
            Transaction.asset,
            Transaction.amount,
            Transaction.quote_asset,
            Transaction.side,
            Transaction.price,
            Transaction.fee_amount,
        ).where(
            Transaction.integration_id == integration_id,
            Transaction.kind.in_(sorted(kinds)),
            Transaction.occurred_at >= start,
            Transaction.occurred_at <= end,
            Transaction.source == TransactionSource.FILE,
            Transaction.natural_key.contains(CONTENT_KEY_MARK),
        )
        if len(assets) <= MAX_ASSET_FILTER:
            query = query.where(Transaction.asset.in_(sorted(assets)))
        result = await self.session.stream(query.execution_options(yield_per=STREAM_BATCH))
        async for partition in result.partitions(STREAM_BATCH):
            for row in partition:
                yield row
