"""Kraken's Buy Crypto convert lines stored as convert legs, as the fetcher and ledgers.csv reader now store them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 08:20:00

Data only, no schema change. A "Buy Crypto" convert is two lines of Kraken's ledger, `spend` (negative) and
`receive` (positive). Until commit c23872c both readers (connectors/fetchers/kraken/rows.py from the API,
connectors/files/kraken.py from ledgers.csv) stored each as a ledger line: kind `ledger`, key `ledger:<ledger id>`,
the signed amount, no side. They now store a convert leg: kind `convert`, key `convert:<ledger id>`, the amount
without its sign and the sign as the side (`in`/`out`, records.Flow). Every other column (time, asset, refid, fee,
raw) is what it was. A stored row keeps its key, so without this a re-read of the same history (a re-upload of
ledgers.csv, a sync walking again) would store each line a second time under its new key, and every export would
list the convert twice. Rows of both sources are rewritten alike, so a file's line and the API's still share a key
(connectors/files/matching.py). Where the new code has meanwhile stored the same line under its new key, that row
is the one copy kept and the old one is deleted. The way down writes them back as the old code stored them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

from db.types import ExactDecimal

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KRAKEN = "kraken"  # connectors/profiles/catalog/kraken.py, as stored in integrations.exchange_id
# The ledger `type`s of a Buy Crypto convert's two lines (LEDGER_KINDS in connectors/fetchers/kraken/rows.py). The
# API's type is compared as Kraken sent it; the file reader lowers the cell first (connectors/files/kraken.py).
_CONVERT_LINES = frozenset({"spend", "receive"})
_LEDGERS_FILE = "kraken-ledgers"  # the file format whose rows a file record keeps in `raw` (with `file_format`)
_OLD, _NEW = "ledger", "convert"  # the kinds, and the prefixes of the keys (records.natural_key: "<kind>:<id>")
_KEY_LENGTH = 128  # records.natural_key cuts a key to the column's length
_IN, _OUT = "in", "out"  # records.Flow

_integrations = sa.table("integrations", sa.column("id", sa.BigInteger), sa.column("exchange_id", sa.String))
# The column types of db.models, so amounts stay exact and JSON is parsed on either backend.
_transactions = sa.table(
    "transactions",
    sa.column("id", sa.BigInteger),
    sa.column("integration_id", sa.BigInteger),
    sa.column("natural_key", sa.String),
    sa.column("kind", sa.String),
    sa.column("side", sa.String),
    sa.column("amount", ExactDecimal()),
    sa.column("raw", sa.JSON()),
)


def _line_type(raw: Any) -> str:
    """The ledger `type` a stored line was read from, as the reader that stored it compared it."""
    if not isinstance(raw, dict):
        return ""
    entry_type = str(raw.get("type") or "")
    return entry_type.lower() if raw.get("file_format") == _LEDGERS_FILE else entry_type


def _rekeyed(key: str, old: str, new: str) -> str:
    """`<old>:<ledger id>` as `<new>:<ledger id>`, cut as records.natural_key cuts it. A key the old prefix had cut
    still gives the new one exactly: the new prefix is one character longer, so the id loses one more either way."""
    return f"{new}:{key[len(old) + 1 :]}"[:_KEY_LENGTH]


def _convert_lines(connection: sa.Connection, kind: str) -> list[Any]:
    """Kraken's stored spend/receive lines of this kind, under this kind's keys."""
    kraken = sa.select(_integrations.c.id).where(_integrations.c.exchange_id == _KRAKEN)
    t = _transactions.c
    stored = connection.execute(
        sa.select(t.id, t.integration_id, t.natural_key, t.side, t.amount, t.raw).where(
            t.kind == kind, t.natural_key.like(f"{kind}:%"), t.integration_id.in_(kraken)
        )
    )
    return [row for row in stored if _line_type(row.raw) in _CONVERT_LINES]


def _taken(connection: sa.Connection, rows: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
    """Which (integration, key) pairs are stored already."""
    wanted: dict[int, list[str]] = {}
    for integration_id, key in rows:
        wanted.setdefault(integration_id, []).append(key)
    found: set[tuple[int, str]] = set()
    t = _transactions.c
    for integration_id, keys in wanted.items():
        for start in range(0, len(keys), 500):  # under SQLite's oldest limit of bound variables
            chunk = keys[start : start + 500]
            query = sa.select(t.natural_key).where(t.integration_id == integration_id, t.natural_key.in_(chunk))
            found.update((integration_id, key) for key in connection.execute(query).scalars())
    return found


def _rewrite(old: str, new: str, changes: list[dict[str, Any]]) -> None:
    """Give each line its new kind, key, side and amount; a line the new form already holds is deleted."""
    connection = op.get_bind()
    taken = _taken(connection, ((change["integration"], change["new_key"]) for change in changes))
    t = _transactions.c
    duplicates = [change["row_id"] for change in changes if (change["integration"], change["new_key"]) in taken]
    kept = [change for change in changes if (change["integration"], change["new_key"]) not in taken]
    for start in range(0, len(duplicates), 500):
        connection.execute(sa.delete(_transactions).where(t.id.in_(duplicates[start : start + 500])))
    if kept:
        connection.execute(
            sa.update(_transactions)
            .where(t.id == sa.bindparam("row_id"), t.kind == old)
            .values(
                kind=new,
                natural_key=sa.bindparam("new_key"),
                side=sa.bindparam("new_side"),
                amount=sa.bindparam("new_amount", type_=ExactDecimal()),
            ),
            [{key: value for key, value in change.items() if key != "integration"} for change in kept],
        )


def upgrade() -> None:
    """A ledger line's signed amount becomes an amount without sign and the side the sign gave (the fetcher's
    `Flow.IN if signed > 0 else Flow.OUT`)."""
    changes = [
        {
            "row_id": row.id,
            "integration": row.integration_id,
            "new_key": _rekeyed(row.natural_key, _OLD, _NEW),
            "new_side": _IN if row.amount > 0 else _OUT,
            "new_amount": abs(row.amount),
        }
        for row in _convert_lines(op.get_bind(), _OLD)
    ]
    _rewrite(_OLD, _NEW, changes)


def downgrade() -> None:
    """A convert leg going out becomes a negative ledger line again, one coming in a positive one; no side."""
    changes = [
        {
            "row_id": row.id,
            "integration": row.integration_id,
            "new_key": _rekeyed(row.natural_key, _NEW, _OLD),
            "new_side": None,
            "new_amount": row.amount if row.side == _IN else Decimal(0) - row.amount,
        }
        for row in _convert_lines(op.get_bind(), _NEW)
    ]
    _rewrite(_NEW, _OLD, changes)
