"""never reused ids

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 18:47:12.402931

On SQLite, rebuilds every table keyed by a BigId with AUTOINCREMENT, so the id of a deleted row is never handed out
again (a stale button naming a deleted account must not reach the account created after it). PostgreSQL's sequences
never reuse ids: nothing to do there.

SQLite rebuilds a table by copying it, dropping the original and renaming the copy. Tallybot runs with
PRAGMA foreign_keys=ON, which cannot be switched off inside the migration's transaction, and with it on, dropping
`users` or `integrations` deletes (ON DELETE CASCADE) every row below them. So the rows below `users` are set aside
in temporary tables first, the tables are rebuilt while those are empty, and the rows are put back, ids unchanged,
parents first. All of it in the one transaction: on any failure nothing has changed.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables keyed by a BigId (credentials and assistant_drafts are keyed by UUIDs, sync_leases by its integration).
REBUILT = ("users", "integrations", "endpoint_states", "sync_runs", "transactions")
# Every table a rebuild of `users` or `integrations` would empty by cascade, parents before children.
SET_ASIDE = ("integrations", "credentials", "endpoint_states", "sync_runs", "transactions", "sync_leases")


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)


def _rebuild(*, autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    columns = {table: [column["name"] for column in sa.inspect(bind).get_columns(table)] for table in SET_ASIDE}

    for table in SET_ASIDE:
        op.execute(f'CREATE TEMP TABLE "_kept_{table}" AS SELECT * FROM "{table}"')  # noqa: S608  # our own names
    # Emptied children first, so no rebuild below has a row to cascade to.
    for table in reversed(SET_ASIDE):
        op.execute(f'DELETE FROM "{table}"')  # noqa: S608  # our own table names

    for table in REBUILT:
        with op.batch_alter_table(
            table,
            recreate="always",
            table_kwargs={"sqlite_autoincrement": autoincrement},
            # An AUTOINCREMENT key is declared inline, without its name: give it back on the way down.
            naming_convention={"pk": "pk_%(table_name)s"},
        ):
            pass

    for table in SET_ASIDE:
        names = ", ".join(f'"{name}"' for name in columns[table])
        op.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM temp."_kept_{table}"')  # noqa: S608
        op.execute(f'DROP TABLE temp."_kept_{table}"')

    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rebuilding the tables left rows whose foreign keys name no row: {broken[:5]}")
