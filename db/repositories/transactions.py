from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Transaction
from db.repositories.upsert import insert_ignoring_conflicts

# SQLite's default limit on bound variables is 999 in older builds: look keys up in chunks under it.
KEY_LOOKUP_CHUNK = 500


class TransactionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert_missing(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Insert rows whose (integration, natural key) is new; return how many were new.

        Measured in benchmarks/ingest.py (docs/BENCHMARKS.md §2), two choices make this close to the raw driver:

        - a Core insert on the table, not on the ORM entity, which would run the ORM's bulk-insert bookkeeping for
          every row before the statement is even built;
        - on SQLite, rows already stored are left out before they are bound: three of the page's keys are probed
          through the unique index and, only if one is stored (a page fetched again after a crash, a re-sync's
          overlap, a file upload), all the page's keys are looked up. PostgreSQL skips conflicting rows cheaply on
          its own, and a freshly filled table there has no statistics yet, so a key lookup could be planned as a
          scan: no lookup there.

        ON CONFLICT DO NOTHING stays in both, so a row another writer stored in between is still skipped.
        """
        if not rows:
            return 0
        fresh = list(rows)
        if self.session.get_bind().dialect.name == "sqlite":
            fresh = await self._without_stored(fresh)
            if not fresh:
                return 0
        # A Core executemany binds the columns the first row names and silently drops any other row's extra ones:
        # rows are sent in groups of the same columns (a sync's rows are one group; a file's may be several).
        groups: dict[frozenset[str], list[Mapping[str, Any]]] = {}
        for row in fresh:
            groups.setdefault(frozenset(row), []).append(row)
        inserted = 0
        for group in groups.values():
            inserted += await self._insert_ignoring_conflicts(group)
        return inserted

    async def _insert_ignoring_conflicts(self, rows: list[Mapping[str, Any]]) -> int:
        table = Transaction.__table__
        statement = insert_ignoring_conflicts(self.session, table, ["integration_id", "natural_key"])
        if self.session.get_bind().dialect.name == "sqlite":
            # One single-row statement run for every row (the driver's executemany), counted by rowcount, which
            # sqlite3 sums over the rows and which a skipped conflict does not add to. With RETURNING, SQLAlchemy
            # sends one multi-row statement per page instead, a different SQL text for every page size, and
            # sqlite3 keeps up to 128 compiled statements per connection: the large ones held the bot's peak
            # memory about 110 MiB higher (docs/BENCHMARKS.md §4).
            written = cast("CursorResult[Any]", await self.session.execute(statement, rows))
            return int(written.rowcount)
        result = await self.session.execute(statement.returning(table.c.id), rows)
        return len(result.all())

    async def _without_stored(self, rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        keys_by_integration: dict[int, list[str]] = {}
        for row in rows:
            keys_by_integration.setdefault(int(row["integration_id"]), []).append(str(row["natural_key"]))
        stored: set[tuple[int, str]] = set()
        for integration_id, keys in keys_by_integration.items():
            sample = list(dict.fromkeys([keys[0], keys[len(keys) // 2], keys[-1]]))
            if await self.stored_keys(integration_id, sample):
                stored.update((integration_id, key) for key in await self.stored_keys(integration_id, keys))
        if not stored:
            return rows
        return [row for row in rows if (int(row["integration_id"]), str(row["natural_key"])) not in stored]

    async def stored_keys(self, integration_id: int, keys: Sequence[str]) -> set[str]:
        """Which of these natural keys the integration has stored."""
        table = Transaction.__table__
        found: set[str] = set()
        for start in range(0, len(keys), KEY_LOOKUP_CHUNK):
            query = select(table.c.natural_key).where(
                table.c.integration_id == integration_id,
                table.c.natural_key.in_(keys[start : start + KEY_LOOKUP_CHUNK]),
            )
            found.update((await self.session.scalars(query)).all())
        return found

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
