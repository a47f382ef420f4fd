"""walk Bybit and OKX spot trades again; OKX trades at their fill time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 23:30:00

Data only, no schema change. The old fetchers lost trades that no later sync fetches on its own:
- Bybit's skipped every execution whose `execType` was not `Trade` (classic spot rows leave it empty; AdlTrade,
  BlockTrade, ...) while its cursor moved past them;
- OKX's reached back 3 months, and its committed cursor is the floor of every later walk, so fills 3 to 12 months
  old (the reach now) are never listed.
Deleting the spot-trade cursors makes the next sync walk the whole reach again; rows already stored are matched on
their natural key (the exchange's trade id), so the walk adds only what was missing.
OKX trades stored before the fix carry `ts` (when OKX wrote the row) instead of `fillTime`, and the insert keeps a
stored row as it is: their time is set here from the raw row's `fillTime`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REWALKED_EXCHANGES = ("bybit", "okx")
_SPOT_TRADES = "spot_trades"  # connectors.profiles.Endpoint.SPOT_TRADES, as stored in endpoint_states.endpoint
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_integrations = sa.table("integrations", sa.column("id", sa.BigInteger), sa.column("exchange_id", sa.String))
_endpoint_states = sa.table(
    "endpoint_states", sa.column("integration_id", sa.BigInteger), sa.column("endpoint", sa.String)
)
# The column types of db.models, so JSON is parsed and times are read and written in UTC on either backend.
_transactions = sa.table(
    "transactions",
    sa.column("id", sa.BigInteger),
    sa.column("integration_id", sa.BigInteger),
    sa.column("kind", sa.String),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("raw", sa.JSON()),
)


def _fill_time(raw: object) -> datetime | None:
    """OKX's `fillTime` (milliseconds since the epoch, a string) as a UTC time; None where the row has none."""
    value = raw.get("fillTime") if isinstance(raw, dict) else None
    text = str(value).strip() if value is not None else ""
    if not text.isdigit():
        return None
    return _EPOCH + timedelta(milliseconds=int(text))


def upgrade() -> None:
    connection = op.get_bind()
    rewalked = sa.select(_integrations.c.id).where(_integrations.c.exchange_id.in_(_REWALKED_EXCHANGES))
    connection.execute(
        sa.delete(_endpoint_states).where(
            _endpoint_states.c.endpoint == _SPOT_TRADES, _endpoint_states.c.integration_id.in_(rewalked)
        )
    )

    okx = sa.select(_integrations.c.id).where(_integrations.c.exchange_id == "okx")
    stored = connection.execute(
        sa.select(_transactions.c.id, _transactions.c.occurred_at, _transactions.c.raw).where(
            _transactions.c.kind == "trade", _transactions.c.integration_id.in_(okx)
        )
    )
    corrections = [
        {"row_id": row_id, "fill_time": fill_time}
        for row_id, occurred_at, raw in stored
        if (fill_time := _fill_time(raw)) is not None and fill_time != occurred_at
    ]
    if corrections:
        connection.execute(
            sa.update(_transactions)
            .where(_transactions.c.id == sa.bindparam("row_id"))
            .values(occurred_at=sa.bindparam("fill_time", type_=UTCDateTime())),
            corrections,
        )


def downgrade() -> None:
    """Nothing to undo: the cursors are rebuilt by the next sync and the fill times are the right ones."""
