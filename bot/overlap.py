"""The stored records a batch of new records may overlap, loaded for matching: by a file import (every stored
record) and by a sync page (the rows a file import stored under content keys). One loader for both, so both get
the same query and its cap on the asset filter (db/repositories/imports.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from connectors.files.matching import StoredRecords
from connectors.records import NormalizedRecord
from db.repositories.imports import ImportRepository


async def stored_overlapping(
    session: AsyncSession,
    integration_id: int,
    records: Sequence[NormalizedRecord],
    *,
    slack: timedelta,
    with_raw: bool = False,
    content_keyed_file_rows: bool = False,
) -> StoredRecords:
    """The integration's stored records of the records' kinds and assets, from `slack` before the first to `slack`
    after the last. `with_raw` and `content_keyed_file_rows` as in `ImportRepository.overlapping`."""
    stored = StoredRecords()
    if not records:
        return stored
    rows = ImportRepository(session).overlapping(
        integration_id,
        kinds={str(r.kind) for r in records},
        start=min(r.occurred_at for r in records) - slack,
        end=max(r.occurred_at for r in records) + slack,
        assets={r.asset for r in records},
        with_raw=with_raw,
        content_keyed_file_rows=content_keyed_file_rows,
    )
    async for row in rows:
        stored.add_values(
            kind=row.kind,
            occurred_at=row.occurred_at,
            natural_key=row.natural_key,
            asset=row.asset,
            amount=row.amount,
            quote_asset=row.quote_asset,
            side=row.side,
            price=row.price,
            fee_amount=row.fee_amount,
            raw=row.raw,
            from_file=row.from_file,
        )
    return stored
